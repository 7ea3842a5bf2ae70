//! Metaspace: SentencePiece's way of keeping spaces. Every space becomes a visible meta
//! character (`▁` by default), one is put in front of the text as the prepend scheme says, and
//! the text is optionally cut before each meta character. The same object in a `decoder` turns
//! the meta characters back into spaces.
//!
//! Rewriting is the tokenizer's job (it owns the text, see `Tokenizer::rewrite_for_metaspace`);
//! the pre-tokenizer step itself only cuts.

use crate::tokenizer::normalized_text::Normalized;
use serde::{Deserialize, Serialize};
use std::ops::Range;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PrependScheme {
    /// Only before the piece that starts the input.
    First,
    Never,
    Always,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(try_from = "MetaspaceSpec")]
pub struct Metaspace {
    pub replacement: char,
    pub prepend_scheme: PrependScheme,
    pub split: bool,
}

/// What files hold: the current form, or the old one with `add_prefix_space` (and `str_rep`).
#[derive(Deserialize)]
struct MetaspaceSpec {
    replacement: char,
    #[serde(default)]
    add_prefix_space: Option<bool>,
    #[serde(default)]
    prepend_scheme: Option<PrependScheme>,
    #[serde(default)]
    split: Option<bool>,
    #[serde(default, rename = "str_rep")]
    _str_rep: Option<String>,
}

impl TryFrom<MetaspaceSpec> for Metaspace {
    type Error = String;
    fn try_from(spec: MetaspaceSpec) -> Result<Self, String> {
        // As HF reads it: the scheme defaults to "always", and an old `add_prefix_space: false`
        // must come with "never" (HF refuses the file otherwise, and so do we).
        let mut prepend_scheme = spec.prepend_scheme.unwrap_or(PrependScheme::Always);
        if spec.add_prefix_space == Some(false) {
            if prepend_scheme != PrependScheme::Never {
                return Err("add_prefix_space does not match declared prepend_scheme".to_string());
            }
            prepend_scheme = PrependScheme::Never;
        }
        Ok(Metaspace { replacement: spec.replacement, prepend_scheme, split: spec.split.unwrap_or(true) })
    }
}

impl Metaspace {
    /// Replaces spaces by the meta character and prepends one when the scheme asks for it;
    /// `starts_input`: the piece begins at the first character of the input (scheme `first`).
    pub fn rewrite(&self, n: &mut Normalized, starts_input: bool) {
        let mut buf = [0u8; 4];
        let replacement: &str = self.replacement.encode_utf8(&mut buf);
        n.replace_char(' ', replacement);
        let prepend = match self.prepend_scheme {
            PrependScheme::Always => true,
            PrependScheme::First => starts_input,
            PrependScheme::Never => false,
        };
        if prepend && !n.text().starts_with(self.replacement) {
            n.prepend(replacement);
        }
    }

    /// The cut: before each meta character, which stays with the text after it.
    pub fn split(&self, text: &str, range: Range<usize>, out: &mut Vec<Range<usize>>) {
        if !self.split {
            out.push(range);
            return;
        }
        let mut buf = [0u8; 4];
        let needle = self.replacement.encode_utf8(&mut buf).as_bytes();
        let mut start = range.start;
        for found in memchr::memmem::find_iter(&text.as_bytes()[range.clone()], needle) {
            let at = range.start + found;
            if at > start {
                out.push(start..at);
                start = at;
            }
        }
        if start < range.end {
            out.push(start..range.end);
        }
    }

    /// Meta characters back to spaces; in the first token they are dropped instead, unless the
    /// scheme is `never` (HF's rule, which drops every one of them there, not only the first).
    pub fn decode_chain(&self, tokens: Vec<String>) -> Vec<String> {
        (tokens.into_iter().enumerate())
            .map(|(i, token)| {
                let drop = i == 0 && self.prepend_scheme != PrependScheme::Never;
                if !token.contains(self.replacement) {
                    return token;
                }
                token
                    .chars()
                    .filter_map(|c| match c == self.replacement {
                        true if drop => None,
                        true => Some(' '),
                        false => Some(c),
                    })
                    .collect()
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(json: &str) -> Result<Metaspace, String> {
        serde_json::from_str(json).map_err(|e| e.to_string())
    }

    #[test]
    fn old_files_read_as_hf_reads_them() {
        let m = read(r#"{"replacement": "▁", "add_prefix_space": true}"#).unwrap();
        assert_eq!((m.prepend_scheme, m.split), (PrependScheme::Always, true));
        let m = read(r#"{"replacement": "▁", "add_prefix_space": false, "prepend_scheme": "never"}"#).unwrap();
        assert_eq!(m.prepend_scheme, PrependScheme::Never);
        assert!(read(r#"{"replacement": "▁", "add_prefix_space": false}"#).unwrap_err().contains("prepend_scheme"));
    }

    #[test]
    fn cuts_before_each_meta_character() {
        let m = read(r#"{"replacement": "▁", "prepend_scheme": "always", "split": true}"#).unwrap();
        let text = "▁Hello▁▁world▁";
        let mut out = Vec::new();
        m.split(text, 0..text.len(), &mut out);
        let pieces: Vec<&str> = out.into_iter().map(|r| &text[r]).collect();
        assert_eq!(pieces, ["▁Hello", "▁", "▁world", "▁"]);
    }
}
