//! Resizing 8-bit images as Pillow's `Image.resize` does for `BILINEAR` and `BICUBIC`, so that
//! an image processor built on the PIL back end (HF's `ViTImageProcessorPil` and its kin) gets
//! the same pixels without PIL.
//!
//! The algorithm is Pillow's separable convolution resampling (its `Resample.c`, described
//! here from its behaviour): for each output column the filter is centred at
//! `(x + 0.5) * scale` in input coordinates and, when shrinking, widened by the scale (that is
//! the antialiasing); the taps are normalised to sum to one, then turned into fixed-point
//! integers with 22 fractional bits. One pass per axis, each rounding to 8 bits (which one runs
//! first is Pillow's choice, see `resize_u8`); each sum starts at one half (rounding) and is
//! clamped to 0..=255. Channels are independent (as
//! Pillow treats `L` and `RGB`; it premultiplies the alpha of `RGBA`, which this does not).

use crate::error::{Error, Result};
use crate::utils::memory::{try_with_capacity, try_zeroed};
use crate::utils::parallel;
use rayon::prelude::*;

/// One input image: its pixels `(height, width, channels)` and that shape.
pub type Image<'a> = (&'a [u8], (usize, usize, usize));

/// Fractional bits of the fixed-point taps: 32 bits minus 8 for the pixel and 2 of headroom.
const PRECISION_BITS: u32 = 32 - 8 - 2;

/// The resampling filters Pillow's `resize` offers that this implements.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ResizeFilter {
    /// Triangle of support 1 (`PIL.Image.BILINEAR`).
    Bilinear,
    /// Keys' cubic with a = -0.5, support 2 (`PIL.Image.BICUBIC`).
    Bicubic,
}

impl ResizeFilter {
    pub fn from_name(name: &str) -> Result<Self> {
        match name {
            "bilinear" => Ok(Self::Bilinear),
            "bicubic" => Ok(Self::Bicubic),
            other => {
                Err(Error::InvalidArgument(format!("resample must be \"bilinear\" or \"bicubic\", got {other:?}")))
            }
        }
    }

    fn support(self) -> f64 {
        match self {
            Self::Bilinear => 1.0,
            Self::Bicubic => 2.0,
        }
    }

    fn weight(self, x: f64) -> f64 {
        let x = x.abs();
        match self {
            Self::Bilinear if x < 1.0 => 1.0 - x,
            Self::Bicubic if x < 1.0 => (1.5 * x - 2.5) * x * x + 1.0,
            Self::Bicubic if x < 2.0 => (((x - 5.0) * x + 8.0) * x - 4.0) * -0.5,
            _ => 0.0,
        }
    }
}

/// Fixed-point taps of one axis: output `i` reads `count[i]` inputs from `start[i]`, with the
/// weights `weights[i * width..][..count[i]]`.
struct Taps {
    start: Vec<usize>,
    count: Vec<usize>,
    weights: Vec<i32>,
    width: usize,
}

impl Taps {
    fn new(in_size: usize, out_size: usize, filter: ResizeFilter) -> Result<Self> {
        let scale = in_size as f64 / out_size as f64;
        let filter_scale = scale.max(1.0);
        let support = filter.support() * filter_scale;
        let width = support.ceil() as usize * 2 + 1;
        let mut taps = Taps {
            start: try_with_capacity(out_size, "resize taps")?,
            count: try_with_capacity(out_size, "resize taps")?,
            weights: try_zeroed(out_size.saturating_mul(width), "resize taps")?,
            width,
        };
        let mut real = vec![0.0f64; width];
        for (i, row) in taps.weights.chunks_mut(width).enumerate() {
            let center = (i as f64 + 0.5) * scale;
            // Pillow rounds the bounds by adding one half and truncating toward zero.
            let first = ((center - support + 0.5) as i64).max(0) as usize;
            let end = ((center + support + 0.5) as i64).clamp(0, in_size as i64) as usize;
            let count = end.saturating_sub(first).min(width);
            let mut total = 0.0;
            for (k, w) in real[..count].iter_mut().enumerate() {
                *w = filter.weight(((first + k) as f64 - center + 0.5) / filter_scale);
                total += *w;
            }
            for (k, w) in real[..count].iter().enumerate() {
                let normalised = if total != 0.0 { w / total } else { *w };
                let fixed = normalised * f64::from(1u32 << PRECISION_BITS);
                // Rounded half away from zero, as Pillow does.
                row[k] = if fixed < 0.0 { (fixed - 0.5) as i32 } else { (fixed + 0.5) as i32 };
            }
            taps.start.push(first);
            taps.count.push(count);
        }
        Ok(taps)
    }

