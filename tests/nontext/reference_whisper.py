"""Whisper's log-mel features recomputed in float64 NumPy from the published recipe (the golden
data's README and HF's ``WhisperFeatureExtractor`` documentation), independently of tokembed:
``np.fft.rfft`` for the STFT and the golden ``mel_filters`` table for the filter bank."""

from __future__ import annotations

import numpy as np

N_FFT, HOP, N_SAMPLES = 400, 160, 480_000


def log_mel(waveform: np.ndarray, mel_filters: np.ndarray, n_samples: int = N_SAMPLES) -> np.ndarray:
    x = np.zeros(n_samples, dtype=np.float64)
    x[: min(len(waveform), n_samples)] = waveform[:n_samples]
    padded = np.pad(x, N_FFT // 2, mode="reflect")
    window = 0.5 - 0.5 * np.cos(2 * np.pi * np.arange(N_FFT) / N_FFT)  # periodic Hann
    frames = 1 + (len(padded) - N_FFT) // HOP
    index = np.arange(N_FFT)[None, :] + HOP * np.arange(frames)[:, None]
    power = np.abs(np.fft.rfft(padded[index] * window, axis=1)) ** 2  # (frames, 201)
    mel = mel_filters.T @ power[:-1].T  # (80, frames - 1): the last frame is dropped
    log_spec = np.log10(np.maximum(mel, 1e-10))
    log_spec = np.maximum(log_spec, log_spec.max() - 8.0)
    return ((log_spec + 4.0) / 4.0).astype(np.float32)
