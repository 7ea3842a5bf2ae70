//! Rotary position embedding (RoPE): each pair of dimensions of a query/key head is rotated by
//! `position * inv_freq[pair]`.
//!
//! Two layouts pair the dimensions differently: `NeoX` (HF's `rotate_half`) pairs `k` with
//! `k + d/2`, `Interleaved` (Meta's reference Llama, complex numbers) pairs `2k` with `2k + 1`.
//! With `rotary_dim < head_dim` (partial rotary) only the first `rotary_dim` dimensions rotate and
//! the rest pass through.
//!
//! Exactness: like HF we take the angle as the f32 product `f32(position) * inv_freq`, then its
//! correctly rounded cos/sin (see `trig`; torch's own are within an ulp of those), times the
//! attention scaling in f32, and combine `x1*cos - x2*sin`, `x2*cos + x1*sin` with one rounding
//! per operation.
//!
//! Speed: x is `(rows, heads, head_dim)` with one position per row. cos/sin cost far more than a
//! multiply-add, so they are computed once per distinct position and pair into a small table
//! (positions usually repeat across the batch: the table covers the range of positions when that
//! range is no larger than the number of rows, else one entry per row), and every head of the
//! row reuses it. The inner loop is branch-free over contiguous slices, which LLVM vectorizes.
//! Rows are split over the pool; small inputs stay on the calling thread.

use super::rope_scaling::{Frequencies, RopeScaling};
use super::trig::sin_cos_row;
use crate::utils::memory::{try_with_capacity, try_zeroed};
use crate::utils::parallel;
use crate::{Error, Result};
use rayon::prelude::*;
use std::ops::{Add, Mul, Sub};

/// Work (values of x) below which the kernel runs on the calling thread.
const PARALLEL_MIN_VALUES: usize = 1 << 16;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RopeLayout {
    /// Dimension `k` pairs with `k + rotary_dim/2` (GPT-NeoX, HF Llama `rotate_half`).
    NeoX,
    /// Dimension `2k` pairs with `2k + 1` (Meta's Llama reference, GPT-J).
    Interleaved,
}

impl RopeLayout {
    pub fn parse(name: &str) -> Result<RopeLayout> {
        match name {
            "neox" => Ok(RopeLayout::NeoX),
            "interleaved" => Ok(RopeLayout::Interleaved),
            other => {
                Err(Error::InvalidArgument(format!("layout must be \"neox\" or \"interleaved\", got \"{other}\"")))
            }
        }
    }
}

/// Element types the kernel rotates. cos/sin stay f32 values (HF casts them to x's dtype).
pub trait RopeFloat: Copy + Send + Sync + Add<Output = Self> + Sub<Output = Self> + Mul<Output = Self> {
    fn from_f32(v: f32) -> Self;
}

impl RopeFloat for f32 {
    #[inline(always)]
    fn from_f32(v: f32) -> f32 {
        v
    }
}

impl RopeFloat for f64 {
    #[inline(always)]
    fn from_f32(v: f32) -> f64 {
        v as f64
    }
}

/// The largest head size accepted: real models use at most a few hundred; the frequency
/// tables are sized by it, so an absurd value must be refused before anything is allocated.
pub const MAX_HEAD_DIM: usize = 1 << 16;

#[derive(Debug, Clone)]
pub struct Rope {
    head_dim: usize,
    rotary_dim: usize,
    theta: f64,
    layout: RopeLayout,
    scaling: RopeScaling,
}

/// cos and sin of each (slot, pair), and which slot each row reads.
struct Table<T> {
    cos: Vec<T>,
    sin: Vec<T>,
    slots: Slots,
}

enum Slots {
    /// Slot of row `r` is `positions[r] - first`.
    Range { first: i64 },
    /// Slot of row `r` is `r`.
    PerRow,
}

