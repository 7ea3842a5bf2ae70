//! sin and cos of a float32 angle, correctly rounded to float32, several times faster than
//! libm's f64 `sin_cos` (which dominated RoPE's cos/sin table).
//!
//! The angle is exact in f64. We reduce it by multiples of pi/2 with a three-part pi/2
//! (Cody-Waite: each of the first two parts has few enough bits that `k * part` is exact for
//! the quadrant counts we allow), then evaluate the Taylor series of sin and cos on
//! [-pi/4, pi/4] to degree 17 and 18, whose truncation error (< 5e-17) is far below the f32
//! rounding step. The f64 result therefore rounds to the same f32 as the exact value except in
//! the rare case where the exact value lies within ~1e-16 (relative) of a rounding boundary.
//! Angles beyond 2^24 fall back to libm.

use std::f64::consts::FRAC_2_PI;

/// pi/2 split: `P1` and `P2` carry 28 significant bits each, `P3` the rest (rounded to f64).
const P1: f64 = 1.570796325802803; // 0x1.921fb54p+0
const P2: f64 = 9.920935808982456e-10; // 0x1.10b4612p-30
const P3: f64 = -1.2177051777973966e-18;

/// Largest |angle| handled by the fast path: quadrant counts stay below 2^24, so `k * P1` and
/// `k * P2` (28 + 24 bits) are exact.
const FAST_LIMIT: f64 = 16_777_216.0;

// Taylor coefficients: (-1)^n / (2n+1)! for sin, (-1)^n / (2n)! for cos.
const S3: f64 = -1.0 / 6.0;
const S5: f64 = 1.0 / 120.0;
const S7: f64 = -1.0 / 5040.0;
const S9: f64 = 1.0 / 362880.0;
const S11: f64 = -1.0 / 39916800.0;
const S13: f64 = 1.0 / 6227020800.0;
const S15: f64 = -1.0 / 1307674368000.0;
const S17: f64 = 1.0 / 355687428096000.0;
const C2: f64 = -0.5;
const C4: f64 = 1.0 / 24.0;
const C6: f64 = -1.0 / 720.0;
const C8: f64 = 1.0 / 40320.0;
const C10: f64 = -1.0 / 3628800.0;
const C12: f64 = 1.0 / 479001600.0;
const C14: f64 = -1.0 / 87178291200.0;
const C16: f64 = 1.0 / 20922789888000.0;
const C18: f64 = -1.0 / 6402373705728000.0;

#[inline(always)]
fn sin_cos_reduced(r: f64) -> (f64, f64) {
    let r2 = r * r;
    let s = S15 + r2 * S17;
    let s = S13 + r2 * s;
    let s = S11 + r2 * s;
    let s = S9 + r2 * s;
    let s = S7 + r2 * s;
    let s = S5 + r2 * s;
    let s = S3 + r2 * s;
    let s = r + r * r2 * s;
    let c = C16 + r2 * C18;
    let c = C14 + r2 * c;
    let c = C12 + r2 * c;
    let c = C10 + r2 * c;
    let c = C8 + r2 * c;
    let c = C6 + r2 * c;
    let c = C4 + r2 * c;
    let c = C2 + r2 * c;
    let c = 1.0 + r2 * c;
    (s, c)
}

/// `(sin(a), cos(a))` rounded to f32.
#[inline(always)]
pub fn sin_cos_f32(a: f32) -> (f32, f32) {
    let x = a as f64;
    if x.is_nan() || x.abs() >= FAST_LIMIT || x == 0.0 {
        // Huge or non-finite angles: libm. Zero: keep its sign, which the reduction would lose.
        let (s, c) = x.sin_cos();
        return (s as f32, c as f32);
    }
    sin_cos_fast(x)
}

