//! Decoders: turn a sequence of token strings back into text.
//!
//! As in HF, each decoder maps the list of token strings to a new list (`decode_chain`), a
//! `Sequence` chains them, and the text is the final list joined.

mod byte_fallback;
pub mod byte_level;
mod ctc;
mod rewrite;
mod wordpiece;

pub use byte_fallback::byte_of_token;
pub use ctc::Ctc;
pub use rewrite::{BpeDecoder, Strip};
pub use wordpiece::WordPieceDecoder;

use crate::normalize::Replace;
use crate::pretokenize::Metaspace;
use serde::{Deserialize, Serialize};

/// Type names a `decoder` may have in a file we accept.
pub const SUPPORTED: &[&str] = &[
    "WordPiece",
    "ByteLevel",
    "Metaspace",
    "ByteFallback",
    "Fuse",
    "Strip",
    "Replace",
    "BPEDecoder",
    "CTC",
    "Sequence",
];

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(tag = "type")]
pub enum Decoder {
    WordPiece(WordPieceDecoder),
    /// The options are the pre-tokenizer's; decoding does not depend on them.
    ByteLevel {
        #[serde(default)]
        add_prefix_space: Option<bool>,
        #[serde(default)]
        trim_offsets: Option<bool>,
        #[serde(default)]
        use_regex: Option<bool>,
    },
    Metaspace(Metaspace),
    ByteFallback {},
    /// Joins all tokens into one.
    Fuse {},
    Strip(Strip),
    Replace(Replace),
    #[serde(rename = "BPEDecoder")]
    Bpe(BpeDecoder),
    #[serde(rename = "CTC")]
    Ctc(Ctc),
    Sequence {
        decoders: Vec<Decoder>,
    },
    /// The decoder of a SentencePiece `.model` (no `tokenizer.json` form).
    #[serde(skip)]
    SentencePiece(Box<crate::sentencepiece::SentencePieceDecoder>),
}

impl Decoder {
    pub fn decode(&self, tokens: &[&str]) -> String {
        match self {
            Decoder::WordPiece(d) => d.decode(tokens),
            Decoder::ByteLevel { .. } => byte_level::decode(tokens),
            Decoder::SentencePiece(s) => s.decode(tokens),
            _ => self.decode_chain(tokens.iter().map(|t| t.to_string()).collect()).concat(),
        }
    }

    pub fn decode_chain(&self, tokens: Vec<String>) -> Vec<String> {
        match self {
            Decoder::WordPiece(d) => d.decode_chain(tokens),
            Decoder::ByteLevel { .. } => {
                let refs: Vec<&str> = tokens.iter().map(String::as_str).collect();
                vec![byte_level::decode(&refs)]
            }
            Decoder::Metaspace(m) => m.decode_chain(tokens),
            Decoder::ByteFallback {} => byte_fallback::decode_chain(tokens),
            Decoder::Fuse {} => vec![tokens.concat()],
            Decoder::Strip(s) => s.decode_chain(tokens),
            Decoder::Replace(r) => tokens.iter().map(|t| r.replace_str(t)).collect(),
            Decoder::Bpe(b) => b.decode_chain(tokens),
            Decoder::Ctc(c) => c.decode_chain(tokens),
            Decoder::SentencePiece(s) => {
                let refs: Vec<&str> = tokens.iter().map(String::as_str).collect();
                vec![s.decode(&refs)]
            }
            Decoder::Sequence { decoders } => decoders.iter().fold(tokens, |tokens, d| d.decode_chain(tokens)),
        }
    }
}

/// Without a decoder, tokens are joined with spaces (as HF does).
pub fn join_with_spaces(tokens: &[&str]) -> String {
    tokens.join(" ")
}
