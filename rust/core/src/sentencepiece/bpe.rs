//! SentencePiece BPE, as the library encodes: the text starts as one symbol per character (a
//! user-defined piece is one frozen symbol); the adjacent pair whose concatenation is a piece
//! with the highest score merges first, the leftmost on ties, until no pair is a piece. A merge
//! into an UNUSED piece is undone at the end by splitting it back into its two halves. Scores
//! are ordered as the library (0.2.3) orders them, by their bits: -0.0 below +0.0, NaN above
//! +inf (`f32::total_cmp`). A symbol that is a reserved piece (CONTROL, a single character) or an
//! UNUSED piece no merge made is unknown text.
//!
//! A max-heap of candidate pairs over a linked list of symbols, stale entries skipped when
//! popped: O(n log n) in the text length, so a megabyte without a space (one word under the
//! legacy Llama pipeline) stays affordable.

use super::model::SentencePieceModel;
use super::proto::PieceType;
use rustc_hash::FxHashMap;
use std::cmp::Ordering;
use std::collections::BinaryHeap;

const NONE: usize = usize::MAX;

#[derive(Clone, Copy)]
struct Symbol {
    start: usize,
    end: usize,
    prev: usize,
    next: usize,
    frozen: bool,
}

/// A candidate merge: higher score first, then the leftmost.
struct Candidate {
    score: f32,
    left: usize,
    right: usize,
    len: usize,
}

impl PartialEq for Candidate {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}
impl Eq for Candidate {}
impl PartialOrd for Candidate {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for Candidate {
    fn cmp(&self, other: &Self) -> Ordering {
        // The library compares the scores' bit patterns (sign first, then magnitude, reversed for
        // negatives): IEEE total order, so -0.0 < +0.0; equal scores: the leftmost first.
        self.score.total_cmp(&other.score).then_with(|| other.left.cmp(&self.left))
    }
}

/// The pieces of `text`: (start, end, id) in order.
pub fn encode(model: &SentencePieceModel, text: &str) -> Vec<(usize, usize, u32)> {
    let bytes = text.as_bytes();
    let mut symbols: Vec<Symbol> = Vec::with_capacity(text.len());
    let mut at = 0;
    while at < text.len() {
        let user = model.user_defined.as_ref().and_then(|t| t.longest_prefix(&bytes[at..]));
        let (len, frozen) = match user {
            Some((_, len)) if text.is_char_boundary(at + len) => (len, true),
            _ => (text[at..].chars().next().map_or(1, char::len_utf8), false),
        };
        let index = symbols.len();
        symbols.push(Symbol {
            start: at,
            end: at + len,
            prev: if index == 0 { NONE } else { index - 1 },
            next: if at + len < text.len() { index + 1 } else { NONE },
            frozen,
        });
        at += len;
    }
    let mut heap: BinaryHeap<Candidate> = BinaryHeap::with_capacity(symbols.len());
    // An UNUSED piece → the length of its left half, as the library records it: by the piece's
    // text, when the pair is first considered, the last record winning.
    let mut unmerge: FxHashMap<&str, usize> = FxHashMap::default();
    let mut consider = |symbols: &[Symbol], heap: &mut BinaryHeap<Candidate>, left: usize, right: usize| {
        if left == NONE || right == NONE || symbols[left].frozen || symbols[right].frozen {
            return;
        }
        let merged = &text[symbols[left].start..symbols[right].end];
        if let Some(&id) = model.encodable.get(merged) {
            heap.push(Candidate { score: model.score(id), left, right, len: merged.len() });
            if model.kind(id) == PieceType::Unused {
                unmerge.insert(merged, symbols[left].end - symbols[left].start);
            }
        }
    };
    for i in 1..symbols.len() {
        consider(&symbols, &mut heap, i - 1, i);
    }
    while let Some(top) = heap.pop() {
        let (l, r) = (symbols[top.left], symbols[top.right]);
        if l.start == l.end || r.start == r.end || (l.end - l.start) + (r.end - r.start) != top.len {
            continue;
        }
        symbols[top.left].end = r.end;
        symbols[top.left].next = r.next;
        if r.next != NONE {
            symbols[r.next].prev = top.left;
        }
        symbols[top.right].end = symbols[top.right].start; // emptied
        consider(&symbols, &mut heap, symbols[top.left].prev, top.left);
        consider(&symbols, &mut heap, top.left, symbols[top.left].next);
    }
    let mut out = Vec::with_capacity(symbols.len());
    let mut index = if symbols.is_empty() { NONE } else { 0 };
    while index != NONE {
        let s = symbols[index];
        resegment(model, text, s.start, s.end, &unmerge, 0, &mut out);
        index = s.next;
    }
    out
}

/// How deep the library splits UNUSED pieces back; deeper halves are kept as they are (so a
/// model with long chains of UNUSED merges cannot exhaust the stack).
const MAX_RESEGMENT_DEPTH: usize = 100;

/// A piece as its id, or an UNUSED piece as the pieces it was merged from. A symbol no encodable
/// piece spells (an unknown character, a reserved piece, an UNUSED piece without a merge record)
/// is unknown text.
fn resegment(
    model: &SentencePieceModel,
    text: &str,
    start: usize,
    end: usize,
    unmerge: &FxHashMap<&str, usize>,
    depth: usize,
    out: &mut Vec<(usize, usize, u32)>,
) {
    let piece = &text[start..end];
    // BPE indexes every piece in one map (no text is two pieces), so `ids` is the library's lookup.
    let found = model.ids.get(piece).copied();
    if depth > MAX_RESEGMENT_DEPTH {
        out.push((start, end, found.unwrap_or(model.unk_id)));
        return;
    }
    let id = match found {
        Some(id) if matches!(model.kind(id), PieceType::Normal | PieceType::UserDefined | PieceType::Unused) => id,
        _ => return out.push((start, end, model.unk_id)),
    };
    if model.kind(id) != PieceType::Unused {
        return out.push((start, end, id));
    }
    match unmerge.get(piece).filter(|&&l| l > 0 && l < piece.len()) {
        Some(&left_len) => {
            let middle = start + left_len;
            resegment(model, text, start, middle, unmerge, depth + 1, out);
            resegment(model, text, middle, end, unmerge, depth + 1, out);
        }
        None => out.push((start, end, model.unk_id)),
    }
}
