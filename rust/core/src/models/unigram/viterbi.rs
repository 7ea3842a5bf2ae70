//! The best cut of a word into pieces: dynamic programming over the byte positions where
//! characters start, left to right. For each position, the best-scoring path that ends there
//! is known; every piece that starts there (found in one walk of the trie, by character when
//! the char trie holds the vocabulary) extends it.
//! Linear in the word's length times the longest piece, so a megabyte with no space costs
//! the same per byte as short words.
//!
//! Ties go as in HF (and SentencePiece): a candidate must score strictly higher to replace the
//! one already there, and candidates arrive by start position, then by length.

use super::{Unigram, UnigramScratch};
use crate::error::{Error, Result};
use crate::models::char_trie::NO_CODE;

/// The best path ending at a position: its score, and its last token (start, id).
#[derive(Debug, Clone, Copy)]
pub struct Best {
    score: f64,
    start: u32,
    id: u32,
}

const UNREACHED: u32 = u32::MAX;

/// Fills `scratch.path` with (start, end, id) of the best cut of `word`, in order, runs of
/// unknown tokens fused into one.
pub fn best_path(model: &Unigram, word: &str, scratch: &mut UnigramScratch) -> Result<()> {
    let bytes = word.as_bytes();
    let n = bytes.len();
    if n >= UNREACHED as usize {
        return Err(Error::InvalidArgument(format!("a word of {n} bytes is too long for the Unigram model")));
    }
    let UnigramScratch { best, matches, path, codes, starts } = scratch;
    best.clear();
    best.resize(n + 1, Best { score: 0.0, start: UNREACHED, id: 0 });
    best[0].start = 0;
    codes.clear();
    starts.clear();
    // Each character coded once, not at every walk over it.
    for (at, c) in word.char_indices() {
        codes.push(model.lattice.as_ref().map_or(NO_CODE, |trie| trie.code(c)));
        starts.push(at as u32);
    }
    starts.push(n as u32);
    for k in 0..codes.len() {
        let (at, next) = (starts[k] as usize, starts[k + 1] as usize);
        let here = best[at].score;
        let mut single = false;
        let mut offer = |id: u32, end: usize| {
            let score = model.score(id) + here;
            let target = &mut best[end];
            if target.start == UNREACHED || score > target.score {
                *target = Best { score, start: at as u32, id };
            }
            single |= end == next;
        };
        match &model.lattice {
            Some(trie) => trie.prefixes(&codes[k..], |id, _, length| offer(id, starts[k + length] as usize)),
            None => {
                matches.clear();
                model.trie.prefixes(&bytes[at..], matches);
                for &(id, len) in matches.iter() {
                    offer(id, at + len as usize);
                }
            }
        }
        if !single {
            let unk = model.unk_id.ok_or_else(|| {
                Error::InvalidArgument(format!(
                    "no piece starts with {:?} and the model has no unknown token (unk_id)",
                    word[at..].chars().next().unwrap_or_default()
                ))
            })?;
            let score = model.unknown_score + here;
            let target = &mut best[next];
            if target.start == UNREACHED || score > target.score {
                *target = Best { score, start: at as u32, id: unk };
            }
        }
    }
    path.clear();
    let mut end = n;
    while end > 0 {
        let Best { start, id, .. } = best[end];
        match path.last_mut() {
            // Walking backwards: an unknown token right before an unknown run joins it.
            Some(last) if Some(id) == model.unk_id && last.2 == id && last.0 == end as u32 => last.0 = start,
            _ => path.push((start, end as u32, id)),
        }
        end = start as usize;
    }
    path.reverse();
    Ok(())
}
