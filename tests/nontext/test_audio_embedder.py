"""``tokembed.AudioEmbedder`` against the golden output of HF's ``WhisperEncoder`` front end
(``../shared/data/golden/whisper_frontend.*``), from the stored features and end to end from the
waveforms, and against an independent float64 NumPy recomputation with other weights and sizes;
checkpoint names, ``out=``, and clear errors."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

import tokembed
from conftest import DATA, load_npz

sys.path.insert(0, str(Path(__file__).parent))
from reference_whisper import front_end  # noqa: E402

WEIGHTS = DATA / "golden" / "whisper_frontend.safetensors"
GOLDEN = DATA / "golden" / "whisper_frontend.npz"


@pytest.fixture(scope="module")
def golden():
    return load_npz(GOLDEN)


@pytest.fixture(scope="module")
def embedder():
    return tokembed.AudioEmbedder.from_whisper(WEIGHTS)


def test_output_equals_the_encoders_front_end(golden, embedder):
    assert (embedder.d, embedder.n_mels, embedder.max_positions) == (64, 80, 1500)
    hidden = embedder(golden["input_features"])
    assert hidden.shape == (3, 1500, 64) and hidden.dtype == np.float32
    assert np.abs(hidden - golden["hidden_states"]).max() < 1e-4


def test_waveforms_to_vectors_end_to_end(golden, embedder):
    waves = [golden[f"waveform_{i}"] for i in range(3)]
    hidden = embedder(tokembed.log_mel_spectrogram(waves))
    assert np.abs(hidden - golden["hidden_states"]).max() < 1e-4


def test_other_weights_and_sizes_match_an_independent_recomputation():
    rng = np.random.default_rng(7)
    d, mels, frames = 24, 16, 37
    w1 = rng.normal(0, 1 / np.sqrt(mels * 3), (d, mels, 3)).astype(np.float32)
    w2 = rng.normal(0, 1 / np.sqrt(d * 3), (d, d, 3)).astype(np.float32)
    b1, b2 = rng.normal(0, 0.5, d).astype(np.float32), rng.normal(0, 0.5, d).astype(np.float32)
    positions = rng.normal(0, 1, (40, d)).astype(np.float32)
    embedder = tokembed.AudioEmbedder(w1, b1, w2, b2, positions)
    for frames in (1, 2, 36, 37):
        x = rng.normal(0, 1, (3, mels, frames)).astype(np.float32)
        ours = embedder(x)
        expected = front_end(x, w1, b1, w2, b2, positions)
        assert ours.shape == expected.shape == (3, (frames - 1) // 2 + 1, d)
        assert np.abs(ours - expected).max() < 1e-5


def test_checkpoint_names_with_or_without_the_model_prefix(tmp_path, golden, embedder):
    from safetensors.numpy import load_file, save_file

    tensors = load_file(str(WEIGHTS))
    bare = {k.removeprefix("model.encoder."): v for k, v in tensors.items()}
    save_file(bare, str(tmp_path / "encoder.safetensors"))
    again = tokembed.AudioEmbedder.from_whisper(tmp_path / "encoder.safetensors")
    np.testing.assert_array_equal(again(golden["input_features"]), embedder(golden["input_features"]))
    save_file({"other.weight": tensors["model.encoder.conv1.bias"]}, str(tmp_path / "other.safetensors"))
    with pytest.raises(ValueError, match="no Whisper encoder front end"):
        tokembed.AudioEmbedder.from_whisper(tmp_path / "other.safetensors")


def test_out_is_written_in_place_and_checked(golden, embedder):
    x = golden["input_features"][:1]
    out = np.empty((1, 1500, 64), np.float32)
    assert embedder(x, out=out) is out
    np.testing.assert_array_equal(out, embedder(x))
    with pytest.raises(ValueError, match="shape"):
        embedder(x, out=np.empty((1, 1500, 63), np.float32))
    with pytest.raises(TypeError, match="dtype"):
        embedder(x, out=np.empty((1, 1500, 64), np.float64))


@pytest.mark.parametrize(
    "features, error, message",
    [
        (np.zeros((1, 79, 3000), np.float32), ValueError, "80"),
        (np.zeros((80, 3000), np.float32), ValueError, "shape"),
        (np.zeros((1, 80, 3002), np.float32), ValueError, "1500"),
        (np.full((1, 80, 10), np.nan, np.float32), ValueError, "NaN"),
        (np.zeros((1, 80, 10), np.int32), TypeError, "floats"),
    ],
)
def test_bad_features_are_refused_with_a_reason(embedder, features, error, message):
    with pytest.raises(error, match=message):
        embedder(features)


def test_bad_weights_are_refused():
    w1 = np.zeros((8, 4, 3), np.float32)
    with pytest.raises(ValueError, match="conv2_weight"):
        tokembed.AudioEmbedder(w1, np.zeros(8), np.zeros((8, 8, 2)), np.zeros(8), np.zeros((5, 8)))
    with pytest.raises(ValueError, match="positions"):
        tokembed.AudioEmbedder(w1, np.zeros(8), np.zeros((8, 8, 3)), np.zeros(8), np.zeros((5, 7)))


@pytest.mark.parametrize("threads", [2, 3])
def test_one_input_spread_over_threads_is_the_same(golden, embedder, threads, restore_threads):
    # With fewer inputs than threads, an input's frames are split into blocks, one per thread.
    tokembed.set_num_threads(threads)
    whole = embedder(golden["input_features"])
    for i in range(3):
        single = embedder(golden["input_features"][i : i + 1])
        assert np.abs(single[0] - whole[i]).max() < 1e-6
        assert np.abs(single[0] - golden["hidden_states"][i]).max() < 1e-4
