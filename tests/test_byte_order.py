"""Arrays in the other byte order (">f2", ">i8" on a little-endian machine): every input of the
embedding and positional APIs gives the same result as the same values in native order (they are
converted with a copy), and an ``out=`` array in the other order is refused (results are written
into it directly). The reference is the computation on the native-order array of the same values."""

from __future__ import annotations

import sys

import ml_dtypes
import numpy as np
import pytest

import tokembed
from tokembed import EmbeddingTable, InputEmbedder, RotaryEmbedding
from tokembed.positional import sinusoidal_table, t5_relative_position_bucket

BF16 = np.dtype(ml_dtypes.bfloat16)
SWAPPED = ">" if sys.byteorder == "little" else "<"
FLOAT_CODES = ["f2", "f4", "f8"]
INT_CODES = ["i1", "i2", "i4", "i8", "u1", "u2", "u4", "u8"]
SCALINGS = [
    None,
    {"rope_type": "linear", "factor": 4.0},
    {"rope_type": "llama3", "factor": 8.0, "low_freq_factor": 1.0, "high_freq_factor": 4.0,
     "original_max_position_embeddings": 64},
    {"rope_type": "yarn", "factor": 4.0, "original_max_position_embeddings": 32},
]


def swapped(arr: np.ndarray) -> np.ndarray:
    """The same values stored in the other byte order."""
    out = np.asarray(arr).astype(np.asarray(arr).dtype.newbyteorder(SWAPPED))
    assert (out.dtype.itemsize == 1 or not out.dtype.isnative) and np.array_equal(out, arr)
    return out


def weights(vocab: int = 7, dim: int = 5, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).standard_normal((vocab, dim)).astype(np.float32)


IDS = np.array([[0, 6, 3], [2, 2, 5]])


@pytest.mark.parametrize("code", ["f2", "f4"])
def test_swapped_tables_look_up_the_same_values(code):
    native = weights().astype(code)
    table = EmbeddingTable(swapped(native))
    assert table.weights.dtype.isnative and np.array_equal(table.weights, native)
    np.testing.assert_array_equal(table.lookup(IDS), native[IDS])
    np.testing.assert_array_equal(table(IDS), np.take(native, IDS, axis=0))
    # The example: a big-endian float16 arange.
    np.testing.assert_array_equal(
        EmbeddingTable(np.arange(12, dtype=">f2").reshape(3, 4)).lookup([0, 1, 2]),
        np.arange(12, dtype=np.float16).reshape(3, 4),
    )


@pytest.mark.parametrize("code", ["f2", "f4"])
@pytest.mark.parametrize("out_format", ["float32", "float16", "bfloat16"])
def test_swapped_tables_convert_like_native_ones(code, out_format):
    native = weights().astype(code)
    expected = EmbeddingTable(native).lookup(IDS, dtype=out_format)
    got = EmbeddingTable(swapped(native)).lookup(IDS, dtype=out_format)
    assert got.dtype == expected.dtype and got.dtype.isnative
    np.testing.assert_array_equal(got.view(np.uint16 if out_format != "float32" else np.float32),
                                  expected.view(np.uint16 if out_format != "float32" else np.float32))


def test_bfloat16_in_the_other_byte_order_is_converted_by_its_bits():
    # NumPy lets one set a bfloat16's byte order, but ml_dtypes' casts ignore it (astype would
    # keep the swapped bytes): the table must still hold the same numbers.
    native = weights().astype(BF16)
    other_order = BF16.newbyteorder(SWAPPED)
    swapped_bf16 = native.view(np.uint16).byteswap().view(other_order)
    assert not swapped_bf16.dtype.isnative
    table = EmbeddingTable(swapped_bf16)
    assert table.weights.dtype == BF16
    np.testing.assert_array_equal(table.weights.view(np.uint16), native.view(np.uint16))
    np.testing.assert_array_equal(table.lookup(IDS).view(np.uint16), native[IDS].view(np.uint16))
    grad = native[IDS].astype(np.float32)
    np.testing.assert_array_equal(
        EmbeddingTable(weights()).backward(IDS, native[IDS].view(np.uint16).byteswap().view(other_order)),
        EmbeddingTable(weights()).backward(IDS, grad),
    )
    with pytest.raises(TypeError, match="byte order"):
        EmbeddingTable(native).lookup(IDS, out=np.zeros(IDS.shape + (5,), dtype=BF16).view(other_order))


