//! The file of a trained byte-level BPE: a `tokenizer.json` that HF `tokenizers`, transformers
//! and tokembed load.

use super::bpe::TrainedBpe;
use crate::error::{Error, Result};
use crate::pretokenize::regex_split::KnownPattern;
use serde_json::{json, Map, Value};

/// A `tokenizer.json` for `trained` with split pattern `pattern` (a regex). GPT-2's pattern is
/// written as HF writes GPT-2 (a ByteLevel pre-tokenizer with its built-in regex), any other as
/// a Split with the regex followed by ByteLevel, as in HF's files of cl100k-style models. No
/// normalizer, no post-processor, the ByteLevel decoder; the special tokens are added tokens.
pub fn tokenizer_json(trained: &TrainedBpe, pattern: &str) -> Result<String> {
    let byte_level = |use_regex: bool| json!({"type": "ByteLevel", "add_prefix_space": false, "trim_offsets": true, "use_regex": use_regex});
    let pre_tokenizer = if KnownPattern::from_regex(pattern) == Some(KnownPattern::Gpt2) {
        byte_level(true)
    } else {
        json!({"type": "Sequence", "pretokenizers": [
            {"type": "Split", "pattern": {"Regex": pattern}, "behavior": "Isolated", "invert": false},
            byte_level(false),
        ]})
    };
    let added: Vec<Value> = (trained.special_ids.iter())
        .map(|&id| {
            let content = token(trained, id)?;
            Ok(json!({"id": id, "content": content, "single_word": false, "lstrip": false, "rstrip": false,
                      "normalized": false, "special": true}))
        })
        .collect::<Result<_>>()?;
    let mut vocab = Map::with_capacity(trained.tokens.len());
    for (id, text) in trained.tokens.iter().enumerate() {
        vocab.insert(text.clone(), Value::from(id));
    }
    let merges: Vec<Value> = (trained.merges.iter())
        .map(|&(left, right)| Ok(json!([token(trained, left)?, token(trained, right)?])))
        .collect::<Result<_>>()?;
    let file = json!({
        "version": "1.0",
        "truncation": null,
        "padding": null,
        "added_tokens": added,
        "normalizer": null,
        "pre_tokenizer": pre_tokenizer,
        "post_processor": null,
        "decoder": byte_level(true),
        "model": {
            "type": "BPE", "dropout": null, "unk_token": null, "continuing_subword_prefix": null,
            "end_of_word_suffix": null, "fuse_unk": false, "byte_fallback": false, "ignore_merges": false,
            "vocab": vocab, "merges": merges,
        },
    });
    serde_json::to_string_pretty(&file).map_err(|e| Error::InvalidArgument(format!("writing tokenizer.json: {e}")))
}

fn token(trained: &TrainedBpe, id: u32) -> Result<&str> {
    trained.tokens.get(id as usize).map(String::as_str).ok_or_else(|| Error::OutOfRange(format!("token id {id}")))
}
