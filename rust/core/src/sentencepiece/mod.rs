//! SentencePiece `.model` files (Llama-2, Mistral, Gemma, T5, XLM-R, ALBERT, ...): the protobuf
//! `ModelProto` read with `prost`, and a pipeline that encodes and decodes as the `sentencepiece`
//! library does: its normalizer, its BPE or Unigram model, its decoder. No pre-tokenizer: the
//! whole normalized text is one word, as in the library.

mod bpe;
mod bpe_ids;
mod decoder;
pub(crate) mod model;
mod normalizer;
pub(crate) mod proto;
pub(crate) mod unigram;
mod unigram_words;

pub use decoder::SentencePieceDecoder;
pub use model::SentencePieceModel;
pub use normalizer::SentencePieceNormalizer;
pub(crate) use unigram_words::unigram_ids;

use crate::error::{Error, Result};
use prost::Message;
use proto::PieceType;

/// The three parts of a `.model`, and the ids of its bos and eos pieces (if valid).
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
    let proto = proto::ModelProto::decode(bytes).map_err(|e| bad(format!("not a valid ModelProto: {e}")))?;
    if proto.pieces.is_empty() {
        return Err(bad("no pieces (is this a SentencePiece .model file?)".to_string()));
    }
    if let Some(spec) = &proto.denormalizer_spec {
        if spec.precompiled_charsmap.as_ref().is_some_and(|c| !c.is_empty()) {
            return Err(bad("denormalizer_spec: denormalization rules are not supported yet".to_string()));
        }
    }
    let model = SentencePieceModel::from_proto(&proto).map_err(bad)?;
    let trainer = proto.trainer_spec.clone().unwrap_or_default();
    let spec = proto.normalizer_spec.clone().unwrap_or_default();
    let normalizer =
        SentencePieceNormalizer::new(&spec, model.user_defined_trie(), trainer.treat_whitespace_as_suffix())
            .map_err(|e| bad(format!("normalizer_spec.{e}")))?;
    let kinds = (model.vocab().iter()).map(|(piece, &id)| (piece.clone(), model.kind(id))).collect();
    let unknown_piece = model.id_to_token(model.unk_id).unwrap_or_default().to_string();
    let unknown_surface = trainer.unk_surface.clone().unwrap_or_else(|| " \u{2047} ".to_string());
    let decoder = SentencePieceDecoder::new(
        kinds,
        unknown_piece,
        unknown_surface,
        normalizer.adds_dummy_prefix(),
        normalizer.removes_extra_whitespaces(),
    );
    let piece_of = |id: i32| {
        let id = u32::try_from(id).ok()?;
        Some((model.id_to_token(id)?.to_string(), id))
    };
    let (bos, eos) = (piece_of(trainer.bos_id()), piece_of(trainer.eos_id()));
    Ok(SentencePieceParts { normalizer, model, decoder, bos, eos })
}

/// Whether `id` is a CONTROL piece of the model (shown as nothing when decoded).
pub fn is_control(model: &SentencePieceModel, id: u32) -> bool {
    (id as usize) < model.id_bound() && model.kind(id) == PieceType::Control
}
