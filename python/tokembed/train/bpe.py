"""``train_bpe``: a byte-level BPE (GPT-2 / cl100k / o200k style) trained on texts or files, with
the merges and vocabulary HF's ``BpeTrainer`` computes for the same settings."""

from __future__ import annotations

import os
import sys
from typing import Iterable, Optional, Sequence, Union

from .._core import WordCounter
from ..corpus.memory import trim
from ..corpus.progress import Progress, progress_wanted
from ..tokenizers import Tokenizer
from . import inputs as _inputs

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
    del counter  # the counts are not needed to load the result: keep the peak down
    trim()
    return Tokenizer.from_str(json_text)


def check_options(vocab_size, special_tokens, min_frequency, max_token_length, pattern) -> None:
    """Raises TypeError or ValueError for options the trainer cannot take (before any reading)."""
    _positive_int(vocab_size, "vocab_size")
    _positive_int(min_frequency, "min_frequency", allow_zero=True)
    if max_token_length is not None:
        _positive_int(max_token_length, "max_token_length")
    if isinstance(special_tokens, str) or not all(isinstance(t, str) and t for t in special_tokens):
        raise TypeError("special_tokens must be a sequence of non-empty str")
    if not isinstance(pattern, str) or not pattern:
        raise TypeError("pattern must be a non-empty str (a known name or a regex)")


def merge(
    counter, vocab_size: int, special_tokens: Sequence[str], min_frequency: int, max_token_length, show: bool
) -> str:
    """The second pass: BPE merges on the counts of ``counter``; the text of its ``tokenizer.json``."""
    if counter.distinct_words == 0:
        raise ValueError("the inputs hold no text to train on")
    trim()
    bar = _MergeBar(show)
    try:
        json_text = counter.train_bpe(
            vocab_size, min_frequency, list(special_tokens), max_token_length, bar.update if show else None
        )
    finally:
        bar.close()
    return json_text


def count_words(counter, inputs: Inputs, show: bool, *, json_key: str, errors: str, input_format: str) -> None:
    patterns = _inputs.file_patterns(inputs)
    if patterns is not None:
        _inputs.feed_files(counter, patterns, show, json_key=json_key, errors=errors, input_format=input_format)
        return
    if isinstance(inputs, str) or not hasattr(inputs, "__iter__"):
        raise TypeError(f"inputs must be texts or file names, got {type(inputs).__name__}")
    bar = Progress(None, show, desc="count words")
    try:
        _inputs.feed_texts(counter, inputs, bar)  # type: ignore[arg-type]
    finally:
        bar.close()


class _MergeBar:
    """Merges done out of the most there can be, with an ETA (tqdm), on standard error."""

    def __init__(self, enabled: bool):
        self._bar = None
        if enabled:
            from tqdm import tqdm

            self._bar = tqdm(total=None, unit=" merges", desc="merge", file=sys.stderr, dynamic_ncols=True)

    def update(self, done: int, at_most: int) -> None:
        if self._bar is not None:
            if at_most and self._bar.total != at_most:
                self._bar.total = at_most
            self._bar.update(done - self._bar.n)

    def close(self) -> None:
        if self._bar is not None:
            self._bar.close()


def _positive_int(value: object, name: str, allow_zero: bool = False) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"{name} must be an int, got {type(value).__name__}")
    if value < 0 or (value == 0 and not allow_zero):
        raise ValueError(f"{name} must be {'at least 0' if allow_zero else 'positive'}, got {value}")
    return value
