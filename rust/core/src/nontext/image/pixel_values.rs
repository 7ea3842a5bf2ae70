//! An image processor's `pixel_values`: 8-bit `(H, W, C)` images resized (as Pillow does),
//! rescaled, normalised per channel and laid out `(C, H, W)` in float32, as HF's PIL-backed
//! image processors (`ViTImageProcessorPil`) compute them.

use super::resize::{resize_u8, Image, ResizeFilter};
use crate::error::{Error, Result};
use crate::utils::memory::try_zeroed;
use crate::utils::parallel;

/// What is done to each image after it is read.
pub struct PixelRecipe<'a> {
    pub height: usize,
    pub width: usize,
    pub filter: ResizeFilter,
    /// Multiplies the 8-bit values (`1 / 255` for the usual `[0, 1]` range).
    pub rescale: f64,
    /// Per channel: `(value * rescale - mean) / std`.
    pub mean: &'a [f32],
    pub std: &'a [f32],
}

impl PixelRecipe<'_> {
    /// `images` into `out` `(len(images), channels, height, width)`.
    pub fn apply(&self, images: &[Image<'_>], out: &mut [f32]) -> Result<()> {
        let channels = self.mean.len();
        let plane = self.height * self.width;
        if channels == 0 || self.std.len() != channels || self.std.contains(&0.0) {
            return Err(Error::InvalidArgument(
                "image_mean and image_std must have one value per channel, std nonzero".into(),
            ));
        }
        if out.len() != images.len() * channels * plane {
            return Err(Error::InvalidArgument("pixel values: out of the wrong size".into()));
        }
        for (i, (_, (_, _, c))) in images.iter().enumerate() {
            if *c != channels {
                return Err(Error::InvalidArgument(format!(
                    "image {i} has {c} channels, the recipe {channels} (one mean and std per channel)"
                )));
            }
        }
        parallel::run(|| {
            use rayon::prelude::*;
            out.par_chunks_mut(channels * plane.max(1)).zip(images).enumerate().try_for_each(
                |(i, (dst, &(pixels, shape)))| -> Result<()> {
                    let mut resized = try_zeroed::<u8>(plane * channels, "resized image")?;
                    resize_u8(pixels, shape, (self.height, self.width), self.filter, &mut resized)
                        .map_err(|e| Error::InvalidArgument(format!("image {i}: {e}")))?;
                    for (ch, values) in dst.chunks_mut(plane).enumerate() {
                        let (mean, std) = (self.mean[ch], self.std[ch]);
                        for (v, &u) in values.iter_mut().zip(resized[ch..].iter().step_by(channels)) {
                            // Rescaled in float64 and stored as float32, then normalised in
                            // float32, as the processor's NumPy steps do.
                            *v = ((f64::from(u) * self.rescale) as f32 - mean) / std;
                        }
                    }
                    Ok(())
                },
            )
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn channels_become_planes_rescaled_and_normalised() {
        // A 1 x 2 RGB image kept at its size: values 0, 51, 102 / 153, 204, 255.
        let image = [0u8, 51, 102, 153, 204, 255];
        let recipe = PixelRecipe {
            height: 1,
            width: 2,
            filter: ResizeFilter::Bilinear,
            rescale: 1.0 / 255.0,
            mean: &[0.5, 0.5, 0.0],
            std: &[0.5, 0.5, 1.0],
        };
        let mut out = [0.0f32; 6];
        recipe.apply(&[(&image, (1, 2, 3))], &mut out).unwrap();
        let expected = [-1.0, 0.2, -0.6, 0.6, 0.4, 1.0];
        assert!(out.iter().zip(expected).all(|(a, b)| (a - b).abs() < 1e-6), "{out:?}");
        assert!(recipe.apply(&[(&image[..2], (1, 2, 1))], &mut out[..2]).is_err());
    }
}
