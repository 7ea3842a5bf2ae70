#![no_main]
//! `vocab.txt` (seeded with BERT's first lines) -> load (lowercase or not) -> encode/decode.

use libfuzzer_sys::fuzz_target;
mod common;

fuzz_target!(|data: &[u8]| {
    let (file, text) = common::file_and_text(data);
    let vocab = String::from_utf8_lossy(file);
    if let Ok(tok) = tokembed_core::Tokenizer::from_wordpiece_vocab(&vocab, data.len() % 2 == 0) {
        common::exercise(&tok, &text, true);
    }
});
