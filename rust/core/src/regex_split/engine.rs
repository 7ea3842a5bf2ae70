//! The general engine: any split pattern, run by `fancy-regex` as tiktoken runs it.
//!
//! `fancy-regex` handles the look-ahead `\s+(?!\S)` and the possessive quantifiers of tiktoken's
//! patterns with a backtracking VM, and hands every part that needs no such feature to the `regex`
//! crate's automata (the whole pattern when it has none). It is the reference the hand-written
//! scanners are tested against, and the fallback for patterns no scanner knows.

use std::ops::Range;

/// A compiled split pattern.
#[derive(Clone, Debug)]
pub struct RegexSplitter {
    regex: fancy_regex::Regex,
}

impl RegexSplitter {
    /// Compiles `pattern`; the error says why it does not compile.
    ///
    /// The backtrack limit is lifted: a split must not fail on a long input because of a counter
    /// (the scanners, which the known patterns use, never backtrack at all).
    pub fn new(pattern: &str) -> Result<Self, String> {
        let regex = fancy_regex::RegexBuilder::new(pattern)
            .backtrack_limit(usize::MAX)
            .build()
            .map_err(|e| format!("invalid split pattern {pattern:?}: {e}"))?;
        Ok(RegexSplitter { regex })
    }

    /// The pattern as given.
    pub fn pattern(&self) -> &str {
        self.regex.as_str()
    }

    /// Appends the byte ranges of all matches of the pattern in `text` (leftmost-first, in order,
    /// non-overlapping, as `find_iter` yields them, empty matches included).
    ///
    /// Fails only when the engine runs out of backtracking stack, which `fancy-regex` bounds at a
    /// million entries: a look-around after a very long run (`\s+(?!\S)` after a megabyte of
    /// spaces) can need more. The matches found before the failure stay in `out`.
    pub fn try_split(&self, text: &str, out: &mut Vec<Range<usize>>) -> Result<(), String> {
        for found in self.regex.find_iter(text) {
            let found = found.map_err(|e| format!("split pattern {:?} failed: {e}", self.pattern()))?;
            out.push(found.start()..found.end());
        }
        Ok(())
    }
}
