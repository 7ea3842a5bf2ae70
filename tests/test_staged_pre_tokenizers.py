"""Parity with HF for pre-tokenizer Sequences that rewrite pieces after cutting them.

A ByteLevel with `add_prefix_space` inside a Sequence puts a space before every piece the earlier
steps made; a Metaspace after another step turns each piece's spaces into "▁" and, by its scheme,
prepends one to each piece (`always`) or to the piece that starts the input (`first`). Each
variant starts from a real tokenizer (GPT-2's byte-level BPE, the botchan Unigram), swaps the
pre-tokenizer through the HF API, and loads the JSON HF writes: ids, tokens, offsets, type ids,
masks and decoded text must match on real corpus lines, a long document and generated text.
"""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Callable, Dict, Tuple

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from tokenizers import Regex
from tokenizers import Tokenizer as HFTokenizer
from tokenizers import pre_tokenizers as pt

import tokembed
from test_components_parity import ALPHABET, assert_same, assert_same_on_corpus, corpus_texts

DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"
GPT2 = DATA / "tokenizers" / "gpt2" / "tokenizer.json"
UNIGRAM = DATA / "tokenizers" / "sentencepiece" / "botchan_en_unigram_1000.tokenizer.json"
GENERATED = settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def metaspace(scheme: str, split: bool = True) -> pt.PreTokenizer:
    return pt.Metaspace(replacement="▁", prepend_scheme=scheme, split=split)


def byte_level(prefix: bool = True, regex: bool = True) -> pt.PreTokenizer:
    return pt.ByteLevel(add_prefix_space=prefix, use_regex=regex)


VARIANTS: Dict[str, Tuple[Path, Callable[[], pt.PreTokenizer]]] = {
    "Sequence(ByteLevel(prefix))": (GPT2, lambda: pt.Sequence([byte_level()])),
    "Sequence(WhitespaceSplit,ByteLevel(prefix))": (GPT2, lambda: pt.Sequence([pt.WhitespaceSplit(), byte_level()])),
    "Sequence(Digits,ByteLevel(prefix,no regex))": (
        GPT2, lambda: pt.Sequence([pt.Digits(individual_digits=True), byte_level(regex=False)])
    ),
    "Sequence(Split(punct),ByteLevel(prefix))": (
        GPT2, lambda: pt.Sequence([pt.Split(Regex(r"[.,;:!?]"), "isolated"), byte_level()])
    ),
    "Sequence(WhitespaceSplit,Metaspace(always))": (UNIGRAM, lambda: pt.Sequence([pt.WhitespaceSplit(), metaspace("always")])),
    "Sequence(Punctuation,Metaspace(first))": (UNIGRAM, lambda: pt.Sequence([pt.Punctuation(), metaspace("first")])),
    "Sequence(Digits,Metaspace(first,no split))": (
        UNIGRAM, lambda: pt.Sequence([pt.Digits(individual_digits=False), metaspace("first", split=False)])
    ),
    "Sequence(Metaspace(never),CharDelimiterSplit,Metaspace(always))": (
        UNIGRAM, lambda: pt.Sequence([metaspace("never"), pt.CharDelimiterSplit("e"), metaspace("always")])
    ),
}


@functools.lru_cache(maxsize=None)
def pair(name: str) -> Tuple[HFTokenizer, tokembed.Tokenizer]:
    base, pre_tokenizer = VARIANTS[name]
    hf = HFTokenizer.from_file(str(base))
    hf.pre_tokenizer = pre_tokenizer()
    hf.no_padding()
    hf.no_truncation()
    return hf, tokembed.Tokenizer.from_str(hf.to_str())


@pytest.fixture(scope="session")
def shared_data() -> Path:
    assert GPT2.is_file() and UNIGRAM.is_file(), f"reference data not found under {DATA}"
    return DATA


@pytest.mark.parametrize("name", list(VARIANTS))
def test_staged_variant_on_corpus(name, shared_data):
    hf, ours = pair(name)
    assert_same_on_corpus(hf, ours, corpus_texts(), step=4)


@pytest.mark.parametrize("name", list(VARIANTS))
def test_staged_variant_on_a_document(name, shared_data):
    hf, ours = pair(name)
    document = "\n".join(corpus_texts()[:600])
    assert_same(hf, ours, document)


STAGED_TEXT = st.lists(
    st.one_of(st.text(alphabet=ALPHABET, max_size=12), st.sampled_from([" ", "  ", "▁", "\n", "12", ". ", "e"])),
    max_size=10,
).map("".join)


@pytest.mark.parametrize("name", list(VARIANTS))
@GENERATED
@given(text=STAGED_TEXT, second=STAGED_TEXT)
def test_staged_variant_on_generated_text(name, text, second, shared_data):
    hf, ours = pair(name)
    assert_same(hf, ours, text, second)


def test_two_byte_level_steps_are_refused(shared_data):
    """HF maps the bytes once per ByteLevel step (so twice here); tokembed maps them once, and
    refuses rather than give other ids."""
    hf = HFTokenizer.from_file(str(GPT2))
    hf.pre_tokenizer = pt.Sequence([byte_level(), pt.Punctuation(), byte_level(regex=False)])
    with pytest.raises(tokembed.TokenizerError, match="pre_tokenizer: 2 ByteLevel steps"):
        tokembed.Tokenizer.from_str(hf.to_str())
