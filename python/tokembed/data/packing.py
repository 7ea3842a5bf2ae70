"""Packing documents into fixed-length rows: each document followed by an EOS token, all of them
one after the other, cut every ``row_length`` tokens (documents run across row boundaries, as in
GPT-style pretraining)."""

from __future__ import annotations

from typing import Optional

import numpy as np


def pack_documents(
    ids,
    offsets,
    row_length: int,
    eos_id: Optional[int] = None,
    *,
    drop_last: bool = True,
    pad_id: Optional[int] = None,
) -> np.ndarray:
    """Rows of ``row_length`` tokens, ``(R, row_length)``, from documents given as flat ``ids``
    and ``offsets`` (``encode_batch_flat``'s output, or a shard's).

    ``eos_id`` is put after every document (leave it None when the ids already hold it, as
    with ``tokembed encode --append-eos``). The last, incomplete row is dropped, unless
    ``drop_last=False``, in which case it is filled with ``pad_id``. For inputs and targets
    of length ``L``, pack rows of ``L + 1`` and take ``rows[:, :-1]``, ``rows[:, 1:]``.
    """
    ids = np.asarray(ids)
    offsets = np.asarray(offsets, dtype=np.int64)
    if ids.ndim != 1 or offsets.ndim != 1 or len(offsets) < 1:
        raise ValueError("ids and offsets must be one-dimensional, offsets of length documents + 1")
    if offsets[0] != 0 or offsets[-1] != len(ids) or np.any(np.diff(offsets) < 0):
        raise ValueError("offsets must rise from 0 to len(ids)")
    if int(row_length) < 1:
        raise ValueError(f"row_length must be at least 1, got {row_length}")
    row_length = int(row_length)
    stream = ids if eos_id is None else np.insert(ids, offsets[1:], np.asarray(eos_id, dtype=ids.dtype))
    full, rest = divmod(len(stream), row_length)
    if drop_last or rest == 0:
        return np.array(stream[: full * row_length]).reshape(full, row_length)
    if pad_id is None:
        raise ValueError("drop_last=False needs a pad_id for the last row")
    rows = np.full((full + 1) * row_length, pad_id, dtype=stream.dtype)
    rows[: len(stream)] = stream
    return rows.reshape(full + 1, row_length)
