//! What every target does with a tokenizer that loaded: encode and decode, which must return
//! (a value or an error) and never panic.

use tokembed_core::tokenizer::EncodeOptions;
use tokembed_core::Tokenizer;

/// `roundtrip` also writes the tokenizer as JSON and loads it back (too slow for the big real
/// tokenizers of `encode_bytes`, which are round-tripped by the Python tests).
pub fn exercise(tok: &Tokenizer, text: &str, roundtrip: bool) {
    let opts = EncodeOptions {
        add_special_tokens: true,
        truncation: None,
        offsets: true,
        split_special_tokens: false,
        token_texts: true,
        overflowing: true,
    };
    if let Ok(e) = tok.encode(text, Some("a pair"), &opts) {
        let _ = tok.decode(&e.ids, false);
        let _ = tok.decode(&e.ids, true);
        let _ = tok.decode_bytes(&e.ids, false);
    }
    // A padded batch's call: truncated from the right without windows, ids only (the text is
    // read only as far as a head that holds the kept tokens).
    let truncation = tokembed_core::tokenizer::truncation::TruncationParams {
        direction: Default::default(),
        max_length: 1 + text.len() % 64,
        strategy: tokembed_core::tokenizer::truncation::TruncationStrategy::LongestFirst,
        stride: 0,
    };
    let head =
        EncodeOptions { truncation: Some(truncation), offsets: false, token_texts: false, overflowing: false, ..opts };
    let _ = tok.encode(text, None, &head);
    let mut ids = Vec::new();
    let _ = tok.encode_ids_into(text, true, true, &mut ids);
    let _ = tok.decode(&[0, 1, 2, 3, 1000, u32::MAX], false);
    if roundtrip {
        let _ = tok.to_json(false).map(|json| Tokenizer::from_json(&json));
    }
}

/// Splits fuzz input into a file part and a text part at the first NUL byte.
pub fn file_and_text(data: &[u8]) -> (&[u8], String) {
    match data.iter().position(|&b| b == 0) {
        Some(i) => (&data[..i], String::from_utf8_lossy(&data[i + 1..]).into_owned()),
        None => (data, "Hello, world! héllo 日本 [CLS] <|endoftext|>  12345".to_string()),
    }
}
