//! The general engine: any split pattern, run by `fancy-regex` as tiktoken runs it.
//!
//! `fancy-regex` handles the look-ahead `\s+(?!\S)` and the possessive quantifiers of tiktoken's
//! patterns with a backtracking VM, and hands every part that needs no such feature to the `regex`
//! crate's automata (the whole pattern when it has none). It is the reference the hand-written
//! scanners are tested against, and the fallback for patterns no scanner knows.

use std::ops::Range;

/// Backtracking steps allowed for one match: far beyond what a real split pattern needs on any
/// input (a look-ahead after a run backtracks once), and a few milliseconds of work.
pub const BACKTRACK_LIMIT: usize = 1_000_000;

/// The error text of a split stopped by an interrupt (the caller turns it back into
/// `Error::Interrupted`).
pub const INTERRUPTED: &str = "interrupted";

/// A compiled split pattern.
#[derive(Clone, Debug)]
pub struct RegexSplitter {
    regex: fancy_regex::Regex,
}

impl RegexSplitter {
    /// Compiles `pattern`; the error says why it does not compile.
    ///
    /// Each match may take at most `BACKTRACK_LIMIT` backtracking steps. A pattern from a file
    /// can be catastrophic (`(\w+\s?)+(?!x)$` is exponential in the input), and without a
    /// bound one call would run for hours with Ctrl-C unable to stop it; with it, the work of a
    /// split is at most linear in the number of matches, and a pattern that needs more fails
    /// with an error naming it (HF `tokenizers`' Oniguruma bounds its retries the same way).
    /// The known patterns run on the scanners, which never backtrack.
    pub fn new(pattern: &str) -> Result<Self, String> {
        let regex = fancy_regex::RegexBuilder::new(pattern)
            .backtrack_limit(BACKTRACK_LIMIT)
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
    ///
    /// Also fails when the pattern needs more than `BACKTRACK_LIMIT` steps for one match
    /// (catastrophic backtracking), and when the call is interrupted (checked every 1024
    /// matches).
    pub fn try_split(&self, text: &str, out: &mut Vec<Range<usize>>) -> Result<(), String> {
        let from = out.len();
        for (n, found) in self.regex.find_iter(text).enumerate() {
            let found = found.map_err(|e| {
                let at = out.last().filter(|_| out.len() > from).map_or(0, |r| r.end);
                match e {
                    fancy_regex::Error::RuntimeError(fancy_regex::RuntimeError::BacktrackLimitExceeded) => format!(
                        "split pattern {:?} needs more than {BACKTRACK_LIMIT} backtracking steps for one match after \
                         byte {at} (catastrophic backtracking); use a pattern without nested repetition",
                        self.pattern()
                    ),
                    e => format!("split pattern {:?} failed: {e} (after byte {at})", self.pattern()),
                }
            })?;
            out.push(found.start()..found.end());
            if n % 1024 == 1023 && crate::utils::parallel::check_interrupt().is_err() {
                return Err(INTERRUPTED.to_string());
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Instant;

    #[test]
    fn catastrophic_backtracking_fails_fast_and_names_the_pattern() {
        let splitter = RegexSplitter::new(r"(\w+\s?)+(?!x)$").unwrap();
        for n in [24, 2001] {
            let text = format!("{}!", "a".repeat(n));
            let start = Instant::now();
            let err = splitter.try_split(&text, &mut Vec::new()).unwrap_err();
            assert!(start.elapsed().as_secs_f64() < 5.0, "took {:?}", start.elapsed());
            assert!(err.contains(r"(\\w+\\s?)+(?!x)$") && err.contains("catastrophic backtracking"), "{err}");
        }
    }
}
