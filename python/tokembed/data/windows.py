"""Training windows over a token stream, as the LLMs-from-scratch data loader cuts them."""

from __future__ import annotations

from typing import Tuple

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view


def window_count(num_tokens: int, max_length: int, stride: int) -> int:
    """How many windows ``sliding_windows`` gives: one for each start ``0, stride, …`` below
    ``num_tokens - max_length`` (every window needs one more token for its last target)."""
    _check(max_length, stride)
    span = num_tokens - max_length
    return 0 if span <= 0 else (span + stride - 1) // stride


def window_at(ids: np.ndarray, index: int, max_length: int, stride: int) -> Tuple[np.ndarray, np.ndarray]:
    """The ``index``-th window's ``(inputs, targets)`` (views of ``ids``)."""
    start = index * stride
    return ids[start : start + max_length], ids[start + 1 : start + max_length + 1]


def sliding_windows(ids, max_length: int, stride: int) -> Tuple[np.ndarray, np.ndarray]:
    """``(inputs, targets)``, two ``(N, max_length)`` arrays: row ``k`` of ``inputs`` is
    ``ids[k*stride : k*stride + max_length]`` and ``targets`` is the same shifted by one token,
    for every start where the shifted window still fits (``window_count``).

    Both are read-only views of ``ids`` (no copy, even of a memory map); ``np.array(...)`` makes
    writable copies. ``stride == max_length`` gives windows that do not overlap.
    """
    ids = np.asarray(ids)
    if ids.ndim != 1:
        raise ValueError(f"ids must be one-dimensional, got shape {ids.shape}")
    n = window_count(len(ids), max_length, stride)
    if n == 0:
        empty = ids[:0].reshape(0, max_length)
        return empty, empty
    inputs = sliding_window_view(ids[:-1], max_length)[::stride][:n]
    targets = sliding_window_view(ids[1:], max_length)[::stride][:n]
    return inputs, targets


def _check(max_length: int, stride: int) -> None:
    if int(max_length) < 1:
        raise ValueError(f"max_length must be at least 1, got {max_length}")
    if int(stride) < 1:
        raise ValueError(f"stride must be at least 1, got {stride}")
