//! The merge list as a lookup from a pair of ids to (rank, merged id).
//!
//! Pair lookups are the inner loop of BPE. Pairs of ids below 256 (the single bytes of a
//! byte-level vocabulary, and the first merges) are where every word starts, and sit in a dense
//! 256 x 256 table that stays in cache; the rest go through a hash map. (An open-addressing table
//! with the pair and its answer in one 16-byte slot was tried in session 7: no faster on prose,
//! 8-18% slower on the multilingual mix and random base64, where most lookups are of pairs that do
//! not merge, which the hash map answers from its one-byte control array without touching the
//! buckets.)

use rustc_hash::FxHashMap;

const SMALL: u32 = 256;
const NO_MERGE: (u32, u32) = (u32::MAX, u32::MAX);

#[derive(Debug, Clone)]
pub struct MergeTable {
    small: Vec<(u32, u32)>,
    large: FxHashMap<(u32, u32), (u32, u32)>,
}

impl MergeTable {
    /// The table of `merges`, (left, right, rank, merged id) in list order; a pair listed twice
    /// keeps its first rank.
    pub fn build(merges: impl IntoIterator<Item = (u32, u32, u32, u32)>) -> MergeTable {
        let mut small = vec![NO_MERGE; (SMALL * SMALL) as usize];
        let mut large = FxHashMap::default();
        for (left, right, rank, merged) in merges {
            if left < SMALL && right < SMALL {
                let slot = &mut small[(left * SMALL + right) as usize];
                if *slot == NO_MERGE {
                    *slot = (rank, merged);
                }
            } else {
                large.entry((left, right)).or_insert((rank, merged));
            }
        }
        MergeTable { small, large }
    }

    /// (rank, merged id) of the pair, if it merges.
    #[inline]
    pub fn get(&self, left: u32, right: u32) -> Option<(u32, u32)> {
        if left < SMALL && right < SMALL {
            let found = *self.small.get((left * SMALL + right) as usize)?;
            (found != NO_MERGE).then_some(found)
        } else {
            self.large.get(&(left, right)).copied()
        }
    }
}

impl Default for MergeTable {
    fn default() -> Self {
        MergeTable::build([])
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rustc_hash::FxHashMap;

    #[test]
    fn agrees_with_a_hash_map_and_keeps_the_first_rank() {
        let mut list = Vec::new();
        let mut reference = FxHashMap::default();
        let mut seed = 1u64;
        for rank in 0..50_000u32 {
            seed = seed.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
            let (l, r) = ((seed >> 40) as u32 % 600, (seed >> 20) as u32 % 600);
            list.push((l, r, rank, rank + 7));
            reference.entry((l, r)).or_insert((rank, rank + 7));
        }
        // Ids far apart, up to the largest.
        list.push((u32::MAX, u32::MAX, 50_000, 3));
        list.push((u32::MAX, u32::MAX, 50_001, 4));
        reference.insert((u32::MAX, u32::MAX), (50_000, 3));
        list.push((u32::MAX - 1, 0, 50_002, 5));
        reference.insert((u32::MAX - 1, 0), (50_002, 5));
        let table = MergeTable::build(list);
        for l in (0..600).chain([u32::MAX - 1, u32::MAX]) {
            for r in (0..600).chain([u32::MAX - 1, u32::MAX]) {
                assert_eq!(table.get(l, r), reference.get(&(l, r)).copied(), "({l}, {r})");
            }
        }
        assert_eq!(MergeTable::default().get(1000, 1000), None);
    }
}