/// The fast path for `0 < |x| < FAST_LIMIT`: branch-free, so loops over it vectorize.
#[inline(always)]
fn sin_cos_fast(x: f64) -> (f32, f32) {
    // Round to nearest without a libm call: after adding 1.5 * 2^52 the unit is 1, so the low
    // mantissa bits hold the quadrant count k (mod 4, also for negative k).
    const SHIFT: f64 = 6_755_399_441_055_744.0;
    let shifted = x * FRAC_2_PI + SHIFT;
    let quadrant = shifted.to_bits() & 3;
    let k = shifted - SHIFT;
    let r = ((x - k * P1) - k * P2) - k * P3;
    let (s, c) = sin_cos_reduced(r);
    // Quadrant q: sin = [s, c, -s, -c][q], cos = [c, -s, -c, s][q].
    let odd = quadrant & 1 == 1;
    let (sin, cos) = (if odd { c } else { s }, if odd { s } else { c });
    let sin_sign = (quadrant & 2) << 62;
    let cos_sign = ((quadrant + 1) & 2) << 62;
    (f64::from_bits(sin.to_bits() ^ sin_sign) as f32, f64::from_bits(cos.to_bits() ^ cos_sign) as f32)
}

/// `sin[k], cos[k] = sin/cos(f32(position) * inv_freq[k]) * scale` for one position: the RoPE
/// table row. Written as a plain loop over the fast path so that it vectorizes.
pub fn sin_cos_row(position: f32, inv_freq: &[f32], scale: f32, cos: &mut [f32], sin: &mut [f32]) {
    let n = inv_freq.len().min(cos.len()).min(sin.len());
    let (inv_freq, cos, sin) = (&inv_freq[..n], &mut cos[..n], &mut sin[..n]);
    let all_fast = inv_freq.iter().all(|&f| {
        let x = (position * f) as f64;
        x.abs() < FAST_LIMIT && x != 0.0
    });
    if all_fast {
        for k in 0..n {
            let (s, c) = sin_cos_fast((position * inv_freq[k]) as f64);
            cos[k] = c * scale;
            sin[k] = s * scale;
        }
    } else {
        for k in 0..n {
            let (s, c) = sin_cos_f32(position * inv_freq[k]);
            cos[k] = c * scale;
            sin[k] = s * scale;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn positional_trig_split_of_half_pi_is_exact_enough() {
        assert_eq!(P1 + P2, std::f64::consts::FRAC_PI_2);
        let low25 = (1u64 << 25) - 1;
        assert_eq!(P1.to_bits() & low25, 0, "P1 must have at most 28 significant bits");
        assert_eq!(P2.to_bits() & low25, 0, "P2 must have at most 28 significant bits");
    }

    #[test]
    fn positional_trig_matches_libm_rounded_to_f32() {
        // Every f32 in [0, 8) with a stride, and a sweep of large angles up to the fast limit.
        let mut checked = 0usize;
        let mut mismatches = Vec::new();
        let mut check = |a: f32| {
            let (s, c) = (a as f64).sin_cos();
            let (gs, gc) = sin_cos_f32(a);
            if gs.to_bits() != (s as f32).to_bits() || gc.to_bits() != (c as f32).to_bits() {
                mismatches.push(a);
            }
            checked += 1;
        };
        let mut bits = 0u32;
        while f32::from_bits(bits) < 8.0 {
            check(f32::from_bits(bits));
            check(-f32::from_bits(bits));
            bits += 97;
        }
        let mut a = 8.0f32;
        while a < 1.6e7 {
            check(a);
            check(a * 1.000_000_1 + 0.37);
            a *= 1.0001;
        }
        check(f32::MAX);
        check(f32::INFINITY);
        assert!(
            mismatches.is_empty(),
            "{} of {checked}: {:?}",
            mismatches.len(),
            &mismatches[..mismatches.len().min(10)]
        );
        assert!(sin_cos_f32(f32::NAN).0.is_nan());
    }

    #[test]
    fn positional_trig_row_equals_elementwise() {
        let inv: Vec<f32> = (0..32).map(|i| 1.0 / 10000f32.powf(i as f32 / 32.0)).collect();
        for position in [0.0f32, 1.0, 7.0, 4095.0, 3.0e7] {
            let (mut c, mut s) = (vec![0f32; 32], vec![0f32; 32]);
            sin_cos_row(position, &inv, 1.5, &mut c, &mut s);
            for k in 0..32 {
                let (ws, wc) = sin_cos_f32(position * inv[k]);
                assert_eq!((s[k].to_bits(), c[k].to_bits()), ((ws * 1.5).to_bits(), (wc * 1.5).to_bits()));
            }
        }
    }
}
