//! LayerNorm of one float32 row, in place: `(x - mean) / sqrt(var + eps) * weight + bias`.
//!
//! Float32 throughout, like PyTorch, with a corrected two-pass algorithm so that a row whose
//! mean is large next to its spread loses nothing: a first pass estimates the mean `m`, a
//! second sums the deviations `d = x - m` and their squares, which gives the mean's small
//! correction `c` and the variance; the output is `((x - m) - c) * rstd * weight + bias`. The
//! deviations are small and nearly exact, so the result is within a few float32 ulps of the
//! float64 answer (on BERT embeddings as close as PyTorch's own float32 kernel gets).
//! Sums use 64 independent lanes reduced as a tree: the compiler keeps several vector
//! accumulators busy, and the order (hence every bit of the result) is the same on every CPU.

use crate::{Error, Result};

#[derive(Debug, Clone, Copy)]
pub struct LayerNorm<'a> {
    weight: &'a [f32],
    bias: &'a [f32],
    eps: f64,
}

const LANES: usize = 64;

impl<'a> LayerNorm<'a> {
    pub fn new(weight: &'a [f32], bias: &'a [f32], eps: f64) -> Result<Self> {
        if weight.len() != bias.len() {
            return Err(Error::InvalidArgument(format!(
                "layer_norm weight has {} elements but bias has {}",
                weight.len(),
                bias.len()
            )));
        }
        if !(eps.is_finite() && eps >= 0.0) {
            return Err(Error::InvalidArgument(format!("layer_norm eps must be a finite number >= 0, got {eps}")));
        }
        Ok(LayerNorm { weight, bias, eps })
    }

    pub fn dim(&self) -> usize {
        self.weight.len()
    }

    /// Normalizes `x` (length `dim()`) in place. A row containing NaN or infinity becomes NaN.
    /// Inlined so that it takes the vector width of the kernel calling it (see `simd`).
    #[inline(always)]
    pub fn apply(&self, x: &mut [f32]) {
        let n = x.len().max(1) as f32;
        let estimate = lane_sum(x, |v| v) / n;
        let (deviations, squares) = lane_sum2(x, |v| {
            let d = v - estimate;
            (d, d * d)
        });
        let correction = deviations / n;
        let var = (squares / n - correction * correction).max(0.0);
        let rstd = (1.0 / (var as f64 + self.eps).sqrt()) as f32;
        for ((v, &w), &b) in x.iter_mut().zip(self.weight).zip(self.bias) {
            *v = ((*v - estimate) - correction) * rstd * w + b;
        }
    }
}

/// Adds the lanes pairwise, halving each step: a short dependency chain in a fixed order.
#[inline(always)]
fn reduce(mut acc: [f32; LANES]) -> f32 {
    let mut half = LANES / 2;
    while half > 0 {
        for j in 0..half {
            acc[j] += acc[j + half];
        }
        half /= 2;
    }
    acc[0]
}

#[inline(always)]
fn lane_sum(x: &[f32], f: impl Fn(f32) -> f32) -> f32 {
    let mut acc = [0f32; LANES];
    let chunks = x.chunks_exact(LANES);
    let tail = chunks.remainder();
    for c in chunks {
        for (a, &v) in acc.iter_mut().zip(c) {
            *a += f(v);
        }
    }
    tail.iter().fold(reduce(acc), |total, &v| total + f(v))
}

/// Two sums in one pass.
#[inline(always)]
fn lane_sum2(x: &[f32], f: impl Fn(f32) -> (f32, f32)) -> (f32, f32) {
    let (mut first, mut second) = ([0f32; LANES], [0f32; LANES]);
    let chunks = x.chunks_exact(LANES);
    let tail = chunks.remainder();
    for c in chunks {
        for j in 0..LANES {
            let (a, b) = f(c[j]);
            first[j] += a;
            second[j] += b;
        }
    }
    tail.iter().fold((reduce(first), reduce(second)), |(s, t), &v| {
        let (a, b) = f(v);
        (s + a, t + b)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reference(x: &[f32], w: &[f32], b: &[f32], eps: f64) -> Vec<f64> {
        let n = x.len() as f64;
        let mean = x.iter().map(|&v| v as f64).sum::<f64>() / n;
        let var = x.iter().map(|&v| (v as f64 - mean).powi(2)).sum::<f64>() / n;
        x.iter()
            .zip(w)
            .zip(b)
            .map(|((&v, &w), &b)| (v as f64 - mean) / (var + eps).sqrt() * w as f64 + b as f64)
            .collect()
    }

    #[test]
    fn matches_float64_reference_on_odd_lengths_and_large_offsets() {
        for dim in [1usize, 2, 7, 8, 9, 383, 384, 385] {
            let x: Vec<f32> = (0..dim).map(|i| 1000.0 + ((i * 29 % 17) as f32 - 8.0) * 0.37).collect();
            let w: Vec<f32> = (0..dim).map(|i| 0.5 + (i % 5) as f32 * 0.25).collect();
            let b: Vec<f32> = (0..dim).map(|i| (i % 3) as f32 - 1.0).collect();
            let ln = LayerNorm::new(&w, &b, 1e-5).unwrap();
            let mut y = x.clone();
            ln.apply(&mut y);
            for (got, want) in y.iter().zip(reference(&x, &w, &b, 1e-5)) {
                assert!((*got as f64 - want).abs() <= 1e-5 * (1.0 + want.abs()), "dim {dim}: {got} vs {want}");
            }
        }
    }

    #[test]
    fn nan_propagates_and_bad_parameters_are_refused() {
        let (w, b) = ([1.0f32; 4], [0.0f32; 4]);
        let mut y = [1.0, f32::NAN, 2.0, 3.0];
        LayerNorm::new(&w, &b, 1e-12).unwrap().apply(&mut y);
        assert!(y.iter().all(|v| v.is_nan()));
        assert!(LayerNorm::new(&w, &b[..3], 1e-12).is_err());
        assert!(LayerNorm::new(&w, &b, -1.0).is_err());
        assert!(LayerNorm::new(&w, &b, f64::NAN).is_err());
    }

    #[test]
    fn constant_row_gives_the_bias() {
        let (w, b) = ([2.0f32; 5], [0.5f32, 1.0, 1.5, 2.0, 2.5]);
        let mut y = [3.0f32; 5];
        LayerNorm::new(&w, &b, 1e-12).unwrap().apply(&mut y);
        assert_eq!(y, b);
    }
}
