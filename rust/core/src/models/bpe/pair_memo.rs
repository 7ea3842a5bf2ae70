//! Remembered answers for pairs of tokens, for the search over long pieces.
//!
//! A megabyte without a split point (a digit run under GPT-2's pattern) is made of a few
//! hundred distinct tokens, and the search asks about the same pairs again and again. The first
//! `HOT` distinct tokens of a run get small indices, and a 2-bit cell per pair of them holds
//! "unknown" (0), "no" or "yes": a quarter megabyte that stays in cache, where each fresh answer
//! costs several lookups in the merge table. Tokens beyond the first `HOT` are not remembered,
//! until they have cost `FORGET_AFTER` fresh answers: then the memo starts over, so that a
//! thread whose memo filled up on earlier text (code full of long `====` runs, say) learns the
//! tokens of the run at hand (measured: a digit run ran at 24 MB/s instead of 39 after prose).

const HOT: usize = 1024;
/// Misses of the hot set after which the memo is cleared: clearing (a 256 KB fill) then costs
/// about 2% of what the misses cost.
const FORGET_AFTER: u32 = 8192;
const NO: u8 = 1;
const YES: u8 = 2;

#[derive(Debug, Default)]
pub struct PairMemo {
    /// Which vocabulary the answers are about (see `reset_for`).
    owner: u64,
    /// Hot index + 1 of each id, 0 when it has none.
    index: Vec<u16>,
    hot: Vec<u32>,
    cells: Vec<u8>,
    /// Questions about tokens outside the hot set since the last clearing.
    misses: u32,
}

impl PairMemo {
    /// Forgets everything unless the memo already belongs to vocabulary `owner` (of `id_bound`
    /// ids): the buffers live per thread and may serve several tokenizers.
    pub fn reset_for(&mut self, owner: u64, id_bound: usize) {
        if self.owner == owner && self.index.len() == id_bound {
            return;
        }
        self.owner = owner;
        self.index.clear();
        self.index.resize(id_bound, 0);
        self.hot.clear();
        self.cells.clear();
        self.cells.resize(HOT * HOT / 4, 0);
        self.misses = 0;
    }

    /// Forgets every answer and the hot set (same owner).
    fn clear(&mut self) {
        for &id in &self.hot {
            self.index[id as usize] = 0;
        }
        self.hot.clear();
        self.cells.fill(0);
        self.misses = 0;
    }

    fn slot(&mut self, id: u32) -> Option<usize> {
        let i = self.index.get(id as usize).copied()?;
        if i > 0 {
            return Some(i as usize - 1);
        }
        if self.hot.len() == HOT {
            return None;
        }
        self.hot.push(id);
        self.index[id as usize] = self.hot.len() as u16;
        Some(self.hot.len() - 1)
    }

    /// The remembered answer for (left, right), or `compute`'s, remembered.
    #[inline]
    pub fn get_or(&mut self, left: u32, right: u32, compute: impl FnOnce() -> bool) -> bool {
        let (Some(l), Some(r)) = (self.slot(left), self.slot(right)) else {
            self.misses += 1;
            if self.misses == FORGET_AFTER {
                self.clear();
            }
            return compute();
        };
        let cell = l * HOT + r;
        let (byte, shift) = (cell / 4, (cell % 4) * 2);
        match (self.cells[byte] >> shift) & 3 {
            YES => true,
            NO => false,
            _ => {
                let answer = compute();
                self.cells[byte] |= (if answer { YES } else { NO }) << shift;
                answer
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn remembers_per_owner_and_computes_once() {
        let mut memo = PairMemo::default();
        memo.reset_for(1, 5000);
        let mut calls = 0;
        for _ in 0..3 {
            assert!(memo.get_or(7, 4999, || {
                calls += 1;
                true
            }));
            assert!(!memo.get_or(4999, 7, || {
                calls += 1;
                false
            }));
        }
        assert_eq!(calls, 2);
        memo.reset_for(2, 5000);
        assert!(!memo.get_or(7, 4999, || false), "a new owner starts empty");
    }

    #[test]
    fn ids_past_the_hot_set_are_computed_every_time() {
        let mut memo = PairMemo::default();
        memo.reset_for(1, 4 * HOT);
        for id in 0..HOT as u32 {
            memo.get_or(id, id, || true);
        }
        let mut calls = 0;
        for _ in 0..2 {
            memo.get_or(HOT as u32 + 5, 0, || {
                calls += 1;
                false
            });
        }
        assert_eq!(calls, 2);
        assert!(!memo.get_or(9 * HOT as u32, 0, || false), "ids out of range are computed, not indexed");
    }

    #[test]
    fn a_full_memo_starts_over_after_enough_misses() {
        let mut memo = PairMemo::default();
        memo.reset_for(1, 4 * HOT);
        for id in 0..HOT as u32 {
            memo.get_or(id, id, || true);
        }
        let newcomer = HOT as u32 + 5;
        for _ in 0..FORGET_AFTER {
            memo.get_or(newcomer, newcomer, || false);
        }
        let mut calls = 0;
        for _ in 0..2 {
            assert!(!memo.get_or(newcomer, newcomer, || {
                calls += 1;
                false
            }));
        }
        assert_eq!(calls, 1, "after starting over the newcomer is hot, its answer remembered");
        let mut recomputed = false;
        memo.get_or(0, 0, || {
            recomputed = true;
            true
        });
        assert!(recomputed, "old answers are gone, computed again");
    }
}
