"""EmbeddingTable: lookup against np.take, training against torch's gradient and finite
differences, nearest rows against a float64 brute force, loading, and every error path."""

from __future__ import annotations

import json
import struct

import ml_dtypes
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from safetensors.numpy import load_file, save_file

import tokembed
from conftest import BERT_JSON, DATA

BF16 = np.dtype(ml_dtypes.bfloat16)
FORMATS = [np.dtype(np.float32), np.dtype(np.float16), BF16]
ID_DTYPES = [np.int8, np.int16, np.int32, np.int64, np.uint8, np.uint16, np.uint32, np.uint64]
MINILM = DATA / "embeddings" / "minilm_l6_embeddings.safetensors"
WORD = "embeddings.word_embeddings.weight"


def weights(vocab: int, dim: int, dtype=np.float32, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).standard_normal((vocab, dim)).astype(np.float32).astype(dtype)


pytestmark = pytest.mark.usefixtures("restore_threads")


# ----- lookup ---------------------------------------------------------------------------------


@settings(max_examples=150, deadline=None)
@given(
    fmt=st.sampled_from(FORMATS),
    id_dtype=st.sampled_from(ID_DTYPES),
    shape=hnp.array_shapes(min_dims=0, max_dims=3, min_side=0, max_side=6),
    dim=st.integers(1, 40),
    data=st.data(),
)
def test_lookup_equals_np_take_for_every_format_id_dtype_and_shape(fmt, id_dtype, shape, dim, data):
    vocab = 100
    w = weights(vocab, dim, fmt)
    ids = data.draw(hnp.arrays(id_dtype, shape, elements=st.integers(0, vocab - 1)))
    table = tokembed.EmbeddingTable(w)
    got = table(ids)
    expected = np.take(w, ids, axis=0)
    assert got.dtype == fmt and got.shape == ids.shape + (dim,)
    assert np.array_equal(got.view(np.uint8), expected.view(np.uint8))
    out = np.full(ids.shape + (dim,), 7, dtype=fmt)
    assert table.lookup(ids, out=out) is out
    assert np.array_equal(out.view(np.uint8), expected.view(np.uint8))


@pytest.mark.parametrize("table_fmt", FORMATS, ids=str)
@pytest.mark.parametrize("out_fmt", FORMATS, ids=str)
def test_converting_lookup_rounds_like_numpy(table_fmt, out_fmt):
    w = weights(300, 33, table_fmt)
    ids = np.random.default_rng(1).integers(0, 300, (7, 11))
    got = tokembed.EmbeddingTable(w).lookup(ids, dtype=out_fmt)
    expected = w.astype(np.float32).astype(out_fmt)[ids]
    assert got.dtype == out_fmt
    assert np.array_equal(got.view(np.uint8), expected.view(np.uint8))


@pytest.mark.parametrize("fmt", FORMATS, ids=str)
@pytest.mark.parametrize("threads", [1, 2])
def test_large_lookup_streams_and_splits_over_threads(fmt, threads):
    # 9000 ids x 1031 dims: 37 MB in float32 and 18.6 MB in half precision, above the 16 MiB
    # streaming threshold; the odd dim puts row starts at every alignment.
    tokembed.set_num_threads(threads)
    w = weights(1500, 1031, fmt)
    ids = np.random.default_rng(2).integers(0, 1500, (9, 1000))
    assert ids.size * 1031 * w.itemsize > 16 << 20
    got = tokembed.EmbeddingTable(w)(ids)
    assert np.array_equal(got.view(np.uint8), np.take(w, ids, axis=0).view(np.uint8))
    widened = tokembed.EmbeddingTable(w).lookup(ids, dtype=np.float32)
    assert np.array_equal(widened, w[ids].astype(np.float32))


def test_non_contiguous_ids_are_copied_and_weights_are_shared():
    w = weights(50, 8)
    table = tokembed.EmbeddingTable(w)
    assert table.weights is w
    ids = np.arange(40).reshape(5, 8)
    for view in (ids[:, ::2], ids.T, np.asfortranarray(ids)):
        assert np.array_equal(table(view), w[view])
    w[3] = 42.0
    assert (table([3]) == 42.0).all()
    strided = weights(50, 16)[:, ::2]
    copied = tokembed.EmbeddingTable(strided)
    assert copied.weights.flags.c_contiguous and np.array_equal(copied.weights, strided)


