//! The front end of Whisper's encoder: log-mel features `(B, n_mels, T)` through conv1
//! (kernel 3, padding 1) and exact GELU, conv2 (kernel 3, stride 2, padding 1) and exact GELU,
//! transposed to `(B, T / 2, d)` and added to the position table: the vectors that enter the
//! first encoder layer. Each convolution is one matrix product (`matrixmultiply`'s sgemm) of
//! the input's kernel-sized windows, gathered as rows, by the weights; batches on the pool.

use crate::error::{Error, Result};
use crate::utils::memory::try_zeroed;
use crate::utils::parallel;

/// The front end's weights, borrowed (PyTorch layouts).
pub struct WhisperFrontEnd<'a> {
    /// `(d, n_mels, 3)`
    pub conv1_weight: &'a [f32],
    pub conv1_bias: &'a [f32],
    /// `(d, d, 3)`
    pub conv2_weight: &'a [f32],
    pub conv2_bias: &'a [f32],
    /// `(max_positions, d)`
    pub positions: &'a [f32],
    pub d: usize,
    pub n_mels: usize,
}

const KERNEL: usize = 3;

impl WhisperFrontEnd<'_> {
    /// Frames out for `frames` in: conv2's stride 2 with padding 1 and kernel 3.
    pub fn frames_out(frames: usize) -> usize {
        (frames + 2 - KERNEL) / 2 + 1
    }

    fn check(&self, frames: usize) -> Result<()> {
        let (d, m) = (self.d, self.n_mels);
        let bad = |what: &str| Err(Error::InvalidArgument(format!("Whisper front end: {what}")));
        if d == 0 || m == 0 {
            return bad("d and n_mels must be above 0");
        }
        if self.conv1_weight.len() != d * m * KERNEL || self.conv1_bias.len() != d {
            return bad("conv1 weight must be (d, n_mels, 3) and its bias (d,)");
        }
        if self.conv2_weight.len() != d * d * KERNEL || self.conv2_bias.len() != d {
            return bad("conv2 weight must be (d, d, 3) and its bias (d,)");
        }
        if !self.positions.len().is_multiple_of(d) || self.positions.len() / d < Self::frames_out(frames) {
            return bad(&format!(
                "the position table has {} rows for {} frames out",
                self.positions.len() / d,
                Self::frames_out(frames)
            ));
        }
        Ok(())
    }

    /// `features` `(batch, n_mels, frames)` to `out` `(batch, frames_out, d)`.
    pub fn forward(&self, features: &[f32], batch: usize, frames: usize, out: &mut [f32]) -> Result<()> {
        self.check(frames)?;
        let (d, m) = (self.d, self.n_mels);
        let t_out = Self::frames_out(frames);
        if features.len() != batch * m * frames || out.len() != batch * t_out * d {
            return Err(Error::InvalidArgument("Whisper front end: features or out of the wrong size".into()));
        }
        // Each waveform's features on one thread of the pool, written straight into its rows.
        parallel::run(|| {
            use rayon::prelude::*;
            out.par_chunks_mut(t_out * d)
                .enumerate()
                .try_for_each(|(b, rows)| self.one(&features[b * m * frames..(b + 1) * m * frames], frames, rows))
        })
    }

    fn one(&self, x: &[f32], frames: usize, out: &mut [f32]) -> Result<()> {
        let (d, m) = (self.d, self.n_mels);
        let t_out = Self::frames_out(frames);
        // conv1: windows of x (m channels, time along rows) as (frames, m * 3).
        let mut windows = try_zeroed::<f32>(frames * m * KERNEL, "conv1 windows")?;
        for t in 0..frames {
            let row = &mut windows[t * m * KERNEL..(t + 1) * m * KERNEL];
            for i in 0..m {
                for k in 0..KERNEL {
                    let s = t + k;
                    row[i * KERNEL + k] = if s >= 1 && s - 1 < frames { x[i * frames + s - 1] } else { 0.0 };
                }
            }
        }
        let mut hidden = try_zeroed::<f32>(frames * d, "conv1 output")?; // (frames, d)
        product(&windows, frames, m * KERNEL, self.conv1_weight, d, &mut hidden);
        bias_gelu(&mut hidden, self.conv1_bias);
        // conv2: windows of hidden (time rows, d columns), stride 2, as (t_out, d * 3).
        let mut windows2 = try_zeroed::<f32>(t_out * d * KERNEL, "conv2 windows")?;
        for t in 0..t_out {
            let row = &mut windows2[t * d * KERNEL..(t + 1) * d * KERNEL];
            for k in 0..KERNEL {
                let s = 2 * t + k;
                if s >= 1 && s - 1 < frames {
                    let src = &hidden[(s - 1) * d..s * d];
                    for (i, &v) in src.iter().enumerate() {
                        row[i * KERNEL + k] = v;
                    }
                }
            }
        }
        product(&windows2, t_out, d * KERNEL, self.conv2_weight, d, out);
        bias_gelu(out, self.conv2_bias);
        for (row, pos) in out.chunks_mut(d).zip(self.positions.chunks(d)) {
            for (v, p) in row.iter_mut().zip(pos) {
                *v += p;
            }
        }
        Ok(())
    }
}

