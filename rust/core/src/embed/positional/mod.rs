//! Positional encodings: where a token sits, as numbers a transformer can use.
//!
//! - `sinusoidal`: the fixed sin/cos table of "Attention is all you need".
//! - `rope_scaling`: inverse frequencies and attention scaling of rotary embeddings, per HF scaling type.
//! - `rope`: the rotary kernel that rotates query/key vectors by their position.
//! - `alibi`: ALiBi head slopes and the linear attention bias built from them.
//! - `t5`: T5's relative position buckets.
//! - `trig`: fast, correctly rounded f32 sin/cos for the RoPE tables.
//!
//! Learned absolute positions are a plain table lookup and use the embedding tables of `embed`.
//!
//! Where a reference library computes in float32 (HF `transformers` on torch), we do the same
//! operations in the same order with one f32 rounding each, so that results match it to the bit
//! (inverse frequencies, T5 buckets) or to the last ulp of torch's own `cos`/`sin`/`pow`.

pub mod alibi;
pub mod rope;
pub mod rope_scaling;
pub mod sinusoidal;
pub mod t5;
pub mod trig;

pub use alibi::{alibi_bias, alibi_slopes};
pub use rope::{Rope, RopeFloat, RopeLayout};
pub use rope_scaling::{Frequencies, RopeScaling, Yarn};
pub use sinusoidal::sinusoidal_table;
pub use t5::{t5_relative_position_bucket, t5_relative_position_buckets};
