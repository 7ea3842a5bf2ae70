//! The sinusoidal position table of "Attention is all you need": row `pos`, column `j` holds
//! `sin(pos * w_{j/2})` on even `j` and `cos(pos * w_{j/2})` on odd `j`, `w_i = base^(-2i/dim)`.
//!
//! Computed in f64 as PyTorch's reference recipe does (`w = exp(2i * -ln(base) / dim)`, then
//! `pos * w`), which gives the same bits as that recipe in float64; callers cast to the dtype
//! they want. An odd `dim` has one more sin column than cos columns. Rows are independent, so a
//! large table is filled on the pool.

use crate::utils::memory::try_zeroed;
use crate::utils::parallel;
use crate::{Error, Result};
use rayon::prelude::*;

/// Tables smaller than this many values are filled on the calling thread.
const PARALLEL_MIN_VALUES: usize = 1 << 16;

/// The `(max_len, dim)` table, row-major.
pub fn sinusoidal_table(max_len: usize, dim: usize, base: f64) -> Result<Vec<f64>> {
    if dim == 0 {
        return Err(Error::InvalidArgument("dim must be at least 1, got 0".into()));
    }
    if !(base.is_finite() && base > 0.0) {
        return Err(Error::InvalidArgument(format!("base must be a positive finite number, got {base}")));
    }
    let len = max_len
        .checked_mul(dim)
        .ok_or_else(|| Error::InvalidArgument(format!("a table of {max_len} x {dim} values is too large")))?;
    let mut table = try_zeroed::<f64>(len, &format!("sinusoidal_table({max_len}, {dim})"))?;
    if len == 0 {
        return Ok(table);
    }
    let scale = -base.ln() / dim as f64;
    let w: Vec<f64> = (0..dim.div_ceil(2)).map(|i| ((2 * i) as f64 * scale).exp()).collect();
    let fill = |pos: usize, row: &mut [f64]| {
        let p = pos as f64;
        for (j, v) in row.iter_mut().enumerate() {
            let angle = p * w[j / 2];
            *v = if j % 2 == 0 { angle.sin() } else { angle.cos() };
        }
    };
    if len < PARALLEL_MIN_VALUES || parallel::num_threads() == 1 {
        table.chunks_mut(dim).enumerate().for_each(|(pos, row)| fill(pos, row));
    } else {
        parallel::run(|| table.par_chunks_mut(dim).enumerate().for_each(|(pos, row)| fill(pos, row)));
    }
    Ok(table)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn positional_sinusoidal_matches_the_paper_formula() {
        let (len, dim) = (50, 7);
        let t = sinusoidal_table(len, dim, 10000.0).unwrap();
        for pos in 0..len {
            for j in 0..dim {
                let angle = pos as f64 / 10000f64.powf((2 * (j / 2)) as f64 / dim as f64);
                let want = if j % 2 == 0 { angle.sin() } else { angle.cos() };
                assert!((t[pos * dim + j] - want).abs() < 1e-12, "pos {pos} j {j}");
            }
        }
    }

    #[test]
    fn positional_sinusoidal_row_zero_and_empty() {
        let t = sinusoidal_table(3, 4, 10000.0).unwrap();
        assert_eq!(&t[..4], &[0.0, 1.0, 0.0, 1.0]);
        assert!(sinusoidal_table(0, 4, 10000.0).unwrap().is_empty());
    }

    #[test]
    fn positional_sinusoidal_rejects_bad_arguments() {
        assert!(sinusoidal_table(3, 0, 10000.0).is_err());
        assert!(sinusoidal_table(3, 4, 0.0).is_err());
        assert!(sinusoidal_table(3, 4, f64::NAN).is_err());
        assert!(sinusoidal_table(usize::MAX, 4, 10000.0).is_err());
    }

    #[test]
    fn positional_sinusoidal_parallel_equals_serial() {
        let serial = sinusoidal_table(300, 256, 10000.0).unwrap();
        let rows: Vec<f64> =
            (0..300).flat_map(|p| sinusoidal_table(p + 1, 256, 10000.0).unwrap()[p * 256..].to_vec()).collect();
        assert_eq!(serial, rows);
    }
}