impl Rope {
    pub fn new(
        head_dim: usize,
        rotary_dim: usize,
        theta: f64,
        layout: RopeLayout,
        scaling: RopeScaling,
    ) -> Result<Rope> {
        if head_dim == 0 || head_dim > MAX_HEAD_DIM {
            return Err(Error::InvalidArgument(format!(
                "head_dim must be between 1 and {MAX_HEAD_DIM}, got {head_dim}"
            )));
        }
        if rotary_dim == 0 || rotary_dim > head_dim || !rotary_dim.is_multiple_of(2) {
            let what = if rotary_dim == head_dim {
                "head_dim"
            } else {
                "the rotary dimension (head_dim * partial_rotary_factor)"
            };
            return Err(Error::InvalidArgument(format!(
                "{what} must be even, positive and at most head_dim ({head_dim}), got {rotary_dim}"
            )));
        }
        if matches!(scaling, RopeScaling::Dynamic { .. }) && rotary_dim == 2 {
            return Err(Error::InvalidArgument("dynamic scaling needs a rotary dimension above 2".into()));
        }
        if !(theta.is_finite() && theta > 1.0) {
            return Err(Error::InvalidArgument(format!("theta must be a finite number above 1, got {theta}")));
        }
        Ok(Rope { head_dim, rotary_dim, theta, layout, scaling })
    }

    pub fn head_dim(&self) -> usize {
        self.head_dim
    }

    pub fn rotary_dim(&self) -> usize {
        self.rotary_dim
    }

    pub fn layout(&self) -> RopeLayout {
        self.layout
    }

    pub fn scaling(&self) -> &RopeScaling {
        &self.scaling
    }

    /// Inverse frequencies and attention scaling; `seq_len` only matters for dynamic scaling.
    pub fn frequencies(&self, seq_len: Option<usize>) -> Frequencies {
        self.scaling.frequencies(self.rotary_dim, self.theta, seq_len)
    }

    /// HF's dynamic scaling uses the largest position plus one as the sequence length.
    fn frequencies_for(&self, positions: &[i64], seq_len: Option<usize>) -> Frequencies {
        let seq_len = seq_len.or_else(|| positions.iter().max().map(|&m| m as usize + 1));
        self.frequencies(seq_len)
    }

    /// `(n, rotary_dim)` cos and sin of the given positions, already times the attention scaling,
    /// laid out for this layout: NeoX repeats the `rotary_dim/2` values (HF's `cat(freqs, freqs)`),
    /// Interleaved repeats each value twice.
    pub fn cos_sin(&self, positions: &[i64], seq_len: Option<usize>) -> Result<(Vec<f32>, Vec<f32>)> {
        check_positions(positions)?;
        let freqs = self.frequencies_for(positions, seq_len);
        let half = self.rotary_dim / 2;
        let what = format!("cos_sin of {} positions x {} dims", positions.len(), self.rotary_dim);
        let n = positions.len().checked_mul(self.rotary_dim).ok_or_else(|| Error::OutOfMemory(what.clone()))?;
        let (mut cos, mut sin) = (try_zeroed::<f32>(n / 2, &what)?, try_zeroed::<f32>(n / 2, &what)?);
        fill_cos_sin(positions, &freqs, &mut cos, &mut sin);
        let (wide_cos, wide_sin) = (try_with_capacity::<f32>(n, &what)?, try_with_capacity::<f32>(n, &what)?);
        let expand = |v: Vec<f32>, mut wide: Vec<f32>| -> Vec<f32> {
            match self.layout {
                RopeLayout::NeoX => v.chunks_exact(half).for_each(|r| {
                    wide.extend_from_slice(r);
                    wide.extend_from_slice(r);
                }),
                RopeLayout::Interleaved => wide.extend(v.iter().flat_map(|&c| [c, c])),
            }
            wide
        };
        Ok((expand(cos, wide_cos), expand(sin, wide_sin)))
    }

    fn row_len(&self, len: usize, positions: &[i64], what: &str) -> Result<usize> {
        let rows = positions.len();
        if rows == 0 || !len.is_multiple_of(rows) || !(len / rows).is_multiple_of(self.head_dim) {
            return Err(Error::InvalidArgument(format!(
                "{what} has {len} values, not a multiple of {rows} positions x heads x head_dim ({})",
                self.head_dim
            )));
        }
        Ok(len / rows)
    }

