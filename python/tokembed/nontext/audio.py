"""Audio to the log-mel features of Whisper's feature extractor, in the Rust core."""

from __future__ import annotations

from typing import Sequence, Union

import numpy as np

from .. import _core
from .._checks import one_or_batch

# WhisperFeatureExtractor's defaults.
SAMPLING_RATE = 16_000
N_FFT = 400
HOP_LENGTH = 160
N_MELS = 80
N_SAMPLES = 30 * SAMPLING_RATE

Waveforms = Union[np.ndarray, Sequence[np.ndarray]]


def log_mel_spectrogram(
    waveforms: Waveforms,
    sampling_rate: int = SAMPLING_RATE,
    *,
    n_mels: int = N_MELS,
    n_fft: int = N_FFT,
    hop_length: int = HOP_LENGTH,
    n_samples: int = N_SAMPLES,
) -> np.ndarray:
    """``(B, n_mels, n_samples // hop_length)`` float32 features of ``waveforms`` as
    ``WhisperFeatureExtractor`` computes them (``(B, 80, 3000)`` with the defaults): each
    waveform padded with zeros or cut to ``n_samples`` (30 s), a centred STFT (periodic Hann
    window of ``n_fft``, hop ``hop_length``, reflect padding; the last frame dropped), the power
    through the Slaney mel filter bank (0 to ``sampling_rate / 2``), ``log10`` floored at 1e-10,
    clamped from below at the waveform's maximum minus 8, then ``(x + 4) / 4``.

    ``waveforms``: one 1-D array, a 2-D array ``(B, T)``, or a list of 1-D arrays of any lengths
    (float32 or float64, mono). ``sampling_rate`` must be the extractor's (16 kHz for Whisper):
    resample first."""
    if int(sampling_rate) != SAMPLING_RATE:
        raise ValueError(
            f"the waveforms must be sampled at {SAMPLING_RATE} Hz (Whisper's rate), got {sampling_rate}; resample them first"
        )
    for name, value in (("n_mels", n_mels), ("n_fft", n_fft), ("hop_length", hop_length), ("n_samples", n_samples)):
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
            raise ValueError(f"{name} must be a positive whole number, got {value!r}")
    return _core.log_mel_spectrogram(
        _as_waveforms(waveforms), int(sampling_rate), int(n_fft), int(hop_length), int(n_mels), int(n_samples)
    )


def mel_filter_bank(
    n_freqs: int = N_FFT // 2 + 1,
    n_mels: int = N_MELS,
    min_hz: float = 0.0,
    max_hz: float = SAMPLING_RATE / 2,
    sampling_rate: int = SAMPLING_RATE,
) -> np.ndarray:
    """``(n_freqs, n_mels)`` float64 triangular filters on the Slaney mel scale, each of unit
    area (Slaney normalisation): the bank ``log_mel_spectrogram`` uses, as HF's
    ``mel_filter_bank(norm="slaney", mel_scale="slaney")`` and librosa make it."""
    if not (0 <= min_hz < max_hz <= sampling_rate / 2):
        raise ValueError(f"need 0 <= min_hz < max_hz <= sampling_rate / 2, got {min_hz}, {max_hz}, {sampling_rate}")
    if n_freqs < 2 or n_mels < 1:
        raise ValueError(f"n_freqs must be at least 2 and n_mels at least 1, got {n_freqs}, {n_mels}")
    return _core.mel_filter_bank(int(n_freqs), int(n_mels), float(min_hz), float(max_hz), float(sampling_rate))


def _as_waveforms(waveforms: Waveforms) -> list:
    waveforms = one_or_batch(waveforms, 1, "waveforms", "(T,) or (B, T)")
    out = []
    for i, wave in enumerate(waveforms):
        array = np.asarray(wave)
        if array.ndim != 1:
            raise ValueError(f"waveforms[{i}] must be one-dimensional (mono samples), got shape {array.shape}")
        if not np.issubdtype(array.dtype, np.floating):
            raise TypeError(f"waveforms[{i}] must hold floats (samples in [-1, 1]), got {array.dtype}")
        array = np.ascontiguousarray(array, dtype=np.float32)
        if not np.isfinite(array).all():
            raise ValueError(f"waveforms[{i}] holds NaN or infinity")
        out.append(array)
    if not out:
        raise ValueError("no waveform given")
    return out
