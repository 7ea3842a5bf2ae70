//! The `tokenizer.json` of a trained WordPiece (BERT style): the normalizer and pre-tokenizer
//! the words were counted with, the WordPiece model with the trained vocabulary, BERT's
//! `[CLS] A [SEP] (B [SEP])` template when both tokens are special tokens, the WordPiece decoder.

use super::bpe::TrainedBpe;
use super::bpe_files::{added_tokens, push_string, push_vocab, text_of};
use crate::error::{Error, Result};
use serde_json::{json, Value};

/// `normalizer` and `pre_tokenizer` are their `tokenizer.json` values (null for none).
pub fn tokenizer_json(
    trained: &TrainedBpe,
    normalizer: &Value,
    pre_tokenizer: &Value,
    prefix: &str,
    unk_token: &str,
) -> Result<String> {
    let special = |name: &str| {
        (trained.special_ids.iter()).copied().find(|&id| trained.tokens.get(id as usize).is_some_and(|t| t == name))
    };
    let post_processor = match (special("[CLS]"), special("[SEP]")) {
        (Some(cls), Some(sep)) => json!({
            "type": "TemplateProcessing",
            "single": [{"SpecialToken": {"id": "[CLS]", "type_id": 0}}, {"Sequence": {"id": "A", "type_id": 0}},
                       {"SpecialToken": {"id": "[SEP]", "type_id": 0}}],
            "pair": [{"SpecialToken": {"id": "[CLS]", "type_id": 0}}, {"Sequence": {"id": "A", "type_id": 0}},
                     {"SpecialToken": {"id": "[SEP]", "type_id": 0}}, {"Sequence": {"id": "B", "type_id": 1}},
                     {"SpecialToken": {"id": "[SEP]", "type_id": 1}}],
            "special_tokens": {
                "[CLS]": {"id": "[CLS]", "ids": [cls], "tokens": ["[CLS]"]},
                "[SEP]": {"id": "[SEP]", "ids": [sep], "tokens": ["[SEP]"]},
            },
        }),
        _ => Value::Null,
    };
    if prefix.is_empty() {
        return Err(Error::InvalidArgument("a WordPiece needs a continuing_subword_prefix".into()));
    }
    let mut out = String::with_capacity(trained.tokens.iter().map(|t| t.len() + 12).sum::<usize>() + 4096);
    out.push_str(r#"{"version":"1.0","truncation":null,"padding":null,"added_tokens":"#);
    out.push_str(&text_of(&added_tokens(trained)?)?);
    out.push_str(r#","normalizer":"#);
    out.push_str(&text_of(normalizer)?);
    out.push_str(r#","pre_tokenizer":"#);
    out.push_str(&text_of(pre_tokenizer)?);
    out.push_str(r#","post_processor":"#);
    out.push_str(&text_of(&post_processor)?);
    out.push_str(r#","decoder":"#);
    out.push_str(&text_of(&json!({"type": "WordPiece", "prefix": prefix, "cleanup": true}))?);
    out.push_str(r#","model":{"type":"WordPiece","unk_token":"#);
    push_string(&mut out, unk_token)?;
    out.push_str(r#","continuing_subword_prefix":"#);
    push_string(&mut out, prefix)?;
    out.push_str(r#","max_input_chars_per_word":100,"vocab":{"#);
    push_vocab(&mut out, trained)?;
    out.push_str("}}}");
    Ok(out)
}
