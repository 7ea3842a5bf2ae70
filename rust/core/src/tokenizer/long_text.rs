//! One long text across threads. A batch is spread over threads by documents; a batch of one
//! megabyte document would run on one thread. Such a text is cut into parts at points where
//! no token can cross, the parts are tokenized in parallel, and their ids joined in order.
//!
//! The cut: just before an ASCII letter that starts a line, when the byte before the newline is
//! an ASCII graphic character (`x\nA`). Under every known split pattern (GPT-2, cl100k, Llama-3,
//! Qwen2, o200k) the piece holding that newline is white space, or punctuation with trailing
//! newlines, and a letter piece's optional lead character excludes newlines (GPT-2's lead is a
//! space), so a piece ends right before the letter; and the piece holding the newline is the same
//! whether the text goes on or ends there (the white space before the newline is empty, which
//! is what makes GPT-2's `\s+(?!\S)` agree at the end of a part). Patterns have no look-behind,
//! so the next part's pieces are those of the whole text. Pipelines that the text-level
//! `chunking` policy cuts at white space are cut at the same points, which are white space.
//! The rest of the pipeline must be as local: no normalizer that could join characters across
//! the newline, no prefix space added to each part, and no added token that could match across
//! the cut (one holding a newline, or stripping white space on its left or right).

use super::Tokenizer;
use crate::pretokenize::PreTokenizer;
use std::ops::Range;

/// Texts shorter than this stay on one thread: the join is not worth it.
pub const PARALLEL_ABOVE: usize = 256 << 10;
/// Smallest part worth a task.
const MIN_PART: usize = 64 << 10;
/// Parts per thread: more than one, so that a slow part does not hold the others up.
const PARTS_PER_THREAD: usize = 4;

impl Tokenizer {
    /// Whether long texts can be cut into parts at `x\nA` (see the module comment).
    pub(super) fn cuts_long_texts(&self) -> bool {
        let scanned = self.scanned_by.is_some()
            && self.file.normalizer.is_none()
            && !self.file.pre_tokenizer.as_ref().is_some_and(PreTokenizer::adds_prefix_space);
        let pipeline = scanned || self.chunking.is_some();
        // Dropout draws in order along one text (see `bpe::dropout`): it stays on one thread.
        let ordered_draws = self.model().dropout_seed().is_some();
        pipeline
            && !ordered_draws
            && self.added.tokens().iter().all(|t| !t.lstrip && !t.rstrip && !t.content.contains(['\n', '\r']))
    }
}

/// Whether a part may start at byte `p` of `bytes` (see the module comment).
#[inline]
fn is_cut(bytes: &[u8], p: usize) -> bool {
    p >= 2
        && bytes.get(p).is_some_and(u8::is_ascii_alphabetic)
        && bytes[p - 1] == b'\n'
        && bytes[p - 2].is_ascii_graphic()
}

/// Consecutive ranges covering `text`, cut at safe points near equal shares for `threads`
/// threads; one range when no cut is found or the text is short.
pub fn parts(text: &str, threads: usize) -> Vec<Range<usize>> {
    let bytes = text.as_bytes();
    let wanted = (threads * PARTS_PER_THREAD).min(bytes.len() / MIN_PART).max(1);
    let mut out = Vec::with_capacity(wanted);
    let mut start = 0;
    for k in 1..wanted {
        let target = (bytes.len() / wanted * k).max(start + MIN_PART / 2);
        let Some(found) = bytes
            .get(target..)
            .and_then(|rest| memchr::memchr_iter(b'\n', rest).map(|i| target + i + 1).find(|&p| is_cut(bytes, p)))
        else {
            break;
        };
        out.push(start..found);
        start = found;
    }
    out.push(start..bytes.len());
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parts_tile_the_text_and_start_at_a_letter_after_a_newline() {
        let text = "x = 1.\nNext line, then  \n  indented\nAnother\n\n".repeat(40_000);
        let ranges = parts(&text, 2);
        assert_eq!(ranges.len(), 2 * PARTS_PER_THREAD);
        assert_eq!(ranges.first().map(|r| r.start), Some(0));
        assert_eq!(ranges.last().map(|r| r.end), Some(text.len()));
        for pair in ranges.windows(2) {
            assert_eq!(pair[0].end, pair[1].start);
            assert!(is_cut(text.as_bytes(), pair[1].start));
        }
    }

    #[test]
    fn no_cut_without_a_line_starting_with_a_letter() {
        for text in ["a".repeat(1 << 20), " \nA".repeat(1 << 18), "1\n2\n".repeat(1 << 18)] {
            assert_eq!(parts(&text, 2), vec![0..text.len()]);
        }
        assert_eq!(parts("short\nText", 2), vec![0..10]);
    }
}
