//! The words SentencePiece's Unigram trainer sees: each line of a text normalized as the
//! `sentencepiece` library normalizes it (white space collapsed, `▁` in front and for spaces),
//! then cut before every `▁`. A word is counted with a flag saying whether it ended its line:
//! the seed pieces come from a suffix array over the lines, where what follows a word's last
//! character (the next word's `▁`, or the end of the line) decides which substrings branch
//! (see `seeds`).

use crate::sentencepiece::normalizer::SentencePieceNormalizer;
use crate::sentencepiece::proto::NormalizerSpec;
use crate::tokenizer::normalized_text::Normalized;

pub(super) const SPACE: &str = "\u{2581}";
/// The library's mark for a character outside the alphabet; a line holding it is skipped.
pub(super) const UNKNOWN_CHAR: char = '\u{2585}';
/// What the library writes for a meta piece's text (`<unk>`, `<s>`, `</s>`) met in a line.
pub(super) const BOUNDARY_CHAR: char = '\u{1f}';

/// Flag bytes after a counted word.
pub(super) const MID_LINE: u8 = 0;
pub(super) const LINE_END: u8 = 1;

#[derive(Debug, Clone)]
pub struct SentencePieceWords {
    normalizer: SentencePieceNormalizer,
    spec: NormalizerSpec,
    /// Texts of the meta pieces, replaced by `BOUNDARY_CHAR` after normalization.
    meta_pieces: Vec<String>,
}

impl SentencePieceWords {
    /// Words under the normalizer `spec` (only rule-free specs are built here: `identity`).
    pub fn new(spec: NormalizerSpec, meta_pieces: Vec<String>) -> Result<SentencePieceWords, String> {
        let normalizer = SentencePieceNormalizer::new(&spec, None, false)?;
        let meta_pieces = meta_pieces.into_iter().filter(|p| !p.is_empty()).collect();
        Ok(SentencePieceWords { normalizer, spec, meta_pieces })
    }

    pub fn spec(&self) -> &NormalizerSpec {
        &self.spec
    }

    /// Calls `emit(key)` for each word of `text`: its bytes, then `MID_LINE` or `LINE_END`.
    pub fn for_each_word(
        &self,
        text: &str,
        normalized: &mut Normalized,
        key: &mut Vec<u8>,
        mut emit: impl FnMut(&[u8]),
    ) {
        for line in text.split('\n') {
            // The library skips empty lines and lines that hold its unknown mark.
            if line.is_empty() || line.contains(UNKNOWN_CHAR) {
                continue;
            }
            normalized.reset_untracked(line);
            self.normalizer.normalize(normalized);
            let mut line = normalized.text();
            let replaced;
            if self.meta_pieces.iter().any(|m| line.contains(m.as_str())) {
                replaced = self.replace_meta_pieces(line);
                line = &replaced;
            }
            let mut starts: Vec<usize> = line.match_indices(SPACE).map(|(i, _)| i).collect();
            if starts.first() != Some(&0) {
                starts.insert(0, 0);
            }
            for (k, &start) in starts.iter().enumerate() {
                let end = starts.get(k + 1).copied().unwrap_or(line.len());
                if end == start {
                    continue;
                }
                key.clear();
                key.extend_from_slice(&line.as_bytes()[start..end]);
                key.push(if end == line.len() { LINE_END } else { MID_LINE });
                emit(key);
            }
        }
    }

    /// The line with each meta piece's text replaced, leftmost-longest first, as the library's
    /// prefix matcher does.
    fn replace_meta_pieces(&self, line: &str) -> String {
        let mut out = String::with_capacity(line.len());
        let mut at = 0;
        while at < line.len() {
            let rest = &line[at..];
            match self.meta_pieces.iter().filter(|m| rest.starts_with(m.as_str())).map(|m| m.len()).max() {
                Some(len) => {
                    out.push(BOUNDARY_CHAR);
                    at += len;
                }
                None => {
                    let c = rest.chars().next().unwrap_or_default();
                    out.push(c);
                    at += c.len_utf8().max(1);
                }
            }
        }
        out
    }
}

/// A counted key's word and whether it ended its line.
pub(super) fn split_key(key: &[u8]) -> (&[u8], bool) {
    match key.split_last() {
        Some((&flag, word)) => (word, flag == LINE_END),
        None => (key, false),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(text: &str) -> Vec<(String, bool)> {
        let spec = NormalizerSpec { name: Some("identity".into()), ..Default::default() };
        let words = SentencePieceWords::new(spec, vec!["<unk>".into(), "<s>".into(), "</s>".into()]).unwrap();
        let (mut n, mut key, mut out) = (Normalized::new("", 0, false), Vec::new(), Vec::new());
        words.for_each_word(text, &mut n, &mut key, |k| {
            let (w, end) = split_key(k);
            out.push((String::from_utf8(w.to_vec()).unwrap(), end))
        });
        out
    }

    #[test]
    fn lines_become_words_with_a_space_mark_in_front() {
        let got = words("  Hello   world \n\nx<s>y ▅ skipped\nlast");
        let expected = [("▁Hello", false), ("▁world", true), ("▁last", true)];
        assert_eq!(got, expected.map(|(w, e)| (w.to_string(), e)));
        assert_eq!(words("a<s>b c")[0].0, "▁a\u{1f}b");
    }
}
