//! SentencePiece Unigram, as the library encodes a `.model`: the best-scoring cut of the whole
//! normalized text, found left to right over character starts (see `models::unigram` for the
//! `tokenizer.json` form, which HF scores per pre-token in double precision).
//!
//! The arithmetic is the library's, to the bit: 32-bit float scores summed in 32-bit floats
//! along the whole text, so two cuts of equal score in exact arithmetic can differ after
//! rounding, and the library's wheels resolve such ties this way (checked on real corpora, where
//! double precision picks the other cut). A user-defined piece of `length` bytes scores
//! `0.1 * (length - 1)`, above every normal piece, so it is always taken; UNUSED pieces are never
//! taken. Ties keep the first candidate (earliest start, then shortest).
//!
//! So that long texts keep float32 precision, the library (since 0.2.2) moves the origin of the
//! scores whenever the best score where a step starts leaves ±100,000: it subtracts that score
//! from every position reached so far, from the step's start up to the furthest end reached. The
//! cuts then depend on where those resets fall, so they are done at the same places here.

use super::model::SentencePieceModel;
use super::proto::PieceType;
use crate::utils::memory::Scratch as _;
use std::cell::RefCell;

const UNKNOWN_PENALTY: f32 = 10.0;
const SCORE_RESET_THRESHOLD: f32 = 100_000.0;
const UNREACHED: u32 = u32::MAX;

#[derive(Clone, Copy)]
struct Best {
    score: f32,
    start: u32,
    id: u32,
}

thread_local! {
    static SCRATCH: RefCell<(Vec<Best>, Vec<(u32, u32)>)> = const { RefCell::new((Vec::new(), Vec::new())) };
}

/// Bytes this thread's lattice buffers hold (tests).
#[cfg(test)]
pub(crate) fn retained_scratch_bytes() -> usize {
    use crate::utils::memory::Scratch;
    SCRATCH.with(|cell| {
        let (best, matches) = &*cell.borrow();
        best.retained_bytes() + matches.retained_bytes()
    })
}

/// The pieces of `text`: (start, end, id) in order.
pub fn encode(model: &SentencePieceModel, text: &str) -> Vec<(usize, usize, u32)> {
    SCRATCH.with(|cell| {
        let (best, matches) = &mut *cell.borrow_mut();
        let pieces = best_path(model, text, best, matches);
        best.release_excess();
        matches.release_excess();
        pieces
    })
}

fn best_path(
    model: &SentencePieceModel,
    text: &str,
    best: &mut Vec<Best>,
    matches: &mut Vec<(u32, u32)>,
) -> Vec<(usize, usize, u32)> {
    let bytes = text.as_bytes();
    let n = bytes.len();
    best.clear();
    best.resize(n + 1, Best { score: 0.0, start: UNREACHED, id: 0 });
    let unknown_score = model.min_score - UNKNOWN_PENALTY;
    // The furthest end any candidate has reached: where a score reset stops.
    let mut frontier = 0;
    let mut at = 0;
    while at < n {
        let mut here = best[at].score;
        if !(-SCORE_RESET_THRESHOLD..=SCORE_RESET_THRESHOLD).contains(&here) {
            for (offset, position) in best[at..=frontier.max(at)].iter_mut().enumerate() {
                if offset == 0 || position.start != UNREACHED {
                    position.score -= here;
                }
            }
            here = 0.0;
        }
        let char_len = text[at..].chars().next().map_or(1, char::len_utf8);
        let mut single = false;
        matches.clear();
        model.trie.prefixes(&bytes[at..], matches);
        for &(id, len) in matches.iter() {
            let kind = model.kind(id);
            if kind == PieceType::Unused {
                continue;
            }
            let end = at + len as usize;
            frontier = frontier.max(end);
            let score = match kind {
                PieceType::UserDefined => (0.1 * (len as f64 - 1.0)) as f32,
                _ => model.score(id),
            };
            let candidate = score + here;
            let target = &mut best[end];
            if target.start == UNREACHED || candidate > target.score {
                *target = Best { score: candidate, start: at as u32, id };
            }
            single |= len as usize == char_len;
        }
        if !single {
            frontier = frontier.max(at + char_len);
            let candidate = unknown_score + here;
            let target = &mut best[at + char_len];
            if target.start == UNREACHED || candidate > target.score {
                *target = Best { score: candidate, start: at as u32, id: model.unk_id };
            }
        }
        at += char_len;
    }
    let mut out = Vec::new();
    let mut end = n;
    while end > 0 {
        let b = best[end];
        out.push((b.start as usize, end, b.id));
        end = b.start as usize;
    }
    out.reverse();
    out
}
