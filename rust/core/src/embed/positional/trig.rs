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

#[inline(always)]
fn sin_cos_reduced(r: f64) -> (f64, f64) {
    let r2 = r * r;
    // 1/n! for the odd (sin) and even (cos) terms, Horner in r^2.
    let s = 1.0 / 6227020800.0 - r2 / 355687428096000.0;
    let s = 1.0 / 39916800.0 - r2 * s;
    let s = 1.0 / 362880.0 - r2 * s;
    let s = 1.0 / 5040.0 - r2 * s;
    let s = 1.0 / 120.0 - r2 * s;
    let s = 1.0 / 6.0 - r2 * s;
    let s = r - r * r2 * s;
    let c = 1.0 / 87178291200.0 - r2 / 20922789888000.0 + r2 * r2 / 6402373705728000.0;
    let c = 1.0 / 479001600.0 - r2 * c;
    let c = 1.0 / 3628800.0 - r2 * c;
    let c = 1.0 / 40320.0 - r2 * c;
    let c = 1.0 / 720.0 - r2 * c;
    let c = 1.0 / 24.0 - r2 * c;
    let c = 0.5 - r2 * c;
    let c = 1.0 - r2 * c;
    (s, c)
}

/// `(sin(a), cos(a))` rounded to f32.
#[inline]
pub fn sin_cos_f32(a: f32) -> (f32, f32) {
    let x = a as f64;
    if x == 0.0 {
        return (a, 1.0); // keeps the sign of a zero, which the reduction would lose
    }
    if !(x.abs() < FAST_LIMIT) {
        let (s, c) = x.sin_cos();
        return (s as f32, c as f32);
    }
    // Round to nearest without a libm call: adding 1.5 * 2^52 leaves the integer part.
    const SHIFT: f64 = 6_755_399_441_055_744.0;
    let k = (x * FRAC_2_PI + SHIFT) - SHIFT;
    let r = ((x - k * P1) - k * P2) - k * P3;
    let (s, c) = sin_cos_reduced(r);
    let (s, c) = match (k as i64) & 3 {
        0 => (s, c),
        1 => (c, -s),
        2 => (-s, -c),
        _ => (-c, s),
    };
    (s as f32, c as f32)
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
}
