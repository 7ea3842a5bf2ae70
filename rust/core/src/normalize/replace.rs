//! Replace: every occurrence of a string or regex pattern becomes `content`.

use crate::tokenizer::normalized_text::Normalized;
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
}

impl TryFrom<ReplaceSpec> for Replace {
    type Error = String;
    fn try_from(spec: ReplaceSpec) -> Result<Self, String> {
        let matcher = match &spec.pattern {
            ReplacePattern::Regex(r) => {
                Matcher::Regex(regex::Regex::new(r).map_err(|e| format!("invalid regex {r:?}: {e}"))?)
            }
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
    /// Every match in `text` replaced (the decoder's use, with no alignment to keep).
    pub fn replace_str(&self, text: &str) -> String {
        match &self.matcher {
            Matcher::Regex(re) => {
                let mut out = String::with_capacity(text.len());
                let mut last = 0;
                for m in re.find_iter(text).filter(|m| !m.is_empty()) {
                    out.push_str(&text[last..m.start()]);
                    out.push_str(&self.content);
                    last = m.end();
                }
                out.push_str(&text[last..]);
                out
            }
            Matcher::Literal(s) => text.replace(s.as_str(), &self.content),
        }
    }

    pub fn apply(&self, n: &mut Normalized) {
        let ranges: Vec<_> = match &self.matcher {
            Matcher::Regex(re) => re.find_iter(n.text()).filter(|m| !m.is_empty()).map(|m| m.range()).collect(),
            Matcher::Literal(s) => n.text().match_indices(s.as_str()).map(|(i, m)| i..i + m.len()).collect(),
        };
        n.replace_ranges(&ranges, &self.content);
    }
}
