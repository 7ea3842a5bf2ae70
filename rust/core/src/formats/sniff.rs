//! What a file that is not a `tokenizer.json` looks like, for the error message: people pass
//! a SentencePiece `tokenizer.model`, a `.tiktoken` file, a `vocab.txt` or a compressed file
//! where a `tokenizer.json` is expected, and "not valid JSON" does not tell them what to do.

use serde_json::Value;

/// A sentence naming the kind of file `data` seems to be and how to load it, when it is clearly
/// not a `tokenizer.json`; `None` when it may be one (a JSON object with a `model`, or anything
/// we do not recognise), so that the parser's own error stands.
pub fn describe_non_tokenizer_json(data: &[u8]) -> Option<String> {
    if data.iter().all(u8::is_ascii_whitespace) {
        return Some(if data.is_empty() { "the file is empty" } else { "the file holds only white space" }.into());
    }
    if data.starts_with(&[0x1f, 0x8b]) {
        return Some("the file is gzip-compressed (it starts with the bytes 1f 8b): decompress it first".into());
    }
    for (magic, what) in [
        (&b"PK\x03\x04"[..], "a zip archive"),
        (b"\xfd7zXZ\x00", "xz-compressed"),
        (b"(\xb5/\xfd", "zstd-compressed"),
        (b"BZh", "bzip2-compressed"),
    ] {
        if data.starts_with(magic) {
            return Some(format!("the file is {what}: extract the tokenizer.json from it first"));
        }
    }
    if looks_like_sentencepiece(data) {
        return Some(
            "this looks like a SentencePiece model (a binary protobuf such as tokenizer.model), not a tokenizer.json; \
             load it with Tokenizer.from_sentencepiece"
                .into(),
        );
    }
    let Ok(text) = std::str::from_utf8(data) else {
        let valid = std::str::from_utf8(data).map_err(|e| e.valid_up_to()).unwrap_err();
        return Some(format!(
            "the file is not UTF-8 text (byte {:#04x} at offset {valid}), so not a tokenizer.json",
            data[valid]
        ));
    };
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    if let Ok(value) = serde_json::from_str::<Value>(text) {
        return describe_json(&value);
    }
    if text.trim_start().starts_with('{') {
        return None; // broken JSON: the parser's error says where
    }
    let lines: Vec<&str> = text.lines().map(str::trim_end).filter(|l| !l.is_empty()).take(50).collect();
    if lines.iter().all(|l| is_tiktoken_line(l)) {
        return Some(
            "this looks like a .tiktoken file (a base64 token and its rank on each line), not a tokenizer.json: \
             load it with Tokenizer.from_tiktoken(path, pattern, special_tokens)"
                .into(),
        );
    }
    if lines.first().is_some_and(|l| l.starts_with("#version")) || lines.iter().all(|l| l.split(' ').count() == 2) {
        return Some(
            "this looks like a BPE merges.txt (a pair of tokens on each line), not a tokenizer.json: load it with \
             Tokenizer.from_bpe_files(vocab_json, merges_txt)"
                .into(),
        );
    }
    if lines.first() != Some(&"[") && lines.iter().all(|l| !l.trim().contains(char::is_whitespace)) {
        return Some(
            "this looks like a vocab.txt (one token on each line), not a tokenizer.json: load a WordPiece \
             vocabulary with Tokenizer.from_wordpiece_vocab(path)"
                .into(),
        );
    }
    None
}

