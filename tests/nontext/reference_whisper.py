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


def front_end(features: np.ndarray, w1, b1, w2, b2, positions) -> np.ndarray:
    """Whisper's encoder front end by its definition, in float64: conv1 (kernel 3, padding 1),
    exact GELU, conv2 (kernel 3, stride 2, padding 1), exact GELU, (B, T', d) + positions."""
    import math

    erf = np.vectorize(math.erf)

    def gelu(x):
        return 0.5 * x * (1.0 + erf(x / math.sqrt(2.0)))

    def conv(x, w, b, stride):  # x (B, C, T), w (D, C, 3)
        padded = np.pad(x, ((0, 0), (0, 0), (1, 1)))
        frames = (x.shape[2] + 2 - 3) // stride + 1
        windows = np.stack([padded[:, :, k : k + stride * (frames - 1) + 1 : stride] for k in range(3)], axis=-1)
        return np.einsum("bctk,dck->bdt", windows, w) + b[None, :, None]

    x = features.astype(np.float64)
    h = gelu(conv(x, w1.astype(np.float64), b1.astype(np.float64), 1))
    h = gelu(conv(h, w2.astype(np.float64), b2.astype(np.float64), 2))
    h = h.transpose(0, 2, 1)
    return h + positions[: h.shape[1]].astype(np.float64)