    /// The input range `first..end` any output reads.
    fn span(&self) -> (usize, usize) {
        let n = self.start.len();
        (self.start[0], self.start[n - 1] + self.count[n - 1])
    }
}

#[inline]
fn round_to_u8(sum: i32) -> u8 {
    (sum >> PRECISION_BITS).clamp(0, 255) as u8
}

/// One image `(height, width, channels)` u8, as Pillow resizes it, into `out`
/// `(out_height, out_width, channels)`.
pub fn resize_u8(
    image: &[u8],
    (height, width, channels): (usize, usize, usize),
    (out_height, out_width): (usize, usize),
    filter: ResizeFilter,
    out: &mut [u8],
) -> Result<()> {
    if height == 0 || width == 0 || channels == 0 || out_height == 0 || out_width == 0 {
        return Err(Error::InvalidArgument(format!(
            "resize: sizes must be positive, got {height} x {width} x {channels} to {out_height} x {out_width}"
        )));
    }
    let pixels = height.checked_mul(width).and_then(|n| n.checked_mul(channels));
    let out_pixels = out_height.checked_mul(out_width).and_then(|n| n.checked_mul(channels));
    if pixels != Some(image.len()) || out_pixels != Some(out.len()) {
        return Err(Error::InvalidArgument("resize: image or out of the wrong size".into()));
    }
    let horizontal = Taps::new(width, out_width, filter)?;
    let vertical = Taps::new(height, out_height, filter)?;
    // Pillow (since 11) runs the vertical pass first when the height shrinks by more than
    // twice what the width does; the order changes the 8-bit rounding in between.
    let (shrink_h, shrink_w) = (height as i64 - out_height as i64, width as i64 - out_width as i64);
    let vertical_first = shrink_h > 0 && shrink_h > shrink_w * 2;
    let (needs_horizontal, needs_vertical) = (out_width != width, out_height != height);
    if vertical_first {
        let mut temp = try_zeroed::<u8>(out_height * width * channels, "resize buffer")?;
        vertical_pass(image, &mut temp, &vertical, 0, width * channels);
        if needs_horizontal {
            horizontal_pass(&temp, out, &horizontal, (width, out_width, channels));
        } else {
            out.copy_from_slice(&temp);
        }
        return Ok(());
    }
    // Horizontal first: over only the input rows the vertical pass reads.
    let (first_row, end_row) = if needs_vertical { vertical.span() } else { (0, height) };
    let rows = &image[first_row * width * channels..end_row * width * channels];
    let widened;
    let source: &[u8] = if needs_horizontal {
        let mut temp = try_zeroed::<u8>((end_row - first_row) * out_width * channels, "resize buffer")?;
        horizontal_pass(rows, &mut temp, &horizontal, (width, out_width, channels));
        widened = temp;
        &widened
    } else {
        rows
    };
    if needs_vertical {
        vertical_pass(source, out, &vertical, first_row, out_width * channels);
    } else {
        out.copy_from_slice(source);
    }
    Ok(())
}

/// Each row of `src` (`width` pixels) resampled to `out_width` pixels in `dst`.
fn horizontal_pass(src: &[u8], dst: &mut [u8], taps: &Taps, (width, out_width, channels): (usize, usize, usize)) {
    dst.par_chunks_mut(out_width * channels)
        .zip(src.par_chunks(width * channels))
        .for_each(|(dst, src)| horizontal_row(src, dst, taps, channels));
}

/// Output row `y` of `dst` from the rows of `src` the taps name (`src` starts at input row
/// `first_row`); `row` values per row. Whole rows are accumulated tap by tap (contiguous, so
/// the compiler vectorises it).
fn vertical_pass(src: &[u8], dst: &mut [u8], taps: &Taps, first_row: usize, row: usize) {
    dst.par_chunks_mut(row).enumerate().for_each(|(y, dst)| {
        let (start, count) = (taps.start[y] - first_row, taps.count[y]);
        let weights = &taps.weights[y * taps.width..][..count];
        let mut sums = vec![1i32 << (PRECISION_BITS - 1); row];
        for (k, &w) in weights.iter().enumerate() {
            let line = &src[(start + k) * row..][..row];
            for (sum, &v) in sums.iter_mut().zip(line) {
                *sum = sum.wrapping_add(i32::from(v).wrapping_mul(w));
            }
        }
        for (value, &sum) in dst.iter_mut().zip(&sums) {
            *value = round_to_u8(sum);
        }
    });
}

