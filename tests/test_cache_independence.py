"""The piece caches change how fast a piece is encoded, never its ids: the same documents give the
same ids in any order, at any thread count, with other tokenizers encoding in between (which take
over each thread's cache), in a forked child, and as the reference library gives them."""

from __future__ import annotations

import os
import random

import numpy as np
import pytest
import sentencepiece
import tiktoken
from tokenizers import Tokenizer as HFTokenizer

import tokembed
from conftest import CORPORA, DATA, corpus_lines
from forking import wait_or_kill
from test_bpe_parity import tiktoken_encoding

TOKENIZERS = DATA / "tokenizers"
SENTENCEPIECE = TOKENIZERS / "sentencepiece"


def documents() -> list[str]:
    """Short lines and ~4 KB documents from every corpus, so that pieces repeat across documents."""
    docs = []
    for corpus in CORPORA:
        lines = corpus_lines(corpus)
        docs += lines[:600]
        text = "\n".join(lines[600:3000])
        docs += [text[i : i + 4096] for i in range(0, min(len(text), 200_000), 4096)]
    return docs


def per_document(tok: tokembed.Tokenizer, docs: list[str]) -> list[list[int]]:
    ids, offsets = tok.encode_batch_flat(docs, add_special_tokens=False)
    return [ids[offsets[i] : offsets[i + 1]].tolist() for i in range(len(docs))]


@pytest.fixture(scope="module")
def docs() -> list[str]:
    return documents()


CASES = {
    "gpt2-tiktoken": (lambda: tokembed.Tokenizer.builtin("gpt2"), lambda: tiktoken_encoding("r50k_base")),
    "cl100k-tiktoken": (lambda: tokembed.Tokenizer.builtin("cl100k_base"), lambda: tiktoken_encoding("cl100k_base")),
    # Merges applied in rank order (no whole-piece lookup): the table of whole tokens holds only
    # the tokens the merges rebuild.
    "gpt2-json": (lambda: tokembed.Tokenizer.from_file(TOKENIZERS / "gpt2" / "tokenizer.json"),
                  lambda: HFTokenizer.from_file(str(TOKENIZERS / "gpt2" / "tokenizer.json"))),
    # WordPiece keeps the same two caches of words (whole-word tokens, the thread's recent words).
    "bert-json": (lambda: tokembed.Tokenizer.from_file(TOKENIZERS / "bert-base-uncased" / "tokenizer.json"),
                  lambda: HFTokenizer.from_file(str(TOKENIZERS / "bert-base-uncased" / "tokenizer.json"))),
    # SentencePiece's word caches, answered in groups: a `.model` Unigram (whose cached cuts are
    # kept only where the running float32 score cannot change them), its `tokenizer.json`, and a
    # `.model` BPE with byte fallback.
    "unigram-model": (lambda: tokembed.Tokenizer.from_sentencepiece(SENTENCEPIECE / "botchan_en_unigram_1000.model"),
                      lambda: sentencepiece.SentencePieceProcessor(
                          model_file=str(SENTENCEPIECE / "botchan_en_unigram_1000.model"))),
    "unigram-json": (lambda: tokembed.Tokenizer.from_file(SENTENCEPIECE / "botchan_en_unigram_1000.tokenizer.json"),
                     lambda: HFTokenizer.from_file(str(SENTENCEPIECE / "botchan_en_unigram_1000.tokenizer.json"))),
    "mistral-model": (lambda: tokembed.Tokenizer.from_sentencepiece(SENTENCEPIECE / "mistral_v1.model"),
                      lambda: sentencepiece.SentencePieceProcessor(model_file=str(SENTENCEPIECE / "mistral_v1.model"))),
}


def reference(ref, docs):
    if isinstance(ref, tiktoken.Encoding):
        return ref.encode_ordinary_batch(docs)
    if isinstance(ref, sentencepiece.SentencePieceProcessor):
        return ref.encode(docs)
    ref.no_truncation()
    ref.no_padding()
    return [e.ids for e in ref.encode_batch(docs, add_special_tokens=False)]