    /// Rotates `x` (`positions.len()` rows of `heads * head_dim` values, any number of heads)
    /// into `out`, which has the same length and must not overlap `x`.
    pub fn apply<T: RopeFloat>(&self, x: &[T], out: &mut [T], positions: &[i64], seq_len: Option<usize>) -> Result<()> {
        if out.len() != x.len() {
            return Err(Error::InvalidArgument(format!("out has {} values, x has {}", out.len(), x.len())));
        }
        if x.is_empty() {
            return check_positions(positions);
        }
        let row = self.row_len(x.len(), positions, "x")?;
        let table = self.table::<T>(positions, seq_len)?;
        let kernel = |first_row: usize, src: &[T], dst: &mut [T]| {
            for (r, (s, d)) in src.chunks_exact(row).zip(dst.chunks_exact_mut(row)).enumerate() {
                let (c, sn) = table.row(first_row + r, positions, self.rotary_dim / 2);
                self.rotate_row(s, d, c, sn);
            }
        };
        let rows_per_task = rows_per_task(positions.len(), row);
        if rows_per_task >= positions.len() {
            kernel(0, x, out);
        } else {
            let chunk = rows_per_task * row;
            parallel::run(|| {
                x.par_chunks(chunk)
                    .zip(out.par_chunks_mut(chunk))
                    .enumerate()
                    .for_each(|(i, (s, d))| kernel(i * rows_per_task, s, d))
            });
        }
        Ok(())
    }

    /// Rotates `x` in place.
    pub fn apply_inplace<T: RopeFloat>(&self, x: &mut [T], positions: &[i64], seq_len: Option<usize>) -> Result<()> {
        if x.is_empty() {
            return check_positions(positions);
        }
        let row = self.row_len(x.len(), positions, "x")?;
        let table = self.table::<T>(positions, seq_len)?;
        let kernel = |first_row: usize, rows: &mut [T]| {
            // One row copied to a scratch buffer in L1 keeps the kernel a pure src -> dst function.
            let mut scratch = Vec::with_capacity(row);
            for (r, d) in rows.chunks_exact_mut(row).enumerate() {
                scratch.clear();
                scratch.extend_from_slice(d);
                let (c, sn) = table.row(first_row + r, positions, self.rotary_dim / 2);
                self.rotate_row(&scratch, d, c, sn);
            }
        };
        let rows_per_task = rows_per_task(positions.len(), row);
        if rows_per_task >= positions.len() {
            kernel(0, x);
        } else {
            let chunk = rows_per_task * row;
            parallel::run(|| x.par_chunks_mut(chunk).enumerate().for_each(|(i, d)| kernel(i * rows_per_task, d)));
        }
        Ok(())
    }

    fn table<T: RopeFloat>(&self, positions: &[i64], seq_len: Option<usize>) -> Result<Table<T>> {
        check_positions(positions)?;
        let freqs = self.frequencies_for(positions, seq_len);
        let half = self.rotary_dim / 2;
        let (first, last) =
            (positions.iter().min().copied().unwrap_or(0), positions.iter().max().copied().unwrap_or(0));
        let span = (last - first) as u64 + 1;
        let (slot_positions, slots): (Vec<i64>, Slots) = if span <= positions.len() as u64 {
            ((first..=last).collect(), Slots::Range { first })
        } else {
            (positions.to_vec(), Slots::PerRow)
        };
        let what = format!("rotary tables of {} positions x {half} frequencies", slot_positions.len());
        let n = slot_positions.len().checked_mul(half).ok_or_else(|| Error::OutOfMemory(what.clone()))?;
        let (mut cos, mut sin) = (try_zeroed::<f32>(n, &what)?, try_zeroed::<f32>(n, &what)?);
        let per_task = 256;
        if n < PARALLEL_MIN_VALUES / 8 || parallel::num_threads() == 1 {
            fill_cos_sin(&slot_positions, &freqs, &mut cos, &mut sin);
        } else {
            parallel::run(|| {
                slot_positions
                    .par_chunks(per_task)
                    .zip(cos.par_chunks_mut(per_task * half).zip(sin.par_chunks_mut(per_task * half)))
                    .for_each(|(p, (c, s))| fill_cos_sin(p, &freqs, c, s))
            });
        }
        let convert = |v: Vec<f32>| v.into_iter().map(T::from_f32).collect();
        Ok(Table { cos: convert(cos), sin: convert(sin), slots })
    }