def test_lists_and_python_ints():
    table = tokembed.EmbeddingTable([[0.0, 1.0], [2.0, 3.0]])
    assert table.dtype == np.float32
    assert table(1).tolist() == [2.0, 3.0]
    assert table([[1, 0]]).tolist() == [[[2.0, 3.0], [0.0, 1.0]]]


def test_nan_in_weights_is_copied_not_an_error():
    w = weights(10, 4)
    w[2, 1] = np.nan
    w[5] = np.inf
    got = tokembed.EmbeddingTable(w)([2, 5, 0])
    assert np.isnan(got[0, 1]) and np.isinf(got[1]).all() and np.isfinite(got[2]).all()


# ----- errors ---------------------------------------------------------------------------------


def test_out_of_range_ids_name_the_id_and_its_index():
    table = tokembed.EmbeddingTable(weights(100, 4))
    ids = np.zeros((3, 5), dtype=np.int64)
    ids[1, 2] = 100
    with pytest.raises(IndexError, match=r"token id 100 at ids\[1, 2\] is out of range for a table of 100 rows"):
        table(ids)
    ids[1, 2] = -1
    with pytest.raises(IndexError, match=r"token id -1 at ids\[1, 2\]"):
        table(ids)
    with pytest.raises(IndexError, match=r"token id 18446744073709551615 at ids\[0\]"):
        table(np.array([2**64 - 1], dtype=np.uint64))
    with pytest.raises(IndexError, match=r"ids\[\(\)\]"):
        table(np.int16(-3))
    out = np.zeros((3, 5, 4), np.float32)
    with pytest.raises(IndexError):
        table.lookup(ids, out=out)


def test_bad_ids_and_out_are_refused_with_clear_errors():
    w = weights(20, 4)
    table = tokembed.EmbeddingTable(w)
    ids = np.array([[1, 2], [3, 4]])
    with pytest.raises(TypeError, match="integer dtype"):
        table(np.array([1.0, 2.0]))
    with pytest.raises(TypeError, match="integer dtype"):
        table(np.array([True]))
    with pytest.raises(TypeError, match="integer dtype"):
        table(["a"])
    with pytest.raises(ValueError, match=r"shape \(2, 2, 3\), expected \(2, 2, 4\)"):
        table.lookup(ids, out=np.empty((2, 2, 3), np.float32))
    with pytest.raises(TypeError, match="out must be float32, float16 or bfloat16.*got float64"):
        table.lookup(ids, out=np.empty((2, 2, 4)))
    with pytest.raises(TypeError, match="dtype float32"):
        table.lookup(ids, out=np.empty((2, 2, 4), np.float32), dtype=np.float16)
    with pytest.raises(ValueError, match="C-contiguous"):
        table.lookup(ids, out=np.empty((2, 2, 8), np.float32)[..., ::2])
    read_only = np.empty((2, 2, 4), np.float32)
    read_only.flags.writeable = False
    with pytest.raises(ValueError, match="read-only"):
        table.lookup(ids, out=read_only)
    with pytest.raises(ValueError, match="overlaps"):
        table.lookup(np.array([0]), out=w[5:6])
    with pytest.raises(TypeError, match="NumPy array"):
        table.lookup(ids, out=[[0.0] * 4])
    with pytest.raises(TypeError, match="float32, float16 or bfloat16"):
        table.lookup(ids, dtype=np.float64)


def test_bad_weights_are_refused():
    with pytest.raises(TypeError, match="got float64"):
        tokembed.EmbeddingTable(np.zeros((3, 4)))
    with pytest.raises(TypeError, match="got int32"):
        tokembed.EmbeddingTable(np.zeros((3, 4), np.int32))
    with pytest.raises(ValueError, match="2-D"):
        tokembed.EmbeddingTable(np.zeros(4, np.float32))
    with pytest.raises(ValueError, match="at least one row"):
        tokembed.EmbeddingTable(np.zeros((0, 4), np.float32))
    with pytest.raises(ValueError, match="at least one row and one column"):
        tokembed.EmbeddingTable(np.zeros((4, 0), np.float32))
    with pytest.raises(ValueError, match="padding_idx 4 is outside"):
        tokembed.EmbeddingTable(np.zeros((4, 2), np.float32), padding_idx=4)
    with pytest.raises(TypeError, match="padding_idx must be an int"):
        tokembed.EmbeddingTable(np.zeros((4, 2), np.float32), padding_idx=True)
    assert tokembed.EmbeddingTable(np.zeros((4, 2), np.float32), padding_idx=-1).padding_idx == 3


