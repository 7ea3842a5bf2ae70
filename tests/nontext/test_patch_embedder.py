"""``tokembed.PatchEmbedder`` against HF's ``ViTEmbeddings`` golden outputs
(``../shared/data/golden/vit_embeddings.*``): plain, with ``bool_masked_pos``, with interpolated
position embeddings (bicubic, two other sizes, the table itself too), on the image processor's
``pixel_values``; against an independent NumPy recomputation with other weights and sizes;
checkpoint names, ``out=`` and clear errors."""

from __future__ import annotations

import numpy as np
import pytest

import tokembed
from conftest import DATA, load_npz

WEIGHTS = DATA / "golden" / "vit_embeddings.safetensors"
GOLDEN = DATA / "golden" / "vit_embeddings.npz"
TOLERANCE = 1e-5


@pytest.fixture(scope="module")
def golden():
    return load_npz(GOLDEN)


@pytest.fixture(scope="module")
def embedder():
    return tokembed.PatchEmbedder.from_vit(WEIGHTS)


def test_embeddings_equal_hfs(golden, embedder):
    assert (embedder.patch_size, embedder.image_size, embedder.d) == (8, 64, 96)
    out = embedder(golden["pixel_values"])
    assert out.shape == (4, 65, 96) and out.dtype == np.float32
    assert np.abs(out - golden["embeddings"]).max() < TOLERANCE


def test_masked_patches_take_the_mask_token(golden, embedder):
    out = embedder(golden["pixel_values"], bool_masked_pos=golden["bool_masked_pos"])
    assert np.abs(out - golden["embeddings_masked"]).max() < TOLERANCE


@pytest.mark.parametrize("suffix", ["interp", "interp_small"])
def test_interpolated_positions_equal_hfs(golden, embedder, suffix):
    pixels = golden[f"pixel_values_{suffix}"]
    table = embedder.positions_for(pixels.shape[2], pixels.shape[3], interpolate_pos_encoding=True)
    assert np.abs(table - golden[f"position_embeddings_{suffix}"][0]).max() < TOLERANCE
    out = embedder(pixels, interpolate_pos_encoding=True)
    assert np.abs(out - golden[f"embeddings_{suffix}"]).max() < TOLERANCE


@pytest.mark.parametrize("suffix", ["", "_pil"])
def test_the_image_processors_pixel_values(golden, embedder, suffix):
    out = embedder(golden[f"processed_pixel_values{suffix}"])
    assert np.abs(out - golden[f"processed_embeddings{suffix}"]).max() < TOLERANCE


def test_other_weights_and_sizes_match_an_independent_recomputation():
    rng = np.random.default_rng(3)
    d, c, p = 20, 2, 4
    weight = rng.normal(0, 0.3, (d, c, p, p)).astype(np.float32)
    bias, cls = rng.normal(0, 1, d).astype(np.float32), rng.normal(0, 1, d).astype(np.float32)
    positions = rng.normal(0, 1, (1 + 9, d)).astype(np.float32)
    mask_token = rng.normal(0, 1, d).astype(np.float32)
    embedder = tokembed.PatchEmbedder(weight, bias, cls, positions, mask_token)
    x = rng.normal(0, 1, (3, c, 12, 12)).astype(np.float32)
    mask = rng.random((3, 9)) < 0.4
    # The convolution with kernel = stride = P, by its definition.
    patches = x.reshape(3, c, 3, p, 3, p).transpose(0, 2, 4, 1, 3, 5).reshape(3, 9, c * p * p)
    projected = patches.astype(np.float64) @ weight.reshape(d, -1).T.astype(np.float64) + bias
    projected[mask] = mask_token
    expected = np.concatenate([np.broadcast_to(cls, (3, 1, d)), projected], axis=1) + positions
    assert np.abs(embedder(x, bool_masked_pos=mask) - expected).max() < 1e-5
    # A size that is not a multiple of P drops the remainder, as the convolution does: 15 x 15
    # is the same 3 x 3 grid, read from the top-left 12 x 12.
    larger = rng.normal(0, 1, (3, c, 15, 15)).astype(np.float32)
    larger[:, :, :12, :12] = x
    assert np.abs(embedder(larger, bool_masked_pos=mask) - expected).max() < 1e-5


def test_checkpoint_names_under_vit(tmp_path, golden, embedder):
    from safetensors.numpy import load_file, save_file

    tensors = load_file(str(WEIGHTS))
    save_file({"vit." + k: v for k, v in tensors.items()}, str(tmp_path / "classifier.safetensors"))
    again = tokembed.PatchEmbedder.from_vit(tmp_path / "classifier.safetensors")
    np.testing.assert_array_equal(again(golden["pixel_values"]), embedder(golden["pixel_values"]))
    save_file({k: v for k, v in tensors.items() if "mask_token" not in k}, str(tmp_path / "no_mask.safetensors"))
    no_mask = tokembed.PatchEmbedder.from_vit(tmp_path / "no_mask.safetensors")
    with pytest.raises(ValueError, match="mask token"):
        no_mask(golden["pixel_values"], bool_masked_pos=golden["bool_masked_pos"])
    save_file({"other": tensors["embeddings.cls_token"]}, str(tmp_path / "other.safetensors"))
    with pytest.raises(ValueError, match="no ViT embeddings"):
        tokembed.PatchEmbedder.from_vit(tmp_path / "other.safetensors")


def test_out_and_bad_input(golden, embedder):
    x = golden["pixel_values"]
    out = np.empty((4, 65, 96), np.float32)
    assert embedder(x, out=out) is out
    np.testing.assert_array_equal(out, embedder(x))
    with pytest.raises(ValueError, match="interpolate_pos_encoding=True"):
        embedder(golden["pixel_values_interp"])
    with pytest.raises(ValueError, match="shape"):
        embedder(x[:, :2])
    with pytest.raises(ValueError, match="bool_masked_pos must be"):
        embedder(x, bool_masked_pos=golden["bool_masked_pos"][:, :10])
    with pytest.raises(TypeError, match="bool"):
        embedder(x, bool_masked_pos=golden["bool_masked_pos"].astype(np.int8))
    with pytest.raises(ValueError, match="NaN"):
        embedder(np.full_like(x, np.nan))
    with pytest.raises(ValueError, match="shape"):
        embedder(x, out=np.empty((4, 64, 96), np.float32))


@pytest.mark.parametrize("threads", [2, 3])
def test_one_image_spread_over_threads_is_the_same(golden, embedder, threads, restore_threads):
    # With fewer images than threads, an image's product is split by output columns.
    tokembed.set_num_threads(threads)
    mask = golden["bool_masked_pos"]
    for i in range(4):
        single = embedder(golden["pixel_values"][i : i + 1], bool_masked_pos=mask[i : i + 1])
        assert np.abs(single[0] - golden["embeddings_masked"][i]).max() < 1e-5