/// JSON that parses but is not a tokenizer.json: the files that sit next to one.
fn describe_json(value: &Value) -> Option<String> {
    let Value::Object(map) = value else {
        return Some("the file is JSON, but not an object as a tokenizer.json is".into());
    };
    // (GPT-2's vocab.json has a token "model", but not an object under it.)
    if map.get("model").is_some_and(Value::is_object) {
        return None;
    }
    if !map.is_empty() && map.values().all(Value::is_u64) {
        return Some(
            "this looks like a vocab.json (a map from token to id), not a tokenizer.json: load it with \
             Tokenizer.from_bpe_files(vocab_json, merges_txt)"
                .into(),
        );
    }
    if ["tokenizer_class", "model_max_length", "added_tokens_decoder"].iter().any(|k| map.contains_key(*k)) {
        return Some(
            "this looks like a tokenizer_config.json (settings for transformers), not a tokenizer.json; the \
             tokenizer.json is usually in the same folder"
                .into(),
        );
    }
    None
}

fn is_tiktoken_line(line: &str) -> bool {
    let Some((token, rank)) = line.split_once(' ') else { return false };
    !token.is_empty()
        && token.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'+' || b == b'/' || b == b'=')
        && !rank.is_empty()
        && rank.bytes().all(|b| b.is_ascii_digit())
}

/// A `ModelProto` starts with its `pieces` (field 1), each a `SentencePiece` message whose first
/// field is the piece string (field 1) followed by its score (field 2, a float) or type.
pub fn looks_like_sentencepiece(data: &[u8]) -> bool {
    let mut at = 0;
    let Some(message_len) = length_delimited(data, &mut at, 0x0a) else { return false };
    let message_end = at.saturating_add(message_len);
    let Some(piece_len) = length_delimited(data, &mut at, 0x0a) else { return false };
    let piece_end = at.saturating_add(piece_len);
    piece_end <= message_end
        && data.get(at..piece_end).is_some_and(|p| std::str::from_utf8(p).is_ok())
        && matches!(data.get(piece_end), Some(0x15 | 0x18))
}

/// Reads the tag `tag` and a varint length at `*at`, moving past them.
fn length_delimited(data: &[u8], at: &mut usize, tag: u8) -> Option<usize> {
    if *data.get(*at)? != tag {
        return None;
    }
    *at += 1;
    let mut len = 0usize;
    for shift in (0..35).step_by(7) {
        let b = *data.get(*at)?;
        *at += 1;
        len |= usize::from(b & 0x7f) << shift;
        if b & 0x80 == 0 {
            return Some(len);
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_what_people_pass_instead_of_a_tokenizer_json() {
        let sp = b"\x0a\x0e\x0a\x05<unk>\x15\x00\x00\x00\x00\x18\x02\x0a\x0c";
        let cases: [(&[u8], &str); 9] = [
            (b"", "the file is empty"),
            (b" \n\n", "only white space"),
            (b"\x1f\x8b\x08\x00", "gzip"),
            (sp, "SentencePiece model"),
            (b"IQ== 0\nIg== 1\n= 2\n", ".tiktoken"),
            (b"#version: 0.2\n\xc4\xa0 t\n", "merges.txt"),
            (b"[PAD]\n[unused0]\nthe\n##s\n", "vocab.txt"),
            (br#"{"a": 0, "model": 1}"#, "vocab.json"),
            (br#"{"tokenizer_class": "BertTokenizer"}"#, "tokenizer_config.json"),
        ];
        for (data, expected) in cases {
            let got = describe_non_tokenizer_json(data).unwrap_or_default();
            assert!(got.contains(expected), "{expected}: {got}");
        }
        assert!(describe_non_tokenizer_json(b"\x00\xff\xfe").unwrap().contains("not UTF-8"));
    }

    #[test]
    fn leaves_tokenizer_json_errors_alone() {
        assert_eq!(describe_non_tokenizer_json(br#"{"model": {"type": "Unigram"}}"#), None);
        assert_eq!(describe_non_tokenizer_json(br#"{"version": "1.0", "model": {"#), None);
        assert_eq!(describe_non_tokenizer_json(b"{\n  \"version\": \"1.0\",\n  \"truncation\": null,"), None);
        assert_eq!(describe_non_tokenizer_json(b"{ not json"), None);
        assert_eq!(describe_non_tokenizer_json(b"{\"a b\":\n1 2"), None);
    }
}