# ----- random tables --------------------------------------------------------------------------


def test_random_is_reproducible_for_a_seed_and_any_thread_count():
    tokembed.set_num_threads(1)
    a = tokembed.EmbeddingTable.random(3000, 200, seed=5).weights
    tokembed.set_num_threads(2)
    b = tokembed.EmbeddingTable.random(3000, 200, seed=5).weights
    assert np.array_equal(a, b)
    assert not np.array_equal(a, tokembed.EmbeddingTable.random(3000, 200, seed=6).weights)


def test_random_values_are_normal_with_the_given_std():
    w = tokembed.EmbeddingTable.random(1000, 500, seed=1, std=0.02).weights.astype(np.float64)
    n = w.size
    assert abs(w.mean()) < 5 * 0.02 / np.sqrt(n)
    assert abs(w.std() / 0.02 - 1) < 5 * np.sqrt(0.5 / n)
    # Fraction within one standard deviation: 0.6827 for a normal distribution.
    inside = (np.abs(w) < 0.02).mean()
    assert abs(inside - 0.682689) < 5 * np.sqrt(0.6827 * 0.3173 / n)
    # Neighbouring elements (the two halves of a Box-Muller pair) are uncorrelated.
    flat = w.ravel()
    assert abs(np.corrcoef(flat[0::2], flat[1::2])[0, 1]) < 5 / np.sqrt(n / 2)


@pytest.mark.parametrize("fmt", [np.float16, BF16], ids=str)
def test_random_half_tables_are_the_float32_table_rounded(fmt):
    f32 = tokembed.EmbeddingTable.random(64, 10, seed=3).weights
    half = tokembed.EmbeddingTable.random(64, 10, seed=3, dtype=fmt, padding_idx=2)
    assert half.dtype == fmt
    expected = f32.astype(fmt)
    expected[2] = 0
    assert np.array_equal(half.weights.view(np.uint16), expected.view(np.uint16))


def test_random_argument_errors():
    with pytest.raises(ValueError):
        tokembed.EmbeddingTable.random(0, 4)
    with pytest.raises(ValueError):
        tokembed.EmbeddingTable.random(4, 4, seed=-1)
    with pytest.raises(ValueError):
        tokembed.EmbeddingTable.random(4, 4, std=float("nan"))
    with pytest.raises(TypeError):
        tokembed.EmbeddingTable.random(4, 4.5)
    with pytest.raises(TypeError):
        tokembed.EmbeddingTable.random(4, 4, dtype=np.float64)


# ----- safetensors ----------------------------------------------------------------------------


def test_from_safetensors_reads_the_real_checkpoint():
    reference = load_file(str(MINILM))[WORD]
    table = tokembed.EmbeddingTable.from_safetensors(MINILM, WORD, padding_idx=0)
    assert table.weights.dtype == np.float32 and table.padding_idx == 0
    assert np.array_equal(table.weights, reference)


def write_safetensors(path, tensors: dict):
    """A safetensors file written from the format's definition (8-byte header length, JSON
    header, little-endian data), for dtypes the safetensors package cannot write from NumPy."""
    header, blobs, offset = {}, [], 0
    for name, (dtype_name, array) in tensors.items():
        data = np.ascontiguousarray(array).tobytes()
        header[name] = {"dtype": dtype_name, "shape": list(array.shape), "data_offsets": [offset, offset + len(data)]}
        blobs.append(data)
        offset += len(data)
    text = json.dumps(header).encode()
    path.write_bytes(struct.pack("<Q", len(text)) + text + b"".join(blobs))


