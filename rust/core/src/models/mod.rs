//! Models turn one pre-tokenized word into token ids.

pub mod bpe;
mod trie;
mod vocab;
pub mod wordpiece;

pub use bpe::Bpe;
pub use vocab::{ids_to_tokens, serialize_vocab_by_id};
pub use wordpiece::WordPiece;

use crate::error::Result;
use serde::{Deserialize, Serialize};

/// Type names a `model` may have in a file we accept.
pub const SUPPORTED: &[&str] = &["WordPiece", "BPE"];

/// The `model` of a `tokenizer.json`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(tag = "type")]
pub enum Model {
    WordPiece(WordPiece),
    #[serde(rename = "BPE")]
    Bpe(Bpe),
}

/// Buffers a model reuses between words.
#[derive(Default)]
pub struct ModelScratch {
    bpe: bpe::BpeScratch,
}

impl Model {
    /// Calls `emit(id, start, end)` for each token of `word` (byte offsets into it). With
    /// `byte_level`, BPE starts from the word's bytes (GPT-2 style) instead of its characters.
    #[inline]
    pub fn tokenize(
        &self,
        word: &str,
        byte_level: bool,
        scratch: &mut ModelScratch,
        emit: impl FnMut(u32, usize, usize),
    ) -> Result<()> {
        match self {
            Model::WordPiece(w) => w.tokenize(word, emit),
            Model::Bpe(b) if byte_level => b.tokenize_bytes(word.as_bytes(), &mut scratch.bpe, emit),
            Model::Bpe(b) => b.tokenize(word, &mut scratch.bpe.symbols, emit),
        }
    }

    /// Builds the tables the model fills lazily now, so that the first call is not slower
    /// than the next ones.
    pub fn prepare(&self, byte_level: bool) {
        if let (Model::Bpe(b), true) = (self, byte_level) {
            b.prepare_byte_level();
        }
    }

    pub fn id_to_token(&self, id: u32) -> Option<&str> {
        match self {
            Model::WordPiece(w) => w.id_to_token(id),
            Model::Bpe(b) => b.id_to_token(id),
        }
    }

    pub fn token_to_id(&self, token: &str) -> Option<u32> {
        match self {
            Model::WordPiece(w) => w.token_to_id(token),
            Model::Bpe(b) => b.token_to_id(token),
        }
    }

    pub fn vocab(&self) -> &rustc_hash::FxHashMap<String, u32> {
        match self {
            Model::WordPiece(w) => w.vocab(),
            Model::Bpe(b) => b.vocab(),
        }
    }

    pub fn id_bound(&self) -> usize {
        match self {
            Model::WordPiece(w) => w.id_bound(),
            Model::Bpe(b) => b.id_bound(),
        }
    }
}