/// `c (rows, d) = a (rows, inner) · wᵀ`, where `w` is `(d, inner)` row-major (PyTorch's
/// `(out, in, k)` flattened): sgemm reads `w` transposed through its strides.
fn product(a: &[f32], rows: usize, inner: usize, w: &[f32], d: usize, c: &mut [f32]) {
    // SAFETY: the slices hold rows * inner, d * inner and rows * d elements (checked by the
    // callers' sizes), and the strides stay inside them.
    unsafe {
        matrixmultiply::sgemm(
            rows,
            inner,
            d,
            1.0,
            a.as_ptr(),
            inner as isize,
            1,
            w.as_ptr(),
            1,
            inner as isize,
            0.0,
            c.as_mut_ptr(),
            d as isize,
            1,
        );
    }
}

/// Adds the bias to each row, then exact GELU: `x / 2 * (1 + erf(x / √2))`.
fn bias_gelu(values: &mut [f32], bias: &[f32]) {
    for row in values.chunks_mut(bias.len()) {
        for (v, b) in row.iter_mut().zip(bias) {
            let x = (*v + b) as f64;
            *v = (0.5 * x * (1.0 + libm::erf(x / std::f64::consts::SQRT_2))) as f32;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The same front end by its definition, sample by sample, in f64.
    fn direct(f: &WhisperFrontEnd, x: &[f32], frames: usize) -> Vec<f64> {
        let (d, m) = (f.d, f.n_mels);
        let gelu = |v: f64| 0.5 * v * (1.0 + libm::erf(v / std::f64::consts::SQRT_2));
        let mut h = vec![0.0; d * frames];
        for c in 0..d {
            for t in 0..frames {
                let mut s = f.conv1_bias[c] as f64;
                for i in 0..m {
                    for k in 0..3 {
                        if t + k >= 1 && t + k - 1 < frames {
                            s += f.conv1_weight[(c * m + i) * 3 + k] as f64 * x[i * frames + t + k - 1] as f64;
                        }
                    }
                }
                h[c * frames + t] = gelu(s);
            }
        }
        let t_out = WhisperFrontEnd::frames_out(frames);
        let mut out = vec![0.0; t_out * d];
        for c in 0..d {
            for t in 0..t_out {
                let mut s = f.conv2_bias[c] as f64;
                for i in 0..d {
                    for k in 0..3 {
                        let p = 2 * t + k;
                        if p >= 1 && p - 1 < frames {
                            s += f.conv2_weight[(c * d + i) * 3 + k] as f64 * h[i * frames + p - 1];
                        }
                    }
                }
                out[t * d + c] = gelu(s) + f.positions[t * d + c] as f64;
            }
        }
        out
    }

    #[test]
    fn the_products_compute_the_convolutions() {
        let (d, m, frames) = (6, 4, 11);
        let value = |i: usize| ((i * 7919 % 101) as f32 - 50.0) / 60.0;
        let w1: Vec<f32> = (0..d * m * 3).map(value).collect();
        let w2: Vec<f32> = (0..d * d * 3).map(|i| value(i + 13)).collect();
        let b1: Vec<f32> = (0..d).map(|i| value(i + 7)).collect();
        let b2: Vec<f32> = (0..d).map(|i| value(i + 3)).collect();
        let pos: Vec<f32> = (0..8 * d).map(|i| value(i + 5)).collect();
        let f = WhisperFrontEnd {
            conv1_weight: &w1,
            conv1_bias: &b1,
            conv2_weight: &w2,
            conv2_bias: &b2,
            positions: &pos,
            d,
            n_mels: m,
        };
        let x: Vec<f32> = (0..2 * m * frames).map(|i| value(i + 1)).collect();
        let t_out = WhisperFrontEnd::frames_out(frames);
        assert_eq!(t_out, 6);
        let mut out = vec![0.0; 2 * t_out * d];
        f.forward(&x, 2, frames, &mut out).unwrap();
        for b in 0..2 {
            let expected = direct(&f, &x[b * m * frames..(b + 1) * m * frames], frames);
            for (got, want) in out[b * t_out * d..(b + 1) * t_out * d].iter().zip(&expected) {
                assert!((*got as f64 - want).abs() < 1e-5, "{got} {want}");
            }
        }
        let short = WhisperFrontEnd { positions: &pos[..3 * d], ..f };
        assert!(short.forward(&x, 2, frames, &mut out).is_err());
    }
}