def test_from_safetensors_half_formats(tmp_path):
    w = weights(30, 6)
    path = tmp_path / "half.safetensors"
    write_safetensors(
        path,
        {"f16": ("F16", w.astype(np.float16)), "bf16": ("BF16", w.astype(BF16)), "vec": ("F32", w[0]),
         "f64": ("F64", w.astype(np.float64))},
    )
    f16 = tokembed.EmbeddingTable.from_safetensors(path, "f16")
    assert f16.dtype == np.float16 and np.array_equal(f16.weights, w.astype(np.float16))
    bf16 = tokembed.EmbeddingTable.from_safetensors(path, "bf16")
    assert bf16.dtype == BF16 and np.array_equal(bf16.weights.view(np.uint16), w.astype(BF16).view(np.uint16))
    with pytest.raises(ValueError, match="2-D"):
        tokembed.EmbeddingTable.from_safetensors(path, "vec")
    with pytest.raises(ValueError, match="F64"):
        tokembed.EmbeddingTable.from_safetensors(path, "f64")
    with pytest.raises(ValueError, match=r"no tensor named \"nope\"; it has: bf16, f16, f64, vec"):
        tokembed.EmbeddingTable.from_safetensors(path, "nope")
    with pytest.raises(OSError):
        tokembed.EmbeddingTable.from_safetensors(tmp_path / "missing.safetensors", "f16")
    (tmp_path / "junk.safetensors").write_bytes(b"not a safetensors file at all")
    with pytest.raises(ValueError, match="not a valid safetensors file"):
        tokembed.EmbeddingTable.from_safetensors(tmp_path / "junk.safetensors", "f16")


def test_safetensors_written_by_the_safetensors_package(tmp_path):
    w = weights(12, 5)
    save_file({"table": w, "other": w[:2].copy()}, str(tmp_path / "t.safetensors"))
    assert np.array_equal(tokembed.EmbeddingTable.from_safetensors(tmp_path / "t.safetensors", "table").weights, w)


# ----- training -------------------------------------------------------------------------------


def test_backward_matches_torch_golden_gradient():
    z = np.load(DATA / "golden" / "embedding_backward.npz")
    padding = int(z["padding_idx"])
    table = tokembed.EmbeddingTable(z["weights"], padding_idx=padding)
    grad = table.backward(z["ids"], z["grad_output"])
    np.testing.assert_allclose(grad, z["grad_weights"], rtol=1e-6, atol=1e-7)
    assert not grad[padding].any() and np.isin(padding, z["ids"])
    rows, grads = table.backward_sparse(z["ids"], z["grad_output"])
    expected_rows = np.setdiff1d(np.unique(z["ids"]), [padding])
    assert np.array_equal(rows, expected_rows) and rows.dtype == np.int64
    np.testing.assert_allclose(grads, z["grad_weights"][rows], rtol=1e-6, atol=1e-7)


def test_backward_matches_finite_differences_of_a_nonlinear_loss():
    # loss(W) = sum(tanh(W[ids]) * C): its output gradient is (1 - tanh^2) * C, and the
    # table gradient from backward() must match central differences of the loss.
    rng = np.random.default_rng(3)
    w = rng.standard_normal((12, 5)).astype(np.float32)
    ids = rng.integers(0, 12, (4, 6))
    coeff = rng.standard_normal((4, 6, 5))
    table = tokembed.EmbeddingTable(w.copy())

    def loss(weights64):
        return float((np.tanh(weights64[ids]) * coeff).sum())

    out = table(ids).astype(np.float64)
    grad = table.backward(ids, (1 - np.tanh(out) ** 2) * coeff)
    eps = 1e-6
    numeric = np.zeros_like(w, dtype=np.float64)
    base = w.astype(np.float64)
    for r in range(12):
        for j in range(5):
            plus, minus = base.copy(), base.copy()
            plus[r, j] += eps
            minus[r, j] -= eps
            numeric[r, j] = (loss(plus) - loss(minus)) / (2 * eps)
    np.testing.assert_allclose(grad, numeric, rtol=1e-4, atol=1e-5)
    assert (numeric[np.setdiff1d(np.arange(12), ids)] == 0).all()


