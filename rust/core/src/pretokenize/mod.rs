//! Pre-tokenizers: cut normalized text into words, as byte ranges of that text.
//!
//! Pieces are ranges into one normalized string, never copies; each pre-tokenizer of a
//! `Sequence` splits every piece the previous one produced. The enum mirrors the
//! `pre_tokenizer` field of an HF `tokenizer.json`.

mod bert;
mod split;
mod whitespace;

pub use split::SplitBehavior;

use crate::unicode::is_bert_punctuation;
use serde::{Deserialize, Serialize};
use std::ops::Range;

/// Type names a `pre_tokenizer` may have in a file we accept.
pub const SUPPORTED: &[&str] =
    &["BertPreTokenizer", "Whitespace", "WhitespaceSplit", "Punctuation", "Digits", "Sequence"];

fn isolated() -> SplitBehavior {
    SplitBehavior::Isolated
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(tag = "type")]
pub enum PreTokenizer {
    BertPreTokenizer {},
    Whitespace {},
    WhitespaceSplit {},
    Punctuation {
        #[serde(default = "isolated")]
        behavior: SplitBehavior,
    },
    Digits {
        #[serde(default)]
        individual_digits: bool,
    },
    Sequence { pretokenizers: Vec<PreTokenizer> },
}

impl PreTokenizer {
    /// Replaces `pieces` (ranges of `text`) by their sub-pieces. Empty pieces are dropped.
    pub fn split(&self, text: &str, pieces: &mut Vec<Range<usize>>, scratch: &mut Vec<Range<usize>>) {
        if let PreTokenizer::Sequence { pretokenizers } = self {
            for p in pretokenizers {
                p.split(text, pieces, scratch);
            }
            return;
        }
        scratch.clear();
        for piece in pieces.iter() {
            self.split_piece(text, piece.clone(), scratch);
        }
        std::mem::swap(pieces, scratch);
    }

    fn split_piece(&self, text: &str, range: Range<usize>, out: &mut Vec<Range<usize>>) {
        match self {
            PreTokenizer::BertPreTokenizer {} => bert::split(text, range, out),
            PreTokenizer::Whitespace {} => whitespace::split_words(text, range, out),
            PreTokenizer::WhitespaceSplit {} => {
                split::split_on_char(text, range, char::is_whitespace, SplitBehavior::Removed, out)
            }
            PreTokenizer::Punctuation { behavior } => {
                split::split_on_char(text, range, is_bert_punctuation, *behavior, out)
            }
            PreTokenizer::Digits { individual_digits } => {
                let behavior = if *individual_digits { SplitBehavior::Isolated } else { SplitBehavior::Contiguous };
                split::split_on_char(text, range, char::is_numeric, behavior, out)
            }
            PreTokenizer::Sequence { pretokenizers } => {
                let mut pieces = vec![range];
                let mut scratch = Vec::new();
                for p in pretokenizers {
                    p.split(text, &mut pieces, &mut scratch);
                }
                out.extend(pieces);
            }
        }
    }
}
