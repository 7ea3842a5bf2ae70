//! T5 relative position buckets: small distances get a bucket each, larger ones share
//! logarithmically wider buckets up to `max_distance`, beyond which all fall in the last bucket.
//! Bidirectional attention splits the buckets between keys before and after the query.
//!
//! HF's `_relative_position_bucket` does the log step on float32 tensors:
//! `max_exact + trunc(ln(float(n) / max_exact) / ln(max_distance / max_exact) * (num_buckets - max_exact))`,
//! where the divisor is a Python double that torch rounds to f32. We do the same f32 operations
//! in the same order, so buckets equal HF's even where the log lands near a bucket edge.

use crate::{Error, Result};

/// Buckets of this half (after the bidirectional split) and its exact-bucket count, checked.
fn geometry(bidirectional: bool, num_buckets: u32, max_distance: u32) -> Result<(i64, i64)> {
    let half = if bidirectional { num_buckets / 2 } else { num_buckets };
    let max_exact = half / 2;
    if max_exact == 0 {
        let least = if bidirectional { 4 } else { 2 };
        return Err(Error::InvalidArgument(format!(
            "num_buckets must be at least {least} (bidirectional={bidirectional}), got {num_buckets}"
        )));
    }
    if max_distance <= max_exact {
        return Err(Error::InvalidArgument(format!(
            "max_distance ({max_distance}) must exceed the {max_exact} exact buckets (num_buckets={num_buckets}, \
             bidirectional={bidirectional})"
        )));
    }
    Ok((half as i64, max_exact as i64))
}

/// The bucket of one relative position (`key position - query position`).
pub fn t5_relative_position_bucket(
    relative: i64,
    bidirectional: bool,
    num_buckets: u32,
    max_distance: u32,
) -> Result<i64> {
    let (half, max_exact) = geometry(bidirectional, num_buckets, max_distance)?;
    let log_span = ((max_distance as f64) / (max_exact as f64)).ln() as f32;
    Ok(bucket(relative, bidirectional, half, max_exact, log_span))
}

/// The buckets of many relative positions, into `out` (same length).
pub fn t5_relative_position_buckets(
    relative: &[i64],
    out: &mut [i64],
    bidirectional: bool,
    num_buckets: u32,
    max_distance: u32,
) -> Result<()> {
    if relative.len() != out.len() {
        return Err(Error::InvalidArgument(format!(
            "out has {} values for {} relative positions",
            out.len(),
            relative.len()
        )));
    }
    let (half, max_exact) = geometry(bidirectional, num_buckets, max_distance)?;
    let log_span = ((max_distance as f64) / (max_exact as f64)).ln() as f32;
    for (o, &r) in out.iter_mut().zip(relative) {
        *o = bucket(r, bidirectional, half, max_exact, log_span);
    }
    Ok(())
}

#[inline]
fn bucket(relative: i64, bidirectional: bool, half: i64, max_exact: i64, log_span: f32) -> i64 {
    let (offset, n) = if bidirectional {
        (if relative > 0 { half } else { 0 }, relative.unsigned_abs())
    } else {
        (0, if relative < 0 { relative.unsigned_abs() } else { 0 })
    };
    if n < max_exact as u64 {
        return offset + n as i64;
    }
    let scaled = ((n as f32) / (max_exact as f32)).ln() / log_span * ((half - max_exact) as f32);
    offset + (max_exact + scaled as i64).min(half - 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn b(r: i64, bi: bool) -> i64 {
        t5_relative_position_bucket(r, bi, 32, 128).unwrap()
    }

    #[test]
    fn positional_t5_exact_buckets_near_zero() {
        for r in 0..8 {
            assert_eq!(b(-r, true), r);
            assert_eq!(b(r, true), if r == 0 { 0 } else { 16 + r });
            assert_eq!(b(-2 * r, false), 2 * r);
        }
        // Unidirectional: keys after the query all map to bucket 0.
        assert_eq!(b(5, false), 0);
    }

    #[test]
    fn positional_t5_log_buckets_and_saturation() {
        // 8 exact buckets of 16; n = 8 * 16^(k/8) starts bucket 8 + k.
        assert_eq!(b(-8, true), 8);
        assert_eq!(b(-16, true), 10);
        assert_eq!(b(-1000, true), 15);
        assert_eq!(b(1000, true), 31);
        assert_eq!(b(i64::MIN, true), 15);
        assert_eq!(b(i64::MIN, false), 31);
        let all: Vec<i64> = (-300..=0).rev().map(|r| b(r, true)).collect();
        assert!(all.windows(2).all(|w| w[0] <= w[1]));
    }

    #[test]
    fn positional_t5_rejects_degenerate_geometry() {
        assert!(t5_relative_position_bucket(1, true, 3, 128).is_err());
        assert!(t5_relative_position_bucket(1, false, 2, 128).is_ok());
        assert!(t5_relative_position_bucket(1, true, 32, 8).is_err());
        let mut out = [0i64; 1];
        assert!(t5_relative_position_buckets(&[1, 2], &mut out, true, 32, 128).is_err());
    }
}
