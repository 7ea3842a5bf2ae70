"""Positional encodings against the golden outputs of PyTorch 2.13 / HF transformers 5.23
(../shared/data/golden) and, where no golden exists, against float64 NumPy transcriptions of
the published formulas written here.

Tolerances:
- sinusoidal (float64): 1e-12 absolute (angles up to 511 rad carry ~1e-13 of rounding).
- RoPE inv_freq: bit-identical to HF's float32 tensor; attention_scaling to 1e-15 relative.
- RoPE outputs vs torch float32 (values of magnitude <= 5): 1e-6 absolute, i.e. a few float32
  ulps (torch's cos/sin and ours may differ by one ulp).
- ALiBi slopes: at most 1 float32 ulp (torch's float32 pow is not correctly rounded; ours is).
- T5 buckets: exact.
- inv_freq against float64 transcriptions of HF's formulas: 2e-7 relative (dynamic), 1e-6
  relative (yarn: HF blends with float32 weights, a few ulps off the exact blend).
- Outputs against float64 references of the formula (no golden): HF rounds the angle
  position * inv_freq to float32, so the tolerance grows with the position:
  4e-7 * max_position * max|x| + 1e-6 absolute.
"""

from __future__ import annotations

import ast
import inspect
import json
import math
import threading
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import tokembed
from tokembed import RotaryEmbedding, _core
from tokembed.positional import alibi_bias, alibi_slopes, position_ids, sinusoidal_table, t5_relative_position_bucket

from conftest import DATA

GOLDEN = DATA / "golden"
SCALING_TYPES = ["default", "linear", "llama3", "yarn"]


def load(name: str) -> dict:
    with np.load(GOLDEN / name, allow_pickle=False) as f:
        return {k: f[k] for k in f.files}


@pytest.fixture(scope="module")
def rope_golden() -> dict:
    return load("rope.npz")


def whole_positions(p: np.ndarray) -> np.ndarray:
    assert np.all(p == np.round(p)) and p.min() >= 0
    return p.astype(np.int64)


# ---------------------------------------------------------------------------------------------
# float64 references written from the formulas


def default_inv_freq64(theta: float, dim: int) -> np.ndarray:
    return 1.0 / theta ** (np.arange(0, dim, 2, dtype=np.float64) / dim)


