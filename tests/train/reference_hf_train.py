"""HF ``tokenizers``' BpeTrainer set up as ``tokembed.train_bpe`` trains: the same split pattern
(GPT-2's through ByteLevel's own regex, any other as Split + ByteLevel), the 256 byte-level
characters as the initial alphabet, the same options."""

from __future__ import annotations

import json
from typing import Optional, Sequence

from tokenizers import Regex, Tokenizer, models, pre_tokenizers, trainers


def hf_train_bpe(
    texts: Sequence[str],
    vocab_size: int,
    regex: Optional[str] = None,
    special_tokens: Sequence[str] = (),
    min_frequency: int = 2,
    max_token_length: Optional[int] = None,
    continuing_subword_prefix: Optional[str] = None,
    initial_alphabet: Sequence[str] = (),
    limit_alphabet: Optional[int] = None,
) -> Tokenizer:
    """``regex`` None: GPT-2's pattern. ``initial_alphabet``: characters beside the 256 bytes."""
    tok = Tokenizer(models.BPE())
    if regex is None:
        tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=True)
    else:
        tok.pre_tokenizer = pre_tokenizers.Sequence(
            [pre_tokenizers.Split(Regex(regex), "isolated"), pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=False)]
        )
    options = dict(
        vocab_size=vocab_size,
        min_frequency=min_frequency,
        special_tokens=list(special_tokens),
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet() + list(initial_alphabet),
        show_progress=False,
    )
    if max_token_length is not None:
        options["max_token_length"] = max_token_length
    if continuing_subword_prefix is not None:
        options["continuing_subword_prefix"] = continuing_subword_prefix
    if limit_alphabet is not None:
        options["limit_alphabet"] = limit_alphabet
    tok.train_from_iterator(texts, trainers.BpeTrainer(**options))
    return tok


def model_of(json_text: str) -> dict:
    return json.loads(json_text)["model"]


def split_regex(json_text: str) -> Optional[str]:
    """The Split regex of a trained file, None for GPT-2's ByteLevel regex."""
    pre = json.loads(json_text)["pre_tokenizer"]
    if pre["type"] == "ByteLevel":
        return None
    return pre["pretokenizers"][0]["pattern"]["Regex"]


def hf_train_wordpiece(
    texts: Sequence[str],
    vocab_size: int,
    special_tokens: Sequence[str] = ("[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"),
    min_frequency: int = 2,
    limit_alphabet: Optional[int] = None,
    initial_alphabet: Sequence[str] = (),
    lowercase: bool = True,
) -> Tokenizer:
    """HF's WordPieceTrainer behind BERT's normalizer and pre-tokenizer."""
    from tokenizers import normalizers

    tok = Tokenizer(models.WordPiece(unk_token="[UNK]"))
    tok.normalizer = normalizers.BertNormalizer(lowercase=lowercase)
    tok.pre_tokenizer = pre_tokenizers.BertPreTokenizer()
    options = dict(
        vocab_size=vocab_size,
        min_frequency=min_frequency,
        special_tokens=list(special_tokens),
        initial_alphabet=list(initial_alphabet),
        show_progress=False,
    )
    if limit_alphabet is not None:
        options["limit_alphabet"] = limit_alphabet
    tok.train_from_iterator(texts, trainers.WordPieceTrainer(**options))
    return tok


def prefixed_order(hf: Tokenizer, prefix: str = "##") -> list:
    """The characters of HF's ``##c`` tokens in id order: the order its run numbered them in
    (its hash order, which changes from run to run)."""
    vocab = hf.get_vocab()
    return [t[len(prefix):] for t in sorted(vocab, key=vocab.get) if t.startswith(prefix) and len(t) == len(prefix) + 1]
