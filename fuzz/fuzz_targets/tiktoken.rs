#![no_main]
//! `.tiktoken` ranks (seeded with the first lines of gpt2's) -> load under each known pattern.

use libfuzzer_sys::fuzz_target;
mod common;

fuzz_target!(|data: &[u8]| {
    let (file, text) = common::file_and_text(data);
    let ranks = String::from_utf8_lossy(file);
    let pattern = ["gpt2", "cl100k_base", "o200k_base", r"\s+(?!\S)|\S+"][data.len() % 4];
    let specials = vec![("<|endoftext|>".to_string(), 50_000u32)];
    if let Ok(tok) = tokembed_core::Tokenizer::from_tiktoken(&ranks, pattern, &specials) {
        common::exercise(&tok, &text, true);
    }
});