def rotate64(x: np.ndarray, positions: np.ndarray, inv_freq: np.ndarray, layout: str, scale: float = 1.0):
    """Exact rotation: each pair (a, b) -> (a cos - b sin, a sin + b cos), angle = position * inv_freq."""
    x = x.astype(np.float64)
    rot = 2 * len(inv_freq)
    angle = positions.astype(np.float64)[..., None] * inv_freq  # (..., seq, rot/2)
    cos, sin = (np.cos(angle) * scale)[..., None, :], (np.sin(angle) * scale)[..., None, :]
    out = x.copy()
    if layout == "neox":
        a, b = x[..., : rot // 2], x[..., rot // 2 : rot]
        out[..., : rot // 2] = a * cos - b * sin
        out[..., rot // 2 : rot] = a * sin + b * cos
    else:
        a, b = x[..., 0:rot:2], x[..., 1:rot:2]
        out[..., 0:rot:2] = a * cos - b * sin
        out[..., 1:rot:2] = a * sin + b * cos
    return out


def angle_tolerance(max_position: int, x: np.ndarray) -> float:
    return 4e-7 * max(max_position, 1) * float(np.abs(x).max(initial=0.0)) + 1e-6


def hf_dynamic_inv_freq64(theta: float, dim: int, factor: float, max_pos: int, seq_len: int) -> np.ndarray:
    seq_len = max(seq_len, max_pos)
    base = theta * ((factor * seq_len / max_pos) - (factor - 1)) ** (dim / (dim - 2))
    return 1.0 / base ** (np.arange(0, dim, 2, dtype=np.float64) / dim)


def hf_yarn64(theta, dim, factor, original_max_position_embeddings, beta_fast=32, beta_slow=1, mscale=None, mscale_all_dim=None,
              attention_factor=None, truncate=True):
    def get_mscale(scale, m=1.0):
        return 1.0 if scale <= 1 else 0.1 * m * math.log(scale) + 1.0

    if attention_factor is None:
        if mscale and mscale_all_dim:
            attention_factor = get_mscale(factor, mscale) / get_mscale(factor, mscale_all_dim)
        else:
            attention_factor = get_mscale(factor)

    def correction_dim(rotations):
        original = original_max_position_embeddings
        return (dim * math.log(original / (rotations * 2 * math.pi))) / (2 * math.log(theta))

    low, high = correction_dim(beta_fast), correction_dim(beta_slow)
    if truncate:
        low, high = math.floor(low), math.ceil(high)
    low, high = max(low, 0), min(high, dim - 1)
    if low == high:
        high += 0.001
    ramp = np.clip((np.arange(dim // 2, dtype=np.float64) - low) / (high - low), 0, 1)
    extrapolation = default_inv_freq64(theta, dim)
    interpolation = extrapolation / factor
    keep = 1 - ramp
    return interpolation * (1 - keep) + extrapolation * keep, attention_factor


# ---------------------------------------------------------------------------------------------
# golden parity


def test_sinusoidal_golden():
    golden = load("sinusoidal.npz")
    assert golden
    for key, want in golden.items():
        max_len, dim = map(int, key[len("pe_"):].split("x"))
        got = sinusoidal_table(max_len, dim, dtype=np.float64)
        assert got.dtype == np.float64 and got.shape == want.shape
        np.testing.assert_allclose(got, want, rtol=0, atol=1e-12)
        got32 = sinusoidal_table(max_len, dim)
        assert got32.dtype == np.float32
        np.testing.assert_array_max_ulp(got32, want.astype(np.float32), maxulp=1)
        assert sinusoidal_table(max_len, dim, dtype="float16").dtype == np.float16


@pytest.mark.parametrize("rope_type", SCALING_TYPES)
def test_rope_golden_frequencies_and_neox(rope_golden, rope_type):
    g = {k.split(".", 1)[1]: v for k, v in rope_golden.items() if k.startswith(rope_type + ".")}
    params = json.loads(str(g["params"]))
    assert params["rope_type"] == rope_type
    rope = RotaryEmbedding(64, scaling=params)
    assert rope.rope_type == rope_type and rope.theta == params["rope_theta"]
    assert rope.inv_freq.dtype == np.float32
    np.testing.assert_array_equal(rope.inv_freq.astype(np.float64), g["inv_freq"])
    assert rope.attention_scaling == pytest.approx(float(g["attention_scaling"]), rel=1e-15)
    x, positions = g["x"], whole_positions(g["positions"])
    assert x.shape == (2, len(positions), 3, 64)
    y = rope.apply(x, positions)
    assert y.dtype == np.float32 and y.shape == x.shape
    np.testing.assert_allclose(y, g["y_neox"], rtol=0, atol=1e-6)
    # Positions per batch row (broadcast form (batch, seq)) give the same result.
    y2 = rope.apply(x, np.broadcast_to(positions, (2, len(positions))))
    np.testing.assert_array_equal(y, y2)


def test_rope_golden_interleaved():
    g = load("rope_interleaved.npz")
    rope = RotaryEmbedding(64, float(g["theta"]), layout="interleaved")
    y = rope.apply(g["x"], g["positions"])
    np.testing.assert_allclose(y, g["y"], rtol=0, atol=1e-6)
    # The NeoX layout is a different pairing: it must not match.
    assert np.abs(RotaryEmbedding(64, float(g["theta"])).apply(g["x"], g["positions"]) - g["y"]).max() > 0.1


def test_rope_older_rope_scaling_spelling_and_hf_config(rope_golden):
    linear = RotaryEmbedding(64, 500000.0, scaling={"type": "linear", "factor": 4.0})
    np.testing.assert_array_equal(linear.inv_freq.astype(np.float64), rope_golden["linear.inv_freq"])
    llama3 = json.loads(str(rope_golden["llama3.params"]))
    config = {
        "hidden_size": 192,
        "num_attention_heads": 3,
        "rope_theta": llama3.pop("rope_theta"),
        "rope_scaling": {**llama3, "type": llama3["rope_type"]},
        "max_position_embeddings": 131072,
    }
    rope = RotaryEmbedding.from_hf_config(config)
    assert rope.head_dim == 64
    np.testing.assert_array_equal(rope.inv_freq.astype(np.float64), rope_golden["llama3.inv_freq"])
    # original_max_position_embeddings falls back to max_position_embeddings, as in HF.
    without = {k: v for k, v in config["rope_scaling"].items() if k != "original_max_position_embeddings"}
    same = RotaryEmbedding(64, 500000.0, scaling=without, max_position_embeddings=8192)
    np.testing.assert_array_equal(same.inv_freq, rope.inv_freq)


def test_alibi_golden():
    golden = load("alibi.npz")
    assert len(golden) >= 5
    for key, want in golden.items():
        n = int(key.split("_")[1])
        got = alibi_slopes(n)
        assert got.dtype == np.float32 and got.shape == (n,)
        np.testing.assert_array_max_ulp(got, want.astype(np.float32), maxulp=1)


def test_alibi_bias_gives_blooms_attention():
    slopes = load("alibi.npz")["slopes_12"].astype(np.float32)
    q_len, k_len = 5, 9
    ours = alibi_bias(12, q_len, k_len)
    assert ours.shape == (12, q_len, k_len) and ours.dtype == np.float32
    bloom = slopes[:, None, None] * np.arange(k_len, dtype=np.float32)  # Bloom: slope * key position
    diff = ours.astype(np.float64) - bloom
    np.testing.assert_allclose(diff - diff[..., :1], 0, atol=1e-5)  # constant per query row

    def softmax(s):
        e = np.exp(s - s.max(-1, keepdims=True))
        return e / e.sum(-1, keepdims=True)

    scores = np.random.default_rng(0).standard_normal((12, q_len, k_len))
    np.testing.assert_allclose(softmax(scores + ours), softmax(scores + bloom), atol=1e-6)
    # Zero for the query's own key (the last q_len positions), negative before it.
    for i in range(q_len):
        own = k_len - q_len + i
        assert np.all(ours[:, i, own] == 0) and np.all(ours[:, i, :own] < 0)


def test_t5_golden():
    golden = load("t5_buckets.npz")
    relative = golden.pop("relative_positions")
    assert golden
    for key, want in golden.items():
        bi, num_buckets, max_distance = key[len("buckets_bi"):].split("_")
        got = t5_relative_position_bucket(relative, bi == "1", int(num_buckets), int(max_distance))
        assert got.dtype == np.int64
        np.testing.assert_array_equal(got, want)
    assert t5_relative_position_bucket(-16, True, 32, 128) == 10
    grid = t5_relative_position_bucket(relative.reshape(1, -1, 1), True, 32, 128)
    assert grid.shape == (1, relative.size, 1)


# ---------------------------------------------------------------------------------------------
# no golden: formulas


@pytest.mark.parametrize("seq_len", [20, 32, 80])
def test_rope_dynamic_against_the_formula(seq_len):
    max_pos, factor, theta, dim = 32, 2.0, 10000.0, 64
    rope = RotaryEmbedding(dim, theta, {"rope_type": "dynamic", "factor": factor}, max_position_embeddings=max_pos)
    want = hf_dynamic_inv_freq64(theta, dim, factor, max_pos, seq_len)
    inv, scale = rope.frequencies(seq_len)
    assert scale == 1.0
    np.testing.assert_allclose(inv, want, rtol=2e-7)  # float32 rounding (HF computes in float32)
    if seq_len <= max_pos:
        np.testing.assert_array_equal(inv, rope.inv_freq)
    else:
        assert np.all(inv[1:] < rope.inv_freq[1:])
    x = np.random.default_rng(seq_len).standard_normal((2, seq_len, 3, dim)).astype(np.float32)
    positions = np.arange(seq_len)
    y = rope.apply(x, positions)  # seq_len = max(positions) + 1, as HF's dynamic update
    np.testing.assert_allclose(y, rotate64(x, positions, want, "neox"), rtol=0, atol=angle_tolerance(seq_len, x))
    np.testing.assert_array_equal(rope.apply(x, positions, seq_len=seq_len), y)
    # A longer declared sequence scales more, so the result changes above max_position_embeddings.
    changed = not np.array_equal(rope.apply(x, positions, seq_len=4 * max_pos), y)
    assert changed


@pytest.mark.parametrize(
    "params",
    [
        {"factor": 8.0, "original_max_position_embeddings": 2048},
        {"factor": 16.0, "original_max_position_embeddings": 4096, "beta_fast": 16, "beta_slow": 2, "truncate": False},
        {"factor": 40.0, "original_max_position_embeddings": 4096, "mscale": 0.707, "mscale_all_dim": 1.0},
        {"factor": 4.0, "original_max_position_embeddings": 4096, "attention_factor": 0.9},
    ],
)
def test_rope_yarn_against_the_formula(params):
    theta, dim = 10000.0, 128
    rope = RotaryEmbedding(dim, theta, {"rope_type": "yarn", **params})
    want, scale = hf_yarn64(theta, dim, **params)
    # HF blends the two frequencies with float32 weights (1 - (1 - ramp)), a few ulps off exact.
    np.testing.assert_allclose(rope.inv_freq, want, rtol=1e-6)
    assert rope.attention_scaling == pytest.approx(scale, rel=1e-15)
    x = np.random.default_rng(1).standard_normal((1, 40, 2, dim)).astype(np.float32)
    positions = np.arange(40)
    np.testing.assert_allclose(
        rope.apply(x, positions), rotate64(x, positions, want, "neox", scale), rtol=0, atol=angle_tolerance(40, x)
    )


def test_yarn_factor_defaults_to_context_ratio():
    a = RotaryEmbedding(64, 1e4, {"rope_type": "yarn", "original_max_position_embeddings": 1024},
                        max_position_embeddings=4096)
    b = RotaryEmbedding(64, 1e4, {"rope_type": "yarn", "factor": 4.0, "original_max_position_embeddings": 1024})
    np.testing.assert_array_equal(a.inv_freq, b.inv_freq)
    assert a.attention_scaling == b.attention_scaling


@pytest.mark.parametrize("layout", ["neox", "interleaved"])
def test_partial_rotary_factor(layout):
    rope = RotaryEmbedding(80, 10000.0, layout=layout, partial_rotary_factor=0.4)
    assert rope.rotary_dim == 32 and rope.inv_freq.shape == (16,)
    x = np.random.default_rng(2).standard_normal((3, 30, 2, 80)).astype(np.float32)
    positions = np.arange(30)
    y = rope.apply(x, positions)
    np.testing.assert_array_equal(y[..., 32:], x[..., 32:])
    want = rotate64(x, positions, default_inv_freq64(10000.0, 32), layout)
    np.testing.assert_allclose(y, want, rtol=0, atol=angle_tolerance(30, x))
    same = RotaryEmbedding(80, scaling={"rope_theta": 10000.0, "partial_rotary_factor": 0.4}, layout=layout)
    np.testing.assert_array_equal(same.apply(x, positions), y)


def test_cos_sin_is_hf_cos_sin():
    """apply(x) is HF's `x * cos + rotate_half(x) * sin` with the cos/sin we expose."""
    rope = RotaryEmbedding(64, 500000.0, {"rope_type": "yarn", "factor": 4.0, "original_max_position_embeddings": 64})
    positions = np.array([[0, 5, 9, 200], [1, 2, 3, 4]])
    cos, sin = rope.cos_sin(positions)
    assert cos.shape == (2, 4, 64) and cos.dtype == np.float32
    np.testing.assert_array_equal(cos[..., :32], cos[..., 32:])
    x = np.random.default_rng(3).standard_normal((2, 4, 5, 64)).astype(np.float32)
    rotate_half = np.concatenate([-x[..., 32:], x[..., :32]], axis=-1)
    np.testing.assert_array_equal(rope.apply(x, positions), x * cos[:, :, None] + rotate_half * sin[:, :, None])
    want = np.cos(positions[..., None] * rope.inv_freq.astype(np.float64)) * rope.attention_scaling
    np.testing.assert_allclose(cos[..., :32], want, atol=angle_tolerance(200, np.ones(1)))
    ci, si = RotaryEmbedding(64, 500000.0, layout="interleaved").cos_sin(np.arange(3))
    np.testing.assert_array_equal(ci[:, 0::2], ci[:, 1::2])


def test_sinusoidal_formula_odd_dim_and_base():
    table = sinusoidal_table(20, 7, base=100.0, dtype=np.float64)
    j = np.arange(7)
    angle = np.arange(20)[:, None] / 100.0 ** (2 * (j // 2) / 7)
    np.testing.assert_allclose(table, np.where(j % 2 == 0, np.sin(angle), np.cos(angle)), atol=1e-12)


def test_position_ids():
    ids = position_ids(2, 4, offset=3)
    assert ids.dtype == np.int64 and ids.flags.c_contiguous
    np.testing.assert_array_equal(ids, [[3, 4, 5, 6], [3, 4, 5, 6]])
    assert position_ids(0, 3).shape == (0, 3)
    # Learned absolute positions: a table lookup by these ids.
    table = np.random.default_rng(4).standard_normal((16, 8)).astype(np.float32)
    np.testing.assert_array_equal(table[position_ids(2, 4, 3)][1, 2], table[5])


def alibi_slopes64(n: int) -> np.ndarray:
    """ALiBi slopes from the paper's recipe (as Bloom extends it to any head count), exact."""
    p = 2 ** math.floor(math.log2(n))
    slopes = [2.0 ** (-8.0 * (h + 1) / p) for h in range(p)]
    slopes += [2.0 ** (-4.0 * (2 * i + 1) / p) for i in range(min(p, n - p))]
    return np.array(slopes)


@pytest.mark.parametrize("n", [1, 2, 3, 5, 6, 7, 12, 20, 24, 40, 64, 80, 96, 100])
def test_alibi_slopes_formula(n):
    # Bloom rounds the base to float32 first, so compare within a few float32 ulps of the exact value.
    np.testing.assert_allclose(alibi_slopes(n), alibi_slopes64(n), rtol=5e-7)


def t5_bucket64(relative: int, bidirectional: bool, num_buckets: int, max_distance: int):
    """T5's bucket in exact arithmetic, and how close the log step lands to a bucket edge."""
    offset, n = 0, relative
    if bidirectional:
        num_buckets //= 2
        offset = num_buckets if relative > 0 else 0
        n = abs(relative)
    else:
        n = -min(relative, 0)
    max_exact = num_buckets // 2
    if n < max_exact:
        return offset + n, 1.0
    v = math.log(n / max_exact) / math.log(max_distance / max_exact) * (num_buckets - max_exact)
    return offset + min(max_exact + int(v), num_buckets - 1), abs(v - round(v))


@settings(max_examples=500, deadline=None)
@given(
    st.lists(st.integers(-(10**6), 10**6), min_size=1, max_size=50),
    st.booleans(),
    st.integers(4, 128),
    st.integers(2, 2000),
)
def test_t5_buckets_match_exact_math_away_from_edges(relative, bidirectional, num_buckets, max_distance):
    max_exact = (num_buckets // 2 if bidirectional else num_buckets) // 2
    if max_distance <= max_exact:
        with pytest.raises(ValueError, match="max_distance"):
            t5_relative_position_bucket(relative, bidirectional, num_buckets, max_distance)
        return
    got = t5_relative_position_bucket(np.array(relative), bidirectional, num_buckets, max_distance)
    for r, b in zip(relative, got):
        want, edge = t5_bucket64(r, bidirectional, num_buckets, max_distance)
        if edge > 1e-4:  # at an edge, HF's float32 log decides (the golden file checks those)
            assert b == want, (r, b, want)


# ---------------------------------------------------------------------------------------------
# kernel properties


@st.composite
def rope_case(draw):
    layout = draw(st.sampled_from(["neox", "interleaved"]))
    rot = 2 * draw(st.integers(1, 16))
    head_dim = rot + draw(st.sampled_from([0, 0, 2, 6]))
    lead = tuple(draw(st.lists(st.integers(1, 3), min_size=0, max_size=2)))
    seq = draw(st.integers(1, 24))
    heads = draw(st.integers(1, 4))
    x = draw(hnp.arrays(np.float32, lead + (seq, heads, head_dim), elements=st.floats(-4, 4, width=32)))
    pos_shape = draw(st.sampled_from([(seq,), lead + (seq,), (1,) * len(lead) + (seq,)]))
    positions = draw(hnp.arrays(np.int64, pos_shape, elements=st.integers(0, 5000)))
    return layout, rot, head_dim, x, positions


@settings(max_examples=300, deadline=None)
@given(rope_case(), st.sampled_from([1e4, 5e5]))
def test_rope_hypothesis_matches_exact_rotation(case, theta):
    layout, rot, head_dim, x, positions = case
    rope = RotaryEmbedding(head_dim, theta, layout=layout, partial_rotary_factor=rot / head_dim)
    assert rope.rotary_dim == rot
    y = rope.apply(x, positions)
    full_positions = np.broadcast_to(positions, x.shape[:-2])
    want = rotate64(x, full_positions, default_inv_freq64(theta, rot), layout)
    np.testing.assert_allclose(y, want, rtol=0, atol=angle_tolerance(int(positions.max()), x))
    # Out of place, into out=, in place, float64 and a non-contiguous view all agree.
    out = np.full_like(x, np.nan)
    assert rope.apply(x, positions, out=out) is out
    np.testing.assert_array_equal(out, y)
    inplace = x.copy()
    rope.apply(inplace, positions, out=inplace)
    np.testing.assert_array_equal(inplace, y)
    np.testing.assert_allclose(rope.apply(x.astype(np.float64), positions), y, rtol=0, atol=2e-6)
    padded = np.zeros(x.shape[:-1] + (2 * head_dim,), dtype=np.float32)
    padded[..., ::2] = x
    np.testing.assert_array_equal(rope.apply(padded[..., ::2], positions), y)


def test_rope_threads_agree_and_release_the_gil():
    rope = RotaryEmbedding(64, 10000.0)
    x = np.random.default_rng(5).standard_normal((4, 512, 8, 64)).astype(np.float32)
    positions = np.arange(512) + 7
    before = tokembed.get_num_threads()
    try:
        tokembed.set_num_threads(1)
        one = rope.apply(x, positions)
        tokembed.set_num_threads(2)
        two = rope.apply(x, positions)
    finally:
        tokembed.set_num_threads(before)
    np.testing.assert_array_equal(one, two)
    results = [None] * 4

    def work(i):
        results[i] = rope.apply(x, positions)

    threads = [threading.Thread(target=work, args=(i,)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for r in results:
        np.testing.assert_array_equal(r, one)


def test_rope_empty_inputs():
    rope = RotaryEmbedding(8)
    assert rope.apply(np.zeros((0, 2, 8), np.float32), np.zeros(0, np.int64)).shape == (0, 2, 8)
    assert rope.apply(np.zeros((3, 0, 8), np.float32), np.arange(3)).shape == (3, 0, 8)
    cos, sin = rope.cos_sin(np.zeros((0,), np.int64))
    assert cos.shape == (0, 8)


# ---------------------------------------------------------------------------------------------
# bad input: clear errors naming the argument


def raises(exc, match, fn, *args, **kwargs):
    with pytest.raises(exc, match=match):
        fn(*args, **kwargs)


def test_rope_constructor_errors():
    raises(ValueError, "head_dim must be even", RotaryEmbedding, 63)
    raises(ValueError, "head_dim must be at least 1", RotaryEmbedding, 0)
    raises(TypeError, "head_dim must be an integer", RotaryEmbedding, 64.0)
    raises(ValueError, r'scaling\["factor"\] is required', RotaryEmbedding, 64, scaling={"rope_type": "linear"})
    raises(ValueError, r'scaling\["factor"\] must be a number', RotaryEmbedding, 64,
           scaling={"rope_type": "linear", "factor": "4"})
    raises(ValueError, "low_freq_fator", RotaryEmbedding, 64,
           scaling={"rope_type": "llama3", "factor": 8, "low_freq_fator": 1, "high_freq_factor": 4,
                    "original_max_position_embeddings": 8192})
    raises(ValueError, "longrope", RotaryEmbedding, 64, scaling={"rope_type": "longrope"})
    raises(ValueError, "max_position_embeddings", RotaryEmbedding, 64, scaling={"type": "dynamic", "factor": 2.0})
    raises(ValueError, "original_max_position_embeddings", RotaryEmbedding, 64,
           scaling={"rope_type": "llama3", "factor": 8, "low_freq_factor": 1, "high_freq_factor": 4})
    raises(ValueError, "high_freq_factor", RotaryEmbedding, 64,
           scaling={"rope_type": "llama3", "factor": 8, "low_freq_factor": 4, "high_freq_factor": 1,
                    "original_max_position_embeddings": 8192})
    raises(TypeError, "scaling must be a dict", RotaryEmbedding, 64, scaling=[("rope_type", "linear")])
    raises(ValueError, "theta=10000.0 contradicts", RotaryEmbedding, 64, 10000.0, {"rope_theta": 500000.0})
    raises(ValueError, "layout", RotaryEmbedding, 64, layout="gptj")
    raises(ValueError, "partial_rotary_factor", RotaryEmbedding, 64, partial_rotary_factor=1.5)
    raises(ValueError, "rotary dimension", RotaryEmbedding, 64, partial_rotary_factor=0.3)
    raises(ValueError, "finite", RotaryEmbedding, 64, scaling={"rope_type": "linear", "factor": float("nan")})
    raises(ValueError, "theta", RotaryEmbedding, 64, 1.0)


def test_rope_apply_errors():
    rope = RotaryEmbedding(8)
    x = np.zeros((2, 3, 2, 8), np.float32)
    pos = np.arange(3)
    raises(TypeError, "x must be float32 or float64, got dtype int64", rope.apply, x.astype(np.int64), pos)
    raises(TypeError, "x must be float32 or float64, got dtype float16", rope.apply, x.astype(np.float16), pos)
    raises(ValueError, "expected head_dim=8", rope.apply, np.zeros((2, 3, 2, 6), np.float32), pos)
    raises(ValueError, r"x must have shape \(\.\.\., seq, heads, head_dim\)", rope.apply, np.zeros((3, 8), np.float32), pos)
    raises(TypeError, "positions must have an integer dtype, got float32", rope.apply, x, pos.astype(np.float32))
    raises(TypeError, "positions must have an integer dtype, got bool", rope.apply, x, pos > 0)
    raises(ValueError, "positions must be non-negative", rope.apply, x, np.array([0, -1, 2]))
    raises(ValueError, "positions of shape", rope.apply, x, np.arange(4))
    raises(ValueError, "seq_len must be at least 1", rope.apply, x, pos, seq_len=0)
    raises(TypeError, "out has dtype float64", rope.apply, x, pos, out=np.zeros(x.shape))
    raises(ValueError, "out has shape", rope.apply, x, pos, out=np.zeros((2, 3, 2, 4), np.float32))
    raises(TypeError, "out must be a numpy.ndarray", rope.apply, x, pos, out=[0.0])
    raises(ValueError, "out must be C-contiguous", rope.apply, x, pos,
           out=np.zeros((2, 3, 2, 16), np.float32)[..., ::2])
    ro = np.zeros_like(x)
    ro.flags.writeable = False
    raises(ValueError, "out is read-only", rope.apply, x, pos, out=ro)
    buf = np.zeros(x.size + 8, np.float32)
    raises(ValueError, "out overlaps x", rope.apply, buf[:-8].reshape(x.shape), pos, out=buf[8:].reshape(x.shape))
    raises(TypeError, "positions must have an integer dtype", rope.cos_sin, [0.5])
    raises(ValueError, "positions must be non-negative", rope.cos_sin, [-3])


def test_other_errors():
    raises(TypeError, "dtype must be float16, float32 or float64", sinusoidal_table, 4, 4, dtype=np.int32)
    raises(ValueError, "dim must be at least 1", sinusoidal_table, 4, 0)
    raises(ValueError, "max_len must be at least 0", sinusoidal_table, -1, 4)
    raises(TypeError, "max_len must be an integer", sinusoidal_table, 4.0, 4)
    raises(ValueError, "base must be positive", sinusoidal_table, 4, 4, base=-1.0)
    raises(ValueError, "n_heads must be at least 1", alibi_slopes, 0)
    raises(ValueError, r"q_len \(5\) must not exceed k_len \(4\)", alibi_bias, 2, 5, 4)
    raises(TypeError, "relative must have an integer dtype", t5_relative_position_bucket, [0.5])
    raises(ValueError, "num_buckets must be at least 4", t5_relative_position_bucket, [1], True, 3, 128)
    raises(ValueError, "max_distance", t5_relative_position_bucket, [1], True, 32, 8)
    raises(TypeError, "bidirectional must be a bool", t5_relative_position_bucket, [1], 1)
    raises(ValueError, "offset must be at least 0", position_ids, 1, 2, -1)


def test_core_rope_stub_matches_the_class():
    stub = ast.parse(Path(tokembed.__file__).with_name("_core.pyi").read_text(encoding="utf-8"))
    classes = {n.name: n for n in stub.body if isinstance(n, ast.ClassDef)}
    stubbed = {n.name for n in classes["Rope"].body if isinstance(n, ast.FunctionDef) and not n.name.startswith("_")}
    public = {n for n, _ in inspect.getmembers(_core.Rope) if not n.startswith("_")}
    assert stubbed == public
