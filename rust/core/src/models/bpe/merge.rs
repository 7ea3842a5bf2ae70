//! Applying BPE merges to one word: repeatedly merge the adjacent pair whose merge has the
//! lowest rank, the leftmost one on ties, until no adjacent pair can merge.
//!
//! Short words (nearly all of them) take a scan over a small array: for a handful of symbols
//! that beats any heap. Long words use a binary heap of candidate merges over a doubly linked
//! list of symbols, with stale entries skipped when popped, so a word of n symbols costs
//! O(n log n) and a megabyte without a split point stays affordable.

use std::cmp::Reverse;
use std::collections::BinaryHeap;

/// Pair of symbol ids → (rank, id of the merged symbol).
pub use super::merge_table::MergeTable as Merges;

/// A symbol of a word: token id and its byte range in the word.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Symbol {
    pub id: u32,
    pub start: u32,
    pub end: u32,
}

/// Words up to this many symbols use the quadratic scan; it is faster below this size.
const SCAN_LIMIT: usize = 48;

/// Merges `symbols` in place.
pub fn merge_word(symbols: &mut Vec<Symbol>, merges: &Merges) {
    if symbols.len() < 2 {
        return;
    }
    if symbols.len() <= SCAN_LIMIT {
        merge_by_scan(symbols, merges)
    } else {
        merge_by_heap(symbols, merges)
    }
}

fn merge_by_scan(symbols: &mut Vec<Symbol>, merges: &Merges) {
    // The rank and result of the pair that starts at each symbol, kept beside the symbols: a
    // merge changes only the two pairs around it, so a word costs one lookup per pair plus two
    // per merge, and finding the next merge is a scan over a small array. A merged-away symbol
    // stays in place, marked dead by a rank that never wins, with links around it: nothing is
    // moved until the end (moving costs a memmove call per merge, a tenth of the time on words
    // of a few bytes).
    const NO_RANK: u32 = u32::MAX;
    let n = symbols.len();
    debug_assert!((2..=SCAN_LIMIT).contains(&n));
    let mut rank = [NO_RANK; SCAN_LIMIT];
    let mut merged = [0u32; SCAN_LIMIT];
    let mut next = [0u8; SCAN_LIMIT];
    let mut prev = [0u8; SCAN_LIMIT];
    let pair = |left: &Symbol, right: &Symbol| merges.get(left.id, right.id).unwrap_or((NO_RANK, 0));
    for i in 0..n - 1 {
        (rank[i], merged[i]) = pair(&symbols[i], &symbols[i + 1]);
        next[i] = (i + 1) as u8;
        prev[i + 1] = i as u8;
    }
    next[n - 1] = n as u8;
    loop {
        // Live symbols keep their left-to-right order in the array, so the first lowest rank
        // is the leftmost pair among equals.
        let mut best = 0;
        for k in 1..n - 1 {
            if rank[k] < rank[best] {
                best = k;
            }
        }
        if rank[best] == NO_RANK {
            break;
        }
        let right = next[best] as usize;
        symbols[best] = Symbol { id: merged[best], start: symbols[best].start, end: symbols[right].end };
        rank[right] = NO_RANK;
        let after = next[right] as usize;
        next[best] = after as u8;
        if after < n {
            prev[after] = best as u8;
            (rank[best], merged[best]) = pair(&symbols[best], &symbols[after]);
        } else {
            rank[best] = NO_RANK;
        }
        // Symbol 0 is never merged away (a merge keeps its left symbol), so any other live
        // symbol has a live one before it.
        if best > 0 {
            let before = prev[best] as usize;
            (rank[before], merged[before]) = pair(&symbols[before], &symbols[best]);
        }
    }
    let (mut at, mut kept) = (0, 0);
    while at < n {
        symbols[kept] = symbols[at];
        kept += 1;
        at = next[at] as usize;
    }
    symbols.truncate(kept);
}

const NONE: usize = usize::MAX;

fn merge_by_heap(symbols: &mut Vec<Symbol>, merges: &Merges) {
    merge_by_heap_skipping(symbols, merges, || false)
}

