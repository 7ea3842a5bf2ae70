"""``train_bpe``: a byte-level BPE (GPT-2 / cl100k / o200k style) trained on texts or files, with
the merges and vocabulary HF's ``BpeTrainer`` computes for the same settings."""

from __future__ import annotations

import os
from typing import Iterable, Optional, Sequence, Union

from .. import _checks
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
    continuing_subword_prefix: Optional[str] = None,
    initial_alphabet: Iterable[str] = (),
    limit_alphabet: Optional[int] = None,
    continuing_order: Iterable[str] = (),
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

    HF's character options, with HF's meaning: ``continuing_subword_prefix`` goes before every
    piece that does not start a word (and is written into the model, as HF writes it);
    ``initial_alphabet`` adds characters (byte-level ones, as in the ``tokenizer.json``) to the 256
    bytes; ``limit_alphabet`` keeps that many characters, the initial ones first, then the most
    frequent. With a prefix, HF numbers the prefixed characters in its hash order, which changes
    from run to run; here they follow ``continuing_order``, then code point order (as in
    ``train_wordpiece``).
    """
    check_options(vocab_size, special_tokens, min_frequency, max_token_length, pattern)
    chars = check_char_options(continuing_subword_prefix, initial_alphabet, limit_alphabet, continuing_order)
    show = progress_wanted() if progress is None else bool(progress)
    counter = WordCounter(pattern)
    count_words(counter, inputs, show, json_key=json_key, errors=errors, input_format=input_format)
    json_text = merge(counter, vocab_size, special_tokens, min_frequency, max_token_length, show, chars)
    del counter
    return loaded(json_text)


def check_options(vocab_size, special_tokens, min_frequency, max_token_length, pattern) -> None:
    """Raises TypeError or ValueError for options the trainer cannot take (before any reading)."""
    check_common(vocab_size, special_tokens, min_frequency, max_token_length)
    if not isinstance(pattern, str) or not pattern:
        raise TypeError("pattern must be a non-empty str (a known name or a regex)")


def check_char_options(prefix, initial_alphabet, limit_alphabet, continuing_order) -> dict:
    """The character options as keyword arguments of ``WordCounter.train_bpe`` (errors first)."""
    if prefix is not None and (not isinstance(prefix, str) or not prefix):
        raise ValueError("continuing_subword_prefix must be None or a non-empty str")
    if limit_alphabet is not None:
        limit_alphabet = _checks.integer(limit_alphabet, "limit_alphabet", minimum=0)
    if isinstance(initial_alphabet, str) or isinstance(continuing_order, str):
        raise TypeError("initial_alphabet and continuing_order must be sequences of characters, not one str")
    alphabet, order = list(initial_alphabet), list(continuing_order)
    if not all(isinstance(c, str) and len(c) == 1 for c in alphabet + order):
        raise ValueError("initial_alphabet and continuing_order must hold single characters")
    return dict(prefix=prefix, limit_alphabet=limit_alphabet, initial_alphabet=alphabet, prefixed_order=order)


def merge(
    counter, vocab_size: int, special_tokens: Sequence[str], min_frequency: int, max_token_length, show: bool,
    chars: Optional[dict] = None,
) -> str:
    """The second pass: BPE merges on the counts of ``counter``; the text of its ``tokenizer.json``."""
    return run_merges(
        counter,
        show,
        lambda progress: counter.train_bpe(
            vocab_size, min_frequency, list(special_tokens), max_token_length, progress, **(chars or {})
        ),
    )
