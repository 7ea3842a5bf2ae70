//! Inputs that are not text: the `_core` functions behind `tokembed.nontext`.
//!
//! Arguments arrive checked by the Python layer (float32, contiguous, one-dimensional).

use crate::arrays::{vec2, vec3};
use crate::errors::guarded;
use numpy::{
    PyReadonlyArray1, PyReadonlyArray2, PyReadonlyArray3, PyReadonlyArray4, PyReadwriteArray3, PyReadwriteArray4,
    PyUntypedArrayMethods,
};
use pyo3::prelude::*;
use tokembed_core::nontext::audio::{self, LogMelOptions, WhisperFrontEnd};
use tokembed_core::nontext::image::{resize_batch, Image, PatchEmbed, PixelRecipe, ResizeFilter};

/// `(len(waveforms), n_mels, n_samples // hop_length)` float32 log-mel features.
#[pyfunction]
pub fn log_mel_spectrogram<'py>(
    py: Python<'py>,
    waveforms: Vec<PyReadonlyArray1<'py, f32>>,
    sampling_rate: usize,
    n_fft: usize,
    hop_length: usize,
    n_mels: usize,
    n_samples: usize,
) -> PyResult<Bound<'py, PyAny>> {
    let options = LogMelOptions { sampling_rate, n_fft, hop_length, n_mels, n_samples };
    let slices = waveforms.iter().map(|w| w.as_slice()).collect::<Result<Vec<_>, _>>()?;
    let features = py.detach(|| guarded(|| audio::log_mel_spectrogram(&slices, &options)))?;
    vec3(py, features, (slices.len(), n_mels, options.frames()))
}

/// `(n_freqs, n_mels)` float64 Slaney mel filter bank over `0..sampling_rate / 2`.
#[pyfunction]
pub fn mel_filter_bank(
    py: Python<'_>,
    n_freqs: usize,
    n_mels: usize,
    min_hz: f64,
    max_hz: f64,
    sampling_rate: f64,
) -> PyResult<Bound<'_, PyAny>> {
    let bank = py.detach(|| audio::mel_filter_bank(n_freqs, n_mels, min_hz, max_hz, sampling_rate));
    vec2(py, bank, n_freqs, n_mels)
}

/// Whisper's encoder front end: `features` `(B, n_mels, T)` into `out` `(B, T_out, d)`, all
/// float32 C-contiguous (checked by the Python layer, which also makes `out`).
#[pyfunction]
#[allow(clippy::too_many_arguments)]
pub fn whisper_front_end(
    py: Python<'_>,
    features: PyReadonlyArray3<'_, f32>,
    conv1_weight: PyReadonlyArray3<'_, f32>,
    conv1_bias: PyReadonlyArray1<'_, f32>,
    conv2_weight: PyReadonlyArray3<'_, f32>,
    conv2_bias: PyReadonlyArray1<'_, f32>,
    positions: PyReadonlyArray2<'_, f32>,
    mut out: PyReadwriteArray3<'_, f32>,
) -> PyResult<()> {
    let [batch, n_mels, frames]: [usize; 3] = features.shape().try_into().expect("three dimensions");
    let d = conv1_weight.shape()[0];
    let front = WhisperFrontEnd {
        conv1_weight: conv1_weight.as_slice()?,
        conv1_bias: conv1_bias.as_slice()?,
        conv2_weight: conv2_weight.as_slice()?,
        conv2_bias: conv2_bias.as_slice()?,
        positions: positions.as_slice()?,
        d,
        n_mels,
    };
    let x = features.as_slice()?;
    let out = out.as_slice_mut()?;
    py.detach(|| guarded(|| front.forward(x, batch, frames, out)))
}

