"""Pre-tokenizer steps after a ByteLevel step (Falcon's pipeline), against HF `tokenizers`.

HF maps every byte of a piece to a printable character at the ByteLevel step, and the steps after
it cut that mapped text: `²`, `³`, `¹`, `¼`, `½`, `¾` are the mapped forms of continuation bytes of
many characters (`ü` is `Ã¼`), and numeric, so a `Digits` step cuts inside `ü`. tokembed must give
the same ids, offsets, tokens and word ids."""

from __future__ import annotations

import functools
import json
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
GENERATED = settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])

# Falcon's pre-tokenizer, as its tokenizer.json writes it.
FALCON = {
    "type": "Sequence",
    "pretokenizers": [
        {"type": "Punctuation", "behavior": "Contiguous"},
        {"type": "ByteLevel", "add_prefix_space": False, "trim_offsets": True, "use_regex": True},
        {"type": "Digits", "individual_digits": False},
        {"type": "Split", "pattern": {"Regex": "[0-9][0-9][0-9]"}, "behavior": "Isolated", "invert": False},
    ],
}

VARIANTS: Dict[str, Callable[[], pt.PreTokenizer]] = {
    "Falcon": lambda: pt.Sequence([]),  # unused: `pair` writes FALCON into the file itself
    "ByteLevel(prefix),Digits(individual)": lambda: pt.Sequence(
        [pt.ByteLevel(add_prefix_space=True), pt.Digits(individual_digits=True)]
    ),
    "WhitespaceSplit,ByteLevel(no regex),Split(Ġ, merged with next)": lambda: pt.Sequence(
        [pt.WhitespaceSplit(), pt.ByteLevel(add_prefix_space=False, use_regex=False), pt.Split("Ã", "merged_with_next")]
    ),
    "ByteLevel,Punctuation,Split(mapped non-ASCII)": lambda: pt.Sequence(
        [pt.ByteLevel(add_prefix_space=False), pt.Punctuation(), pt.Split(Regex("[\u0100-\u0143]+"), "isolated")]
    ),
}


@functools.lru_cache(maxsize=None)
def pair(name: str) -> Tuple[HFTokenizer, tokembed.Tokenizer]:
    document = json.loads(GPT2.read_text(encoding="utf-8"))
    document["padding"] = document["truncation"] = None
    if name == "Falcon":
        document["pre_tokenizer"] = FALCON
        hf = HFTokenizer.from_str(json.dumps(document))
    else:
        hf = HFTokenizer.from_str(json.dumps(document))
        hf.pre_tokenizer = VARIANTS[name]()
    return hf, tokembed.Tokenizer.from_str(hf.to_str())


@pytest.fixture(scope="session")
def shared_data() -> Path:
    assert GPT2.is_file(), f"reference data not found under {DATA}"
    return DATA


def test_the_mapped_digits_cut_inside_characters_as_hf_does(shared_data):
    hf, ours = pair("Falcon")
    text = "Grüße 1234567 über ½ and ² x, 3.14159!"
    # The reference really cuts inside "ü" here (so this test is about that case).
    assert ("¼", (2, 3)) in [(p, o) for p, o in hf.pre_tokenizer.pre_tokenize_str(text)]
    assert_same(hf, ours, text)
    assert list(ours.encode(text).ids) == hf.encode(text).ids


@pytest.mark.parametrize("name", list(VARIANTS))
def test_steps_after_byte_level_on_corpus(name, shared_data):
    hf, ours = pair(name)
    assert_same_on_corpus(hf, ours, corpus_texts(), step=4)


@pytest.mark.parametrize("name", list(VARIANTS))
def test_steps_after_byte_level_on_a_document(name, shared_data):
    hf, ours = pair(name)
    document = "\n".join(corpus_texts()[:600])
    assert_same(hf, ours, document)
    assert ours.encode_batch_flat([document])[0].tolist() == hf.encode(document).ids


MAPPED_TEXT = st.lists(
    st.one_of(
        st.text(alphabet=ALPHABET, max_size=12),
        st.sampled_from([" ", "  ", "ü", "ò", "½", "²", "Ā", "12345", "1,234", ". ", "\n", "é3"]),
    ),
    max_size=10,
).map("".join)


