//! The file of a trained byte-level BPE: a `tokenizer.json` that HF `tokenizers`, transformers
//! and tokembed load.

use super::bpe::TrainedBpe;
use crate::error::{Error, Result};
use crate::pretokenize::regex_split::KnownPattern;
use serde_json::{json, Value};

/// A `tokenizer.json` for `trained` with split pattern `pattern` (a regex) and the prefix it was
/// trained with before pieces that continue a word, if any. GPT-2's pattern is
/// written as HF writes GPT-2 (a ByteLevel pre-tokenizer with its built-in regex), any other as
/// a Split with the regex followed by ByteLevel, as in HF's files of cl100k-style models. No
/// normalizer, no post-processor, the ByteLevel decoder; the special tokens are added tokens.
///
/// Written as text straight away (compact; `Tokenizer.save` writes it pretty): a `serde_json`
/// value of the vocabulary and merges would hold every token three times over, several
/// megabytes at the peak memory of training.
pub fn tokenizer_json(trained: &TrainedBpe, pattern: &str, continuing_subword_prefix: Option<&str>) -> Result<String> {
    let byte_level = |use_regex: bool| json!({"type": "ByteLevel", "add_prefix_space": false, "trim_offsets": true, "use_regex": use_regex});
    let pre_tokenizer = if KnownPattern::from_regex(pattern) == Some(KnownPattern::Gpt2) {
        byte_level(true)
    } else {
        json!({"type": "Sequence", "pretokenizers": [
            {"type": "Split", "pattern": {"Regex": pattern}, "behavior": "Isolated", "invert": false},
            byte_level(false),
        ]})
    };
    let size: usize = trained.tokens.iter().map(|t| 2 * t.len() + 16).sum();
    let mut out = String::with_capacity(size + 4096);
    out.push_str(r#"{"version":"1.0","truncation":null,"padding":null,"added_tokens":"#);
    out.push_str(&text_of(&added_tokens(trained)?)?);
    out.push_str(r#","normalizer":null,"pre_tokenizer":"#);
    out.push_str(&text_of(&pre_tokenizer)?);
    out.push_str(r#","post_processor":null,"decoder":"#);
    out.push_str(&text_of(&byte_level(true))?);
    out.push_str(r#","model":{"type":"BPE","dropout":null,"unk_token":null,"continuing_subword_prefix":"#);
    match continuing_subword_prefix {
        Some(prefix) => push_string(&mut out, prefix)?,
        None => out.push_str("null"),
    }
    out.push_str(
        r#","end_of_word_suffix":null,"fuse_unk":false,"byte_fallback":false,"ignore_merges":false,"vocab":{"#,
    );
    push_vocab(&mut out, trained)?;
    out.push_str(r#"},"merges":["#);
    for (rank, &(left, right)) in trained.merges.iter().enumerate() {
        if rank > 0 {
            out.push(',');
        }
        out.push('[');
        push_string(&mut out, token(trained, left)?)?;
        out.push(',');
        push_string(&mut out, token(trained, right)?)?;
        out.push(']');
    }
    out.push_str("]}}");
    Ok(out)
}

/// The special tokens as `added_tokens` entries.
pub(super) fn added_tokens(trained: &TrainedBpe) -> Result<Value> {
    let added: Vec<Value> = (trained.special_ids.iter())
        .map(|&id| {
            let content = token(trained, id)?;
            Ok(json!({"id": id, "content": content, "single_word": false, "lstrip": false, "rstrip": false,
                      "normalized": false, "special": true}))
        })
        .collect::<Result<_>>()?;
    Ok(Value::Array(added))
}

/// Appends the entries of the `vocab` object (`"token":id,...`, in id order).
pub(super) fn push_vocab(out: &mut String, trained: &TrainedBpe) -> Result<()> {
    for (id, text) in trained.tokens.iter().enumerate() {
        if id > 0 {
            out.push(',');
        }
        push_string(out, text)?;
        out.push(':');
        out.push_str(&id.to_string());
    }
    Ok(())
}

pub(super) fn text_of(value: &Value) -> Result<String> {
    serde_json::to_string(value).map_err(|e| Error::InvalidArgument(format!("writing tokenizer.json: {e}")))
}

/// Appends `text` as a JSON string (quoted and escaped as serde_json escapes it).
pub(super) fn push_string(out: &mut String, text: &str) -> Result<()> {
    let mut buffer = Vec::new();
    serde_json::to_writer(&mut buffer, text)
        .map_err(|e| Error::InvalidArgument(format!("writing tokenizer.json: {e}")))?;
    out.push_str(std::str::from_utf8(&buffer).map_err(|e| Error::InvalidArgument(e.to_string()))?);
    Ok(())
}

pub(super) fn token(trained: &TrainedBpe, id: u32) -> Result<&str> {
    trained.tokens.get(id as usize).map(String::as_str).ok_or_else(|| Error::OutOfRange(format!("token id {id}")))
}
