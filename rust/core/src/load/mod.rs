//! Reading tokenizer files: HF `tokenizer.json`, BERT's `vocab.txt`, `.tiktoken` ranks, GPT-2's
//! `vocab.json` + `merges.txt`, safetensors; and naming the kind of a file that is none of them.

pub mod bpe_merges;
pub mod hf_json;
pub mod safetensors;
pub mod sniff;
pub mod tiktoken;
pub mod vocab;

pub use hf_json::TokenizerFile;
