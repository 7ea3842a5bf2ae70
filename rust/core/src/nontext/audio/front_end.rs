//! The front end of Whisper's encoder: log-mel features `(B, n_mels, T)` through conv1
//! (kernel 3, padding 1) and exact GELU, conv2 (kernel 3, stride 2, padding 1) and exact GELU,
//! transposed to `(B, T / 2, d)` and added to the position table: the vectors that enter the
//! first encoder layer. Each convolution is one matrix product (`matrixmultiply`'s sgemm) of
//! the input's kernel-sized windows, gathered as rows, by the weights; inputs on the pool, and
//! an input's frames in blocks across it when there are fewer inputs than threads.

use crate::error::{Error, Result};
use crate::nontext::gelu::gelu;
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
        // Inputs on the pool; with fewer inputs than threads, each also splits its frames into
        // blocks (one product per block), so that one input uses every thread.
        let blocks = parallel::num_threads().div_ceil(batch.max(1)).max(1);
        parallel::run(|| {
            use rayon::prelude::*;
            out.par_chunks_mut(t_out * d).enumerate().try_for_each(|(b, rows)| {
                self.one(&features[b * m * frames..(b + 1) * m * frames], frames, rows, blocks)
            })
        })
    }

    fn one(&self, x: &[f32], frames: usize, out: &mut [f32], blocks: usize) -> Result<()> {
        use rayon::prelude::*;
        let (d, m) = (self.d, self.n_mels);
        let t_out = Self::frames_out(frames);
        // conv1 as three products, one per kernel tap k: hidden[t] += x[:, t + k - 1] · W1[:, :, k]ᵀ,
        // x and the weights read through their strides (sgemm packs them), no windows gathered.
        let mut hidden = try_zeroed::<f32>(frames * d, "conv1 output")?; // (frames, d)
        let rows1 = frames.div_ceil(blocks).max(1);
        hidden.par_chunks_mut(rows1 * d).enumerate().for_each(|(j, block)| {
            let first = j * rows1;
            let tap = |k: usize| Tap { k, first_valid: 1usize.saturating_sub(k), end_valid: frames + 1 - k };
            for (n, tap) in [tap(1), tap(0), tap(2)].into_iter().enumerate() {
                let (t0, t1) = (first.max(tap.first_valid), (first + block.len() / d).min(tap.end_valid));
                if t0 >= t1 {
                    continue;
                }
                let a = Strided { data: x, offset: t0 + tap.k - 1, row: 1, column: frames };
                let w = Strided { data: self.conv1_weight, offset: tap.k, row: KERNEL, column: m * KERNEL };
                accumulate(a, w, (t1 - t0, m, d), &mut block[(t0 - first) * d..(t1 - first) * d], n > 0);
            }
            bias_gelu(block, self.conv1_bias);
        });
        // conv2 (stride 2) the same way over hidden's rows, two apart: out[t] += hidden[2t + k - 1]
        // · W2[:, :, k]ᵀ; then the position table.
        let rows2 = t_out.div_ceil(blocks).max(1);
        out.par_chunks_mut(rows2 * d).enumerate().for_each(|(j, block)| {
            let first = j * rows2;
            let tap =
                |k: usize| Tap { k, first_valid: 1usize.saturating_sub(k), end_valid: (frames + 1 - k).div_ceil(2) };
            for (n, tap) in [tap(1), tap(0), tap(2)].into_iter().enumerate() {
                let (t0, t1) = (first.max(tap.first_valid), (first + block.len() / d).min(tap.end_valid));
                if t0 >= t1 {
                    continue;
                }
                let a = Strided { data: &hidden, offset: (2 * t0 + tap.k - 1) * d, row: 2 * d, column: 1 };
                let w = Strided { data: self.conv2_weight, offset: tap.k, row: KERNEL, column: d * KERNEL };
                accumulate(a, w, (t1 - t0, d, d), &mut block[(t0 - first) * d..(t1 - first) * d], n > 0);
            }
            bias_gelu(block, self.conv2_bias);
            for (row, pos) in block.chunks_mut(d).zip(self.positions[first * d..].chunks(d)) {
                for (v, p) in row.iter_mut().zip(pos) {
                    *v += p;
                }
            }
        });
        Ok(())
    }
}

/// Kernel tap `k` of a padding-1 convolution reads input `stride·t + k - 1`, which exists for
/// output rows `first_valid..end_valid` (the others read the zero padding).
struct Tap {
    k: usize,
    first_valid: usize,
    end_valid: usize,
}

/// A matrix inside `data`: element `(r, c)` at `offset + r * row + c * column`.
struct Strided<'a> {
    data: &'a [f32],
    offset: usize,
    row: usize,
    column: usize,
}

/// `c (rows, d) (+)= a (rows, inner) · w (inner, d)`, each operand read through its strides
/// (for the weights: one tap of the `(out, in, k)` layout); adds to `c` when `add`, else
/// overwrites it.
fn accumulate(a: Strided, w: Strided, (rows, inner, d): (usize, usize, usize), c: &mut [f32], add: bool) {
    let last = |m: &Strided, r: usize, k: usize| m.offset + (r - 1) * m.row + (k - 1) * m.column;
    // The sizes come from checked shapes; this keeps a wrong stride from reading out of bounds.
    assert!(rows > 0 && inner > 0 && d > 0 && c.len() == rows * d);
    assert!(last(&a, rows, inner) < a.data.len() && last(&w, inner, d) < w.data.len());
    // SAFETY: every element sgemm reads is at most the last ones checked above, and c holds
    // rows * d elements written with strides (d, 1).
    unsafe {
        matrixmultiply::sgemm(
            rows,
            inner,
            d,
            1.0,
            a.data.as_ptr().add(a.offset),
            a.row as isize,
            a.column as isize,
            w.data.as_ptr().add(w.offset),
            w.row as isize,
            w.column as isize,
            if add { 1.0 } else { 0.0 },
            c.as_mut_ptr(),
            d as isize,
            1,
        );
    }
}

/// Adds the bias to each row, then exact GELU (`x · Φ(x)`, see `nontext::gelu`).
fn bias_gelu(values: &mut [f32], bias: &[f32]) {
    for row in values.chunks_mut(bias.len()) {
        for (v, b) in row.iter_mut().zip(bias) {
            *v = gelu(*v + b);
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
        // One input split into blocks of frames (as with more threads than inputs) is the same.
        let expected = direct(&f, &x[..m * frames], frames);
        for blocks in 1..=5 {
            let mut one = vec![0.0; t_out * d];
            f.one(&x[..m * frames], frames, &mut one, blocks).unwrap();
            for (got, want) in one.iter().zip(&expected) {
                assert!((*got as f64 - want).abs() < 1e-5, "{blocks} blocks: {got} {want}");
            }
        }
        let short = WhisperFrontEnd { positions: &pos[..3 * d], ..f };
        assert!(short.forward(&x, 2, frames, &mut out).is_err());
    }
}
