//! BERT's normalizer: clean control characters, pad CJK ideographs with spaces, strip accents
//! (NFD then drop marks) and lowercase.
//!
//! Every step rewrites one character at a time, so we run them fused in a single pass; ASCII
//! text, the common case, takes a byte loop with no decoding at all.

use crate::normalized::Normalized;
use crate::unicode::{is_bert_control, is_bert_whitespace, is_chinese_char, is_combining_mark};
use serde::{Deserialize, Serialize};

fn yes() -> bool {
    true
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct BertNormalizer {
    #[serde(default = "yes")]
    pub clean_text: bool,
    #[serde(default = "yes")]
    pub handle_chinese_chars: bool,
    /// `None` means: strip accents when lowercasing.
    #[serde(default)]
    pub strip_accents: Option<bool>,
    #[serde(default = "yes")]
    pub lowercase: bool,
}

impl Default for BertNormalizer {
    fn default() -> Self {
        BertNormalizer { clean_text: true, handle_chinese_chars: true, strip_accents: None, lowercase: true }
    }
}

impl BertNormalizer {
    pub fn normalize(&self, n: &mut Normalized) {
        if n.text().is_ascii() {
            self.normalize_ascii(n);
        } else {
            self.normalize_unicode(n);
        }
    }

    fn strips_accents(&self) -> bool {
        self.strip_accents.unwrap_or(self.lowercase)
    }

    fn normalize_ascii(&self, n: &mut Normalized) {
        let track = n.tracks();
        let mut text = Vec::with_capacity(n.text().len());
        let mut align = Vec::with_capacity(if track { n.text().len() } else { 0 });
        let old_align = n.alignments();
        for (i, &b) in n.text().as_bytes().iter().enumerate() {
            let out = if self.clean_text {
                match b {
                    b'\t' | b'\n' | b'\r' => b' ',
                    0..=0x1f | 0x7f => continue,
                    _ => b,
                }
            } else {
                b
            };
            text.push(if self.lowercase { out.to_ascii_lowercase() } else { out });
            if track {
                align.push(old_align[i]);
            }
        }
        // Only ASCII bytes were pushed, so the text is valid UTF-8.
        let text = String::from_utf8(text).unwrap_or_default();
        n.set(text, align);
    }

    fn normalize_unicode(&self, n: &mut Normalized) {
        let strip = self.strips_accents();
        n.rebuild(|c, emit| {
            let c = if self.clean_text {
                if c == '\0' || c == '\u{fffd}' || is_bert_control(c) {
                    return;
                }
                if is_bert_whitespace(c) {
                    ' '
                } else {
                    c
                }
            } else {
                c
            };
            if self.handle_chinese_chars && is_chinese_char(c) {
                emit(' ', false);
                self.finish(c, strip, emit);
                emit(' ', true);
            } else {
                self.finish(c, strip, emit);
            }
        });
    }

    /// Accent stripping and lowercasing of one character.
    fn finish(&self, c: char, strip: bool, emit: &mut dyn FnMut(char, bool)) {
        let lower = |d: char, emit: &mut dyn FnMut(char, bool)| {
            if self.lowercase {
                for l in d.to_lowercase() {
                    emit(l, true)
                }
            } else {
                emit(d, true)
            }
        };
        if strip {
            unicode_normalization_alignments::char::decompose_canonical(c, |d| {
                if !is_combining_mark(d) {
                    lower(d, emit)
                }
            });
        } else {
            lower(c, emit)
        }
    }
}