@settings(max_examples=60, deadline=None)
@given(
    id_dtype=st.sampled_from(ID_DTYPES),
    shape=hnp.array_shapes(min_dims=1, max_dims=3, min_side=0, max_side=7),
    padding=st.one_of(st.none(), st.integers(0, 29)),
    data=st.data(),
)
def test_backward_is_a_scatter_add_in_position_order(id_dtype, shape, padding, data):
    vocab, dim = 30, 3
    ids = data.draw(hnp.arrays(id_dtype, shape, elements=st.integers(0, vocab - 1)))
    grad_output = data.draw(
        hnp.arrays(np.float32, shape + (dim,), elements=st.floats(-4, 4, width=32, allow_subnormal=False))
    )
    table = tokembed.EmbeddingTable(weights(vocab, dim), padding_idx=padding)
    expected = np.zeros((vocab, dim), np.float32)
    np.add.at(expected, ids.reshape(-1).astype(np.int64), grad_output.reshape(-1, dim))
    if padding is not None:
        expected[padding] = 0
    assert np.array_equal(table.backward(ids, grad_output), expected)
    rows, grads = table.backward_sparse(ids, grad_output)
    used = np.unique(ids.astype(np.int64))
    assert np.array_equal(rows, used[used != padding] if padding is not None else used)
    assert np.array_equal(grads, expected[rows])


def test_backward_is_the_same_on_one_and_two_threads():
    rng = np.random.default_rng(4)
    ids = rng.integers(0, 500, (64, 300))
    grad_output = rng.standard_normal((64, 300, 96)).astype(np.float32)  # 7 MB
    table = tokembed.EmbeddingTable(weights(500, 96), padding_idx=0)
    tokembed.set_num_threads(1)
    one = table.backward(ids, grad_output), table.backward_sparse(ids, grad_output)
    tokembed.set_num_threads(2)
    two = table.backward(ids, grad_output), table.backward_sparse(ids, grad_output)
    assert np.array_equal(one[0], two[0])
    assert np.array_equal(one[1][0], two[1][0]) and np.array_equal(one[1][1], two[1][1])


@pytest.mark.parametrize("fmt", FORMATS, ids=str)
def test_sgd_step_updates_only_rows_with_a_gradient(fmt):
    rng = np.random.default_rng(5)
    start = weights(40, 7, fmt)
    ids = rng.integers(0, 20, (3, 9))
    grad_output = rng.standard_normal((3, 9, 7)).astype(np.float32)
    table = tokembed.EmbeddingTable(start.copy(), padding_idx=int(ids[0, 0]))
    dense = table.backward(ids, grad_output)
    table.sgd_step(ids, grad_output, lr=0.05)
    touched = dense.any(axis=1)
    expected = (start.astype(np.float32) - np.float32(0.05) * dense).astype(fmt)
    assert np.array_equal(table.weights[touched].view(np.uint8), expected[touched].view(np.uint8))
    assert np.array_equal(table.weights[~touched].view(np.uint8), start[~touched].view(np.uint8))
    assert not touched[table.padding_idx]


def test_training_argument_errors():
    table = tokembed.EmbeddingTable(weights(10, 4))
    ids = np.array([[1, 2, 3]])
    with pytest.raises(ValueError, match=r"grad_output has shape \(1, 3, 5\)"):
        table.backward(ids, np.zeros((1, 3, 5), np.float32))
    with pytest.raises(TypeError, match="floats"):
        table.backward(ids, np.zeros((1, 3, 4), np.int64))
    with pytest.raises(IndexError, match=r"ids\[0, 1\]"):
        table.backward_sparse(np.array([[1, 10, 3]]), np.zeros((1, 3, 4), np.float32))
    with pytest.raises(ValueError, match="lr"):
        table.sgd_step(ids, np.zeros((1, 3, 4), np.float32), lr=float("nan"))
    frozen = weights(10, 4)
    frozen.flags.writeable = False
    with pytest.raises(ValueError, match="read-only"):
        tokembed.EmbeddingTable(frozen).sgd_step(ids, np.zeros((1, 3, 4), np.float32), lr=0.1)
    # float64 gradients are converted, not refused
    g64 = np.ones((1, 3, 4))
    assert table.backward(ids, g64)[1].tolist() == [1.0] * 4


def test_nan_gradients_propagate():
    table = tokembed.EmbeddingTable(weights(5, 2))
    g = np.array([[[np.nan, 1.0], [2.0, 3.0]]], np.float32)
    grad = table.backward(np.array([[1, 1]]), g)
    assert np.isnan(grad[1, 0]) and grad[1, 1] == 4.0


# ----- back from vectors to ids ---------------------------------------------------------------


