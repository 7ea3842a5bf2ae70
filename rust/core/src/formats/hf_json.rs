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

/// The file with the model left as raw JSON, to be read straight into its type (see
/// `parse_direct`).
#[derive(Deserialize)]
struct DirectFile<'a> {
    #[serde(default = "version")]
    version: String,
    #[serde(default)]
    truncation: Option<TruncationParams>,
    #[serde(default)]
    padding: Option<PaddingParams>,
    #[serde(default)]
    added_tokens: Vec<AddedToken>,
    #[serde(default)]
    normalizer: Option<Normalizer>,
    #[serde(default)]
    pre_tokenizer: Option<PreTokenizer>,
    #[serde(default)]
    post_processor: Option<PostProcessor>,
    #[serde(default)]
    decoder: Option<Decoder>,
    #[serde(borrow)]
    model: &'a serde_json::value::RawValue,
}

/// What decides the model's type: its `type`, or for old WordPiece files a field only
/// WordPiece has.
#[derive(Deserialize)]
struct ModelKind {
    #[serde(rename = "type")]
    kind: Option<String>,
    max_input_chars_per_word: Option<serde::de::IgnoredAny>,
}

/// Reads a well-formed file straight into its types: no intermediate tree of the whole file,
/// and the model (vocabulary and merges, nearly all of the file) read into its own type rather
/// than buffered first, as serde does for an enum tagged by a field. `None` on any problem:
/// `parse` then takes the careful path, which finds and names it.
fn parse_direct(json: &str) -> Option<TokenizerFile> {
    let file: DirectFile = serde_json::from_str(json).ok()?;
    let kind: ModelKind = serde_json::from_str(file.model.get()).ok()?;
    let model = match (kind.kind.as_deref(), kind.max_input_chars_per_word.is_some()) {
        (Some("BPE"), _) => Model::Bpe(serde_json::from_str(file.model.get()).ok()?),
        (Some("WordPiece"), _) | (None, true) => Model::WordPiece(serde_json::from_str(file.model.get()).ok()?),
        (Some("Unigram"), _) => Model::Unigram(serde_json::from_str(file.model.get()).ok()?),
        (Some("WordLevel"), _) => Model::WordLevel(serde_json::from_str(file.model.get()).ok()?),
        _ => return None,
    };
    Some(TokenizerFile {
        version: file.version,
        truncation: file.truncation,
        padding: file.padding,
        added_tokens: file.added_tokens,
        normalizer: file.normalizer,
        pre_tokenizer: file.pre_tokenizer,
        post_processor: file.post_processor,
        decoder: file.decoder,
        model,
    })
}

pub fn parse(json: &str) -> Result<TokenizerFile> {
    if let Some(file) = parse_direct(json) {
        return Ok(file);
    }
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

#[cfg(test)]
mod tests {
    use super::*;

    const TOKENIZERS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared/data/tokenizers");

    /// The careful path alone: the tree, the component checks, then serde.
    fn parse_careful(json: &str) -> TokenizerFile {
        let mut value: Value = serde_json::from_str(json).unwrap();
        check_components(&mut value).unwrap();
        serde_json::from_value(value).unwrap()
    }

    #[test]
    fn direct_and_careful_parsing_read_the_same_files() {
        for name in ["gpt2", "cl100k_base", "bert-base-uncased"] {
            let json = std::fs::read_to_string(format!("{TOKENIZERS}/{name}/tokenizer.json")).unwrap();
            let direct = parse_direct(&json).unwrap_or_else(|| panic!("{name}: the direct path refused it"));
            let careful = parse_careful(&json);
            assert_eq!(to_json(&direct, false).unwrap(), to_json(&careful, false).unwrap(), "{name}");
        }
    }

    #[test]
    fn old_wordpiece_files_without_a_model_type_take_the_direct_path() {
        let json = r#"{"model": {"vocab": {"[UNK]": 0, "a": 1}, "max_input_chars_per_word": 100}}"#;
        assert!(matches!(parse_direct(json).map(|f| f.model), Some(Model::WordPiece(_))));
    }

    #[test]
    fn problems_are_named_by_the_careful_path() {
        let bad_merge =
            r#"{"model": {"type": "BPE", "vocab": {"a": 0, "b": 1, "ab": 2}, "merges": [["a", "b", "c"]]}}"#;
        assert!(parse_direct(bad_merge).is_none());
        let message = parse(bad_merge).unwrap_err().to_string();
        assert!(message.starts_with("model: invalid length 3, expected a merge"), "{message}");
        let unsupported = r#"{"model": {"type": "Tiktoken", "vocab": []}}"#;
        let message = parse(unsupported).unwrap_err().to_string();
        assert!(message.contains("model.type: 'Tiktoken' is not supported"), "{message}");
    }

    #[test]
    fn merges_read_as_strings_or_pairs() {
        let read = |merges: &str| {
            let json =
                format!(r#"{{"model": {{"type": "BPE", "vocab": {{"a": 0, "b": 1, "ab": 2}}, "merges": {merges}}}}}"#);
            match parse(&json).map(|f| f.model) {
                Ok(Model::Bpe(b)) => Ok(crate::models::bpe::BpeSpec::from(b).merges),
                Ok(_) => panic!("not a BPE"),
                Err(e) => Err(e.to_string()),
            }
        };
        use crate::models::bpe::MergeSpec;
        assert_eq!(read(r#"["a b"]"#), Ok(vec![MergeSpec::Joined("a b".to_string())]));
        assert_eq!(read(r#"[["a", "b"]]"#), Ok(vec![MergeSpec::Pair("a".to_string(), "b".to_string())]));
        for bad in [r#"[["a"]]"#, r#"[[]]"#, r#"[3]"#] {
            let message = read(bad).unwrap_err();
            assert!(message.starts_with("model: ") && message.contains("expected a merge"), "{bad}: {message}");
        }
    }
}
