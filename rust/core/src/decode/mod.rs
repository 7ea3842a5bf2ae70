//! Decoders: turn a sequence of token strings back into text.

pub mod byte_level;
mod wordpiece;

pub use wordpiece::WordPieceDecoder;

use serde::{Deserialize, Serialize};

/// Type names a `decoder` may have in a file we accept.
pub const SUPPORTED: &[&str] = &["WordPiece", "ByteLevel"];

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
}

impl Decoder {
    pub fn decode(&self, tokens: &[&str]) -> String {
        match self {
            Decoder::WordPiece(d) => d.decode(tokens),
            Decoder::ByteLevel { .. } => byte_level::decode(tokens),
        }
    }
}

/// Without a decoder, tokens are joined with spaces (as HF does).
pub fn join_with_spaces(tokens: &[&str]) -> String {
    tokens.join(" ")
}
