//! The merge list as a lookup from a pair of ids to (rank, merged id).
//!
//! Pair lookups are the inner loop of BPE. Pairs of ids below 256 (the single bytes of a
//! byte-level vocabulary, and the first merges) are where every word starts, and sit in a dense
//! 256 x 256 table that stays in cache; the rest go through a hash map.

use rustc_hash::FxHashMap;

const SMALL: u32 = 256;
const NO_MERGE: (u32, u32) = (u32::MAX, u32::MAX);

#[derive(Debug, Clone)]
pub struct MergeTable {
    small: Vec<(u32, u32)>,
    large: FxHashMap<(u32, u32), (u32, u32)>,
}

impl Default for MergeTable {
    fn default() -> Self {
        MergeTable { small: vec![NO_MERGE; (SMALL * SMALL) as usize], large: FxHashMap::default() }
    }
}

impl MergeTable {
    /// Adds a merge unless the pair already has one (a pair listed twice keeps its first rank).
    pub fn insert_first(&mut self, left: u32, right: u32, rank: u32, merged: u32) {
        if left < SMALL && right < SMALL {
            let slot = &mut self.small[(left * SMALL + right) as usize];
            if *slot == NO_MERGE {
                *slot = (rank, merged);
            }
        } else {
            self.large.entry((left, right)).or_insert((rank, merged));
        }
    }

    /// (rank, merged id) of the pair, if it merges.
    #[inline]
    pub fn get(&self, left: u32, right: u32) -> Option<(u32, u32)> {
        if left < SMALL && right < SMALL {
            let found = self.small[(left * SMALL + right) as usize];
            (found != NO_MERGE).then_some(found)
        } else {
            self.large.get(&(left, right)).copied()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn agrees_with_a_hash_map_and_keeps_the_first_rank() {
        let mut table = MergeTable::default();
        let mut reference = FxHashMap::default();
        let mut seed = 1u64;
        for rank in 0..50_000u32 {
            seed = seed.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
            let (l, r) = ((seed >> 40) as u32 % 600, (seed >> 20) as u32 % 600);
            table.insert_first(l, r, rank, rank + 7);
            reference.entry((l, r)).or_insert((rank, rank + 7));
        }
        for l in 0..600 {
            for r in 0..600 {
                assert_eq!(table.get(l, r), reference.get(&(l, r)).copied(), "({l}, {r})");
            }
        }
    }
}
