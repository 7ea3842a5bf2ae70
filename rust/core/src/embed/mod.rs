//! Embeddings: from ids to vectors and back, positions, segments, and the fused input sum.
//!
//! Tables (`gather` and friends) and positional encodings (`positional`) are pure functions
//! over slices; the bindings borrow NumPy buffers and call them without the GIL.

// Module declarations: tables and the fused input embedder below this line.
pub mod backward;
pub mod dtype;
pub mod gather;
#[cfg(target_arch = "x86_64")]
pub mod gather_x86;
pub mod ids;
pub mod input_embedder;
pub mod layernorm;
pub mod nearest;
pub mod random;
pub mod row_writer;
pub mod rows_parallel;
pub mod simd;
pub mod table;

// Positional encodings below this line.
pub mod positional;
