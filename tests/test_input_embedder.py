"""InputEmbedder: parity with HF BERT embeddings (golden file) from our own tokenizer's ids,
a float64 reference for every combination of parts, sinusoidal positions, threads, errors."""

from __future__ import annotations

import math

import ml_dtypes
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import tokembed
from conftest import BERT_JSON, DATA

BF16 = np.dtype(ml_dtypes.bfloat16)
MINILM = DATA / "embeddings" / "minilm_l6_embeddings.safetensors"
GOLDEN = DATA / "golden" / "minilm_input_embeddings.npz"


@pytest.fixture(scope="module")
def golden():
    return np.load(GOLDEN)


@pytest.fixture(scope="module")
def bert():
    return tokembed.InputEmbedder.from_bert(MINILM)


pytestmark = pytest.mark.usefixtures("restore_threads")


def encode_like_the_golden_file(texts, pairs) -> dict:
    """HF `encode_batch` on a mix of single texts and pairs ("" = no pair), no truncation,
    right padding with 0 to the longest row. Our batch call takes pairs for all rows or none,
    so singles and pairs are encoded apart, padded to the common longest length, and merged."""
    tok = tokembed.Tokenizer.from_file(BERT_JSON)
    single = [i for i, p in enumerate(pairs) if p == ""]
    paired = [i for i, p in enumerate(pairs) if p != ""]
    groups = [(single, None), (paired, [pairs[i] for i in paired])]
    width = max(
        tok.encode_batch([texts[i] for i in rows], group_pairs, truncation=False, padding="longest").shape[1]
        for rows, group_pairs in groups
        if rows
    )
    merged = {}
    for rows, group_pairs in groups:
        if not rows:
            continue
        batch = tok.encode_batch(
            [texts[i] for i in rows], group_pairs, truncation=False, padding="max_length", max_length=width
        )
        for key in ("input_ids", "token_type_ids", "attention_mask"):
            merged.setdefault(key, np.zeros((len(texts), width), np.int64))[rows] = batch[key]
    return merged


# ----- parity with HF BERT ----------------------------------------------------------------------


def test_from_bert_matches_hf_embeddings(golden, bert):
    got = bert(golden["input_ids"], golden["token_type_ids"])
    assert got.dtype == np.float32 and got.shape == golden["embeddings"].shape
    assert np.abs(got - golden["embeddings"]).max() <= 2e-6


def test_our_tokenizer_gives_the_golden_ids_and_the_batch_goes_straight_in(golden, bert):
    texts, pairs = [str(t) for t in golden["texts"]], [str(p) for p in golden["pairs"]]
    assert "" in pairs and any(pairs), "the golden file mixes single texts and pairs"
    ours = encode_like_the_golden_file(texts, pairs)
    for key in ("input_ids", "token_type_ids", "attention_mask"):
        assert np.array_equal(ours[key], golden[key]), key
    # A BatchEncoding of single texts goes in as is (its token_type_ids are used).
    tok = tokembed.Tokenizer.from_file(BERT_JSON)
    single = [t for t, p in zip(texts, pairs) if p == ""]
    batch = tok.encode_batch(single, truncation=False, padding="longest")
    assert isinstance(batch, tokembed.BatchEncoding)
    rows = [i for i, p in enumerate(pairs) if p == ""]
    width = batch.shape[1]
    np.testing.assert_array_equal(bert(batch), bert(batch["input_ids"], batch["token_type_ids"]))
    assert np.abs(bert(batch) - golden["embeddings"][rows, :width]).max() <= 2e-6
    assert np.abs(bert(ours) - golden["embeddings"]).max() <= 2e-6


