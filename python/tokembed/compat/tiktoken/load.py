"""Reading and writing ``.tiktoken`` ranks (``base64(token) rank`` per line), as tiktoken's
``load_tiktoken_bpe`` / ``dump_tiktoken_bpe`` do, for local files only: nothing is downloaded."""

from __future__ import annotations

import base64
import gzip
import hashlib
import os
from typing import Dict, Optional, Union

PathLike = Union[str, "os.PathLike[str]"]


def parse_ranks(text: Union[str, bytes]) -> Dict[bytes, int]:
    """Token bytes to rank, from a ``.tiktoken`` file's contents."""
    if isinstance(text, bytes):
        text = text.decode("utf-8")
    ranks: Dict[bytes, int] = {}
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        try:
            token, rank = line.split()
            ranks[base64.b64decode(token)] = int(rank)
        except ValueError as e:
            raise ValueError(f"line {number}: expected 'base64 rank', got {line!r} ({e})") from None
    return ranks


def load_tiktoken_bpe(tiktoken_bpe_file: PathLike, expected_hash: Optional[str] = None) -> Dict[bytes, int]:
    """The ranks of a local ``.tiktoken`` file (``.gz`` is read through gzip); with
    ``expected_hash``, the file's SHA-256 must match. URLs are refused: tokembed never downloads."""
    path = os.fspath(tiktoken_bpe_file)
    if "://" in path:
        raise ValueError(f"{path}: tokembed.compat.tiktoken reads local files only (it never downloads)")
    with open(path, "rb") as f:
        data = f.read()
    if path.endswith(".gz"):
        data = gzip.decompress(data)
    if expected_hash is not None and hashlib.sha256(data).hexdigest() != expected_hash:
        raise ValueError(f"{path}: SHA-256 is {hashlib.sha256(data).hexdigest()}, expected {expected_hash}")
    return parse_ranks(data)


def dump_tiktoken_bpe(bpe_ranks: Dict[bytes, int], tiktoken_bpe_file: PathLike) -> None:
    """Writes ranks as a ``.tiktoken`` file, in rank order."""
    with open(tiktoken_bpe_file, "wb") as f:
        for token, rank in sorted(bpe_ranks.items(), key=lambda kv: kv[1]):
            f.write(base64.b64encode(token) + b" " + str(rank).encode() + b"\n")
