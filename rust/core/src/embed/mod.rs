//! Embeddings: from ids to vectors and back, positions, segments, and the fused input sum.
//!
//! `table` holds the borrowed views, dtypes, checked ids and the SIMD gather every feature
//! uses; `ops` the other passes over a table (gradients, nearest rows, LayerNorm);
//! `input_embedder` the fused token + position + segment sum; `positional` the encodings of
//! positions; `weights` reads tables from safetensors. All are pure functions over slices; the
//! bindings borrow NumPy buffers and call them without the GIL.

pub mod input_embedder;
pub mod ops;
pub mod positional;
pub mod table;
pub mod weights;
