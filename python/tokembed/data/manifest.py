"""The manifest of a sharded output (``PREFIX.manifest.json``, written by ``tokembed encode
--shard-size/--shard-tokens``): the shards in order, the files of each with their sizes and
SHA-256, their documents and tokens, the inputs each came from, and how they were made.

It is rewritten (atomically) each time a shard is complete, and lists only complete shards, so
it is also the record a resumed run starts from. It holds nothing that differs between two runs
of the same job (no times, no process ids): a run that was killed and resumed leaves the same
bytes as one that was not.

This module is its one home on the read side: reading it, checking shards against it, and
``ShardSet``, the shards read as one dataset.
"""

from __future__ import annotations

import hashlib
import json
import os
from bisect import bisect_right
from typing import Any, Dict, Iterator, List, Optional

import numpy as np

from .metadata import ShardMismatch

SUFFIX = ".manifest.json"
KIND = "tokembed shards"
HASH_CHUNK = 8 << 20


def manifest_path(prefix: "str | os.PathLike[str]") -> str:
    return os.fspath(prefix) + SUFFIX


def shard_prefix(prefix: "str | os.PathLike[str]", index: int) -> str:
    """Where shard ``index`` of a sharded output at ``prefix`` is: ``PREFIX-00003`` (its files are
    ``PREFIX-00003.bin`` and so on)."""
    return f"{os.fspath(prefix)}-{index:05d}"


def manifest_text(manifest: Dict[str, Any]) -> str:
    return json.dumps(manifest, indent=2, ensure_ascii=False) + "\n"


def read_manifest(prefix: "str | os.PathLike[str]") -> Optional[Dict[str, Any]]:
    """The manifest at ``prefix``, or None when there is none; ``ValueError`` naming the file when
    it is not one."""
    path = manifest_path(prefix)
    try:
        with open(path, encoding="utf-8") as f:
            manifest = json.load(f)
    except FileNotFoundError:
        return None
    except (UnicodeDecodeError, json.JSONDecodeError) as e:
        raise ValueError(f"{path}: not a tokembed manifest ({e})") from None
    if not isinstance(manifest, dict) or manifest.get("kind") != KIND or not isinstance(manifest.get("shards"), list):
        raise ValueError(f"{path}: not a tokembed manifest (no kind {KIND!r} and list of shards)")
    return manifest


def file_sha256(path: str) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        while True:
            block = f.read(HASH_CHUNK)
            if not block:
                return digest.hexdigest()
            digest.update(block)


def shard_problem(folder: str, shard: Dict[str, Any], checksums: bool = True) -> Optional[str]:
    """What is wrong with a shard the manifest lists (a file missing, of another size, or, with
    ``checksums``, of another SHA-256), or None when its files are as recorded."""
    files = shard.get("files")
    if not isinstance(files, dict) or not files:
        return f"shard {shard.get('prefix')!r}: no files recorded"
    for name, recorded in files.items():
        path = os.path.join(folder, name)
        try:
            size = os.path.getsize(path)
        except FileNotFoundError:
            return f"{path}: missing"
        if size != recorded.get("bytes"):
            return f"{path}: {size:,} bytes where {recorded.get('bytes')} are recorded"
        if checksums and file_sha256(path) != recorded.get("sha256"):
            return f"{path}: its SHA-256 is not the one recorded"
    return None


class ShardSet:
    """The shards of a manifest read as one dataset: ``len`` documents in the order they were
    written (or shuffled by ``seed``), ``document(i)`` the ids of document ``i`` whatever shard
    holds it, ``shards`` each shard opened (memory-mapped, except Parquet)."""

    def __init__(self, prefix: str, manifest: Dict[str, Any], shards: List[Any], seed: Optional[int] = None):
        self.prefix = prefix
        self.manifest = manifest
        self.shards = shards
        self.format = manifest.get("format")
        counts = [int(s["documents"]) for s in manifest["shards"]]
        self._ends = np.cumsum(counts, dtype=np.int64).tolist()
        self.seed = seed
        self._order = None if seed is None else np.random.default_rng(seed).permutation(len(self))

    def __len__(self) -> int:
        return self._ends[-1] if self._ends else 0

    @property
    def tokens(self) -> int:
        return int(self.manifest.get("tokens", 0))

    def shuffled(self, seed: int) -> "ShardSet":
        """The same shards, documents in an order drawn from ``seed`` (the same seed, the same
        order, on any machine)."""
        return ShardSet(self.prefix, self.manifest, self.shards, seed)

    def locate(self, i: int) -> "tuple[int, int]":
        """``(shard, document within the shard)`` of document ``i`` (after shuffling, if any)."""
        n = len(self)
        if not -n <= i < n:
            raise IndexError(f"document {i} out of range for {n} documents")
        i %= n
        if self._order is not None:
            i = int(self._order[i])
        shard = bisect_right(self._ends, i)
        return shard, i - (self._ends[shard - 1] if shard else 0)

    def document(self, i: int) -> np.ndarray:
        if self.format == "bin":
            raise TypeError("a bin shard keeps no document boundaries (use npy, megatron or parquet)")
        shard, local = self.locate(i)
        return self.shards[shard].document(local)

    def __iter__(self) -> Iterator[np.ndarray]:
        return (self.document(i) for i in range(len(self)))

    def __repr__(self) -> str:
        return f"ShardSet({self.prefix!r}: {len(self.shards)} shards, {len(self):,} documents, {self.tokens:,} tokens)"


def open_manifest(prefix: str, manifest: Dict[str, Any], seed: Optional[int] = None, verify: bool = False) -> ShardSet:
    """Every shard the manifest lists, opened; sizes always checked, SHA-256 with ``verify``."""
    from .shards import open_shards  # the single-shard reader

    folder = os.path.dirname(prefix)
    opened = []
    for shard in manifest["shards"]:
        problem = shard_problem(folder, shard, checksums=verify)
        if problem is not None:
            raise ShardMismatch(f"{problem}, which does not agree with {manifest_path(prefix)}")
        shard_at = os.path.join(folder, shard["prefix"])
        one = open_shards(shard_at, format=manifest.get("format"), dtype=manifest.get("dtype"))
        documents = None if one.offsets is None else len(one.offsets) - 1
        if len(one.ids) != shard.get("tokens") or documents not in (None, shard.get("documents")):
            raise ShardMismatch(
                f"{shard_at}: {len(one.ids):,} tokens and {documents} documents, not the {shard.get('tokens')} and "
                f"{shard.get('documents')} that {manifest_path(prefix)} records"
            )
        opened.append(one)
    return ShardSet(prefix, manifest, opened, seed)