@pytest.mark.parametrize("code", INT_CODES)
def test_swapped_ids_of_every_width(code):
    w = weights(vocab=100)
    ids = np.array([[0, 99, 3], [42, 42, 7]], dtype=code)
    for fmt in ("float32", "float16"):
        table = EmbeddingTable(w.astype(fmt))
        np.testing.assert_array_equal(table.lookup(swapped(ids)), table.weights[ids.astype(np.int64)])
    table = EmbeddingTable(w)
    grad = np.random.default_rng(1).standard_normal(ids.shape + (5,)).astype(np.float32)
    np.testing.assert_array_equal(table.backward(swapped(ids), grad), table.backward(ids.astype(np.int64), grad))
    for got, want in zip(table.backward_sparse(swapped(ids), grad), table.backward_sparse(ids, grad)):
        np.testing.assert_array_equal(got, want)


def test_swapped_ids_out_of_range_still_raise_index_error():
    table = EmbeddingTable(weights())
    with pytest.raises(IndexError, match=r"ids\[1\]"):
        table.lookup(swapped(np.array([1, 7], dtype=np.int64)))
    with pytest.raises(IndexError):
        table.lookup(swapped(np.array([-1], dtype=np.int32)))


@pytest.mark.parametrize("code", FLOAT_CODES)
def test_swapped_grad_output_hidden_and_vectors(code):
    w = weights()
    table = EmbeddingTable(w)
    grad = np.random.default_rng(2).standard_normal(IDS.shape + (5,)).astype(code)
    np.testing.assert_array_equal(table.backward(IDS, swapped(grad)), table.backward(IDS, grad))
    a, b = EmbeddingTable(w.copy()), EmbeddingTable(w.copy())
    a.sgd_step(IDS, swapped(grad), lr=0.5)
    b.sgd_step(IDS, grad, lr=0.5)
    np.testing.assert_array_equal(a.weights, b.weights)
    hidden = np.random.default_rng(3).standard_normal((4, 5)).astype(code)
    np.testing.assert_array_equal(table.logits(swapped(hidden)), table.logits(hidden))
    for metric in ("cosine", "dot"):
        for got, want in zip(table.nearest(swapped(hidden), k=3, metric=metric), table.nearest(hidden, k=3, metric=metric)):
            np.testing.assert_array_equal(got, want)


@pytest.mark.parametrize("code", ["f2", "f4"])
def test_sgd_step_on_a_swapped_table_updates_its_native_copy(code):
    native = weights().astype(code)
    grad = np.ones(IDS.shape + (5,), dtype=np.float32)
    a, b = EmbeddingTable(swapped(native)), EmbeddingTable(native.copy())
    a.sgd_step(IDS, grad, lr=0.25)
    b.sgd_step(IDS, grad, lr=0.25)
    np.testing.assert_array_equal(a.weights, b.weights)
    np.testing.assert_array_equal(a.lookup(IDS), b.lookup(IDS))


