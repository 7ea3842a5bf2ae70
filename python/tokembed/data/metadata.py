"""The metadata file written beside a shard (``PREFIX.meta.json``), last of all: its presence says
the shard is complete, and it records how the ids were made (tokenizer and its hash, dtype,
counts, inputs)."""

from __future__ import annotations

import json
import os
from typing import Any, Dict, Optional

from .formats.atomic import write_text_atomically

SUFFIX = ".meta.json"


def metadata_path(prefix: "str | os.PathLike[str]") -> str:
    return os.fspath(prefix) + SUFFIX


def read_metadata(prefix: "str | os.PathLike[str]") -> Optional[Dict[str, Any]]:
    """The metadata of the shard at ``prefix``, or None when there is none."""
    try:
        with open(metadata_path(prefix), encoding="utf-8") as f:
            return json.load(f)
    except FileNotFoundError:
        return None


def write_metadata(prefix: "str | os.PathLike[str]", meta: Dict[str, Any]) -> str:
    path = metadata_path(prefix)
    write_text_atomically(path, json.dumps(meta, indent=2, ensure_ascii=False) + "\n")
    return path
