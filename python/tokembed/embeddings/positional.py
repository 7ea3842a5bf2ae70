"""Positional encodings over NumPy: sinusoidal tables, position ids, ALiBi and T5 relative
buckets here, rotary embeddings (RoPE) in ``rotary.py`` (``RotaryEmbedding`` is importable from
here too, with every other positional encoding).

The numbers follow the reference implementations people use today: HF ``transformers``
(``modeling_rope_utils``, Llama's ``rotate_half``, Bloom's ALiBi, T5's buckets) and Meta's
Llama code for the interleaved RoPE layout, computed in float32 where they compute in
float32. Learned absolute positions are an ordinary table lookup: use an embedding table with
``position_ids(...)``.

Argument policy, here and in ``rotary.py`` (these modules only shape arguments, with the checks
of ``tokembed._checks``; the work runs in the Rust core without the GIL): integers must be
Python or NumPy integers, arrays of positions must have an integer dtype, and wrong values
raise ``ValueError`` (``TypeError`` for a wrong type) naming the argument. Non-contiguous inputs
and inputs in the other byte order (``">f4"``) are copied (to native order); ``out=`` arrays are
never copied, so they must be C-contiguous, writeable, of the exact shape and dtype, and in the
machine's byte order. Returned arrays are in native order.
"""

from __future__ import annotations

from typing import Union

import numpy as np
import numpy.typing as npt

from .. import _checks, _core
from .rotary import RotaryEmbedding

__all__ = [
    "RotaryEmbedding",
    "alibi_bias",
    "alibi_slopes",
    "position_ids",
    "sinusoidal_table",
    "t5_relative_position_bucket",
]

_TABLE_DTYPES = (np.dtype(np.float16), np.dtype(np.float32), np.dtype(np.float64))


def sinusoidal_table(
    max_len: int, dim: int, base: float = 10000.0, dtype: npt.DTypeLike = np.float32
) -> np.ndarray:
    """The ``(max_len, dim)`` sinusoidal table of "Attention is all you need".

    ``table[pos, 2i] = sin(pos * base**(-2i/dim))`` and ``table[pos, 2i+1] = cos(...)`` of the
    same angle (an odd ``dim`` ends with a sin column). Computed in float64, then cast to
    ``dtype`` (float32 by default; float16 and float64 also accepted; native byte order).
    """
    max_len = _checks.integer(max_len, "max_len", 0)
    dim = _checks.integer(dim, "dim", 1)
    base = _checks.finite_number(base, "base")
    if base <= 0:
        raise ValueError(f"base must be positive, got {base}")
    try:
        dtype = np.dtype(dtype)
    except TypeError as e:
        raise TypeError(f"dtype must be float16, float32 or float64, got {dtype!r}") from e
    if dtype.kind == "f":
        dtype = dtype.newbyteorder("=")  # the format counts; returned arrays are native
    if dtype not in _TABLE_DTYPES:
        raise TypeError(f"dtype must be float16, float32 or float64, got {dtype}")
    table = _core.sinusoidal_table(max_len, dim, base)
    return table if dtype == np.float64 else table.astype(dtype)


def position_ids(batch: int, seq_len: int, offset: int = 0) -> np.ndarray:
    """``(batch, seq_len)`` int64 positions ``offset, offset+1, ...`` in every row.

    For learned absolute positions (look them up in a position table) and for
    ``RotaryEmbedding.apply``; ``offset`` is the number of tokens already in a key/value cache.
    """
    batch = _checks.integer(batch, "batch", 0)
    seq_len = _checks.integer(seq_len, "seq_len", 0)
    offset = _checks.integer(offset, "offset", 0)
    row = np.arange(offset, offset + seq_len, dtype=np.int64)
    return np.ascontiguousarray(np.broadcast_to(row, (batch, seq_len)))


def alibi_slopes(n_heads: int) -> np.ndarray:
    """ALiBi head slopes, float32, as HF Bloom's ``build_alibi_tensor`` builds them.

    For ``n`` a power of two: ``2**(-8(h+1)/n)``; other head counts take the slopes of the
    largest power of two below, then every other slope of the next power of two.
    """
    return _core.alibi_slopes(_checks.integer(n_heads, "n_heads", 1))


def alibi_bias(n_heads: int, q_len: int, k_len: int) -> np.ndarray:
    """``(n_heads, q_len, k_len)`` float32 bias ``slope[h] * (j - i - (k_len - q_len))``.

    Queries are the last ``q_len`` of ``k_len`` positions (``q_len == k_len`` without a cache),
    so the bias is 0 for a query's own key and ``-slope * distance`` for earlier keys; add a
    causal mask for later keys. Bloom adds ``slope * j`` instead, which differs by a constant
    per query row and gives the same softmax.
    """
    n_heads = _checks.integer(n_heads, "n_heads", 1)
    q_len = _checks.integer(q_len, "q_len", 0)
    k_len = _checks.integer(k_len, "k_len", 0)
    if q_len > k_len:
        raise ValueError(f"q_len ({q_len}) must not exceed k_len ({k_len})")
    return _core.alibi_bias(n_heads, q_len, k_len)


def t5_relative_position_bucket(
    relative: Union[int, npt.ArrayLike],
    bidirectional: bool = True,
    num_buckets: int = 32,
    max_distance: int = 128,
) -> Union[int, np.ndarray]:
    """T5's bucket of each relative position (``key position - query position``).

    Exactly HF T5's ``_relative_position_bucket``, including its float32 log arithmetic.
    Returns an int64 array of the input's shape, or an int for a scalar input.
    """
    if not isinstance(bidirectional, (bool, np.bool_)):
        raise TypeError(f"bidirectional must be a bool, got {type(bidirectional).__name__}")
    num_buckets = _checks.integer(num_buckets, "num_buckets", 2)
    max_distance = _checks.integer(max_distance, "max_distance", 1)
    if num_buckets > 2**31 or max_distance > 2**31:
        raise ValueError("num_buckets and max_distance must be below 2**31")
    arr = _checks.int64_array(relative, "relative")
    flat = np.ascontiguousarray(arr).reshape(-1)
    buckets = _core.t5_relative_position_bucket(flat, bool(bidirectional), num_buckets, max_distance)
    if arr.ndim == 0:
        return int(buckets[0])
    return buckets.reshape(arr.shape)
