"""The metadata file written beside a shard (``PREFIX.meta.json``), last of all: its presence says
the shard is complete, and it records how the ids were made (tokenizer and its hash, dtype,
counts, inputs) and the size of each file of the shard (``file_bytes``), which the readers
check, so that a data file and a metadata file of two different runs are never read together.

This module is the one home of that file: what it holds (``shard_metadata``, whoever writes the
shard: ``tokembed encode`` or ``tokembed.ray``, both through ``tokembed.corpus.job``), its text,
writing and reading it, and the checks readers make against it.
"""

from __future__ import annotations

import json
import os
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any, Dict, Optional

from .. import __version__
from .._files import write_text_atomically

if TYPE_CHECKING:
    from ..tokenizers.tokenizer import Tokenizer
    from .formats.base import ShardWriter

SUFFIX = ".meta.json"


class ShardMismatch(ValueError):
    """A shard's data file does not agree with its metadata file."""


def metadata_path(prefix: "str | os.PathLike[str]") -> str:
    return os.fspath(prefix) + SUFFIX


# ----- what it holds, and writing it ---------------------------------------------------------


def shard_metadata(
    writer: "ShardWriter", tok: "Tokenizer", tokenizer_label: str, max_id: int, eos: Optional[int], **extra: Any
) -> Dict[str, Any]:
    """The metadata of a shard whose writer is finished but not yet committed; ``extra`` (the
    inputs, the options of the run) is recorded as given."""
    meta: Dict[str, Any] = {
        "tokembed_version": __version__,
        "format": writer.format,
        "files": [os.path.basename(p) for p in writer.paths],
        "file_bytes": writer.file_bytes(),  # checked by the readers (open_shards)
        "dtype": writer.dtype.name,
        "documents": writer.documents,
        "tokens": writer.tokens,
        "tokenizer": {
            "name": tokenizer_label,
            "sha256": tok.json_sha256(),
            "vocab_size": tok.vocab_size,
            "max_id": max_id,
        },
        "append_eos": eos is not None,
        "eos_id": eos,
    }
    meta.update(extra)
    meta["created"] = datetime.now(timezone.utc).isoformat(timespec="seconds")
    return meta


def metadata_text(meta: Dict[str, Any]) -> str:
    return json.dumps(meta, indent=2, ensure_ascii=False) + "\n"


def write_metadata(prefix: "str | os.PathLike[str]", meta: Dict[str, Any]) -> str:
    path = metadata_path(prefix)
    write_text_atomically(path, metadata_text(meta))
    return path


# ----- reading it, and checking a shard against it -------------------------------------------


def read_metadata(prefix: "str | os.PathLike[str]") -> Optional[Dict[str, Any]]:
    """The metadata of the shard at ``prefix``, or None when there is none."""
    try:
        with open(metadata_path(prefix), encoding="utf-8") as f:
            return json.load(f)
    except FileNotFoundError:
        return None


def _mismatch(path: str, prefix: str, what: str) -> ShardMismatch:
    return ShardMismatch(
        f"{path}: {what}, which does not agree with {metadata_path(prefix)} (the data and the metadata "
        f"are not from the same run: write the shard again)"
    )


def check_file_sizes(prefix: "str | os.PathLike[str]", meta: Optional[Dict[str, Any]]) -> None:
    """Raises ``ShardMismatch`` naming the file when a file of the shard at ``prefix`` does not
    have the size its metadata records (``file_bytes``; metadata without it is not checked
    here, see ``check_counts``)."""
    if not meta or not isinstance(meta.get("file_bytes"), dict):
        return
    prefix = os.fspath(prefix)
    folder = os.path.dirname(prefix)
    for name, expected in meta["file_bytes"].items():
        path = os.path.join(folder, name)
        try:
            actual = os.path.getsize(path)
        except FileNotFoundError:
            raise _mismatch(path, prefix, "missing") from None
        if actual != expected:
            raise _mismatch(path, prefix, f"{actual:,} bytes where {expected:,} are recorded")


def check_counts(prefix: "str | os.PathLike[str]", meta: Optional[Dict[str, Any]], data_path: str,
                 tokens: int, documents: Optional[int]) -> None:
    """Raises ``ShardMismatch`` when the ids (``tokens``) or documents read from ``data_path``
    are not as many as the metadata records."""
    if not meta:
        return
    prefix = os.fspath(prefix)
    expected = meta.get("tokens")
    if isinstance(expected, int) and tokens != expected:
        raise _mismatch(data_path, prefix, f"{tokens:,} tokens where {expected:,} are recorded")
    expected = meta.get("documents")
    if documents is not None and isinstance(expected, int) and documents != expected:
        raise _mismatch(data_path, prefix, f"{documents:,} documents where {expected:,} are recorded")