/// The heap merge, where `skip()` may turn a candidate down (BPE-dropout, see `dropout`). As in
/// HF, `skip` is asked before a candidate is checked for staleness, and the skipped ones come
/// back as soon as one candidate is not skipped; without skips this is plain BPE.
pub(super) fn merge_by_heap_skipping(symbols: &mut Vec<Symbol>, merges: &Merges, mut skip: impl FnMut() -> bool) {
    let n = symbols.len();
    if n < 2 {
        return;
    }
    let mut next: Vec<usize> = (1..=n).map(|i| if i == n { NONE } else { i }).collect();
    let mut prev: Vec<usize> = (0..n).map(|i| if i == 0 { NONE } else { i - 1 }).collect();
    let mut alive = vec![true; n];
    // Min-heap on (rank, position of the left symbol); positions are original indices, which
    // keep the left-to-right order of symbols, so ties go to the leftmost pair.
    let mut heap: BinaryHeap<Reverse<(u32, usize)>> = BinaryHeap::with_capacity(n);
    for i in 0..n - 1 {
        if let Some((rank, _)) = merges.get(symbols[i].id, symbols[i + 1].id) {
            heap.push(Reverse((rank, i)));
        }
    }
    let mut skipped: Vec<Reverse<(u32, usize)>> = Vec::new();
    while let Some(entry) = heap.pop() {
        if skip() {
            skipped.push(entry);
            continue;
        }
        heap.extend(skipped.drain(..));
        let Reverse((rank, left)) = entry;
        let right = next[left];
        if !alive[left] || right == NONE {
            continue;
        }
        // The entry is stale if either symbol changed since it was pushed.
        let Some((current_rank, new_id)) = merges.get(symbols[left].id, symbols[right].id) else { continue };
        if current_rank != rank {
            continue;
        }
        symbols[left] = Symbol { id: new_id, start: symbols[left].start, end: symbols[right].end };
        alive[right] = false;
        let after = next[right];
        next[left] = after;
        if after != NONE {
            prev[after] = left;
            if let Some((r, _)) = merges.get(new_id, symbols[after].id) {
                heap.push(Reverse((r, left)));
            }
        }
        let before = prev[left];
        if before != NONE {
            if let Some((r, _)) = merges.get(symbols[before].id, new_id) {
                heap.push(Reverse((r, before)));
            }
        }
    }
    let mut k = 0;
    for i in 0..n {
        if alive[i] {
            symbols[k] = symbols[i];
            k += 1;
        }
    }
    symbols.truncate(k);
}

/// `word`'s bytes as their one-byte tokens, merged by `merge_word`: the reference the faster
/// paths of this module's siblings are tested against.
#[cfg(test)]
pub(super) fn merged_from_bytes(word: &[u8], single: &[Option<u32>; 256], merges: &Merges) -> Vec<Symbol> {
    let mut symbols: Vec<Symbol> = (word.iter().enumerate())
        .map(|(i, &b)| Symbol { id: single[b as usize].unwrap(), start: i as u32, end: i as u32 + 1 })
        .collect();
    merge_word(&mut symbols, merges);
    symbols
}

#[cfg(test)]
mod tests {
    use super::*;

    fn word(ids: &[u32]) -> Vec<Symbol> {
        ids.iter().enumerate().map(|(i, &id)| Symbol { id, start: i as u32, end: i as u32 + 1 }).collect()
    }

    /// Symbols: 1=a 2=b 3=c; merges: (a,b)->4 rank 0, (4,c)->5 rank 1, (a,a)->6 rank 2, (6,6)->7 rank 3.
    fn merges() -> Merges {
        Merges::build([(1, 2, 0, 4), (4, 3, 1, 5), (1, 1, 2, 6), (6, 6, 3, 7)])
    }

    #[test]
    fn lowest_rank_first_and_leftmost_on_ties() {
        let mut w = word(&[1, 2, 3, 1, 1, 1]);
        merge_word(&mut w, &merges());
        assert_eq!(w.iter().map(|s| s.id).collect::<Vec<_>>(), vec![5, 6, 1]);
        assert_eq!((w[1].start, w[1].end), (3, 5));
    }

    #[test]
    fn heap_and_scan_agree() {
        let mut rng = crate::utils::test_random::Lcg::new(7);
        let mut random = |n: u64| rng.below(n);
        for _ in 0..5000 {
            let len = 2 + random(SCAN_LIMIT as u64 - 1) as usize;
            let ids: Vec<u32> = (0..len).map(|_| [1, 2, 3][random(3) as usize]).collect();
            let mut by_heap = word(&ids);
            merge_by_heap(&mut by_heap, &merges());
            let mut by_scan = word(&ids);
            merge_by_scan(&mut by_scan, &merges());
            assert_eq!(by_heap, by_scan, "{ids:?}");
        }
    }
}
