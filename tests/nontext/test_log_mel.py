"""``tokembed.log_mel_spectrogram`` against the golden features of HF's
``WhisperFeatureExtractor`` (its torch and NumPy paths, ``../shared/data/golden``), against an
independent float64 NumPy recomputation on hypothesis-drawn waveforms, and its filter bank against
the extractor's; the shapes users pass, and clear errors for the rest."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import tokembed
from tokembed.nontext import mel_filter_bank
from conftest import DATA, load_npz

sys.path.insert(0, str(Path(__file__).parent))
from reference_whisper import log_mel  # noqa: E402

GOLDEN = DATA / "golden" / "whisper_frontend.npz"


@pytest.fixture(scope="module")
def golden():
    return load_npz(GOLDEN)


def waveforms(g):
    return [g[f"waveform_{i}"] for i in range(int(g["num_waveforms"]))]


def test_features_equal_the_feature_extractors(golden):
    features = tokembed.log_mel_spectrogram(waveforms(golden))
    assert features.shape == (3, 80, 3000) and features.dtype == np.float32
    # The extractor's torch path computes the STFT in float32; its NumPy path in float64.
    assert np.abs(features - golden["input_features"]).max() < 1e-4
    assert np.abs(features - golden["input_features_numpy"]).max() < 1e-5


def test_the_filter_bank_is_the_extractors(golden):
    bank = mel_filter_bank()
    assert bank.shape == (201, 80) and bank.dtype == np.float64
    np.testing.assert_allclose(bank, golden["mel_filters"], rtol=1e-10, atol=1e-14)


@settings(max_examples=25, deadline=None)
@given(
    length=st.integers(1, 40_000),
    scale=st.sampled_from([1e-6, 0.01, 1.0]),
    seed=st.integers(0, 2**32 - 1),
    tone=st.floats(20, 7900),
)
def test_random_waveforms_match_an_independent_numpy_recomputation(golden, length, scale, seed, tone):
    rng = np.random.default_rng(seed)
    t = np.arange(length) / 16_000
    wave = (scale * (rng.standard_normal(length) * 0.3 + np.sin(2 * np.pi * tone * t))).astype(np.float32)
    n_samples = 48_000  # 3 s keeps the example fast; the recipe is the same
    ours = tokembed.log_mel_spectrogram(wave, n_samples=n_samples)[0]
    expected = log_mel(wave.astype(np.float64), golden["mel_filters"], n_samples=n_samples)
    assert ours.shape == (80, 300)
    assert np.abs(ours - expected).max() < 1e-5


def test_input_shapes_and_lengths(golden):
    a, b, c = waveforms(golden)
    listed = tokembed.log_mel_spectrogram([a, b, c])
    np.testing.assert_array_equal(tokembed.log_mel_spectrogram(a)[0], listed[0])
    np.testing.assert_array_equal(tokembed.log_mel_spectrogram(a.astype(np.float64)), tokembed.log_mel_spectrogram(a))
    stacked = np.stack([a, a[::-1].copy()])
    assert tokembed.log_mel_spectrogram(stacked).shape == (2, 80, 3000)
    # Longer than 30 s: cut, as the extractor does.
    long = np.concatenate([b, np.full(600_000 - len(b), 0.25, dtype=np.float32)])
    cut = long[:480_000]
    np.testing.assert_array_equal(tokembed.log_mel_spectrogram(long), tokembed.log_mel_spectrogram(cut))
    # Non-contiguous input is taken as its values.
    strided = np.repeat(a, 2)[::2]
    np.testing.assert_array_equal(tokembed.log_mel_spectrogram(strided), tokembed.log_mel_spectrogram(a))


@pytest.mark.parametrize(
    "call, error, message",
    [
        (lambda: tokembed.log_mel_spectrogram(np.zeros(10, np.float32), 44_100), ValueError, "16000 Hz"),
        (lambda: tokembed.log_mel_spectrogram(np.zeros((1, 2, 3), np.float32)), ValueError, "shape"),
        (lambda: tokembed.log_mel_spectrogram(np.zeros(10, np.int16)), TypeError, "floats"),
        (lambda: tokembed.log_mel_spectrogram([np.array([0.0, np.nan])]), ValueError, "NaN"),
        (lambda: tokembed.log_mel_spectrogram([]), ValueError, "no waveform"),
        (lambda: tokembed.log_mel_spectrogram("audio.wav"), TypeError, "array"),
        (lambda: tokembed.log_mel_spectrogram(np.zeros(10, np.float32), n_samples=100), ValueError, "n_samples"),
        (lambda: tokembed.log_mel_spectrogram(np.zeros(10, np.float32), hop_length=0), ValueError, "hop_length"),
        (lambda: mel_filter_bank(max_hz=9000), ValueError, "max_hz"),
    ],
)
def test_bad_input_is_refused_with_a_reason(call, error, message):
    with pytest.raises(error, match=message):
        call()
