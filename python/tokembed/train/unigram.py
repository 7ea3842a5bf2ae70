"""``train_unigram``: a SentencePiece Unigram trained as ``sentencepiece`` 0.2.3's trainer trains
it (``model_type=unigram``, identity normalization): seed pieces from a suffix array of the
text, EM with pruning. The result loads as a ``Tokenizer`` (its ``tokenizer.json``) and
``save_sentencepiece`` writes the ``.model`` the ``sentencepiece`` library loads."""

from __future__ import annotations

import numbers
from typing import Optional, Sequence

from .. import _checks
from .._core import WordCounter
from ..corpus.progress import progress_wanted
from ..tokenizers import Tokenizer
from .bpe import Inputs
from .running import count_words, loaded, run_merges

SENTENCEPIECE_SPECIAL_PIECES = ("<unk>", "<s>", "</s>")


def train_unigram(
    inputs: Inputs,
    vocab_size: int,
    *,
    special_tokens: Sequence[str] = SENTENCEPIECE_SPECIAL_PIECES,
    unk_token: str = "<unk>",
    byte_fallback: bool = False,
    character_coverage: float = 0.9995,
    max_piece_length: int = 16,
    seed_size: int = 1_000_000,
    shrinking_factor: float = 0.75,
    n_sub_iterations: int = 2,
    split_by_unicode_script: bool = True,
    split_by_number: bool = True,
    split_digits: bool = False,
    json_key: str = "text",
    errors: str = "replace",
    input_format: str = "auto",
    progress: Optional[bool] = None,
) -> Tokenizer:
    """Trains a Unigram and returns it as a ``Tokenizer``.

    ``inputs`` as for ``train_bpe``; each line of a text is a sentence, as SentencePiece reads its
    input files. Lines are normalized as SentencePiece's ``identity`` rule does (spaces trimmed and
    collapsed, ``▁`` in front of each word). ``vocab_size`` counts everything: the special tokens
    (the first ids, in order; ``unk_token`` among them), the 256 byte pieces ``<0x00>``..``<0xFF>``
    when ``byte_fallback``, the alphabet (the characters covering ``character_coverage`` of the
    text) and the trained pieces. The other options are ``spm_train``'s, with its defaults:
    pieces of at most ``max_piece_length`` characters, never across a change of Unicode script
    (``split_by_unicode_script``) or between digits and other characters (``split_by_number``),
    digits alone with ``split_digits``; ``seed_size`` seed pieces, pruning rounds that keep
    ``shrinking_factor`` of the pieces after ``n_sub_iterations`` EM steps.

    Raises ValueError when ``vocab_size`` is smaller than the alphabet plus special pieces, or
    larger than the text can fill (as ``spm_train`` does).
    """
    options = check_options(
        vocab_size, special_tokens, unk_token, byte_fallback, character_coverage, max_piece_length,
        seed_size, shrinking_factor, n_sub_iterations, split_by_unicode_script, split_by_number, split_digits,
    )
    show = progress_wanted() if progress is None else bool(progress)
    counter = unigram_word_counter(special_tokens)
    count_words(counter, inputs, show, json_key=json_key, errors=errors, input_format=input_format)
    json_text = train(counter, options, show)
    del counter
    return loaded(json_text)


def unigram_word_counter(special_tokens: Sequence[str]) -> WordCounter:
    """A counter of the words the Unigram trainer sees (special tokens met in text are marks)."""
    return WordCounter.for_unigram(list(special_tokens))


def check_options(
    vocab_size, special_tokens, unk_token, byte_fallback, character_coverage, max_piece_length,
    seed_size, shrinking_factor, n_sub_iterations, split_by_unicode_script, split_by_number, split_digits,
) -> dict:
    """Raises TypeError or ValueError for options the trainer cannot take (before any reading);
    returns them as the keyword arguments of ``train``."""
    _checks.integer(vocab_size, "vocab_size", minimum=1)
    _checks.integer(max_piece_length, "max_piece_length", minimum=1)
    _checks.integer(seed_size, "seed_size", minimum=1)
    _checks.integer(n_sub_iterations, "n_sub_iterations", minimum=1)
    if isinstance(special_tokens, str) or not all(isinstance(t, str) and t for t in special_tokens):
        raise TypeError("special_tokens must be a sequence of non-empty str")
    if len(set(special_tokens)) != len(special_tokens):
        raise ValueError("special_tokens holds a token twice")
    if not isinstance(unk_token, str) or unk_token not in special_tokens:
        raise ValueError(f"unk_token {unk_token!r} must be one of special_tokens {list(special_tokens)!r}")
    for name, value in (("character_coverage", character_coverage), ("shrinking_factor", shrinking_factor)):
        if isinstance(value, bool) or not isinstance(value, numbers.Real):
            raise TypeError(f"{name} must be a number, got {type(value).__name__}")
    if not 0.98 <= character_coverage <= 1.0:
        raise ValueError(f"character_coverage must be in [0.98, 1], got {character_coverage}")
    if not 0.0 < shrinking_factor < 1.0:
        raise ValueError(f"shrinking_factor must be in (0, 1), got {shrinking_factor}")
    flags = {"byte_fallback": byte_fallback, "split_by_unicode_script": split_by_unicode_script,
             "split_by_number": split_by_number, "split_digits": split_digits}
    for name, value in flags.items():
        if not isinstance(value, bool):
            raise TypeError(f"{name} must be a bool, got {type(value).__name__}")
    return dict(
        vocab_size=vocab_size, special_pieces=list(special_tokens), unknown_piece=unk_token,
        character_coverage=float(character_coverage), seed_size=seed_size,
        shrinking_factor=float(shrinking_factor), sub_iterations=n_sub_iterations,
        max_piece_length=max_piece_length, **flags,
    )


def train(counter: WordCounter, options: dict, show: bool) -> str:
    """The second pass: seeds and EM on the counts of ``counter``; the text of its ``tokenizer.json``."""
    return run_merges(counter, show, lambda progress: counter.train_unigram(progress=progress, **options), unit=" pieces pruned")
