"""A trained Unigram as a SentencePiece ``.model`` (the protobuf the ``sentencepiece`` library
loads), made from its ``tokenizer.json``."""

from __future__ import annotations

import os

from .._core import unigram_model_bytes
from .._files import write_bytes_atomically
from ..tokenizers import Tokenizer


def sentencepiece_model(tokenizer: Tokenizer) -> bytes:
    """The ``.model`` bytes of a Unigram trained by ``train_unigram`` (ValueError for any other
    tokenizer: a ``.model`` holds SentencePiece's own normalization, which only the trained
    layout is known to match)."""
    if not isinstance(tokenizer, Tokenizer):
        raise TypeError(f"tokenizer must be a tokembed.Tokenizer, got {type(tokenizer).__name__}")
    return unigram_model_bytes(tokenizer.to_str())


def save_sentencepiece(tokenizer: Tokenizer, path: "str | os.PathLike[str]") -> None:
    """Writes ``sentencepiece_model(tokenizer)`` to ``path`` (atomically)."""
    write_bytes_atomically(os.fspath(path), sentencepiece_model(tokenizer))
