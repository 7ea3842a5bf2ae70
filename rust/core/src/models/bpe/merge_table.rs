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
//!
//! A vocabulary whose characters are not its first ids (a SentencePiece model converted to a
//! `tokenizer.json` lists its characters last: Mistral's are ids 28705 to 31999) would find no
//! pair of Cyrillic or CJK text in the grid. When some other 512 ids are the halves of many more
//! merges than the first 512 (`grid_slots`), the grid's rows and columns are those ids instead,
//! found through a table of slots: two more loads from a small array per lookup, paid only by
//! such models.

use crate::utils::huge_pages::HugeTable;
use rustc_hash::FxHashMap;

const SMALL: u32 = 512;
/// A grid cell holds `(rank + 1) << 32 | merged id`, so that 0 is "no merge" and the pages of
/// the grid that no merge falls in stay untouched (the zero page of a fresh mapping).
const NO_MERGE: u64 = 0;

#[derive(Debug, Clone)]
pub struct MergeTable {
    small: HugeTable<u64>,
    /// The grid row and column of each id (`NO_SLOT` for the ids outside it), or empty when
    /// the grid is indexed by the ids themselves.
    slot_of: Box<[u16]>,
    /// The id of each grid row and column, when `slot_of` is not empty.
    id_of_slot: Box<[u32]>,
    large: FxHashMap<(u32, u32), (u32, u32)>,
}

