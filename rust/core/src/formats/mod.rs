//! Tokenizer files: HF `tokenizer.json` (read and written), `.tiktoken` ranks, BERT's
//! `vocab.txt`, GPT-2's `merges.txt`; and naming the kind of a file that is none of them.
//! Each parser turns a file into the pipeline's components; `tokenizer::build` assembles them.
//! (Embedding weights in safetensors are read by `embed::weights`.)

pub mod bpe_merges;
pub mod hf_json;
pub mod sniff;
pub mod tiktoken;
pub mod wordpiece_vocab;

pub use hf_json::TokenizerFile;
