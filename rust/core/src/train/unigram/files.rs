//! The files of a trained Unigram: a `tokenizer.json` (HF's layout: the text's spaces trimmed
//! and collapsed as SentencePiece's `remove_extra_whitespaces` does, a `Metaspace`
//! pre-tokenizer, the Unigram model) and a SentencePiece `.model` (identity normalization, as
//! trained). The `.model` is made from the `tokenizer.json`, so a trained tokenizer saved,
//! loaded or pickled can still be written as one.

use super::TrainedUnigram;
use crate::error::{Error, Result};
use crate::sentencepiece::proto::{ModelProto, ModelType, NormalizerSpec, Piece, PieceType, TrainerSpec};
use prost::Message;
use serde_json::{json, Value};

/// The normalizer of a trained `tokenizer.json`: spaces (only U+0020, as SentencePiece) trimmed
/// at both ends and runs of them made one.
fn normalizer_json() -> Value {
    json!({"type": "Sequence", "normalizers": [
        {"type": "Replace", "pattern": {"Regex": "\\A +| +\\z"}, "content": ""},
        {"type": "Replace", "pattern": {"Regex": " {2,}"}, "content": " "}
    ]})
}

fn metaspace_json() -> Value {
    json!({"type": "Metaspace", "replacement": "\u{2581}", "prepend_scheme": "always", "split": true})
}

/// The `tokenizer.json` text of a trained model.
pub fn tokenizer_json(trained: &TrainedUnigram) -> Result<String> {
    let added: Vec<Value> = trained
        .pieces
        .iter()
        .enumerate()
        .filter(|(_, p)| matches!(p.2, PieceType::Unknown | PieceType::Control))
        .map(|(id, p)| {
            json!({"id": id, "content": p.0, "single_word": false, "lstrip": false, "rstrip": false,
                   "normalized": false, "special": true})
        })
        .collect();
    let vocab: Vec<Value> = trained.pieces.iter().map(|p| json!([p.0, p.1 as f64])).collect();
    let decoder = if trained.byte_fallback {
        json!({"type": "Sequence", "decoders": [{"type": "ByteFallback"}, metaspace_json()]})
    } else {
        metaspace_json()
    };
    let file = json!({
        "version": "1.0",
        "truncation": null,
        "padding": null,
        "added_tokens": added,
        "normalizer": normalizer_json(),
        "pre_tokenizer": metaspace_json(),
        "post_processor": null,
        "decoder": decoder,
        "model": {"type": "Unigram", "unk_id": trained.unk_id, "vocab": vocab, "byte_fallback": trained.byte_fallback},
    });
    serde_json::to_string_pretty(&file).map_err(|e| Error::InvalidArgument(format!("tokenizer.json: {e}")))
}

/// A SentencePiece `.model` for a `tokenizer.json` written by `tokenizer_json` (refused for
/// any other layout, whose normalization a `.model` of identity normalization would not match).
pub fn model_from_tokenizer_json(text: &str) -> Result<Vec<u8>> {
    let bad = |m: &str| Error::InvalidArgument(format!("not a Unigram tokenizer trained by tokembed: {m}"));
    let file: Value = serde_json::from_str(text).map_err(|e| bad(&format!("not JSON: {e}")))?;
    let model = &file["model"];
    if model["type"] != "Unigram" {
        return Err(bad("model.type is not Unigram"));
    }
    if file["normalizer"] != normalizer_json() || file["pre_tokenizer"] != metaspace_json() {
        return Err(bad("its normalizer or pre-tokenizer is not the trained one"));
    }
    let unk_id = model["unk_id"].as_u64().ok_or_else(|| bad("model.unk_id is missing"))?;
    let byte_fallback = model["byte_fallback"].as_bool().unwrap_or(false);
    let special: rustc_hash::FxHashSet<u64> =
        file["added_tokens"].as_array().into_iter().flatten().filter_map(|t| t["id"].as_u64()).collect();
    let vocab = model["vocab"].as_array().ok_or_else(|| bad("model.vocab is missing"))?;
    let mut pieces = Vec::with_capacity(vocab.len());
    let (mut bos, mut eos, mut pad) = (-1, -1, -1);
    for (id, entry) in vocab.iter().enumerate() {
        let (Some(text), Some(score)) = (entry[0].as_str(), entry[1].as_f64()) else {
            return Err(bad(&format!("model.vocab[{id}] is not [piece, score]")));
        };
        let is_byte =
            byte_fallback && crate::decode::byte_of_token(text).is_some_and(|b| text == format!("<0x{b:02X}>"));
        let kind = if id as u64 == unk_id {
            PieceType::Unknown
        } else if special.contains(&(id as u64)) {
            match text {
                "<s>" => bos = id as i32,
                "</s>" => eos = id as i32,
                "<pad>" => pad = id as i32,
                _ => {}
            }
            PieceType::Control
        } else if is_byte {
            PieceType::Byte
        } else {
            PieceType::Normal
        };
        pieces.push(Piece { piece: Some(text.to_string()), score: Some(score as f32), r#type: Some(kind as i32) });
    }
    let unk_piece = pieces.get(unk_id as usize).and_then(|p| p.piece.clone());
    let proto = ModelProto {
        pieces,
        trainer_spec: Some(TrainerSpec {
            model_type: Some(ModelType::Unigram as i32),
            vocab_size: Some(vocab.len() as i32),
            byte_fallback: Some(byte_fallback),
            unk_id: Some(unk_id as i32),
            bos_id: Some(bos),
            eos_id: Some(eos),
            pad_id: Some(pad),
            unk_piece,
            ..Default::default()
        }),
        normalizer_spec: Some(identity_spec()),
        denormalizer_spec: None,
    };
    Ok(proto.encode_to_vec())
}

/// SentencePiece's `identity` normalization: no rules, white space handled.
pub fn identity_spec() -> NormalizerSpec {
    NormalizerSpec {
        name: Some("identity".to_string()),
        precompiled_charsmap: Some(Vec::new()),
        add_dummy_prefix: Some(true),
        remove_extra_whitespaces: Some(true),
        escape_whitespaces: Some(true),
    }
}
