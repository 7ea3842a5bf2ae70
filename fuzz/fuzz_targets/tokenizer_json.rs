#![no_main]
//! `tokenizer.json` text (seeded with real files) -> load -> encode/decode.

use libfuzzer_sys::fuzz_target;
mod common;

fuzz_target!(|data: &[u8]| {
    let (file, text) = common::file_and_text(data);
    if let Ok(json) = std::str::from_utf8(file) {
        if let Ok(tok) = tokembed_core::Tokenizer::from_json(json) {
            common::exercise(&tok, &text, true);
        }
    }
});
