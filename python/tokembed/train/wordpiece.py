"""``train_wordpiece``: a BERT-style WordPiece (BERT's normalizer and pre-tokenizer, ``##`` before
pieces that continue a word) trained as HF's ``WordPieceTrainer`` trains it: BPE over characters,
the vocabulary kept as WordPiece's."""

from __future__ import annotations

import json
from typing import Iterable, Optional, Sequence

from .. import _checks
from .._core import WordCounter
from ..corpus.progress import progress_wanted
from ..tokenizers import Tokenizer
from .bpe import Inputs
from .running import check_common, count_words, loaded, run_merges

BERT_SPECIAL_TOKENS = ("[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]")


def train_wordpiece(
    inputs: Inputs,
    vocab_size: int,
    *,
    lowercase: bool = True,
    strip_accents: Optional[bool] = None,
    clean_text: bool = True,
    handle_chinese_chars: bool = True,
    special_tokens: Sequence[str] = BERT_SPECIAL_TOKENS,
    unk_token: str = "[UNK]",
    min_frequency: int = 2,
    limit_alphabet: Optional[int] = None,
    initial_alphabet: Iterable[str] = (),
    continuing_subword_prefix: str = "##",
    max_token_length: Optional[int] = None,
    continuing_order: Iterable[str] = (),
    json_key: str = "text",
    errors: str = "replace",
    input_format: str = "auto",
    progress: Optional[bool] = None,
) -> Tokenizer:
    """Trains a WordPiece and returns it as a ``Tokenizer`` (``[CLS] ... [SEP]`` added around
    texts when both are special tokens, as BERT's files do).

    ``inputs`` as for ``train_bpe``. Words are the pieces of BERT's pre-tokenizer in the text of
    BERT's normalizer (``lowercase``, ``strip_accents`` (None: as ``lowercase``), ``clean_text``,
    ``handle_chinese_chars``). The alphabet is every character of the words (at most
    ``limit_alphabet``, the most frequent, and always ``initial_alphabet``); then merges as in BPE,
    the most frequent pair first, until ``vocab_size`` tokens (special tokens included) or no pair
    occurs ``min_frequency`` times. ``max_token_length`` counts characters without the prefix.

    Ids: special tokens, the alphabet by code point, the prefixed characters (``##a``...), then
    one per merge. HF numbers the prefixed characters in the order its hash map of words yields
    them, which changes from run to run (and with it the merges that tie on count); here they
    follow ``continuing_order`` (characters), then code point order, so a run is reproducible,
    and HF's run is reproduced by giving its order.
    """
    check_common(vocab_size, special_tokens, min_frequency, max_token_length)
    if not isinstance(continuing_subword_prefix, str) or not continuing_subword_prefix:
        raise ValueError("continuing_subword_prefix must be a non-empty str")
    if not isinstance(unk_token, str) or not unk_token:
        raise TypeError("unk_token must be a non-empty str")
    if limit_alphabet is not None:
        limit_alphabet = _checks.integer(limit_alphabet, "limit_alphabet", minimum=0)
    alphabet = list(initial_alphabet)
    if not all(isinstance(c, str) and len(c) == 1 for c in alphabet):
        raise ValueError("initial_alphabet must hold single characters")
    order = list(continuing_order)
    if not all(isinstance(c, str) and len(c) == 1 for c in order):
        raise ValueError("continuing_order must hold single characters")
    if strip_accents is not None and not isinstance(strip_accents, bool):
        raise TypeError("strip_accents must be None or a bool")
    show = progress_wanted() if progress is None else bool(progress)
    counter = bert_word_counter(lowercase, strip_accents, clean_text, handle_chinese_chars)
    count_words(counter, inputs, show, json_key=json_key, errors=errors, input_format=input_format)
    options = (limit_alphabet, alphabet, continuing_subword_prefix, unk_token, order)
    json_text = merge(counter, vocab_size, special_tokens, min_frequency, max_token_length, show, *options)
    del counter  # the counts are not needed to load the result
    return loaded(json_text)


def bert_word_counter(
    lowercase: bool = True, strip_accents: Optional[bool] = None, clean_text: bool = True, handle_chinese_chars: bool = True
) -> WordCounter:
    """A counter of the words of BERT's pre-tokenizer in the text of BERT's normalizer."""
    normalizer = {
        "type": "BertNormalizer",
        "clean_text": bool(clean_text),
        "handle_chinese_chars": bool(handle_chinese_chars),
        "strip_accents": strip_accents,
        "lowercase": bool(lowercase),
    }
    return WordCounter.with_pipeline(json.dumps(normalizer), json.dumps({"type": "BertPreTokenizer"}))


def merge(
    counter,
    vocab_size: int,
    special_tokens: Sequence[str],
    min_frequency: int,
    max_token_length: Optional[int],
    show: bool,
    limit_alphabet: Optional[int] = None,
    initial_alphabet: Sequence[str] = (),
    prefix: str = "##",
    unk_token: str = "[UNK]",
    continuing_order: Sequence[str] = (),
) -> str:
    """The second pass: WordPiece merges on the counts of ``counter``; its ``tokenizer.json``."""
    return run_merges(
        counter,
        show,
        lambda report: counter.train_wordpiece(
            vocab_size,
            min_frequency,
            list(special_tokens),
            limit_alphabet,
            list(initial_alphabet),
            prefix,
            unk_token,
            max_token_length,
            report,
            list(continuing_order),
        ),
    )
