//! Models turn one pre-tokenized word into token ids.

pub mod bpe;
mod vocab;
pub mod wordpiece;

pub use bpe::Bpe;
pub use vocab::{ids_to_tokens, serialize_vocab_by_id};
pub use wordpiece::WordPiece;

/// Type names a `model` may have in a file we accept.
pub const SUPPORTED: &[&str] = &["WordPiece"];