    #[inline]
    fn rotate_row<T: RopeFloat>(&self, src: &[T], dst: &mut [T], cos: &[T], sin: &[T]) {
        let (hd, rot, half) = (self.head_dim, self.rotary_dim, self.rotary_dim / 2);
        for (s, d) in src.chunks_exact(hd).zip(dst.chunks_exact_mut(hd)) {
            let (s_rot, s_pass) = s.split_at(rot);
            let (d_rot, d_pass) = d.split_at_mut(rot);
            match self.layout {
                RopeLayout::NeoX => {
                    let (x1, x2) = s_rot.split_at(half);
                    let (o1, o2) = d_rot.split_at_mut(half);
                    // Equal lengths, visible to LLVM: no bounds checks, a vectorized loop.
                    let (x2, o2, cos, sin) = (&x2[..half], &mut o2[..half], &cos[..half], &sin[..half]);
                    for k in 0..half {
                        let (a, b, c, sn) = (x1[k], x2[k], cos[k], sin[k]);
                        o1[k] = a * c - b * sn;
                        o2[k] = b * c + a * sn;
                    }
                }
                RopeLayout::Interleaved => {
                    for ((o, x), (&c, &sn)) in
                        d_rot.chunks_exact_mut(2).zip(s_rot.chunks_exact(2)).zip(cos.iter().zip(sin))
                    {
                        let (a, b) = (x[0], x[1]);
                        o[0] = a * c - b * sn;
                        o[1] = a * sn + b * c;
                    }
                }
            }
            d_pass.copy_from_slice(s_pass);
        }
    }
}

impl<T: RopeFloat> Table<T> {
    #[inline]
    fn row(&self, r: usize, positions: &[i64], half: usize) -> (&[T], &[T]) {
        let slot = match self.slots {
            Slots::Range { first } => (positions[r] - first) as usize,
            Slots::PerRow => r,
        };
        (&self.cos[slot * half..(slot + 1) * half], &self.sin[slot * half..(slot + 1) * half])
    }
}

/// Rows per pool task: a few tasks per thread, or everything on the calling thread when the
/// work is small or there is one thread.
fn rows_per_task(rows: usize, row_len: usize) -> usize {
    // Size first: asking for the thread count can cost more than a small rotation.
    if rows * row_len < PARALLEL_MIN_VALUES {
        return rows;
    }
    let threads = parallel::num_threads().max(1);
    if threads == 1 {
        return rows;
    }
    rows.div_ceil(threads * 4).max(1)
}

fn check_positions(positions: &[i64]) -> Result<()> {
    match positions.iter().position(|&p| p < 0) {
        Some(i) => Err(Error::InvalidArgument(format!(
            "positions must be non-negative, got {} at flat index {i}",
            positions[i]
        ))),
        None => Ok(()),
    }
}

