//! ViT's patch embeddings: an image `(C, H, W)` cut into `P x P` patches (row-major over the
//! `H / P x W / P` grid, the remainder of a size that is not a multiple of `P` dropped, as the
//! convolution with kernel = stride = P does), each projected by the convolution's weights (one
//! matrix product of the gathered patches, `matrixmultiply`'s sgemm, split by output columns
//! across threads when there are fewer images than threads), the bias added, masked
//! patches replaced by the mask token, the CLS token prepended and the position table added.

use crate::error::{Error, Result};
use crate::utils::memory::try_zeroed;
use crate::utils::parallel;

/// The embedding's weights, borrowed (PyTorch layouts).
pub struct PatchEmbed<'a> {
    /// `(d, channels, patch, patch)`
    pub weight: &'a [f32],
    pub bias: &'a [f32],
    pub cls: &'a [f32],
    /// `(1 + patches, d)`: for this image size (interpolated by the caller if need be).
    pub positions: &'a [f32],
    pub mask_token: Option<&'a [f32]>,
    pub d: usize,
    pub channels: usize,
    pub patch: usize,
}

impl PatchEmbed<'_> {
    /// `pixels` `(batch, channels, height, width)` into `out` `(batch, 1 + patches, d)`;
    /// `mask` `(batch, patches)` when given.
    pub fn forward(
        &self,
        pixels: &[f32],
        batch: usize,
        height: usize,
        width: usize,
        mask: Option<&[bool]>,
        out: &mut [f32],
    ) -> Result<()> {
        let (d, c, p) = (self.d, self.channels, self.patch);
        let bad = |what: String| Err(Error::InvalidArgument(format!("ViT patch embeddings: {what}")));
        if d == 0 || c == 0 || p == 0 || height < p || width < p {
            return bad(format!("the image ({height} x {width}) must hold at least one {p} x {p} patch"));
        }
        let (gh, gw) = (height / p, width / p);
        let patches = gh * gw;
        if self.weight.len() != d * c * p * p || self.bias.len() != d || self.cls.len() != d {
            return bad("weight must be (d, channels, patch, patch), bias and cls (d,)".into());
        }
        if self.positions.len() != (1 + patches) * d {
            return bad(format!("the position table must have {} rows for this image size", 1 + patches));
        }
        if pixels.len() != batch * c * height * width || out.len() != batch * (1 + patches) * d {
            return bad("pixels or out of the wrong size".into());
        }
        if let Some(mask) = mask {
            if mask.len() != batch * patches || self.mask_token.is_none_or(|t| t.len() != d) {
                return bad("a mask needs (batch, patches) values and a mask token of (d,)".into());
            }
        }
        // Images on the pool; with fewer images than threads, each image's product is also
        // split by output columns (each part packs only its share of the weights, which
        // dominate for one image), so that one image uses every thread.
        let parts = parallel::num_threads().div_ceil(batch.max(1)).clamp(1, d);
        parallel::run(|| {
            use rayon::prelude::*;
            out.par_chunks_mut((1 + patches) * d).enumerate().try_for_each(|(b, rows)| -> Result<()> {
                let image = &pixels[b * c * height * width..(b + 1) * c * height * width];
                let gathered = self.gather(image, (height, width), patches)?;
                let (head, projected) = rows.split_at_mut(d);
                if parts == 1 {
                    self.project(&gathered, 0..d, projected, d);
                } else {
                    let width_of_part = d.div_ceil(parts);
                    let results = (0..parts)
                        .into_par_iter()
                        .map(|j| -> Result<(usize, Vec<f32>)> {
                            let columns = j * width_of_part..((j + 1) * width_of_part).min(d);
                            let mut part = try_zeroed::<f32>(patches * columns.len(), "ViT projection")?;
                            let stride = columns.len();
                            self.project(&gathered, columns.clone(), &mut part, stride);
                            Ok((columns.start, part))
                        })
                        .collect::<Result<Vec<_>>>()?;
                    for (first_column, part) in results {
                        let stride = part.len() / patches;
                        for (row, values) in projected.chunks_mut(d).zip(part.chunks(stride)) {
                            row[first_column..first_column + stride].copy_from_slice(values);
                        }
                    }
                }
                head.copy_from_slice(self.cls);
                let image_mask = mask.map(|m| &m[b * patches..(b + 1) * patches]);
                for (n, row) in projected.chunks_mut(d).enumerate() {
                    match (image_mask.is_some_and(|m| m[n]), self.mask_token) {
                        (true, Some(token)) => row.copy_from_slice(token),
                        _ => row.iter_mut().zip(self.bias).for_each(|(v, b)| *v += b),
                    }
                }
                for (v, pos) in rows.iter_mut().zip(self.positions) {
                    *v += pos;
                }
                Ok(())
            })
        })
    }

    /// The image's `patches` patches as rows `(patches, channels * patch * patch)`, each in the
    /// weight's (channel, row, column) order.
    fn gather(&self, image: &[f32], (height, width): (usize, usize), patches: usize) -> Result<Vec<f32>> {
        let (c, p) = (self.channels, self.patch);
        let (gw, inner) = (width / p, c * p * p);
        let mut gathered = try_zeroed::<f32>(patches * inner, "ViT patches")?;
        for (n, row) in gathered.chunks_mut(inner).enumerate() {
            let (y0, x0) = ((n / gw) * p, (n % gw) * p);
            for ch in 0..c {
                for i in 0..p {
                    let src = &image[ch * height * width + (y0 + i) * width + x0..][..p];
                    row[(ch * p + i) * p..][..p].copy_from_slice(src);
                }
            }
        }
        Ok(gathered)
    }

    /// `out (patches, columns) = gathered (patches, inner) · weight[columns]ᵀ`, rows of `out`
    /// `stride` apart (no bias).
    fn project(&self, gathered: &[f32], columns: std::ops::Range<usize>, out: &mut [f32], stride: usize) {
        let inner = self.channels * self.patch * self.patch;
        let rows = gathered.len() / inner;
        let weight = &self.weight[columns.start * inner..columns.end * inner];
        assert!(columns.end <= self.d && stride >= columns.len() && out.len() >= (rows - 1) * stride + columns.len());
        // SAFETY: gathered is (rows, inner), weight's rows of the columns (columns, inner) read
        // transposed through its strides, out holds rows rows of stride values (checked above).
        unsafe {
            matrixmultiply::sgemm(
                rows,
                inner,
                columns.len(),
                1.0,
                gathered.as_ptr(),
                inner as isize,
                1,
                weight.as_ptr(),
                1,
                inner as isize,
                0.0,
                out.as_mut_ptr(),
                stride as isize,
                1,
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn patches_are_projected_in_grid_order() {
        // 1 channel, 4 x 6 image, 2 x 2 patches: a 2 x 3 grid. Weight row 0 sums a patch,
        // row 1 takes its top-left pixel.
        let pixels: Vec<f32> = (0..24).map(|i| i as f32).collect();
        let weight = vec![1.0, 1.0, 1.0, 1.0, 1.0, 0.0, 0.0, 0.0];
        let embed = PatchEmbed {
            weight: &weight,
            bias: &[0.5, 0.0],
            cls: &[9.0, 9.0],
            positions: &[0.0; 14],
            mask_token: Some(&[-1.0, -1.0]),
            d: 2,
            channels: 1,
            patch: 2,
        };
        let mut out = vec![0.0; 14];
        embed.forward(&pixels, 1, 4, 6, None, &mut out).unwrap();
        // Patch (0, 1) holds pixels 2, 3, 8, 9; patch (1, 0) holds 12, 13, 18, 19.
        assert_eq!(&out[..2], &[9.0, 9.0]);
        assert_eq!(&out[4..6], &[22.5, 2.0]);
        assert_eq!(&out[8..10], &[62.5, 12.0]);
        let mask = [false, true, false, false, false, false];
        embed.forward(&pixels, 1, 4, 6, Some(&mask), &mut out).unwrap();
        assert_eq!(&out[4..6], &[-1.0, -1.0]);
        assert!(embed.forward(&pixels, 1, 4, 6, Some(&mask[..5]), &mut out).is_err());
    }
}
