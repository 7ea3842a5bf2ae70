//! tokembed-core: the algorithms of tokembed, free of any Python binding.
//!
//! How the crate is laid out, one folder a part of the product:
//!
//! ```text
//! tokenizer/    the pipeline that ties the stages together: `Tokenizer`, added tokens, the
//!               normalized text with its alignments, encodings, truncation, padding, chunking
//!               of long texts, and batches (encode and decode many texts on the pool)
//! normalize/    stage 1: normalizers (BERT clean-up, lowercase, NFC/NFKC, replace, ...)
//! pretokenize/  stage 2: pre-tokenizers, with `regex_split/` (hand-written scanners of the
//!               GPT-2 / cl100k / o200k patterns and the general regex engine)
//! models/       stage 3: BPE (merge, backtracking, memo) and WordPiece, over a shared vocab
//! postprocess/  stage 4: special tokens and type ids (BERT, template, byte-level offsets)
//! decode/       the way back from ids to text
//! formats/      tokenizer files: `tokenizer.json`, `.tiktoken`, `vocab.txt`, `merges.txt`,
//!               and naming a file that is none of them
//! embed/        ids to vectors and back: `table/` (views, dtypes, SIMD gather), `ops/`
//!               (gradients, nearest rows, LayerNorm), the fused input embedder, `positional/`
//!               encodings, safetensors weights
//! corpus/       corpus input read for `tokembed encode`: lines, JSON Lines
//! utils/        what every part shares: the fork-safe thread pool and interrupt flag,
//!               fallible allocation, Unicode classes, GPT-2's byte alphabet
//! ```
//!
//! Text flows `normalize` → `pretokenize` → `models` → `postprocess`; `tokenizer` wires them
//! and `embed` turns the ids into the vectors a transformer starts from. Nothing here knows
//! about Python: the bindings crate converts arguments and calls one function of this one.

pub mod corpus;
pub mod decode;
pub mod embed;
pub mod error;
pub mod formats;
pub mod models;
pub mod nontext;
pub mod normalize;
pub mod postprocess;
pub mod pretokenize;
pub mod sentencepiece;
pub mod tokenizer;
pub mod train;
pub mod utils;

pub use error::{Error, Result};
pub use tokenizer::Tokenizer;
