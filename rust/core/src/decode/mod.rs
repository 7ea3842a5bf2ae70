//! Decoders: turn a sequence of token strings back into text.

mod wordpiece;

pub use wordpiece::WordPieceDecoder;

use serde::{Deserialize, Serialize};

/// Type names a `decoder` may have in a file we accept.
pub const SUPPORTED: &[&str] = &["WordPiece"];

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(tag = "type")]
pub enum Decoder {
    WordPiece(WordPieceDecoder),
}

impl Decoder {
    pub fn decode(&self, tokens: &[&str]) -> String {
        match self {
            Decoder::WordPiece(d) => d.decode(tokens),
        }
    }
}

/// Without a decoder, tokens are joined with spaces (as HF does).
pub fn join_with_spaces(tokens: &[&str]) -> String {
    tokens.join(" ")
}
