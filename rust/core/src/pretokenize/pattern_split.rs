//! `Split`: cut text at the matches of a string or regex, with a delimiter behaviour, and
//! `ByteLevel`'s regex split. Known patterns (GPT-2, cl100k, ...) run our linear scanners.

use super::split::{split_on_matches, SplitBehavior};
use crate::error::Error;
use crate::normalize::ReplacePattern;
use crate::pretokenize::regex_split::{self, KnownPattern, Splitter};
use serde::{Deserialize, Serialize};
use std::ops::Range;

#[derive(Debug, Clone, Serialize, Deserialize)]
struct SplitSpec {
    pattern: ReplacePattern,
    behavior: SplitBehavior,
    #[serde(default)]
    invert: bool,
}

#[derive(Debug, Clone)]
enum Matcher {
    Literal(String),
    Pattern(Splitter),
}

/// A Split pre-tokenizer with its pattern compiled once, at load time.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(try_from = "SplitSpec", into = "SplitSpec")]
pub struct Split {
    spec: SplitSpec,
    matcher: Matcher,
}

impl TryFrom<SplitSpec> for Split {
    type Error = String;
    fn try_from(spec: SplitSpec) -> Result<Self, String> {
        let matcher = match &spec.pattern {
            ReplacePattern::String(s) if s.is_empty() => return Err("pattern: empty string".to_string()),
            ReplacePattern::String(s) => Matcher::Literal(s.clone()),
            ReplacePattern::Regex(r) => Matcher::Pattern(Splitter::new(r).map_err(|e| format!("pattern: {e}"))?),
        };
        Ok(Split { spec, matcher })
    }
}

impl From<Split> for SplitSpec {
    fn from(s: Split) -> Self {
        s.spec
    }
}

impl Split {
    /// The known pattern when this split's pieces are exactly its matches: an isolating,
    /// non-inverted split (the known patterns match every character, so nothing lies between).
    pub fn scanned_by(&self) -> Option<KnownPattern> {
        match (&self.matcher, self.spec.behavior, self.spec.invert) {
            (Matcher::Pattern(p), SplitBehavior::Isolated, false) => p.known(),
            _ => None,
        }
    }

    pub fn split(
        &self,
        text: &str,
        range: Range<usize>,
        matches: &mut Vec<Range<usize>>,
        out: &mut Vec<Range<usize>>,
    ) -> crate::error::Result<()> {
        matches.clear();
        let base = range.start;
        let piece = &text[range.clone()];
        match &self.matcher {
            Matcher::Literal(s) => {
                matches.extend(piece.match_indices(s.as_str()).map(|(i, m)| base + i..base + i + m.len()))
            }
            Matcher::Pattern(p) => {
                // Refused rather than papered over: a piece split differently from the
                // pattern's meaning would give ids that differ from the reference's silently.
                p.try_split(piece, matches).map_err(|e| {
                    if e == crate::pretokenize::regex_split::INTERRUPTED {
                        return Error::Interrupted;
                    }
                    Error::InvalidArgument(format!("pre_tokenizer: on bytes {base}..{} of the text: {e}", range.end))
                })?;
                matches.iter_mut().for_each(|m| *m = base + m.start..base + m.end);
            }
        }
        split_on_matches(range, matches.drain(..), self.spec.behavior, self.spec.invert, out);
        Ok(())
    }
}

/// GPT-2's pattern, which `ByteLevel` with `use_regex` splits with (keeping every piece).
pub fn byte_level_split(text: &str, range: Range<usize>, matches: &mut Vec<Range<usize>>, out: &mut Vec<Range<usize>>) {
    matches.clear();
    let base = range.start;
    regex_split::scan(KnownPattern::Gpt2, &text[range.clone()], matches);
    matches.iter_mut().for_each(|m| *m = base + m.start..base + m.end);
    split_on_matches(range, matches.drain(..), SplitBehavior::Isolated, false, out);
}