def test_from_bert_structure_and_prefix_errors(tmp_path):
    e = tokembed.InputEmbedder.from_bert(MINILM)
    assert e.dim == 384 and e.token.vocab_size == 30522 and e.token.padding_idx == 0
    assert e.position.vocab_size == 512 and e.segment.vocab_size == 2 and e.layer_norm[2] == 1e-12
    with pytest.raises(ValueError, match=r"no tensor named \"bert.embeddings.word_embeddings.weight\""):
        tokembed.InputEmbedder.from_bert(MINILM, prefix="bert.embeddings.")
    with pytest.raises(OSError):
        tokembed.InputEmbedder.from_bert(tmp_path / "none.safetensors")


# ----- against a float64 reference ----------------------------------------------------------------


def reference(token, ids, segment=None, types=None, position=None, positions=None, ln=None, scale=None):
    x = token.astype(np.float64)[ids]
    if scale is not None:
        x = x * scale
    if segment is not None:
        x = x + segment.astype(np.float64)[np.zeros_like(ids) if types is None else types]
    if position is not None:
        x = x + position.astype(np.float64)[positions]
    if ln is not None:
        w, b, eps = ln
        mean = x.mean(-1, keepdims=True)
        var = ((x - mean) ** 2).mean(-1, keepdims=True)
        x = (x - mean) / np.sqrt(var + eps) * w.astype(np.float64) + b.astype(np.float64)
    return x


@settings(max_examples=60, deadline=None)
@given(
    batch=st.integers(1, 4),
    seq=st.integers(1, 9),
    dim=st.integers(1, 70),
    with_segment=st.booleans(),
    with_position=st.booleans(),
    with_ln=st.booleans(),
    scale=st.one_of(st.none(), st.floats(0.25, 30)),
    fmts=st.tuples(*[st.sampled_from([np.float32, np.float16, BF16])] * 3),
    seed=st.integers(0, 2**32 - 1),
)
def test_every_combination_matches_a_float64_reference(
    batch, seq, dim, with_segment, with_position, with_ln, scale, fmts, seed
):
    rng = np.random.default_rng(seed)
    token = rng.standard_normal((50, dim)).astype(np.float32).astype(fmts[0])
    segment = rng.standard_normal((3, dim)).astype(np.float32).astype(fmts[1]) if with_segment else None
    position = rng.standard_normal((12, dim)).astype(np.float32).astype(fmts[2]) if with_position else None
    ln = (rng.uniform(0.5, 1.5, dim).astype(np.float32), rng.standard_normal(dim).astype(np.float32), 1e-5)
    ids = rng.integers(0, 50, (batch, seq), dtype=np.int32)
    types = rng.integers(0, 3, (batch, seq), dtype=np.uint8) if with_segment and rng.random() < 0.7 else None
    e = tokembed.InputEmbedder(
        tokembed.EmbeddingTable(token),
        position=None if position is None else tokembed.EmbeddingTable(position),
        segment=None if segment is None else tokembed.EmbeddingTable(segment),
        layer_norm=ln if with_ln else None,
        scale=scale,
    )
    got = e(ids, types)
    positions = np.broadcast_to(np.arange(seq), ids.shape)
    expected = reference(token, ids, segment, types, position, positions, ln if with_ln else None, scale)
    # float32 sums: a few roundings of the largest term each
    magnitude = 1 + sum(float(np.abs(t.astype(np.float64)).max()) for t in (token, segment, position) if t is not None)
    tolerance = 1e-6 * magnitude * (scale or 1)
    if with_ln:
        # normalization divides the sum's rounding error by the row's standard deviation
        pre = reference(token, ids, segment, types, position, positions, None, scale)
        spread = max(float(pre.std(-1).min()), 1e-3)
        tolerance = tolerance / spread * float(np.abs(ln[0]).max()) + 1e-6 * float(np.abs(expected).max())
    assert np.abs(got - expected).max() <= tolerance


def test_sum_without_layernorm_is_bitwise_the_float32_sum_in_pytorch_order():
    rng = np.random.default_rng(1)
    token, segment, position = (rng.standard_normal((n, 33)).astype(np.float32) for n in (40, 2, 16))
    ids, types = rng.integers(0, 40, (3, 16)), rng.integers(0, 2, (3, 16))
    e = tokembed.InputEmbedder(tokembed.EmbeddingTable(token), position=position, segment=segment, scale=1.5)
    expected = (token[ids] * np.float32(1.5) + segment[types]) + position[np.arange(16)]
    assert np.array_equal(e(ids, types), expected)


