//! The merge list as a lookup from a pair of ids to (rank, merged id).
//!
//! Pair lookups are the inner loop of BPE. Pairs of ids below 512 (the single bytes of a
//! byte-level vocabulary, and the first, most frequent merges) are where every word starts, and
//! sit in a dense 512 x 512 grid of 8-byte cells (2 MB, on one huge page where Linux allows it,
//! see `utils::huge_pages`); the rest go through a hash map. The grid was 256 x 256 until
//! session 11: doubling it took o200k on unseen English, German and fortunes 3-14% faster
//! (Rust harness, medians of 3 alternating runs; 1024 x 1024 was no better). (An open-addressing table
//! with the pair and its answer in one 16-byte slot was tried in session 7: no faster on prose,
//! 8-18% slower on the multilingual mix and random base64, where most lookups are of pairs that do
//! not merge, which the hash map answers from its one-byte control array without touching the
//! buckets.)

use crate::utils::huge_pages::HugeTable;
use rustc_hash::FxHashMap;

const SMALL: u32 = 512;
/// A grid cell holds `(rank + 1) << 32 | merged id`, so that 0 is "no merge" and the pages of
/// the grid that no merge falls in stay untouched (the zero page of a fresh mapping).
const NO_MERGE: u64 = 0;

#[derive(Debug, Clone)]
pub struct MergeTable {
    small: HugeTable<u64>,
    large: FxHashMap<(u32, u32), (u32, u32)>,
}

impl MergeTable {
    /// The table of `merges`, (left, right, rank, merged id) in list order; a pair listed twice
    /// keeps its first rank.
    pub fn build(merges: impl IntoIterator<Item = (u32, u32, u32, u32)>) -> MergeTable {
        // Without memory for the grid, every pair goes to the hash map (same answers, slower).
        let grid = HugeTable::zeroed((SMALL * SMALL) as usize, "the grid of merges").ok();
        MergeTable::build_with(merges, grid)
    }

    /// `build` with the grid given (`None`: no grid, every pair in the hash map).
    fn build_with(merges: impl IntoIterator<Item = (u32, u32, u32, u32)>, grid: Option<HugeTable<u64>>) -> MergeTable {
        let (mut small, grid) = match grid {
            Some(small) => (small, SMALL),
            None => (HugeTable::empty(), 0),
        };
        let mut large = FxHashMap::default();
        for (left, right, rank, merged) in merges {
            let cell = (left < grid && right < grid).then(|| small.get_mut((left * SMALL + right) as usize)).flatten();
            if let Some(cell) = cell {
                if *cell == NO_MERGE {
                    // Ranks are positions in a merge list, far below 2^32 - 1; the top value is
                    // folded onto the one below it so that `rank + 1` fits the cell.
                    *cell = (rank.min(u32::MAX - 1) as u64 + 1) << 32 | merged as u64;
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
            if let Some(&found) = self.small.get((left * SMALL + right) as usize) {
                return (found != NO_MERGE).then(|| ((found >> 32) as u32 - 1, found as u32));
            }
        }
        self.large.get(&(left, right)).copied()
    }
}

impl MergeTable {
    /// Calls `each(left, right, rank, merged id)` for every pair, in no particular order (ranks
    /// that the grid folded come back folded).
    pub fn for_each(&self, mut each: impl FnMut(u32, u32, u32, u32)) {
        for (cell, &found) in self.small.iter().enumerate() {
            if found != NO_MERGE {
                let (left, right) = (cell as u32 / SMALL, cell as u32 % SMALL);
                each(left, right, (found >> 32) as u32 - 1, found as u32);
            }
        }
        for (&(left, right), &(rank, merged)) in &self.large {
            each(left, right, rank, merged);
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
        let table = MergeTable::build(list.clone());
        for l in (0..600).chain([u32::MAX - 1, u32::MAX]) {
            for r in (0..600).chain([u32::MAX - 1, u32::MAX]) {
                assert_eq!(table.get(l, r), reference.get(&(l, r)).copied(), "({l}, {r})");
            }
        }
        assert_eq!(MergeTable::default().get(1000, 1000), None);
        // The grid holds the pairs below 512 (rank 0 included), and a table built without one
        // answers the same from its hash map.
        let gridless = MergeTable::build_with(list.clone(), None);
        for l in (0..600).chain([u32::MAX - 1, u32::MAX]) {
            for r in (0..600).chain([u32::MAX - 1, u32::MAX]) {
                assert_eq!(gridless.get(l, r), table.get(l, r), "({l}, {r})");
            }
        }
        let edges = MergeTable::build([(511, 0, 0, 9), (0, 511, u32::MAX, u32::MAX), (512, 0, u32::MAX, 7)]);
        assert_eq!(edges.get(511, 0), Some((0, 9)));
        assert_eq!(edges.get(0, 511), Some((u32::MAX - 1, u32::MAX)), "the top rank is folded in the grid");
        assert_eq!(edges.get(512, 0), Some((u32::MAX, 7)), "the map keeps it as it is");
        assert_eq!(edges.get(0, 0), None);
    }
}
