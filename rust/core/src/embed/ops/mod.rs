//! Passes over an embedding table other than the gather: gradients (`backward`, dense and
//! sparse, and the SGD step), the nearest rows to vectors (`nearest`, the way back from vectors
//! to tokens), and LayerNorm (`layernorm`, fused into the input embedder).

pub mod backward;
pub mod layernorm;
pub mod nearest;