@pytest.mark.parametrize("code", ["f2", "f4"])
def test_input_embedder_with_swapped_tables_ids_and_layer_norm(code):
    rng = np.random.default_rng(4)
    tok, pos, seg = (rng.standard_normal(s).astype(code) for s in ((30, 8), (16, 8), (2, 8)))
    ln_w, ln_b = rng.standard_normal(8).astype(np.float32), rng.standard_normal(8).astype(np.float32)
    ids = rng.integers(0, 30, (3, 6))
    types = rng.integers(0, 2, (3, 6))
    positions = np.arange(2, 8)
    native = InputEmbedder(tok, position=pos, segment=seg, layer_norm=(ln_w, ln_b, 1e-5), scale=2.0)
    other = InputEmbedder(swapped(tok), position=swapped(pos), segment=swapped(seg),
                          layer_norm=(swapped(ln_w), swapped(ln_b), 1e-5), scale=2.0)
    want = native(ids, types, positions)
    for id_code in ("i8", "i4", "u2"):
        got = other(swapped(ids.astype(id_code)), swapped(types.astype(id_code)), swapped(positions.astype(id_code)))
        np.testing.assert_array_equal(got, want)
    sinus = InputEmbedder(swapped(tok), position="sinusoidal")
    np.testing.assert_array_equal(sinus(swapped(ids.astype(np.int64))), InputEmbedder(tok, position="sinusoidal")(ids))


def test_swapped_out_is_refused_with_a_byte_order_message():
    table = EmbeddingTable(weights())
    for code in ("f4", "f2"):
        out = np.zeros(IDS.shape + (5,), dtype=SWAPPED + code)
        with pytest.raises(TypeError, match="byte order"):
            table.lookup(IDS, out=out)
        assert not out.any()
    embed = InputEmbedder(weights(), position="sinusoidal")
    out = np.zeros(IDS.shape + (5,), dtype=SWAPPED + "f4")
    with pytest.raises(TypeError, match="byte order"):
        embed(IDS, out=out)
    assert not out.any()


@pytest.mark.parametrize("code", ["f4", "f8"])
@pytest.mark.parametrize("layout", ["neox", "interleaved"])
@pytest.mark.parametrize("scaling", SCALINGS)
def test_rope_with_swapped_x_and_positions(code, layout, scaling):
    rope = RotaryEmbedding(16, theta=10000.0, scaling=scaling, layout=layout)
    rng = np.random.default_rng(5)
    x = rng.standard_normal((2, 9, 3, 16)).astype(code)
    positions = np.arange(9) * 7
    want = rope.apply(x, positions)
    for pos_code in ("i8", "i4", "u2"):
        got = rope.apply(swapped(x), swapped(positions.astype(pos_code)))
        assert got.dtype.isnative
        np.testing.assert_array_equal(got, want)
        out = np.empty_like(want)
        rope.apply(swapped(x), swapped(positions.astype(pos_code)), out=out)
        np.testing.assert_array_equal(out, want)
        for got_cs, want_cs in zip(rope.cos_sin(swapped(positions.astype(pos_code))), rope.cos_sin(positions)):
            np.testing.assert_array_equal(got_cs, want_cs)


def test_rope_refuses_a_swapped_out_including_out_equal_to_x():
    rope = RotaryEmbedding(8)
    x = swapped(np.ones((1, 4, 2, 8), dtype=np.float32))
    before = x.copy()
    with pytest.raises(TypeError, match="byte order"):
        rope.apply(x, np.arange(4), out=x)
    with pytest.raises(TypeError, match="byte order"):
        rope.apply(np.ones((1, 4, 2, 8), dtype=np.float32), np.arange(4), out=np.empty_like(x))
    np.testing.assert_array_equal(x, before)


def test_t5_buckets_and_sinusoidal_table_with_swapped_arguments():
    relative = np.arange(-300, 300, 7)
    for code in ("i8", "i4", "i2"):
        np.testing.assert_array_equal(
            t5_relative_position_bucket(swapped(relative.astype(code))), t5_relative_position_bucket(relative)
        )
    for code in ("f2", "f4", "f8"):
        table = sinusoidal_table(10, 6, dtype=SWAPPED + code)
        assert table.dtype.isnative and table.dtype == np.dtype(code)
        np.testing.assert_array_equal(table, sinusoidal_table(10, 6, dtype=code))


def test_tokenizer_decode_accepts_swapped_ids():
    tok = tokembed.Tokenizer.builtin("gpt2")
    ids = np.asarray(tok.encode("Byte order, swapped.").ids)
    for code in ("i8", "i4", "u4", "u2"):
        assert tok.decode(swapped(ids.astype(code))) == tok.decode(ids)
