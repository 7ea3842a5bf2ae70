//! ALiBi (Press et al.): no position vectors, a per-head linear penalty on attention scores.
//!
//! Slopes follow HF Bloom's `build_alibi_tensor`: for the largest power of two `p <= n_heads`,
//! head `h < p` gets `b^(h+1)` with `b = 2^(-8/p)`; the remaining heads take the odd powers
//! `b'^1, b'^3, ...` of `b' = 2^(-4/p)` (the slopes of `2p` heads that the first `p` skipped).
//! Bloom computes `b` in float32 and raises it with torch's float32 `pow`; we round `b` to f32
//! the same way and raise it in f64, so each slope is the correctly rounded f32 power (torch's
//! `pow` is within one ulp of it).

use crate::utils::memory::try_with_capacity;
use crate::{Error, Result};

fn checked_heads(n_heads: usize) -> Result<()> {
    if n_heads == 0 {
        return Err(Error::InvalidArgument("n_heads must be at least 1, got 0".into()));
    }
    Ok(())
}

/// One slope per head, as float32 (Bloom's dtype).
pub fn alibi_slopes(n_heads: usize) -> Result<Vec<f32>> {
    checked_heads(n_heads)?;
    let p = 1usize << (usize::BITS - 1 - n_heads.leading_zeros());
    // 2^(-(2^-(log2(p) - 3))) = 2^(-8/p), rounded to f32 as torch.tensor(..., dtype=float32) does.
    let base = (-8.0 / p as f64).exp2() as f32 as f64;
    let total = p + (n_heads - p).min(p);
    let mut slopes: Vec<f32> = try_with_capacity(total, &format!("alibi_slopes({n_heads})"))?;
    slopes.extend((1..=p).map(|k| base.powi(k as i32) as f32));
    if p < n_heads {
        let extra_base = (-4.0 / p as f64).exp2() as f32 as f64;
        let remaining = (n_heads - p).min(p);
        slopes.extend((0..remaining).map(|i| extra_base.powi(2 * i as i32 + 1) as f32));
    }
    Ok(slopes)
}

/// The `(n_heads, q_len, k_len)` bias `slope[h] * (j - i - (k_len - q_len))`: zero where query `i`
/// (the last `q_len` of `k_len` positions, as with a key/value cache) meets its own key, and
/// `-slope * distance` for earlier keys. Bloom adds `slope * j` instead; the two differ by a
/// constant per query row, which softmax ignores, so attention probabilities are the same.
pub fn alibi_bias(n_heads: usize, q_len: usize, k_len: usize) -> Result<Vec<f32>> {
    if q_len > k_len {
        return Err(Error::InvalidArgument(format!(
            "q_len ({q_len}) must not exceed k_len ({k_len}): queries are the last q_len of the k_len positions"
        )));
    }
    let slopes = alibi_slopes(n_heads)?;
    let len = n_heads.checked_mul(q_len).and_then(|n| n.checked_mul(k_len)).ok_or_else(|| {
        Error::InvalidArgument(format!("an ALiBi bias of {n_heads} x {q_len} x {k_len} values is too large"))
    })?;
    let offset = (k_len - q_len) as i64;
    let mut bias = try_with_capacity(len, &format!("alibi_bias({n_heads}, {q_len}, {k_len})"))?;
    for &slope in &slopes {
        for i in 0..q_len as i64 {
            bias.extend((0..k_len as i64).map(|j| slope * (j - i - offset) as f32));
        }
    }
    Ok(bias)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn positional_alibi_power_of_two_heads_are_geometric() {
        let s = alibi_slopes(8).unwrap();
        let want: Vec<f32> = (1..=8).map(|k| 0.5f32.powi(k)).collect();
        assert_eq!(s, want);
        assert_eq!(alibi_slopes(1).unwrap(), vec![1.0 / 256.0]);
    }

    #[test]
    fn positional_alibi_other_head_counts_interleave_the_next_power() {
        // 12 heads: the 8-head slopes, then odd powers of 2^(-1/2) (the 16-head slopes 8 skipped).
        let s = alibi_slopes(12).unwrap();
        let s16 = alibi_slopes(16).unwrap();
        assert_eq!(&s[..8], &alibi_slopes(8).unwrap()[..]);
        for (i, &v) in s[8..].iter().enumerate() {
            assert!((v - s16[2 * i]).abs() <= f32::EPSILON * v, "{v} vs {}", s16[2 * i]);
        }
        assert_eq!(alibi_slopes(0), Err(Error::InvalidArgument("n_heads must be at least 1, got 0".into())));
    }

    #[test]
    fn positional_alibi_bias_is_relative_and_zero_on_the_diagonal() {
        let b = alibi_bias(2, 2, 3).unwrap();
        let s = alibi_slopes(2).unwrap();
        // query 0 is position 1 of 3, query 1 is position 2.
        let want: Vec<f32> =
            [s[0], s[1]].iter().flat_map(|&m| [-1.0, 0.0, 1.0, -2.0, -1.0, 0.0].map(|d: f32| m * d)).collect();
        assert_eq!(b, want);
        assert!(alibi_bias(1, 3, 2).is_err());
        assert!(alibi_bias(1, 0, 0).unwrap().is_empty());
    }
}
