"""The metadata recorded beside every shard, whoever wrote it (the CLI or ``tokembed.ray``)."""

from __future__ import annotations

import os
from datetime import datetime, timezone
from typing import Any, Dict, Optional

from .. import __version__
from ..data.formats import ShardWriter
from ..tokenizers.tokenizer import Tokenizer
from .tokenizer_facts import tokenizer_sha256


def shard_metadata(
    writer: ShardWriter, tok: Tokenizer, tokenizer_label: str, max_id: int, eos: Optional[int], **extra: Any
) -> Dict[str, Any]:
    """The metadata of a shard whose writer is finished but not yet committed."""
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
            "sha256": tokenizer_sha256(tok),
            "vocab_size": tok.vocab_size,
            "max_id": max_id,
        },
        "append_eos": eos is not None,
        "eos_id": eos,
    }
    meta.update(extra)
    meta["created"] = datetime.now(timezone.utc).isoformat(timespec="seconds")
    return meta
