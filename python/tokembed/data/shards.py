"""Open a shard written by ``tokembed encode`` (or ``tokembed.ray``) in any format."""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any, Dict, Optional, Union

import numpy as np

from .formats import read_bin, read_megatron, read_npy, read_parquet
from .manifest import ShardSet, manifest_path, open_manifest, read_manifest
from .metadata import check_counts, check_file_sizes, read_metadata


@dataclass
class Shards:
    """The ids of a shard (memory-mapped except for Parquet) and, except for the raw ``bin``
    format, the document ``offsets``: document ``i`` is ``ids[offsets[i]:offsets[i + 1]]``."""

    prefix: str
    format: str
    ids: np.ndarray
    offsets: Optional[np.ndarray]
    metadata: Optional[Dict[str, Any]]

    def __len__(self) -> int:
        """Number of documents."""
        if self.offsets is None:
            raise TypeError(f"a {self.format} shard keeps no document boundaries")
        return len(self.offsets) - 1

    def document(self, i: int) -> np.ndarray:
        n = len(self)
        if not -n <= i < n:
            raise IndexError(f"document {i} out of range for {n} documents")
        i %= n
        assert self.offsets is not None
        return self.ids[int(self.offsets[i]) : int(self.offsets[i + 1])]


def detect_format(prefix: str) -> str:
    if os.path.isfile(prefix + ".idx"):
        return "megatron"
    if os.path.isfile(prefix + ".offsets.npy"):
        return "npy"
    if os.path.isfile(prefix + ".parquet"):
        return "parquet"
    if os.path.isfile(prefix + ".bin"):
        return "bin"
    raise FileNotFoundError(f"no shard at {prefix!r} (looked for .idx, .offsets.npy, .parquet, .bin)")


def open_shards(
    prefix: "str | os.PathLike[str]",
    format: Optional[str] = None,
    dtype: Optional[str] = None,
    *,
    seed: Optional[int] = None,
    verify: bool = False,
) -> "Union[Shards, ShardSet]":
    """Opens the shard at ``prefix``, or every shard of a sharded output when
    ``PREFIX.manifest.json`` is there (a ``ShardSet``: global document indexes, documents
    shuffled by ``seed`` if given, SHA-256 of every file checked with ``verify``). The format
    comes from the metadata file or manifest, else from the files present; ``dtype`` is needed
    only for a raw ``.bin`` without metadata. Files whose size or counts disagree with the
    metadata raise ``ShardMismatch`` (a ``ValueError``) naming the file."""
    prefix = os.fspath(prefix)
    manifest = read_manifest(prefix)
    if manifest is not None:
        return open_manifest(prefix, manifest, seed=seed, verify=verify)
    if seed is not None:
        raise ValueError(f"{prefix}: a single shard (no {manifest_path(prefix)}); shuffling by seed is for sharded outputs")
    meta = read_metadata(prefix)
    fmt = format or (meta or {}).get("format") or detect_format(prefix)
    check_file_sizes(prefix, meta)
    if fmt == "bin":
        ids = read_bin(prefix + ".bin", dtype or (meta or {}).get("dtype"))
        check_counts(prefix, meta, prefix + ".bin", len(ids), None)
        return Shards(prefix, fmt, ids, None, meta)
    if fmt == "npy":
        ids, offsets = read_npy(prefix)
        data_path = prefix + ".npy"
    elif fmt == "megatron":
        ids, offsets = read_megatron(prefix)
        data_path = prefix + ".bin"
    elif fmt == "parquet":
        ids, offsets = read_parquet(prefix + ".parquet")
        data_path = prefix + ".parquet"
    else:
        raise ValueError(f"unknown shard format {fmt!r}")
    check_counts(prefix, meta, data_path, len(ids), len(offsets) - 1)
    return Shards(prefix, fmt, ids, offsets, meta)
