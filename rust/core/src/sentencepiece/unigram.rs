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
//!
//! `encode_word` runs the same loop over one word of a text (a stretch no piece crosses), from
//! the best score where the word starts, and says whether its cut can be reused wherever the
//! word appears again (see `unigram_words`).

use super::model::SentencePieceModel;
use super::proto::PieceType;
use crate::utils::memory::Scratch;
use std::cell::RefCell;

const UNKNOWN_PENALTY: f32 = 10.0;
pub(super) const SCORE_RESET_THRESHOLD: f32 = 100_000.0;
const UNREACHED: u32 = u32::MAX;

#[derive(Clone, Copy)]
struct Best {
    score: f32,
    /// The best score among the other candidates for this position (how clear the choice was).
    runner_up: f32,
    start: u32,
    id: u32,
}

/// A thread's buffers for one text: the best path into each character position (a third of the
/// byte positions of CJK text: a 10 MB text is 50 MB of lattice, not 160), the text's characters
/// with their byte starts (the char trie walks characters), the byte trie's matches.
#[derive(Default)]
struct Lattice {
    best: Vec<Best>,
    chars: Vec<char>,
    starts: Vec<u32>,
    matches: Vec<(u32, u32)>,
}

crate::scratch_fields!(Lattice: best, chars, starts, matches);

thread_local! {
    static SCRATCH: RefCell<Lattice> = RefCell::new(Lattice::default());
}

/// Bytes this thread's lattice buffers hold (tests).
#[cfg(test)]
pub(crate) fn retained_scratch_bytes() -> usize {
    SCRATCH.with(|cell| cell.borrow().retained_bytes())
}

/// The score a piece adds to a path through it (the library's, user-defined pieces included).
pub(super) fn path_score(kind: PieceType, score: f32, length: usize) -> f32 {
    match kind {
        PieceType::UserDefined => (0.1 * (length as f64 - 1.0)) as f32,
        _ => score,
    }
}

/// The lowest score an unknown character adds to a path.
pub(super) fn unknown_score(model: &SentencePieceModel) -> f32 {
    model.min_score - UNKNOWN_PENALTY
}

/// The pieces of `text`: (start, end, id) in order (the whole text as one word, from score 0).
pub fn encode(model: &SentencePieceModel, text: &str) -> Vec<(usize, usize, u32)> {
    let mut pieces = Vec::new();
    encode_word(model, text, 0.0, false, |start, end, id| pieces.push((start, end, id)));
    pieces
}

/// A word's cut when the best path reaches its start with score `here`.
pub(super) struct WordCut {
    /// The best score at the word's end.
    pub end_score: f32,
    /// Whether the same cut is the library's wherever this word follows any other text: no
    /// score reset inside it, no unknown piece, and every choice on its path won by more than
    /// float32 rounding could change at any score the library lets a path reach.
    pub reusable: bool,
}

/// The library's loop over `word` from best score `here` at its start; calls `each(start,
/// end, id)` for the pieces of its best path in order (byte offsets within the word). Whether
/// the cut is reusable is judged only when `judge` (a word too long to be cached is not worth
/// the pass over its lattice).
pub(super) fn encode_word(
    model: &SentencePieceModel,
    word: &str,
    here: f32,
    judge: bool,
    mut each: impl FnMut(usize, usize, u32),
) -> WordCut {
    SCRATCH.with(|cell| {
        let lattice = &mut *cell.borrow_mut();
        let reset = fill_best(model, word, here, lattice);
        let best = &mut lattice.best;
        let end_score = best.last().map_or(here, |b| b.score);
        let reusable = judge && !reset && clear_choices(best, here) && path_has_no_unknown(best, model.unk_id);
        // The path is linked backwards (each end names its start): turn the links around so the
        // pieces come out in order without a list of them (a 10 MB word has millions).
        let mut after = UNREACHED;
        let mut end = best.len().saturating_sub(1);
        while end > 0 {
            let start = best[end].start as usize;
            best[end].start = after;
            after = end as u32;
            end = start;
        }
        let starts = &lattice.starts;
        let (mut start, mut end) = (0usize, after);
        while end != UNREACHED {
            let b = best[end as usize];
            each(starts[start] as usize, starts[end as usize] as usize, b.id);
            start = end as usize;
            end = b.start;
        }
        lattice.release_excess();
        WordCut { end_score, reusable }
    })
}

