//! Normalizers: the first stage of the pipeline, rewriting text while keeping alignment.
//!
//! The enum mirrors the `normalizer` field of an HF `tokenizer.json` (tagged by `type`), so a
//! file deserializes straight into it and serializes back unchanged.

mod bert;
mod bert_chars;
mod byte_level;
mod lowercase;
mod nmt;
pub mod precompiled;
mod replace;
mod strip_accents;
mod unicode_forms;

pub use bert::BertNormalizer;
pub use precompiled::Precompiled;
pub use replace::{Replace, ReplacePattern};
pub use unicode_forms::UnicodeForm;

use crate::tokenizer::normalized_text::Normalized;
use serde::{Deserialize, Serialize};

/// Type names a `normalizer` may have in a file we accept.
pub const SUPPORTED: &[&str] = &[
    "BertNormalizer",
    "NFC",
    "NFD",
    "NFKC",
    "NFKD",
    "Lowercase",
    "StripAccents",
    "Replace",
    "Prepend",
    "Strip",
    "Precompiled",
    "Nmt",
    "ByteLevel",
    "Sequence",
];

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(tag = "type")]
pub enum Normalizer {
    BertNormalizer(BertNormalizer),
    NFC {},
    NFD {},
    NFKC {},
    NFKD {},
    Lowercase {},
    StripAccents {},
    Replace(Replace),
    /// Puts `prepend` before any non-empty text.
    Prepend {
        prepend: String,
    },
    /// Removes white space at either end.
    Strip {
        #[serde(default)]
        strip_left: bool,
        #[serde(default)]
        strip_right: bool,
    },
    Precompiled(Precompiled),
    Nmt {},
    ByteLevel {},
    Sequence {
        normalizers: Vec<Normalizer>,
    },
    /// The normalizer of a SentencePiece `.model` (no `tokenizer.json` form).
    #[serde(skip)]
    SentencePiece(Box<crate::sentencepiece::SentencePieceNormalizer>),
}

impl Normalizer {
    pub fn normalize(&self, n: &mut Normalized) {
        match self {
            Normalizer::BertNormalizer(b) => b.normalize(n),
            Normalizer::NFC {} => unicode_forms::apply(UnicodeForm::Nfc, n),
            Normalizer::NFD {} => unicode_forms::apply(UnicodeForm::Nfd, n),
            Normalizer::NFKC {} => unicode_forms::apply(UnicodeForm::Nfkc, n),
            Normalizer::NFKD {} => unicode_forms::apply(UnicodeForm::Nfkd, n),
            Normalizer::Lowercase {} => lowercase::apply(n),
            Normalizer::StripAccents {} => strip_accents::apply(n),
            Normalizer::Replace(r) => r.apply(n),
            Normalizer::Prepend { prepend } => n.prepend(prepend),
            Normalizer::Strip { strip_left, strip_right } => n.strip(*strip_left, *strip_right),
            Normalizer::Precompiled(p) => p.normalize(n),
            Normalizer::Nmt {} => nmt::apply(n),
            Normalizer::ByteLevel {} => byte_level::apply(n),
            Normalizer::SentencePiece(s) => s.normalize(n),
            Normalizer::Sequence { normalizers } => {
                for inner in normalizers {
                    inner.normalize(n);
                }
            }
        }
    }

    /// Normalizes a plain string (no alignment); used for added-token contents.
    pub fn normalize_str(&self, s: &str) -> String {
        let mut n = Normalized::new(s, 0, false);
        self.normalize(&mut n);
        n.text().to_string()
    }
}
