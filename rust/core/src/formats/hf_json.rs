//! The HF `tokenizer.json` format: one serde tree for reading and writing it back.
//!
//! Before deserializing we walk the component `type`s ourselves, so that an unsupported one is
//! reported with its JSON path (`normalizer.normalizers[1].type: 'Precompiled' is not
//! supported`) rather than as serde's generic "unknown variant"; every other mistake is
//! reported by serde with its path through `serde_path_to_error`.

use crate::decode::{self, Decoder};
use crate::error::{Error, Result};
use crate::models::{self, Model};
use crate::normalize::{self, Normalizer};
use crate::postprocess::{self, PostProcessor};
use crate::pretokenize::{self, PreTokenizer};
use crate::tokenizer::added_vocab::AddedToken;
use crate::tokenizer::padding::PaddingParams;
use crate::tokenizer::truncation::TruncationParams;
use serde::{Deserialize, Serialize};
use serde_json::Value;

fn version() -> String {
    "1.0".to_string()
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct TokenizerFile {
    #[serde(default = "version")]
    pub version: String,
    #[serde(default)]
    pub truncation: Option<TruncationParams>,
    #[serde(default)]
    pub padding: Option<PaddingParams>,
    #[serde(default)]
    pub added_tokens: Vec<AddedToken>,
    #[serde(default)]
    pub normalizer: Option<Normalizer>,
    #[serde(default)]
    pub pre_tokenizer: Option<PreTokenizer>,
    #[serde(default)]
    pub post_processor: Option<PostProcessor>,
    #[serde(default)]
    pub decoder: Option<Decoder>,
    pub model: Model,
}

pub fn parse(json: &str) -> Result<TokenizerFile> {
    let mut value: Value = serde_json::from_str(json).map_err(|e| Error::Config(format!("not valid JSON: {e}")))?;
    if !value.is_object() {
        return Err(Error::Config("the top level of a tokenizer.json must be an object".to_string()));
    }
    check_components(&mut value)?;
    serde_path_to_error::deserialize(value).map_err(|e| {
        let path = e.path().to_string();
        Error::Config(format!("{path}: {}", e.into_inner()))
    })
}

pub fn to_json(file: &TokenizerFile, pretty: bool) -> Result<String> {
    let out = if pretty { serde_json::to_string_pretty(file) } else { serde_json::to_string(file) };
    out.map_err(|e| Error::Config(format!("cannot serialize tokenizer: {e}")))
}

/// `to_json` with `tokens` (content, id) also in `model.vocab`, after the model's own.
pub fn to_json_with_model_tokens(file: &TokenizerFile, tokens: &[(&str, u32)], pretty: bool) -> Result<String> {
    let fail = |e: serde_json::Error| Error::Config(format!("cannot serialize tokenizer: {e}"));
    let mut value = serde_json::to_value(file).map_err(fail)?;
    let Some(vocab) = value.pointer_mut("/model/vocab").and_then(Value::as_object_mut) else {
        return Err(Error::Config("cannot serialize tokenizer: the model has no vocabulary object".to_string()));
    };
    for &(content, id) in tokens {
        vocab.insert(content.to_string(), Value::from(id));
    }
    let out = if pretty { serde_json::to_string_pretty(&value) } else { serde_json::to_string(&value) };
    out.map_err(fail)
}

fn unsupported(path: &str, found: &str, supported: &[&str]) -> Error {
    Error::Config(format!("{path}.type: '{found}' is not supported (supported: {})", supported.join(", ")))
}

/// Checks the `type` of every component (recursing into sequences). Fills in the model type
/// of old files that omit it.
fn check_components(root: &mut Value) -> Result<()> {
    check_typed(&root["normalizer"], "normalizer", normalize::SUPPORTED, "normalizers")?;
    check_typed(&root["pre_tokenizer"], "pre_tokenizer", pretokenize::SUPPORTED, "pretokenizers")?;
    check_typed(&root["post_processor"], "post_processor", postprocess::SUPPORTED, "processors")?;
    check_typed(&root["decoder"], "decoder", decode::SUPPORTED, "decoders")?;
    let model = root
        .get_mut("model")
        .filter(|m| m.is_object())
        .ok_or_else(|| Error::Config("model: missing (a tokenizer.json needs a model object)".to_string()))?;
    if model.get("type").is_none() && model.get("max_input_chars_per_word").is_some() {
        model["type"] = Value::String("WordPiece".to_string());
    }
    check_typed(model, "model", models::SUPPORTED, "")
}

fn check_typed(v: &Value, path: &str, supported: &[&str], children: &str) -> Result<()> {
    if v.is_null() {
        return Ok(());
    }
    let Some(obj) = v.as_object() else {
        return Err(Error::Config(format!("{path}: expected an object or null, found {v}")));
    };
    let ty = match obj.get("type") {
        Some(Value::String(t)) => t.as_str(),
        Some(other) => return Err(Error::Config(format!("{path}.type: expected a string, found {other}"))),
        None => return Err(Error::Config(format!("{path}.type: missing"))),
    };
    if !supported.contains(&ty) {
        return Err(unsupported(path, ty, supported));
    }
    if ty == "Sequence" && !children.is_empty() {
        if let Some(Value::Array(items)) = obj.get(children) {
            for (i, item) in items.iter().enumerate() {
                check_typed(item, &format!("{path}.{children}[{i}]"), supported, children)?;
            }
        }
    }
    Ok(())
}
