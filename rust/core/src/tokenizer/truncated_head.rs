//! A truncated text tokenized only as far as the tokens it keeps. Padded batches for a model
//! (BERT's 128 or 512 tokens) mostly keep the head of each document and throw the overflowing
//! windows away; tokenizing the whole document first made a batch of 4 KB documents truncated
//! to 128 tokens cost as much as the whole documents, with their offsets, windows and copies.
//!
//! The head is cut where a long text may be cut into independently tokenized parts
//! (`long_text`): the text up to such a point has exactly the tokens the whole text starts
//! with, offsets and word indices included. A head that holds more tokens than truncation keeps
//! gives the same kept tokens as the whole text, and truncation then cuts it as it would have
//! cut the whole (the same error, if it refuses). A head with too few tokens is grown fourfold
//! until it holds enough or reaches the end.

use super::encoding::{Direction, Encoding};
use super::{EncodeOptions, Tokenizer};
use crate::error::Result;

/// Bytes of text first tried per kept token (prose and code take 3-5 bytes a token).
const HEAD_BYTES_PER_TOKEN: usize = 5;
/// The smallest head worth cutting: below it the whole text is tokenized.
const MIN_HEAD: usize = 1024;

impl Tokenizer {
    /// How many tokens of a single text's own tokens truncation keeps, when nothing after them
    /// is wanted: truncation from the right, its overflowing windows not kept. `None`
    /// otherwise (the whole text is tokenized).
    pub(super) fn tokens_kept(&self, opts: &EncodeOptions) -> Option<usize> {
        let t = opts.truncation.as_ref()?;
        if opts.overflowing || t.direction != Direction::Right {
            return None;
        }
        let added = if opts.add_special_tokens { self.num_special_tokens_to_add(false) } else { 0 };
        t.max_length.checked_sub(added).filter(|&kept| kept > 0)
    }

    /// The encoding of a head of `text` holding more than `kept` tokens, or of the whole text
    /// when no shorter head does (see the module comment).
    pub(super) fn sequence_head(&self, text: &str, kept: usize, opts: &EncodeOptions) -> Result<Encoding> {
        let mut from = kept.saturating_mul(HEAD_BYTES_PER_TOKEN).max(MIN_HEAD);
        let rules = if from < text.len() { self.long_text_cuts() } else { None };
        if let Some(rules) = rules {
            while from < text.len() {
                let Some(end) = rules.head_end(text.as_bytes(), from) else { break };
                let head = self.sequence(&text[..end], 0, opts)?;
                if head.len() > kept {
                    return Ok(head);
                }
                from = end.saturating_mul(4);
            }
        }
        self.sequence(text, 0, opts)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SHARED: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared/data");

    fn opts(offsets: bool) -> EncodeOptions {
        EncodeOptions {
            add_special_tokens: false,
            truncation: None,
            offsets,
            split_special_tokens: false,
            token_texts: false,
            overflowing: false,
        }
    }

    /// Every token of a head (not only those truncation keeps) is the whole text's token at
    /// that place, offsets and words included; and a head holds more tokens than kept.
    #[test]
    fn a_head_starts_as_the_whole_text_does() {
        let mut texts = Vec::new();
        for corpus in ["en_python_docs_10MB.txt", "de_manpages_3MB.txt", "code_python_stdlib_3MB.txt"] {
            let path = format!("{SHARED}/corpora/{corpus}");
            let Ok(text) = std::fs::read_to_string(&path) else { panic!("{path} is missing") };
            let mut at = 0;
            for size in [3000, 9000, 20_000, 70_000] {
                let end = (at + size..at + size + 4).find(|&e| text.is_char_boundary(e)).unwrap_or(text.len());
                texts.push(text[at..end].to_string());
                at = end + 123_457;
            }
        }
        for file in ["bert-base-uncased/tokenizer.json", "gpt2/tokenizer.json", "cl100k_base/tokenizer.json"] {
            let json = std::fs::read_to_string(format!("{SHARED}/tokenizers/{file}")).unwrap();
            let tok = Tokenizer::from_json(&json).unwrap();
            let mut shorter = 0;
            for text in &texts {
                for offsets in [false, true] {
                    let whole = tok.sequence(text, 0, &opts(offsets)).unwrap();
                    for kept in [1, 40, 127, 511, 2000] {
                        let head = tok.sequence_head(text, kept, &opts(offsets)).unwrap();
                        assert!(head.len() > kept || head == whole, "{file}: {kept} of {}", whole.len());
                        shorter += (head.len() < whole.len()) as usize;
                        let n = head.len();
                        assert_eq!(head.ids[..], whole.ids[..n], "{file}: kept {kept}");
                        assert_eq!(head.offsets[..], whole.offsets[..n], "{file}: kept {kept}");
                        assert_eq!(head.word_ids[..], whole.word_ids[..n], "{file}: kept {kept}");
                    }
                }
            }
            assert!(shorter > 50, "{file}: only {shorter} heads were shorter than the text");
        }
    }

    #[test]
    fn only_right_truncation_without_windows_cuts_a_head() {
        let json = std::fs::read_to_string(format!("{SHARED}/tokenizers/bert-base-uncased/tokenizer.json")).unwrap();
        let tok = Tokenizer::from_json(&json).unwrap();
        let truncation = |direction| {
            Some(crate::tokenizer::truncation::TruncationParams {
                direction,
                max_length: 128,
                strategy: crate::tokenizer::truncation::TruncationStrategy::LongestFirst,
                stride: 0,
            })
        };
        let with = |direction, overflowing, add_special_tokens| EncodeOptions {
            add_special_tokens,
            truncation: truncation(direction),
            overflowing,
            ..opts(false)
        };
        assert_eq!(tok.tokens_kept(&with(Direction::Right, false, true)), Some(126));
        assert_eq!(tok.tokens_kept(&with(Direction::Right, false, false)), Some(128));
        assert_eq!(tok.tokens_kept(&with(Direction::Right, true, true)), None);
        assert_eq!(tok.tokens_kept(&with(Direction::Left, false, true)), None);
        assert_eq!(tok.tokens_kept(&opts(false)), None);
    }
}