# ----- positions ----------------------------------------------------------------------------------


def test_sinusoidal_positions_use_the_attention_is_all_you_need_table():
    pe = np.load(DATA / "golden" / "sinusoidal.npz")["pe_512x768"]
    token = tokembed.EmbeddingTable.random(100, 768, seed=2)
    e = tokembed.InputEmbedder(token, position="sinusoidal", scale=math.sqrt(768))
    ids = np.random.default_rng(3).integers(0, 100, (2, 300))
    got = e(ids)
    expected = token.weights.astype(np.float64)[ids] * math.sqrt(768) + pe[:300]
    assert np.abs(got - expected).max() <= 1e-5
    assert e.position == "sinusoidal"


def test_sinusoidal_table_grows_with_the_sequence_and_explicit_positions():
    pe = np.load(DATA / "golden" / "sinusoidal.npz")["pe_64x6"]
    token = np.zeros((10, 6), np.float32)
    e = tokembed.InputEmbedder(token, position="sinusoidal")
    np.testing.assert_allclose(e(np.zeros(64, np.int64)), pe, atol=1e-6)
    long = e(np.zeros((1, 1500), np.int64))
    assert long.shape == (1, 1500, 6)
    angle = 1499 * 10000.0 ** (-np.arange(0, 6, 2) / 6)
    np.testing.assert_allclose(long[0, 1499, 0::2], np.sin(angle), atol=1e-5)
    np.testing.assert_allclose(long[0, 1499, 1::2], np.cos(angle), atol=1e-5)
    shifted = e(np.zeros((2, 4), np.int64), position_ids=np.array([5, 6, 7, 2000]))
    np.testing.assert_allclose(shifted[1, :3], pe[5:8], atol=1e-6)
    assert np.array_equal(shifted[0], shifted[1])


def test_learned_positions_with_explicit_ids():
    rng = np.random.default_rng(4)
    token, position = rng.standard_normal((20, 8)).astype(np.float32), rng.standard_normal((10, 8)).astype(np.float32)
    e = tokembed.InputEmbedder(token, position=position)
    ids = rng.integers(0, 20, (2, 5))
    pos = np.array([[9, 8, 7, 6, 5], [0, 0, 1, 1, 2]], dtype=np.uint8)
    assert np.array_equal(e(ids, position_ids=pos), token[ids] + position[pos])
    with pytest.raises(IndexError, match=r"token id 10 at position_ids\[1, 4\]"):
        e(ids, position_ids=np.where(np.arange(10).reshape(2, 5) == 9, 10, 0))
    with pytest.raises(ValueError, match="sequences of 11 tokens need 11 positions, but the position table has 10 rows"):
        e(np.zeros((1, 11), np.int64))


# ----- threads, out=, BatchEncoding mapping -----------------------------------------------------


def test_large_batches_are_the_same_on_one_and_two_threads_and_into_out(bert):
    ids = np.random.default_rng(5).integers(0, 30522, (24, 512))  # 18.9 MB of output: streamed
    types = (np.arange(512) >= 200).astype(np.int64)[None].repeat(24, 0)
    tokembed.set_num_threads(1)
    one = bert(ids, types)
    tokembed.set_num_threads(2)
    out = np.empty((24, 512, 384), np.float32)
    assert bert(ids, types, out=out) is out
    assert np.array_equal(one, out)
    expected = reference(
        bert.token.weights, ids, bert.segment.weights, types, bert.position.weights,
        np.broadcast_to(np.arange(512), ids.shape), bert.layer_norm,
    )
    assert np.abs(out - expected).max() <= 1e-5