/// Each of `images` (pixels `(height, width, channels)` and that shape) resized to `size`,
/// into `out` `(len(images), size.0, size.1, channels)`: all must have the same channels.
pub fn resize_batch(images: &[Image<'_>], size: (usize, usize), filter: ResizeFilter, out: &mut [u8]) -> Result<()> {
    let channels = images.first().map_or(1, |(_, (_, _, c))| *c);
    let each = size.0 * size.1 * channels;
    if images.iter().any(|(_, (_, _, c))| *c != channels) || out.len() != images.len() * each {
        return Err(Error::InvalidArgument("resize: the images must have the same channels, out their count".into()));
    }
    parallel::run(|| {
        out.par_chunks_mut(each.max(1)).zip(images).enumerate().try_for_each(|(i, (dst, &(pixels, shape)))| {
            resize_u8(pixels, shape, size, filter, dst).map_err(|e| Error::InvalidArgument(format!("image {i}: {e}")))
        })
    })
}

fn horizontal_row(src: &[u8], dst: &mut [u8], taps: &Taps, channels: usize) {
    // The channel count as a constant for the common images, so the per-pixel loop unrolls.
    match channels {
        1 => horizontal_row_of::<1>(src, dst, taps),
        3 => horizontal_row_of::<3>(src, dst, taps),
        4 => horizontal_row_of::<4>(src, dst, taps),
        _ => {
            for (x, pixel) in dst.chunks_mut(channels).enumerate() {
                let (start, count) = (taps.start[x], taps.count[x]);
                let weights = &taps.weights[x * taps.width..][..count];
                for (ch, value) in pixel.iter_mut().enumerate() {
                    let mut sum = 1i32 << (PRECISION_BITS - 1);
                    for (k, &w) in weights.iter().enumerate() {
                        sum = sum.wrapping_add(i32::from(src[(start + k) * channels + ch]).wrapping_mul(w));
                    }
                    *value = round_to_u8(sum);
                }
            }
        }
    }
}

fn horizontal_row_of<const C: usize>(src: &[u8], dst: &mut [u8], taps: &Taps) {
    for (x, pixel) in dst.chunks_exact_mut(C).enumerate() {
        let (start, count) = (taps.start[x], taps.count[x]);
        let weights = &taps.weights[x * taps.width..][..count];
        let inputs = &src[start * C..(start + count) * C];
        let mut sums = [1i32 << (PRECISION_BITS - 1); C];
        for (&w, input) in weights.iter().zip(inputs.chunks_exact(C)) {
            for (sum, &v) in sums.iter_mut().zip(input) {
                *sum = sum.wrapping_add(i32::from(v).wrapping_mul(w));
            }
        }
        for (value, &sum) in pixel.iter_mut().zip(&sums) {
            *value = round_to_u8(sum);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_unchanged_size_is_a_copy_and_a_flat_image_stays_flat() {
        let image: Vec<u8> = (0..24).collect();
        let mut out = vec![0; 24];
        resize_u8(&image, (2, 4, 3), (2, 4), ResizeFilter::Bilinear, &mut out).unwrap();
        assert_eq!(out, image);
        let flat = vec![77u8; 10 * 13];
        for filter in [ResizeFilter::Bilinear, ResizeFilter::Bicubic] {
            let mut out = vec![0; 7 * 5];
            resize_u8(&flat, (10, 13, 1), (7, 5), filter, &mut out).unwrap();
            assert!(out.iter().all(|&v| v == 77), "{filter:?}: {out:?}");
        }
    }

    #[test]
    fn halving_averages_pairs() {
        // Shrinking 4 -> 2 widens the triangle to support 2: output 0 (centred at 1.0) reads
        // pixels 0..3 with weights 3 : 3 : 1, output 1 (centred at 3.0) pixels 1..4 with 1 : 3 : 3.
        let image = [0u8, 100, 200, 250];
        let mut out = [0u8; 2];
        resize_u8(&image, (1, 4, 1), (1, 2), ResizeFilter::Bilinear, &mut out).unwrap();
        // (0 * 3 + 100 * 3 + 200) / 7 and (100 + 200 * 3 + 250 * 3) / 7, rounded.
        assert_eq!(out, [71, 207]);
    }

    #[test]
    fn bad_sizes_are_errors() {
        let mut out = [0u8; 4];
        assert!(resize_u8(&[0; 5], (2, 2, 1), (2, 2), ResizeFilter::Bilinear, &mut out).is_err());
        assert!(resize_u8(&[0; 4], (2, 2, 1), (0, 2), ResizeFilter::Bilinear, &mut out).is_err());
        assert!(ResizeFilter::from_name("lanczos").is_err());
    }
}
