"""``train_bpe``: a byte-level BPE (GPT-2 / cl100k / o200k style) trained on texts or files, with
the merges and vocabulary HF's ``BpeTrainer`` computes for the same settings."""

from __future__ import annotations

import os
from typing import Iterable, Optional, Sequence, Union

from .._core import WordCounter
from ..corpus.progress import progress_wanted
from ..tokenizers import Tokenizer
from .running import check_common, count_words, loaded, run_merges

Inputs = Union[str, "os.PathLike[str]", Iterable[str], Sequence["os.PathLike[str]"]]


def train_bpe(
    inputs: Inputs,
    vocab_size: int,
    *,
    pattern: str = "gpt2",
    special_tokens: Sequence[str] = (),
    min_frequency: int = 2,
    max_token_length: Optional[int] = None,
    json_key: str = "text",
    errors: str = "replace",
    input_format: str = "auto",
    progress: Optional[bool] = None,
) -> Tokenizer:
    """Trains a byte-level BPE and returns it as a ``Tokenizer``.

    ``inputs``: an iterable of texts (each a document), or files: one path or glob (``str`` or
    ``os.PathLike``), or a list of them (``.txt`` a document per line, ``.jsonl`` the string under
    ``json_key``, ``.parquet`` that column, ``.gz`` read through; bad lines reported as
    ``file:line`` under ``errors``, as ``tokembed encode`` reads them).

    ``pattern`` splits texts into words: ``gpt2``, ``cl100k_base``, ``o200k_base``, ``llama3``,
    ``qwen2`` or a regex. ``vocab_size`` counts the special tokens (first ids) and the 256 bytes
    (next); training stops sooner when no pair of tokens occurs ``min_frequency`` times.
    ``max_token_length`` bounds tokens in bytes (HF's rule: a pair becomes a candidate only when it
    is shorter than this). ``progress``: a bar on standard error (default: when it is a terminal).
    """
    check_options(vocab_size, special_tokens, min_frequency, max_token_length, pattern)
    show = progress_wanted() if progress is None else bool(progress)
    counter = WordCounter(pattern)
    count_words(counter, inputs, show, json_key=json_key, errors=errors, input_format=input_format)
    json_text = merge(counter, vocab_size, special_tokens, min_frequency, max_token_length, show)
    del counter
    return loaded(json_text)


def check_options(vocab_size, special_tokens, min_frequency, max_token_length, pattern) -> None:
    """Raises TypeError or ValueError for options the trainer cannot take (before any reading)."""
    check_common(vocab_size, special_tokens, min_frequency, max_token_length)
    if not isinstance(pattern, str) or not pattern:
        raise TypeError("pattern must be a non-empty str (a known name or a regex)")


def merge(
    counter, vocab_size: int, special_tokens: Sequence[str], min_frequency: int, max_token_length, show: bool
) -> str:
    """The second pass: BPE merges on the counts of ``counter``; the text of its ``tokenizer.json``."""
    return run_merges(
        counter, show, lambda progress: counter.train_bpe(vocab_size, min_frequency, list(special_tokens), max_token_length, progress)
    )
