//! Models turn one pre-tokenized word into token ids.

pub mod wordpiece;

pub use wordpiece::WordPiece;

/// Type names a `model` may have in a file we accept.
pub const SUPPORTED: &[&str] = &["WordPiece"];
