//! LayerNorm of one float32 row, in place: `(x - mean) / sqrt(var + eps) * weight + bias`.
//!
//! Mean and (biased) variance are summed in float64 in two passes, and `(x - mean) * rstd` is
//! formed in float64 too, so the normalized value is correctly rounded to float32 whatever the
//! row's offset. (PyTorch's CPU kernel computes `x * rstd + (-rstd * mean)` in float32, which
//! loses digits when the mean is large next to the spread; on real embeddings the two agree to
//! a couple of float32 ulps, which is as close as PyTorch gets to its own float64 result.)
//! Only the affine step `* weight + bias` is float32, as in every framework.
//! Sums use eight independent lanes: the compiler vectorizes them, and the order (hence the
//! result) is the same on every CPU.

use crate::{Error, Result};

#[derive(Debug, Clone, Copy)]
pub struct LayerNorm<'a> {
    weight: &'a [f32],
    bias: &'a [f32],
    eps: f64,
}

const LANES: usize = 8;

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
        let (mean, var) = mean_and_variance(x);
        let rstd = 1.0 / (var.max(0.0) + self.eps).sqrt();
        for ((v, &w), &b) in x.iter_mut().zip(self.weight).zip(self.bias) {
            let normalized = ((*v as f64 - mean) * rstd) as f32;
            *v = normalized * w + b;
        }
    }
}

#[inline(always)]
fn lane_sum(x: &[f32], f: impl Fn(f32) -> f64) -> f64 {
    let mut acc = [0f64; LANES];
    let chunks = x.chunks_exact(LANES);
    let tail = chunks.remainder();
    for c in chunks {
        for (a, &v) in acc.iter_mut().zip(c) {
            *a += f(v);
        }
    }
    let mut total = acc.iter().sum::<f64>();
    for &v in tail {
        total += f(v);
    }
    total
}

/// Mean and population variance of `x`, in float64.
#[inline(always)]
pub fn mean_and_variance(x: &[f32]) -> (f64, f64) {
    let n = x.len().max(1) as f64;
    let mean = lane_sum(x, |v| v as f64) / n;
    let var = lane_sum(x, |v| {
        let d = v as f64 - mean;
        d * d
    }) / n;
    (mean, var)
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
