//! tokembed-core: the algorithms of tokembed, free of any Python binding.
//!
//! Text flows through `normalize` → `pretokenize` → `models` → `postprocess`, with
//! `added_vocab` matching user-defined tokens around that pipeline; `tokenizer` ties the
//! stages together and `batch` runs them over many texts on a fork-safe thread pool.
//! `embed` turns ids into the vectors a transformer starts from.

pub mod added_vocab;
pub mod batch;
pub mod byte_level;
pub mod chunking;
pub mod decode;
pub mod embed;
pub mod encoding;
pub mod error;
pub mod jsonl;
pub mod lines;
pub mod load;
pub mod memory;
pub mod models;
pub mod normalize;
pub mod normalized;
pub mod padding;
pub mod parallel;
pub mod postprocess;
pub mod pretokenize;
pub mod regex_split;
pub mod tokenizer;
pub mod truncation;
pub mod unicode;

pub use error::{Error, Result};
pub use tokenizer::Tokenizer;