@pytest.mark.parametrize("name", list(VARIANTS))
@GENERATED
@given(text=MAPPED_TEXT, second=MAPPED_TEXT)
def test_steps_after_byte_level_on_generated_text(name, text, second, shared_data):
    hf, ours = pair(name)
    assert_same(hf, ours, text, second)


def refused(pre_tokenizer: dict) -> str:
    document = json.loads(GPT2.read_text(encoding="utf-8"))
    document["pre_tokenizer"] = pre_tokenizer
    with pytest.raises(tokembed.TokenizerError) as caught:
        tokembed.Tokenizer.from_str(json.dumps(document))
    return str(caught.value)


def test_a_metaspace_after_byte_level_is_refused(shared_data):
    """A Metaspace rewrites the spaces of each piece, which after a ByteLevel are `Ġ`s."""
    message = refused(
        {"type": "Sequence", "pretokenizers": [FALCON["pretokenizers"][1], {"type": "Metaspace", "replacement": "▁"}]}
    )
    assert "a Metaspace after a ByteLevel is not supported" in message


def test_a_byte_level_in_a_nested_sequence_with_steps_after_it_is_refused(shared_data):
    nested = {"type": "Sequence", "pretokenizers": [FALCON["pretokenizers"][1]]}
    message = refused({"type": "Sequence", "pretokenizers": [nested, {"type": "Digits", "individual_digits": True}]})
    assert "a step after a ByteLevel inside a nested Sequence is not supported" in message


@pytest.mark.parametrize("threads", [1, 2])
def test_falcon_on_a_long_document_across_threads(threads, shared_data):
    """Over 256 KB a document is cut into parts the threads tokenize side by side."""
    hf, ours = pair("Falcon")
    document = "\n".join(corpus_texts() * 3)
    assert len(document.encode("utf-8")) > 600_000
    previous = tokembed.get_num_threads()
    tokembed.set_num_threads(threads)
    try:
        assert ours.encode_batch_flat([document])[0].tolist() == hf.encode(document).ids
    finally:
        tokembed.set_num_threads(previous)


# A ByteLevel pre-tokenizer before a model other than BPE: HF hands the model each piece written in
# the byte-level alphabet ("Ġthe"), so the vocabulary is of such strings.
UNIGRAM = DATA / "tokenizers" / "sentencepiece" / "botchan_en_unigram_1000.tokenizer.json"


def byte_level_model(kind: str) -> HFTokenizer:
    from tokenizers import models

    vocab = dict(json.loads(GPT2.read_text(encoding="utf-8"))["model"]["vocab"])
    if kind == "WordLevel":
        hf = HFTokenizer(models.WordLevel(vocab={**vocab, "[UNK]": len(vocab)}, unk_token="[UNK]"))
    elif kind == "WordPiece":
        pieces = {**vocab, **{"##" + token: len(vocab) + k for k, token in enumerate(vocab)}}
        hf = HFTokenizer(models.WordPiece(vocab={**pieces, "[UNK]": len(pieces)}, unk_token="[UNK]"))
    else:
        hf = HFTokenizer.from_file(str(UNIGRAM))
        hf.normalizer = None
    hf.pre_tokenizer = pt.Sequence([pt.ByteLevel(add_prefix_space=True), pt.Digits(individual_digits=False)])
    hf.no_padding()
    hf.no_truncation()
    return hf


@functools.lru_cache(maxsize=None)
def model_pair(kind: str) -> Tuple[HFTokenizer, tokembed.Tokenizer]:
    hf = byte_level_model(kind)
    return hf, tokembed.Tokenizer.from_str(hf.to_str())


MODELS = ["WordLevel", "WordPiece", "Unigram"]


@pytest.mark.parametrize("kind", MODELS)
def test_a_model_other_than_bpe_after_byte_level_on_corpus_and_a_document(kind, shared_data):
    hf, ours = model_pair(kind)
    assert_same_on_corpus(hf, ours, corpus_texts(), step=4)
    document = "\n".join(corpus_texts()[:600])
    assert_same(hf, ours, document)
    assert ours.encode_batch_flat([document])[0].tolist() == hf.encode(document).ids


@pytest.mark.parametrize("kind", MODELS)
@GENERATED
@given(text=MAPPED_TEXT, second=MAPPED_TEXT)
def test_a_model_other_than_bpe_after_byte_level_on_generated_text(kind, text, second, shared_data):
    hf, ours = model_pair(kind)
    assert_same(hf, ours, text, second)