/// cos/sin of `f32(position) * inv_freq`, times the attention scaling, for each (position, pair).
fn fill_cos_sin(positions: &[i64], freqs: &Frequencies, cos: &mut [f32], sin: &mut [f32]) {
    let half = freqs.inv_freq.len();
    let scale = freqs.attention_scaling as f32;
    for ((&p, c), s) in positions.iter().zip(cos.chunks_exact_mut(half)).zip(sin.chunks_exact_mut(half)) {
        sin_cos_row(p as f32, &freqs.inv_freq, scale, c, s);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rope(head_dim: usize, rotary_dim: usize, layout: RopeLayout) -> Rope {
        Rope::new(head_dim, rotary_dim, 10000.0, layout, RopeScaling::Default).unwrap()
    }

    fn data(n: usize) -> Vec<f32> {
        (0..n).map(|i| ((i * 7919 % 1000) as f32 / 500.0) - 1.0).collect()
    }

    /// Rotation by the definition: complex multiply of each pair by e^(i * angle), in f64.
    fn reference(x: &[f32], positions: &[i64], heads: usize, hd: usize, rot: usize, layout: RopeLayout) -> Vec<f64> {
        let half = rot / 2;
        let mut out: Vec<f64> = x.iter().map(|&v| v as f64).collect();
        for (r, &p) in positions.iter().enumerate() {
            for h in 0..heads {
                let base = (r * heads + h) * hd;
                for k in 0..half {
                    let angle = p as f64 / 10000f64.powf(2.0 * k as f64 / rot as f64);
                    let (i, j) = match layout {
                        RopeLayout::NeoX => (base + k, base + k + half),
                        RopeLayout::Interleaved => (base + 2 * k, base + 2 * k + 1),
                    };
                    let (a, b) = (x[i] as f64, x[j] as f64);
                    out[i] = a * angle.cos() - b * angle.sin();
                    out[j] = a * angle.sin() + b * angle.cos();
                }
            }
        }
        out
    }

    #[test]
    fn positional_rope_matches_the_rotation_definition() {
        for layout in [RopeLayout::NeoX, RopeLayout::Interleaved] {
            for (hd, rot) in [(8, 8), (10, 4)] {
                let (heads, positions) = (3, vec![0i64, 1, 2, 7, 50, 3]);
                let x = data(positions.len() * heads * hd);
                let mut out = vec![0f32; x.len()];
                rope(hd, rot, layout).apply(&x, &mut out, &positions, None).unwrap();
                let want = reference(&x, &positions, heads, hd, rot, layout);
                for (i, (a, b)) in out.iter().zip(&want).enumerate() {
                    assert!((*a as f64 - b).abs() < 1e-5, "{layout:?} {hd}/{rot} at {i}: {a} vs {b}");
                }
            }
        }
    }

    #[test]
    fn positional_rope_inplace_parallel_and_per_row_tables_agree() {
        let r = rope(64, 64, RopeLayout::NeoX);
        let heads = 4;
        // 600 rows: large enough for the pool; positions repeat (range table) or are sparse (per row).
        for positions in [(0..600).map(|i| i % 300).collect::<Vec<i64>>(), (0..600).map(|i| i * 1000).collect()] {
            let x = data(positions.len() * heads * 64);
            let mut out = vec![0f32; x.len()];
            r.apply(&x, &mut out, &positions, None).unwrap();
            let mut inplace = x.clone();
            r.apply_inplace(&mut inplace, &positions, None).unwrap();
            assert_eq!(out, inplace);
            let mut serial = Vec::new();
            for (row, &p) in positions.iter().enumerate() {
                let xs = &x[row * heads * 64..(row + 1) * heads * 64];
                let mut o = vec![0f32; xs.len()];
                r.apply(xs, &mut o, &[p], None).unwrap();
                serial.extend(o);
            }
            assert_eq!(out, serial);
        }
    }

    #[test]
    fn positional_rope_f64_uses_the_same_f32_cos_sin() {
        let r = rope(8, 8, RopeLayout::Interleaved);
        let x = data(16);
        let x64: Vec<f64> = x.iter().map(|&v| v as f64).collect();
        let (mut o32, mut o64) = (vec![0f32; 16], vec![0f64; 16]);
        r.apply(&x, &mut o32, &[3, 9], None).unwrap();
        r.apply(&x64, &mut o64, &[3, 9], None).unwrap();
        assert!(o32.iter().zip(&o64).all(|(a, b)| (*a as f64 - b).abs() < 1e-6));
    }

    #[test]
    fn positional_rope_cos_sin_layouts() {
        let (c, s) = rope(4, 4, RopeLayout::NeoX).cos_sin(&[0, 1], None).unwrap();
        assert_eq!(&c[..4], &[1.0, 1.0, 1.0, 1.0]);
        assert_eq!(&s[..4], &[0.0, 0.0, 0.0, 0.0]);
        let f = 1.0f32 / 100.0; // 10000^(-2/4)
        assert_eq!(&c[4..], &[1f32.cos(), (f as f64).cos() as f32, 1f32.cos(), (f as f64).cos() as f32]);
        let (c, _) = rope(4, 4, RopeLayout::Interleaved).cos_sin(&[1], None).unwrap();
        assert_eq!(c, vec![1f32.cos(), 1f32.cos(), (f as f64).cos() as f32, (f as f64).cos() as f32]);
    }

    #[test]
    fn positional_rope_errors() {
        let r = rope(8, 8, RopeLayout::NeoX);
        let x = data(16);
        let mut out = vec![0f32; 16];
        assert!(r.apply(&x, &mut out, &[0, -1], None).unwrap_err().to_string().contains("non-negative"));
        assert!(r.apply(&x, &mut out, &[0, 1, 2], None).is_err());
        assert!(r.apply(&x, &mut out[..8], &[0, 1], None).is_err());
        assert!(Rope::new(7, 7, 1e4, RopeLayout::NeoX, RopeScaling::Default)
            .unwrap_err()
            .to_string()
            .contains("head_dim"));
        assert!(Rope::new(8, 3, 1e4, RopeLayout::NeoX, RopeScaling::Default).is_err());
        assert!(Rope::new(8, 8, 0.5, RopeLayout::NeoX, RopeScaling::Default).is_err());
        assert!(RopeLayout::parse("gptj").is_err());
        let mut empty: Vec<f32> = vec![];
        assert!(r.apply_inplace(&mut empty, &[], None).is_ok());
    }
}