const NO_SLOT: u16 = u16::MAX;
/// Largest id bound for which slots are considered (the table of slots has one entry per id).
const MAX_SLOTTED_IDS: usize = 1 << 20;

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
        let merges: Vec<(u32, u32, u32, u32)> = merges.into_iter().collect();
        let (mut small, grid) = match grid {
            Some(small) => (small, SMALL),
            None => (HugeTable::empty(), 0),
        };
        let (slot_of, id_of_slot) = grid_slots(&merges).unwrap_or_default();
        let mut table = MergeTable { small: HugeTable::empty(), slot_of, id_of_slot, large: FxHashMap::default() };
        for (left, right, rank, merged) in merges {
            let (l, r) = table.slots(left, right);
            let cell = (l < grid && r < grid).then(|| small.get_mut((l * SMALL + r) as usize)).flatten();
            if let Some(cell) = cell {
                if *cell == NO_MERGE {
                    // Ranks are positions in a merge list, far below 2^32 - 1; the top value is
                    // folded onto the one below it so that `rank + 1` fits the cell.
                    *cell = (rank.min(u32::MAX - 1) as u64 + 1) << 32 | merged as u64;
                }
            } else {
                table.large.entry((left, right)).or_insert((rank, merged));
            }
        }
        table.small = small;
        table
    }

    /// The grid row and column of a pair's ids (`SMALL` or more: outside the grid).
    #[inline(always)]
    fn slots(&self, left: u32, right: u32) -> (u32, u32) {
        if self.slot_of.is_empty() {
            return (left, right);
        }
        let slot =
            |id: u32| self.slot_of.get(id as usize).map_or(SMALL, |&s| if s == NO_SLOT { SMALL } else { s as u32 });
        (slot(left), slot(right))
    }

    /// Whether the grid is indexed through slots (for tests).
    #[cfg(test)]
    pub(crate) fn uses_slots(&self) -> bool {
        !self.slot_of.is_empty()
    }

    /// (rank, merged id) of the pair, if it merges.
    #[inline]
    pub fn get(&self, left: u32, right: u32) -> Option<(u32, u32)> {
        let (l, r) = self.slots(left, right);
        if l < SMALL && r < SMALL {
            if let Some(&found) = self.small.get((l * SMALL + r) as usize) {
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
        // A grid row or column is an id itself, or the id of its slot.
        let id = |slot: u32| self.id_of_slot.get(slot as usize).copied().unwrap_or(slot);
        for (cell, &found) in self.small.iter().enumerate() {
            if found != NO_MERGE {
                let (left, right) = (cell as u32 / SMALL, cell as u32 % SMALL);
                each(id(left), id(right), (found >> 32) as u32 - 1, found as u32);
            }
        }
        for (&(left, right), &(rank, merged)) in &self.large {
            each(left, right, rank, merged);
        }
    }
}

/// The grid slot of each id and the id of each slot (`MergeTable::slot_of`, `id_of_slot`).
type GridSlots = (Box<[u16]>, Box<[u32]>);

/// Slots for the grid when the 512 ids that are halves of
/// the most merges are the halves of more than twice as many merges as the first 512 ids.
/// Mistral's `tokenizer.json`: 4.1 times (13358 merges against 3261), Russian +8% and English
/// +3.5% (session 33, both tokenizers in one process over alternating fresh slices, both load
/// orders). Byte-level vocabularies keep their ids (their bytes and first merges are their first
/// ids): gpt2's 1.4 times, where slots were 1-3% slower, cl100k's 1.6 times.
fn grid_slots(merges: &[(u32, u32, u32, u32)]) -> Option<GridSlots> {
    let bound = merges.iter().map(|&(l, r, _, _)| l.max(r) as usize + 1).max()?;
    if bound > MAX_SLOTTED_IDS || bound <= SMALL as usize {
        return None;
    }
    let mut halves_in = vec![0u32; bound];
    for &(left, right, _, _) in merges {
        halves_in[left as usize] += 1;
        halves_in[right as usize] += 1;
    }
    let mut ids: Vec<u32> = (0..bound as u32).collect();
    let most_first = |&id: &u32| (std::cmp::Reverse(halves_in[id as usize]), id);
    ids.select_nth_unstable_by_key(SMALL as usize - 1, most_first);
    ids.truncate(SMALL as usize);
    ids.sort_unstable_by_key(most_first);
    let mut slot_of = vec![NO_SLOT; bound].into_boxed_slice();
    for (slot, &id) in ids.iter().enumerate() {
        slot_of[id as usize] = slot as u16;
    }
    let in_grid =
        |covered: &dyn Fn(u32) -> bool| merges.iter().filter(|&&(l, r, _, _)| covered(l) && covered(r)).count();
    let by_id = in_grid(&|id| id < SMALL);
    let by_slot = in_grid(&|id| slot_of[id as usize] != NO_SLOT);
    (by_slot > by_id * 2).then(|| (slot_of, ids.into_boxed_slice()))
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

    type Listed = Vec<(u32, u32, u32, u32)>;

    /// `count` merges of pairs of ids drawn from `ids` (repeats included), merged id `rank +
    /// shift`, and what a table must answer for them (the first rank of a pair listed twice).
    fn random_merges(
        seed: u64,
        count: u32,
        ids: std::ops::Range<u32>,
        shift: u32,
    ) -> (Listed, FxHashMap<(u32, u32), (u32, u32)>) {
        let (mut list, mut reference) = (Vec::new(), FxHashMap::default());
        let mut rng = crate::utils::test_random::Lcg::new(seed);
        let span = ids.end - ids.start;
        for rank in 0..count {
            let seed = rng.step();
            let (l, r) = (ids.start + (seed >> 40) as u32 % span, ids.start + (seed >> 20) as u32 % span);
            list.push((l, r, rank, rank + shift));
            reference.entry((l, r)).or_insert((rank, rank + shift));
        }
        (list, reference)
    }

    #[test]
    fn agrees_with_a_hash_map_and_keeps_the_first_rank() {
        let (mut list, mut reference) = random_merges(1, 50_000, 0..600, 7);
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

    /// Merges among ids far from 0 (the characters of a converted SentencePiece model): the
    /// grid is indexed through slots, and answers as the hash map does, for every pair.
    #[test]
    fn ids_far_from_zero_get_grid_slots_with_the_same_answers() {
        let (mut list, mut reference) = random_merges(7, 20_000, 30_000..30_700, 40_000);
        list.push((3, 4, 20_000, 5));
        reference.insert((3, 4), (20_000, 5));
        let table = MergeTable::build(list.clone());
        assert!(table.uses_slots());
        for l in (0..10).chain(30_000..30_700) {
            for r in (0..10).chain(30_000..30_700) {
                assert_eq!(table.get(l, r), reference.get(&(l, r)).copied(), "({l}, {r})");
            }
        }
        let mut listed = FxHashMap::default();
        table.for_each(|l, r, rank, merged| assert!(listed.insert((l, r), (rank, merged)).is_none()));
        assert_eq!(listed, reference);
        // Ids that already start at 0 keep the grid by id.
        assert!(!MergeTable::build((0..600u32).map(|i| (i, i + 1, i, i + 2))).uses_slots());
    }
}