@pytest.mark.parametrize("fmt", FORMATS, ids=str)
def test_logits_is_the_tied_projection(fmt):
    w = weights(50, 16, fmt)
    hidden = np.random.default_rng(6).standard_normal((2, 3, 16)).astype(np.float32)
    got = tokembed.EmbeddingTable(w).logits(hidden)
    assert got.shape == (2, 3, 50) and got.dtype == np.float32
    np.testing.assert_allclose(got, hidden.astype(np.float64) @ w.astype(np.float64).T, rtol=1e-5, atol=1e-5)
    with pytest.raises(ValueError, match=r"\(\.\.\., 16\)"):
        tokembed.EmbeddingTable(w).logits(np.zeros((2, 15), np.float32))


def brute_force_nearest(w, vectors, k, metric):
    w64, v64 = w.astype(np.float64), vectors.astype(np.float64).reshape(-1, w.shape[1])
    scores = v64 @ w64.T
    if metric == "cosine":
        scores /= np.linalg.norm(v64, axis=1, keepdims=True) * np.linalg.norm(w64, axis=1)
    order = np.argsort(-scores, axis=1, kind="stable")[:, :k]
    return order, np.take_along_axis(scores, order, axis=1)


@pytest.mark.parametrize("fmt", FORMATS, ids=str)
@pytest.mark.parametrize("metric", ["cosine", "dot"])
def test_nearest_matches_a_float64_brute_force(fmt, metric):
    w = weights(3000, 48, fmt, seed=7)  # over 1 MB in float32: scanned on several threads
    vectors = np.random.default_rng(8).standard_normal((2, 3, 48)).astype(np.float32)
    ids, scores = tokembed.EmbeddingTable(w).nearest(vectors, k=6, metric=metric)
    assert ids.shape == (2, 3, 6) and ids.dtype == np.int64 and scores.dtype == np.float32
    expected_ids, expected_scores = brute_force_nearest(w, vectors, 6, metric)
    assert np.array_equal(ids.reshape(-1, 6), expected_ids)
    np.testing.assert_allclose(scores.reshape(-1, 6), expected_scores, rtol=1e-5, atol=1e-5)


def test_nearest_ties_zero_vectors_and_nan():
    w = np.array([[1, 0], [0, 0], [np.nan, 1], [2, 0], [0, 1]], np.float32)
    ids, scores = tokembed.EmbeddingTable(w).nearest(np.array([1, 0], np.float32), k=5)
    # rows 0 and 3 both have cosine 1 (lower id first); the zero row and row 4 score 0; NaN last
    assert ids.tolist() == [0, 3, 1, 4, 2]
    assert scores[:4].tolist() == [1.0, 1.0, 0.0, 0.0] and np.isnan(scores[4])
    dot_ids, dot_scores = tokembed.EmbeddingTable(w).nearest(np.array([1, 0], np.float32), k=2, metric="dot")
    assert dot_ids.tolist() == [3, 0] and dot_scores.tolist() == [2.0, 1.0]


def test_nearest_argument_errors():
    table = tokembed.EmbeddingTable(weights(10, 4))
    with pytest.raises(ValueError, match="k must be between 1 and 10"):
        table.nearest(np.zeros(4, np.float32), k=11)
    with pytest.raises(ValueError, match="k must be between"):
        table.nearest(np.zeros(4, np.float32), k=0)
    with pytest.raises(ValueError, match="metric"):
        table.nearest(np.zeros(4, np.float32), metric="euclid")
    with pytest.raises(ValueError, match=r"\(\.\.\., 4\)"):
        table.nearest(np.zeros(3, np.float32))
    with pytest.raises(TypeError, match="floats"):
        table.nearest(np.zeros(4, np.int64))


def test_vector_to_id_to_text_round_trip_with_the_real_vocabulary():
    tokenizer = tokembed.Tokenizer.from_file(BERT_JSON)
    table = tokembed.EmbeddingTable.from_safetensors(MINILM, WORD)
    text = "the quick brown fox jumps over the lazy dog"
    ids = tokenizer.encode(text, add_special_tokens=False).ids
    noisy = table(ids) + np.random.default_rng(9).normal(0, 1e-3, (len(ids), table.dim)).astype(np.float32)
    nearest_ids, _ = table.nearest(noisy, k=1)
    assert nearest_ids[:, 0].tolist() == ids.tolist()
    assert tokenizer.decode(nearest_ids[:, 0]) == text
    # the tied projection ranks the same way as the dot product
    assert np.array_equal(np.argmax(table.logits(table(ids)), axis=-1), table.nearest(table(ids), k=1, metric="dot")[0][:, 0])
