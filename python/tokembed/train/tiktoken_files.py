"""A byte-level BPE's tokens as tiktoken ranks (token bytes -> id, special tokens left out), and
the ``.tiktoken`` file of them (``base64(bytes) rank`` per line, as tiktoken's loader reads it)."""

from __future__ import annotations

import base64
import os
from typing import Dict

from .._files import write_text_atomically
from ..tokenizers import Tokenizer


def tiktoken_ranks(tokenizer: Tokenizer) -> Dict[bytes, int]:
    """Every token of a byte-level BPE but the special ones, as its bytes, at its id.

    tiktoken merges the two neighbours whose joined bytes have the lowest rank, where a
    ``tokenizer.json`` merges by the rank of the pair: the two give the same ids on every piece
    when each token was made by one merge, which is how BPE training makes nearly all of them."""
    if not isinstance(tokenizer, Tokenizer):
        raise TypeError(f"tokenizer must be a tokembed.Tokenizer, got {type(tokenizer).__name__}")
    core = tokenizer._core
    ranks: Dict[bytes, int] = {}
    for id_ in range(tokenizer.vocab_size):
        if core.is_special(id_):
            continue
        data = tokenizer.decode_bytes([id_], skip_special_tokens=False)
        if data in ranks:
            raise ValueError(f"tokens {ranks[data]} and {id_} are both {data!r}: not a byte-level BPE vocabulary")
        ranks[data] = id_
    if len(ranks) < 256 or any(bytes([b]) not in ranks for b in range(256)):
        raise ValueError("not a byte-level BPE: some single byte has no token")
    return ranks


def save_tiktoken(tokenizer: Tokenizer, path: "str | os.PathLike[str]") -> None:
    """Writes ``tiktoken_ranks(tokenizer)`` as a ``.tiktoken`` file (atomically)."""
    ranks = tiktoken_ranks(tokenizer)
    lines = [f"{base64.b64encode(data).decode('ascii')} {rank}\n" for data, rank in sorted(ranks.items(), key=lambda kv: kv[1])]
    write_text_atomically(os.fspath(path), "".join(lines))
