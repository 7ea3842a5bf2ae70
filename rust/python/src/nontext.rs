//! Inputs that are not text: the `_core` functions behind `tokembed.nontext`.
//!
//! Arguments arrive checked by the Python layer (float32, contiguous, one-dimensional).

use crate::arrays::{vec2, vec3};
use crate::errors::guarded;
use numpy::PyReadonlyArray1;
use pyo3::prelude::*;
use tokembed_core::nontext::audio::{self, LogMelOptions};

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