/// ViT patch embeddings: `pixels` `(B, C, H, W)` into `out` `(B, 1 + patches, d)`, all float32
/// C-contiguous (checked by the Python layer, which also interpolates `positions` and makes
/// `out`); `mask` `(B, patches)` bool with `mask_token` `(d,)` when given.
#[pyfunction]
#[allow(clippy::too_many_arguments)]
#[pyo3(signature = (pixels, weight, bias, cls, positions, mask, mask_token, out))]
pub fn vit_patch_embed(
    py: Python<'_>,
    pixels: PyReadonlyArray4<'_, f32>,
    weight: PyReadonlyArray4<'_, f32>,
    bias: PyReadonlyArray1<'_, f32>,
    cls: PyReadonlyArray1<'_, f32>,
    positions: PyReadonlyArray2<'_, f32>,
    mask: Option<PyReadonlyArray2<'_, bool>>,
    mask_token: Option<PyReadonlyArray1<'_, f32>>,
    mut out: PyReadwriteArray3<'_, f32>,
) -> PyResult<()> {
    let [batch, channels, height, width]: [usize; 4] = pixels.shape().try_into().expect("four dimensions");
    let [d, _, patch, _]: [usize; 4] = weight.shape().try_into().expect("four dimensions");
    let embed = PatchEmbed {
        weight: weight.as_slice()?,
        bias: bias.as_slice()?,
        cls: cls.as_slice()?,
        positions: positions.as_slice()?,
        mask_token: mask_token.as_ref().map(|t| t.as_slice()).transpose()?,
        d,
        channels,
        patch,
    };
    let mask = mask.as_ref().map(|m| m.as_slice()).transpose()?;
    let x = pixels.as_slice()?;
    let out = out.as_slice_mut()?;
    py.detach(|| guarded(|| embed.forward(x, batch, height, width, mask, out)))
}

/// The images as `(pixels, (height, width, channels))`, each C-contiguous u8 `(H, W, C)`.
fn image_slices<'a>(images: &'a [PyReadonlyArray3<'_, u8>]) -> PyResult<Vec<Image<'a>>> {
    images
        .iter()
        .map(|image| {
            let [h, w, c]: [usize; 3] = image.shape().try_into().expect("three dimensions");
            Ok((image.as_slice()?, (h, w, c)))
        })
        .collect()
}

/// Each of `images` (u8 `(H, W, C)`) resized as Pillow's `Image.resize` does, into `out`
/// `(len(images), height, width, C)` u8 (made by the Python layer).
#[pyfunction]
pub fn resize_images(
    py: Python<'_>,
    images: Vec<PyReadonlyArray3<'_, u8>>,
    resample: &str,
    mut out: PyReadwriteArray4<'_, u8>,
) -> PyResult<()> {
    let filter = guarded(|| ResizeFilter::from_name(resample))?;
    let [_, height, width, _]: [usize; 4] = out.shape().try_into().expect("four dimensions");
    let images = image_slices(&images)?;
    let out = out.as_slice_mut()?;
    py.detach(|| guarded(|| resize_batch(&images, (height, width), filter, out)))
}

/// The image processor's pixel values: `images` (u8 `(H, W, C)`) resized to the size of `out`
/// `(len(images), C, height, width)` float32, times `rescale`, normalised by `mean` and `std`.
#[pyfunction]
#[allow(clippy::too_many_arguments)]
pub fn image_pixel_values(
    py: Python<'_>,
    images: Vec<PyReadonlyArray3<'_, u8>>,
    resample: &str,
    rescale: f64,
    mean: Vec<f32>,
    std: Vec<f32>,
    mut out: PyReadwriteArray4<'_, f32>,
) -> PyResult<()> {
    let filter = guarded(|| ResizeFilter::from_name(resample))?;
    let [_, _, height, width]: [usize; 4] = out.shape().try_into().expect("four dimensions");
    let recipe = PixelRecipe { height, width, filter, rescale, mean: &mean, std: &std };
    let images = image_slices(&images)?;
    let out = out.as_slice_mut()?;
    py.detach(|| guarded(|| recipe.apply(&images, out)))
}
