#![no_main]
//! Arbitrary text through the real GPT-2 and BERT pipelines (pre-tokenizer scanners, BPE with
//! its long-piece search, WordPiece, normalizers, offsets).

use libfuzzer_sys::fuzz_target;
use std::sync::OnceLock;
use tokembed_core::Tokenizer;
mod common;

fn tokenizers() -> &'static [Tokenizer] {
    static TOKENIZERS: OnceLock<Vec<Tokenizer>> = OnceLock::new();
    TOKENIZERS.get_or_init(|| {
        let root = concat!(env!("CARGO_MANIFEST_DIR"), "/../python/tokembed/tokenizers/assets");
        let gpt2 = std::fs::read_to_string(format!("{root}/gpt2/gpt2.tiktoken")).expect("gpt2 ranks ship in the repo");
        let specials = vec![("<|endoftext|>".to_string(), 50256u32)];
        let mut all = vec![Tokenizer::from_tiktoken(&gpt2, "gpt2", &specials).expect("gpt2 loads")];
        if let Ok(bert) = std::fs::read_to_string(format!("{root}/bert-base-uncased/tokenizer.json")) {
            all.push(Tokenizer::from_json(&bert).expect("bert loads"));
        }
        all
    })
}

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    for tok in tokenizers() {
        common::exercise(tok, &text, false);
    }
});
