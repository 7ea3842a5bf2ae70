//! SentencePiece `.model` files (Llama-2, Mistral, Gemma, T5, XLM-R, ALBERT, ...): the protobuf
//! `ModelProto` read with `prost`, and a pipeline that encodes and decodes as the `sentencepiece`
//! library does: its normalizer, its BPE or Unigram model, its decoder. No pre-tokenizer: the
//! whole normalized text is one word, as in the library.

mod bpe;
mod bpe_ids;
mod decoder;
pub(crate) mod model;
pub(crate) mod normalizer;
pub(crate) mod proto;
/// Public for the profiling harness (`examples/lattice_profile.rs`).
#[doc(hidden)]
pub mod unigram;
mod unigram_words;

pub use decoder::SentencePieceDecoder;
pub use model::SentencePieceModel;
pub use normalizer::SentencePieceNormalizer;
pub(crate) use unigram_words::unigram_ids;

use crate::error::{Error, Result};
use prost::Message;
use proto::PieceType;

/// The three parts of a `.model`, and its bos and eos pieces with their ids (if CONTROL pieces).
pub struct SentencePieceParts {
    pub normalizer: SentencePieceNormalizer,
    pub model: SentencePieceModel,
    pub decoder: SentencePieceDecoder,
    pub bos: Option<(String, u32)>,
    pub eos: Option<(String, u32)>,
}

/// Reads the bytes of a `.model` file.
pub fn read(bytes: &[u8]) -> Result<SentencePieceParts> {
    let bad = |e: String| Error::Config(format!("SentencePiece model: {e}"));
    let mut proto = proto::ModelProto::decode(bytes).map_err(|e| bad(format!("not a valid ModelProto: {e}")))?;
    if proto.pieces.is_empty() {
        return Err(bad("no pieces (is this a SentencePiece .model file?)".to_string()));
    }
    if let Some(spec) = &proto.denormalizer_spec {
        if spec.precompiled_charsmap.as_ref().is_some_and(|c| !c.is_empty()) {
            return Err(bad("denormalizer_spec: denormalization rules are not supported yet".to_string()));
        }
    }
    let model = SentencePieceModel::from_proto(&mut proto).map_err(bad)?;
    let trainer = proto.trainer_spec.clone().unwrap_or_default();
    let spec = proto.normalizer_spec.clone().unwrap_or_default();
    let normalizer =
        SentencePieceNormalizer::new(&spec, model.user_defined_trie(), trainer.treat_whitespace_as_suffix())
            .map_err(|e| bad(format!("normalizer_spec.{e}")))?;
    // The type of each piece's text, as the model's index answers it: where a reserved piece
    // (CONTROL, UNKNOWN, BYTE) and an encodable one share a text (Unigram allows it), the
    // reserved one. A piece the model leaves out of its index (a raw NUL, see `from_proto`)
    // still decodes as its type says, as the library decodes by id. Built in id order, where
    // the texts lie in memory in turn (the index's keys, in hash order, were a cache miss each).
    let mut kinds: rustc_hash::FxHashMap<String, PieceType> = rustc_hash::FxHashMap::default();
    kinds.reserve(model.id_bound());
    for id in 0..model.id_bound() as u32 {
        let (Some(piece), kind) = (model.id_to_token(id), model.kind(id)) else { continue };
        let reserved = !model::is_encodable(kind);
        kinds
            .entry(piece.to_string())
            .and_modify(|known| *known = if reserved { kind } else { *known })
            .or_insert(kind);
    }
    let unknown_piece = model.id_to_token(model.unk_id).unwrap_or_default().to_string();
    let unknown_surface = trainer.unk_surface.clone().unwrap_or_else(|| " \u{2047} ".to_string());
    let kinds_by_id = (0..model.id_bound() as u32).map(|id| model.kind(id)).collect();
    let decoder = SentencePieceDecoder::new(
        kinds,
        kinds_by_id,
        unknown_piece,
        unknown_surface,
        normalizer.adds_dummy_prefix(),
        normalizer.removes_extra_whitespaces(),
    );
    // The library adds bos / eos by their texts (`bos_piece`, `eos_piece`, "<s>" and "</s>" when
    // unset or empty), and only when that text is a CONTROL piece; `bos_id` / `eos_id` are not read.
    let control_piece = |text: &str, default: &str| {
        let text = if text.is_empty() { default } else { text };
        let id = model.token_to_id(text)?;
        (model.kind(id) == PieceType::Control).then(|| (text.to_string(), id))
    };
    let bos = control_piece(trainer.bos_piece(), "<s>");
    let eos = control_piece(trainer.eos_piece(), "</s>");
    Ok(SentencePieceParts { normalizer, model, decoder, bos, eos })
}

/// Whether `id` is a CONTROL piece of the model (shown as nothing when decoded).
pub fn is_control(model: &SentencePieceModel, id: u32) -> bool {
    (id as usize) < model.id_bound() && model.kind(id) == PieceType::Control
}
