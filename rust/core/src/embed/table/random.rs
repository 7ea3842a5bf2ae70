//! Reproducible random tables: normal values with a given standard deviation.
//!
//! Element `i` of a table made with seed `s` depends only on `(s, i)`: the pair of elements
//! `(2k, 2k + 1)` comes from the Box–Muller transform of two SplitMix64 outputs at counter `k`.
//! The table is therefore the same for any number of threads. Across platforms it can only
//! differ where the C library's float64 `ln`/`sin`/`cos` round differently in the last bit and
//! that difference survives the rounding to float32.

use crate::embed::table::dtype::FloatSliceMut;
use crate::embed::table::rows_parallel::for_each_row_chunk;

const GOLDEN_GAMMA: u64 = 0x9E37_79B9_7F4A_7C15;

/// SplitMix64's output function (Steele, Lea and Flood 2014): a bijective mix of 64 bits.
fn mix64(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// A uniform number in (0, 1] from 64 random bits (53 of them used).
fn unit_interval(bits: u64) -> f64 {
    ((bits >> 11) + 1) as f64 * (1.0 / (1u64 << 53) as f64)
}

/// The two standard normal values of pair `k` for `seed`.
fn normal_pair(seed: u64, k: u64) -> (f64, f64) {
    let base = mix64(seed).wrapping_add(k.wrapping_mul(2).wrapping_mul(GOLDEN_GAMMA));
    let u1 = unit_interval(mix64(base.wrapping_add(GOLDEN_GAMMA)));
    let u2 = unit_interval(mix64(base.wrapping_add(GOLDEN_GAMMA.wrapping_mul(2))));
    let radius = (-2.0 * u1.ln()).sqrt();
    let angle = std::f64::consts::TAU * u2;
    (radius * angle.cos(), radius * angle.sin())
}

/// Fills `out` (rows of `dim` elements) with normal values of standard deviation `std`.
pub fn fill_normal(out: FloatSliceMut<'_>, dim: usize, seed: u64, std: f64) {
    for_each_row_chunk(out, dim, |first_row, mut chunk| {
        let first = (first_row * dim) as u64;
        let mut values = vec![0f32; chunk.len()];
        for (i, v) in values.iter_mut().enumerate() {
            let element = first + i as u64;
            let (a, b) = normal_pair(seed, element / 2);
            *v = ((if element.is_multiple_of(2) { a } else { b }) * std) as f32;
        }
        chunk.store_f32(&values);
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_seed_same_values_whatever_the_split() {
        let mut whole = vec![0f32; 600];
        fill_normal(FloatSliceMut::F32(&mut whole), 6, 42, 1.0);
        let mut again = vec![0f32; 600];
        fill_normal(FloatSliceMut::F32(&mut again), 6, 42, 1.0);
        assert_eq!(whole, again);
        let mut other = vec![0f32; 600];
        fill_normal(FloatSliceMut::F32(&mut other), 6, 43, 1.0);
        assert_ne!(whole, other);
        // Element i is a function of (seed, i) only: a shorter table is a prefix.
        let mut prefix = vec![0f32; 61];
        fill_normal(FloatSliceMut::F32(&mut prefix), 61, 42, 1.0);
        assert_eq!(&prefix[..], &whole[..61]);
    }

    #[test]
    fn moments_are_those_of_the_normal_distribution() {
        let n = 200_000;
        let mut v = vec![0f32; n];
        fill_normal(FloatSliceMut::F32(&mut v), 100, 7, 2.0);
        let mean = v.iter().map(|&x| x as f64).sum::<f64>() / n as f64;
        let var = v.iter().map(|&x| (x as f64 - mean).powi(2)).sum::<f64>() / n as f64;
        let kurt = v.iter().map(|&x| ((x as f64 - mean) / var.sqrt()).powi(4)).sum::<f64>() / n as f64;
        // Standard errors: mean 2/sqrt(n) ~ 0.0045, variance ~ 4*sqrt(2/n) ~ 0.013, kurtosis ~ 0.011.
        assert!(mean.abs() < 0.03, "mean {mean}");
        assert!((var - 4.0).abs() < 0.08, "variance {var}");
        assert!((kurt - 3.0).abs() < 0.08, "kurtosis {kurt}");
    }
}
