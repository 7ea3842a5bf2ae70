//! Reading tokenizer files: HF `tokenizer.json` and BERT's `vocab.txt`.

pub mod bpe_merges;
pub mod hf_json;
pub mod safetensors;
pub mod tiktoken;
pub mod vocab;

pub use hf_json::TokenizerFile;
