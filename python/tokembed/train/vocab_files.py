"""A ``vocab.txt``: every token of a tokenizer, one per line, in id order (BERT's file)."""

from __future__ import annotations

import os

from .._files import write_text_atomically
from ..tokenizers import Tokenizer


def save_vocab(tokenizer: Tokenizer, path: "str | os.PathLike[str]") -> None:
    """Writes the vocabulary as ``vocab.txt`` (atomically); ``Tokenizer.from_wordpiece_vocab``
    and HF's ``BertWordPieceTokenizer`` read it back."""
    if not isinstance(tokenizer, Tokenizer):
        raise TypeError(f"tokenizer must be a tokembed.Tokenizer, got {type(tokenizer).__name__}")
    vocab = tokenizer.get_vocab()
    by_id = sorted(vocab.items(), key=lambda kv: kv[1])
    if [i for _, i in by_id] != list(range(len(by_id))):
        raise ValueError("the vocabulary's ids are not 0..n-1: a vocab.txt cannot hold it")
    if any("\n" in t or "\r" in t for t, _ in by_id):
        raise ValueError("a token holds a line break: a vocab.txt cannot hold it")
    write_text_atomically(os.fspath(path), "".join(f"{t}\n" for t, _ in by_id))
