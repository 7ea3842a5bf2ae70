//! Replace: every occurrence of a string or regex pattern becomes `content`.

use crate::tokenizer::normalized_text::Normalized;
use crate::utils::splice::Spliced;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub enum ReplacePattern {
    String(String),
    Regex(String),
}

#[derive(Debug, Clone, Serialize, Deserialize)]
struct ReplaceSpec {
    pattern: ReplacePattern,
    content: String,
}

/// A Replace normalizer with its regex compiled once, at load time.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(try_from = "ReplaceSpec", into = "ReplaceSpec")]
pub struct Replace {
    pattern: ReplacePattern,
    content: String,
    matcher: Matcher,
}

#[derive(Debug, Clone)]
enum Matcher {
    Literal(String),
    Regex(regex::Regex),
    /// Patterns with look-around or back-references (HF's Oniguruma reads them).
    Fancy(fancy_regex::Regex),
}

impl TryFrom<ReplaceSpec> for Replace {
    type Error = String;
    fn try_from(spec: ReplaceSpec) -> Result<Self, String> {
        let matcher = match &spec.pattern {
            // HF's Oniguruma reads `^` and `$` as line anchors (Ruby syntax): multi-line mode.
            ReplacePattern::Regex(r) => match regex::RegexBuilder::new(r).multi_line(true).build() {
                Ok(re) => Matcher::Regex(re),
                Err(e) => Matcher::Fancy(
                    fancy_regex::Regex::new(&format!("(?m){r}")).map_err(|_| format!("invalid regex {r:?}: {e}"))?,
                ),
            },
            ReplacePattern::String(s) if s.is_empty() => return Err("empty pattern".to_string()),
            ReplacePattern::String(s) => Matcher::Literal(s.clone()),
        };
        Ok(Replace { pattern: spec.pattern, content: spec.content, matcher })
    }
}

impl From<Replace> for ReplaceSpec {
    fn from(r: Replace) -> Self {
        ReplaceSpec { pattern: r.pattern, content: r.content }
    }
}

impl Replace {
    /// The byte ranges the pattern matches in `text`, empty matches included (HF replaces
    /// those too: `^` inserts at the start).
    fn matches(&self, text: &str) -> Vec<std::ops::Range<usize>> {
        let mut found = self.all_matches(text);
        // Oniguruma's `^` does not match at the end of a text that ends with a newline (there is
        // no line after it); the regex crate's multi-line `^` does.
        if matches!(&self.pattern, ReplacePattern::Regex(r) if r.contains('^')) && text.ends_with('\n') {
            found.retain(|m| !(m.is_empty() && m.start == text.len()));
        }
        found
    }

    fn all_matches(&self, text: &str) -> Vec<std::ops::Range<usize>> {
        match &self.matcher {
            Matcher::Regex(re) => re.find_iter(text).map(|m| m.range()).collect(),
            // A pattern that gives up (too much backtracking) replaces nothing from there on.
            Matcher::Fancy(re) => re.find_iter(text).map_while(|m| m.ok()).map(|m| m.range()).collect(),
            // memchr's search (non-overlapping, left to right, as `match_indices`): the standard
            // library's string searcher is several times slower on a one-character pattern
            // (the spaces of the legacy Llama/Mistral `Replace`).
            Matcher::Literal(s) => {
                memchr::memmem::find_iter(text.as_bytes(), s.as_bytes()).map(|i| i..i + s.len()).collect()
            }
        }
    }

    /// Every match in `text` replaced (the decoder's use, with no alignment to keep).
    pub fn replace_str(&self, text: &str) -> String {
        if let Matcher::Literal(s) = &self.matcher {
            return text.replace(s.as_str(), &self.content);
        }
        let mut out = Spliced::new(text, text.len());
        for m in self.matches(text) {
            out.replace(m, &self.content);
        }
        out.finish()
    }

    pub fn apply(&self, n: &mut Normalized) {
        let ranges = self.matches(n.text());
        n.replace_ranges(&ranges, &self.content);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn literal(pattern: &str, content: &str) -> Replace {
        Replace::try_from(ReplaceSpec { pattern: ReplacePattern::String(pattern.into()), content: content.into() })
            .unwrap()
    }

    #[test]
    fn literal_matches_are_non_overlapping_from_the_left_as_hf() {
        // HF (Rust's `match_indices`): "aa" in "aaa" matches once, at 0.
        let r = literal("aa", "b");
        for (text, expected) in [("aaa", "ba"), ("aaaa", "bb"), ("xaay aa", "xby b"), ("", ""), ("a", "a")] {
            let mut n = Normalized::new(text, 0, true);
            r.apply(&mut n);
            assert_eq!(n.text(), expected, "{text:?}");
            let mut n = Normalized::new(text, 0, false);
            r.apply(&mut n);
            assert_eq!(n.text(), expected, "{text:?} without offsets");
            assert_eq!(r.replace_str(text), expected);
        }
        let mut n = Normalized::new("a b  c", 0, true);
        literal(" ", "▁").apply(&mut n);
        assert_eq!(n.text(), "a▁b▁▁c");
        assert_eq!(n.original_span(1..4), (1, 2));
    }
}
