//! Embeddings: from ids to vectors and back, positions, segments, and the fused input sum.
//!
//! Tables (`gather` and friends) and positional encodings (`positional`) are pure functions
//! over slices; the bindings borrow NumPy buffers and call them without the GIL.

// Module declarations: tables and the fused input embedder below this line.

// Positional encodings below this line.