@pytest.mark.parametrize("case", sorted(CASES))
def test_ids_do_not_depend_on_order_threads_or_other_tokenizers(case, docs):
    make, make_ref = CASES[case]
    expected = reference(make_ref(), docs)
    other = tokembed.Tokenizer.builtin("cl100k_base" if case.startswith("gpt2") else "gpt2")
    rng = random.Random(5)
    before = tokembed.get_num_threads()
    try:
        for threads in (1, 2):
            tokembed.set_num_threads(threads)
            tok = make()  # a fresh model: its caches start empty
            tok.no_truncation()  # the bert file truncates and pads; the reference does neither here
            tok.no_padding()
            assert per_document(tok, docs) == expected, f"first pass, {threads} thread(s)"
            order = list(range(len(docs)))
            for _ in range(3):
                rng.shuffle(order)
                shuffled = [docs[i] for i in order]
                # Another model encodes in between and takes over every thread's cache.
                other.encode_batch_flat(shuffled[: len(shuffled) // 3])
                got = per_document(tok, shuffled)
                assert all(got[k] == expected[i] for k, i in enumerate(order)), f"shuffled, {threads} thread(s)"
            # One document at a time, reversed: each call on whatever thread the pool picks.
            for i in reversed(range(0, len(docs), 37)):
                assert tok.encode(docs[i], add_special_tokens=False).ids.tolist() == expected[i]
    finally:
        tokembed.set_num_threads(before)


def test_forked_child_gets_the_same_ids(docs):
    tok = tokembed.Tokenizer.builtin("gpt2")
    expected = per_document(tok, docs)  # fills this thread's and the pool's caches
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child reports through its exit code
        try:
            got = per_document(tok, list(reversed(docs)))
            os._exit(0 if got == expected[::-1] else 1)
        except BaseException:
            os._exit(2)
    assert wait_or_kill(pid, 120) == 0


def test_a_piece_of_every_short_length_and_byte_matches_tiktoken():
    """Pieces up to the caches' 15-byte limit and just past it, of every byte value (as text that
    survives UTF-8), against the reference: keys of different lengths or bytes never collide."""
    tok = tokembed.Tokenizer.builtin("cl100k_base")
    ref = tiktoken_encoding("cl100k_base")
    rng = np.random.default_rng(3)
    alphabet = [chr(c) for c in range(32, 127)] + list("éß€中ё\u00a0")
    docs = []
    for length in range(1, 18):
        for _ in range(200):
            docs.append("".join(rng.choice(alphabet, size=length)))
    docs += [d + d for d in docs[:500]]
    assert per_document(tok, docs) == ref.encode_ordinary_batch(docs)
    assert per_document(tok, docs[::-1]) == ref.encode_ordinary_batch(docs[::-1])


def test_a_word_of_every_short_length_matches_hf_wordpiece():
    """WordPiece words up to the caches' 15-byte limit and past it, with accents and capitals that
    the normalizer changes (so a word's cache key is its normalized bytes), against HF."""
    path = TOKENIZERS / "bert-base-uncased" / "tokenizer.json"
    tok = tokembed.Tokenizer.from_file(path)
    ref = HFTokenizer.from_file(str(path))
    ref.no_truncation()
    ref.no_padding()
    rng = np.random.default_rng(4)
    alphabet = list("abcdefghijklmnopqrstuvwxyzABCDEZ") + list("éßüÄñç")
    words = ["".join(rng.choice(alphabet, size=length)) for length in range(1, 18) for _ in range(150)]
    docs = [" ".join(words[i : i + 9]) for i in range(0, len(words), 9)]
    expected = [e.ids for e in ref.encode_batch(docs, add_special_tokens=False)]
    assert per_document(tok, docs) == expected
    assert per_document(tok, docs[::-1]) == expected[::-1]
