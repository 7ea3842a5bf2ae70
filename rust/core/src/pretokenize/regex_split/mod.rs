//! Regex pre-tokenization of byte-level BPE tokenizers: the pieces a split pattern cuts a text in.
//!
//! [`Splitter`] is the one entry point. For the patterns of GPT-2, cl100k_base / Llama-3, Qwen2 and
//! o200k_base ([`KnownPattern`]) it runs a hand-written scanner: one forward pass over the
//! characters with ASCII fast paths, no backtracking, linear time. For any other pattern it runs
//! the general engine [`RegexSplitter`] (`fancy-regex`, as tiktoken does). The scanners give
//! exactly the matches the engine gives for their pattern, which the tests check on real corpora,
//! random strings and long runs.
//!
//! Character classes (`\p{L}`, `\p{N}`, `\s`, ...) come from the regex crate's own Unicode tables
//! ([`classes`]), case-insensitive contractions fold as the regex crate folds (`'ſ` is `'s`).

pub(super) mod ascii_window;
pub mod cl100k;
pub mod classes;
pub mod engine;
pub mod gpt2;
pub mod known;
pub mod o200k;
mod scan;
mod window_starts;

#[cfg(test)]
mod tests;

use std::ops::Range;

pub use engine::{RegexSplitter, INTERRUPTED};
pub use known::KnownPattern;

/// Splits texts with a pattern: a hand-written scanner for a known pattern, else the general engine.
#[derive(Clone, Debug)]
pub enum Splitter {
    Known(KnownPattern),
    Regex(RegexSplitter),
}

impl Splitter {
    /// The splitter for `pattern`: its scanner if the text is a known spelling, else the compiled
    /// pattern (an error if it does not compile).
    pub fn new(pattern: &str) -> Result<Self, String> {
        match KnownPattern::from_regex(pattern) {
            Some(known) => Ok(Splitter::Known(known)),
            None => RegexSplitter::new(pattern).map(Splitter::Regex),
        }
    }

    /// The splitter of a tokenizer family by name (see [`KnownPattern::from_name`]).
    pub fn from_name(name: &str) -> Option<Self> {
        KnownPattern::from_name(name).map(Splitter::Known)
    }

    /// The known pattern this splitter scans, if any.
    pub fn known(&self) -> Option<KnownPattern> {
        match self {
            Splitter::Known(known) => Some(*known),
            Splitter::Regex(_) => None,
        }
    }

    /// Appends the byte ranges of the pattern's matches in `text` to `out`, in order. Only the
    /// general engine can fail (see [`RegexSplitter::try_split`]); the matches found before the
    /// failure stay in `out`. The scanners never fail.
    pub fn try_split(&self, text: &str, out: &mut Vec<Range<usize>>) -> Result<(), String> {
        match self {
            Splitter::Known(known) => {
                scan(*known, text, out);
                Ok(())
            }
            Splitter::Regex(regex) => regex.try_split(text, out),
        }
    }
}

/// Runs the scanner of `known` over `text`.
pub fn scan(known: KnownPattern, text: &str, out: &mut Vec<Range<usize>>) {
    scan_some(known, text, 0, usize::MAX, out);
}

/// Runs the scanner of `known` over `text` from byte `start` (where a piece starts), appending
/// at most `limit` pieces; returns where the next piece starts (`text.len()` at the end). Scans
/// resumed there give exactly the pieces of one `scan`, which lets a long text be split a block
/// of pieces at a time while the ranges stay in cache.
pub fn scan_some(known: KnownPattern, text: &str, start: usize, limit: usize, out: &mut Vec<Range<usize>>) -> usize {
    let table = classes::classes();
    match (known, known.cl100k_style()) {
        (_, Some(style)) => cl100k::split(text, table, style, start, limit, out),
        (KnownPattern::Gpt2, None) => gpt2::split(text, table, start, limit, out),
        (_, None) => o200k::split(text, table, start, limit, out),
    }
}