/// Whether no piece on the best path is the unknown piece.
fn path_has_no_unknown(best: &[Best], unk_id: u32) -> bool {
    let mut end = best.len().saturating_sub(1);
    while end > 0 {
        let b = best[end];
        if b.id == unk_id {
            return false;
        }
        end = b.start as usize;
    }
    true
}

/// Whether each choice on the best path beat its runner-up by enough that rounding at any reachable
/// score keeps it. Every best score carries at most half an ulp of error per character before
/// it, at this start score and at any other; a choice stands wherever its exact margin exceeds
/// twice that, so the margin seen here must exceed both errors twice over. Scores the library
/// lets a path reach stay within the reset threshold plus the word's own span.
fn clear_choices(best: &[Best], here: f32) -> bool {
    let span = best.iter().filter(|b| b.start != UNREACHED).map(|b| (b.score - here).abs()).fold(0.0f32, f32::max);
    let widest = SCORE_RESET_THRESHOLD + span + 1.0;
    let ulp = widest.next_up() - widest;
    let chars = best.len().saturating_sub(1);
    let needed = 2.0 * chars as f32 * ulp;
    let mut end = chars;
    while end > 0 {
        let Some(b) = best.get(end) else { return false };
        if b.score - b.runner_up <= needed {
            return false;
        }
        end = b.start as usize;
    }
    true
}

/// Fills the lattice for `text` (a best path per character position and one past the end) as
/// the library's loop does, starting from score `start_score`. Returns whether a score reset
/// happened.
fn fill_best(model: &SentencePieceModel, text: &str, start_score: f32, lattice: &mut Lattice) -> bool {
    let Lattice { best, chars, starts, matches } = lattice;
    let bytes = text.as_bytes();
    chars.clear();
    starts.clear();
    for (at, c) in text.char_indices() {
        chars.push(c);
        starts.push(at as u32);
    }
    starts.push(bytes.len() as u32);
    let n = chars.len();
    best.clear();
    let unreached = Best { score: 0.0, runner_up: f32::NEG_INFINITY, start: UNREACHED, id: 0 };
    best.resize(n + 1, unreached);
    best[0].score = start_score;
    let unknown_score = unknown_score(model);
    let mut reset = false;
    // The furthest end (in characters) any candidate has reached: where a score reset stops.
    let mut frontier = 0;
    for k in 0..n {
        let mut here = best[k].score;
        if !(-SCORE_RESET_THRESHOLD..=SCORE_RESET_THRESHOLD).contains(&here) {
            for (offset, position) in best[k..=frontier.max(k)].iter_mut().enumerate() {
                if offset == 0 || position.start != UNREACHED {
                    position.score -= here;
                }
            }
            here = 0.0;
            reset = true;
        }
        let mut single = false;
        match &model.lattice {
            Some(trie) => trie.prefixes(&chars[k..], |id, length| {
                let end = k + length;
                frontier = frontier.max(end);
                offer(&mut best[end], model.path_score(id) + here, k, id);
                single |= length == 1;
            }),
            None => {
                matches.clear();
                let at = starts[k] as usize;
                model.trie.prefixes(&bytes[at..], matches);
                for &(id, len) in matches.iter() {
                    // Pieces are whole characters: find the character their end starts.
                    let Ok(length) = starts[k..].binary_search(&(at as u32 + len)) else { continue };
                    if model.kind(id) == PieceType::Unused {
                        continue;
                    }
                    let end = k + length;
                    frontier = frontier.max(end);
                    offer(&mut best[end], model.path_score(id) + here, k, id);
                    single |= length == 1;
                }
            }
        }
        if !single {
            frontier = frontier.max(k + 1);
            offer(&mut best[k + 1], unknown_score + here, k, model.unk_id);
        }
    }
    reset
}

/// A path reaching `target` from `start` with `score`: kept if it is the first or strictly best.
#[inline]
fn offer(target: &mut Best, score: f32, start: usize, id: u32) {
    if target.start == UNREACHED {
        *target = Best { score, runner_up: f32::NEG_INFINITY, start: start as u32, id };
    } else if score > target.score {
        *target = Best { score, runner_up: target.score, start: start as u32, id };
    } else {
        target.runner_up = target.runner_up.max(score);
    }
}
