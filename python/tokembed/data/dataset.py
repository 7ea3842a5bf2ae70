"""A map-style dataset of training windows over token shards, for PyTorch's ``DataLoader``
(or any loop) without tokembed depending on torch."""

from __future__ import annotations

import os
from bisect import bisect_right
from typing import List, Sequence, Tuple, Union

import numpy as np

from .manifest import ShardSet
from .shards import Shards, open_shards
from .windows import window_at, window_count

Source = Union[str, "os.PathLike[str]", Shards, ShardSet, np.ndarray]


class TokenDataset:
    """``(inputs, targets)`` windows of ``max_length`` tokens over one or more shards, targets
    shifted by one, a window every ``stride`` tokens (default: ``max_length``, no overlap).

    ``sources`` are shard prefixes (any format ``tokembed encode`` writes; the prefix of a
    sharded output stands for all its shards), opened ``Shards`` or ``ShardSet``, or 1-D id
    arrays. Each shard's ids are taken as one stream (documents separated by the EOS
    of ``--append-eos``, as in GPT pretraining); windows never cross from one shard to the
    next. The ids stay memory-mapped: only the windows asked for are read, and ``ds[i]``
    returns two new NumPy arrays of ``dtype`` (int64 by default, what ``torch.nn.Embedding``
    takes; the ``DataLoader``'s default collate turns them into tensors).

    The dataset pickles as its sources' paths, so ``DataLoader`` workers can open it again.
    """

    def __init__(
        self,
        sources: Union[Source, Sequence[Source]],
        max_length: int,
        stride: int | None = None,
        dtype: "np.typing.DTypeLike" = np.int64,
    ):
        if isinstance(sources, (str, os.PathLike, Shards, ShardSet, np.ndarray)):
            sources = [sources]
        self.max_length = int(max_length)
        self.stride = self.max_length if stride is None else int(stride)
        self.dtype = np.dtype(dtype)
        self._sources = list(sources)
        self._streams: List[np.ndarray] = [ids for s in self._sources for ids in self._streams_of(s)]
        counts = [window_count(len(ids), self.max_length, self.stride) for ids in self._streams]
        self._ends = np.cumsum(counts, dtype=np.int64).tolist()

    @staticmethod
    def _streams_of(source: Source) -> List[np.ndarray]:
        if isinstance(source, np.ndarray):
            if source.ndim != 1:
                raise ValueError(f"id arrays must be one-dimensional, got shape {source.shape}")
            return [source]
        if isinstance(source, Shards):
            return [source.ids]
        opened = source if isinstance(source, ShardSet) else open_shards(source)
        if isinstance(opened, ShardSet):  # a sharded output: each shard is a stream
            return [shard.ids for shard in opened.shards]
        return [opened.ids]

    def __len__(self) -> int:
        return self._ends[-1] if self._ends else 0

    def __getitem__(self, index: int) -> Tuple[np.ndarray, np.ndarray]:
        n = len(self)
        index = int(index)
        if not -n <= index < n:
            raise IndexError(f"window {index} out of range for {n} windows")
        index %= n
        shard = bisect_right(self._ends, index)
        local = index - (self._ends[shard - 1] if shard else 0)
        inputs, targets = window_at(self._streams[shard], local, self.max_length, self.stride)
        return np.array(inputs, dtype=self.dtype), np.array(targets, dtype=self.dtype)

    def __getstate__(self):
        return {
            "sources": [s.prefix if isinstance(s, (Shards, ShardSet)) else s for s in self._sources],
            "max_length": self.max_length,
            "stride": self.stride,
            "dtype": self.dtype.str,
        }

    def __setstate__(self, state) -> None:
        self.__init__(state["sources"], state["max_length"], state["stride"], state["dtype"])  # type: ignore[misc]

    def __repr__(self) -> str:
        return f"TokenDataset({len(self)} windows of {self.max_length}, stride {self.stride})"