def test_mapping_input_and_missing_token_types(bert):
    ids = np.array([[101, 7592, 102, 0]])
    assert np.array_equal(bert({"input_ids": ids}), bert(ids, np.zeros_like(ids)))
    plain = tokembed.InputEmbedder(bert.token)
    # an embedder without a segment table ignores a batch's token_type_ids
    assert np.array_equal(plain({"input_ids": ids, "token_type_ids": np.ones_like(ids)}), bert.token(ids))
    with pytest.raises(KeyError):
        bert({"ids": ids})


# ----- NaN and errors ---------------------------------------------------------------------------


def test_nan_in_a_table_makes_only_its_rows_nan():
    token = np.ones((5, 4), np.float32) * np.arange(4, dtype=np.float32)
    token[2, 1] = np.nan
    e = tokembed.InputEmbedder(token, layer_norm=(np.ones(4), np.zeros(4), 1e-5))
    got = e(np.array([[1, 2, 3]]))
    assert np.isnan(got[0, 1]).all() and np.isfinite(got[0, [0, 2]]).all()


def test_argument_errors():
    rng = np.random.default_rng(6)
    token, segment = rng.standard_normal((10, 4)).astype(np.float32), rng.standard_normal((2, 4)).astype(np.float32)
    e = tokembed.InputEmbedder(token, position=np.zeros((8, 4), np.float32), segment=segment)
    ids = np.array([[1, 2, 3]])
    with pytest.raises(IndexError, match=r"token id 10 at input_ids\[0, 2\] is out of range for a table of 10 rows"):
        e(np.array([[1, 2, 10]]))
    with pytest.raises(IndexError, match=r"token id 2 at token_type_ids\[0, 1\]"):
        e(ids, np.array([[0, 2, 0]]))
    with pytest.raises(ValueError, match="token_type_ids has shape"):
        e(ids, np.array([0, 1, 0]))
    with pytest.raises(ValueError, match="do not fit"):
        e(ids, position_ids=np.arange(4))
    with pytest.raises(TypeError, match="integer dtype"):
        e(ids.astype(np.float32))
    with pytest.raises(ValueError, match="at least one dimension"):
        e(np.int64(3))
    with pytest.raises(ValueError, match=r"out has shape"):
        e(ids, out=np.empty((1, 3, 5), np.float32))
    with pytest.raises(TypeError, match="out has dtype float16"):
        e(ids, out=np.empty((1, 3, 4), np.float16))
    with pytest.raises(ValueError, match="overlaps"):
        e(np.array([[0]]), out=token[:1].reshape(1, 1, 4))
    plain = tokembed.InputEmbedder(token)
    with pytest.raises(ValueError, match="no segment table"):
        plain(ids, np.zeros_like(ids))
    with pytest.raises(ValueError, match="no position table"):
        plain(ids, position_ids=np.arange(3))
    with pytest.raises(ValueError, match="segment table has dim 3"):
        tokembed.InputEmbedder(token, segment=np.zeros((2, 3), np.float32))
    with pytest.raises(ValueError, match="position must be None"):
        tokembed.InputEmbedder(token, position="rotary")
    with pytest.raises(TypeError, match="EmbeddingTable or a 2-D array"):
        tokembed.InputEmbedder([[1.0]])
    with pytest.raises(ValueError, match=r"layer_norm weight must have shape \(4,\)"):
        tokembed.InputEmbedder(token, layer_norm=(np.ones(3), np.zeros(4), 1e-5))
    with pytest.raises(ValueError, match="eps"):
        tokembed.InputEmbedder(token, layer_norm=(np.ones(4), np.zeros(4), -1.0))
    with pytest.raises(TypeError, match=r"\(weight, bias, eps\)"):
        tokembed.InputEmbedder(token, layer_norm=(np.ones(4), np.zeros(4)))
    with pytest.raises(ValueError, match="scale must be finite"):
        tokembed.InputEmbedder(token, scale=float("inf"))
    with pytest.raises(TypeError, match="scale must be a number"):
        tokembed.InputEmbedder(token, scale="sqrt")
