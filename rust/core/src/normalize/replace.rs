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
    /// A regex `c{n,}` (n >= 1, c a character that is not a regex operator): each maximal run
    /// of at least `n` of `c`, found by searching for `n` of them (XLM-R's `" {2,}"`, whose
    /// general search stops at every single space).
    Run {
        unit: char,
        /// The search for `n` of `c`, built once at load.
        at_least: Box<memchr::memmem::Finder<'static>>,
    },
    Regex(regex::Regex),
    /// Patterns with look-around or back-references (HF's Oniguruma reads them).
    Fancy(fancy_regex::Regex),
}

impl TryFrom<ReplaceSpec> for Replace {
    type Error = String;
    fn try_from(spec: ReplaceSpec) -> Result<Self, String> {
        let matcher = match &spec.pattern {
            // HF's Oniguruma reads `^` and `$` as line anchors (Ruby syntax): multi-line mode.
            ReplacePattern::Regex(r) => match run_pattern(r) {
                Some((unit, count)) => Matcher::Run {
                    unit,
                    at_least: Box::new(
                        memchr::memmem::Finder::new(unit.to_string().repeat(count).as_bytes()).into_owned(),
                    ),
                },
                None => match regex::RegexBuilder::new(r).multi_line(true).build() {
                    Ok(re) => Matcher::Regex(re),
                    Err(e) => Matcher::Fancy(
                        fancy_regex::Regex::new(&format!("(?m){r}"))
                            .map_err(|_| format!("invalid regex {r:?}: {e}"))?,
                    ),
                },
            },
            ReplacePattern::String(s) if s.is_empty() => return Err("empty pattern".to_string()),
            ReplacePattern::String(s) => Matcher::Literal(s.clone()),
        };
        Ok(Replace { pattern: spec.pattern, content: spec.content, matcher })
    }
}

/// `(c, n)` when `pattern` is `c{n,}` with `c` a character that means itself in a regex and
/// `1 <= n <= 64` (a larger count is left to the regex engine).
fn run_pattern(pattern: &str) -> Option<(char, usize)> {
    let mut chars = pattern.chars();
    let unit = chars.next()?;
    if !(unit.is_alphanumeric() || unit == ' ' || unit == '_' || unit == '-' || unit == '\u{2581}') {
        return None;
    }
    let count = chars.as_str().strip_prefix('{')?.strip_suffix(",}")?;
    if count.is_empty() || !count.bytes().all(|b| b.is_ascii_digit()) || count.len() > 2 {
        return None;
    }
    let n: usize = count.parse().ok()?;
    (1..=64).contains(&n).then_some((unit, n))
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
            Matcher::Run { unit, at_least } => {
                // The first `n` of `c` found from the end of the last run begins a run (had the
                // character before it been `c` too, they would have been found one earlier).
                let (bytes, unit_bytes) = (text.as_bytes(), unit.len_utf8());
                let mut runs = Vec::new();
                let mut from = 0;
                while let Some(found) = bytes.get(from..).and_then(|rest| at_least.find(rest)) {
                    let start = from + found;
                    let mut end = start + at_least.needle().len();
                    while text.get(end..).is_some_and(|rest| rest.starts_with(*unit)) {
                        end += unit_bytes;
                    }
                    runs.push(start..end);
                    from = end;
                }
                runs
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
    fn runs_of_a_character_match_as_the_regex_does() {
        assert_eq!(run_pattern(" {2,}"), Some((' ', 2)));
        assert_eq!(run_pattern("\u{2581}{1,}"), Some(('\u{2581}', 1)));
        for other in [" {2}", " {2,3}", "a{0,}", ".{2,}", " {,2}", " {2,", "ab{2,}", "{2,}", " {100,}"] {
            assert_eq!(run_pattern(other), None, "{other}");
        }
        let mut rng = crate::utils::test_random::Lcg::new(7);
        let mut next = move || rng.next_usize();
        for pattern in [" {2,}", " {1,}", "a{3,}", "\u{2581}{2,}", "é{2,}"] {
            let ours =
                Replace::try_from(ReplaceSpec { pattern: ReplacePattern::Regex(pattern.into()), content: "<>".into() })
                    .unwrap();
            assert!(matches!(ours.matcher, Matcher::Run { .. }), "{pattern}");
            let reference = regex::Regex::new(pattern).unwrap();
            for _ in 0..3000 {
                let text: String =
                    (0..next() % 24).map(|_| [' ', 'a', 'é', '\u{2581}', 'x', '\n'][next() % 6]).collect();
                let expected: Vec<_> = reference.find_iter(&text).map(|m| m.range()).collect();
                assert_eq!(ours.all_matches(&text), expected, "{pattern} in {text:?}");
                assert_eq!(ours.replace_str(&text), reference.replace_all(&text, "<>"), "{pattern} in {text:?}");
            }
        }
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
