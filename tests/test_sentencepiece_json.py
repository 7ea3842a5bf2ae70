"""SentencePiece-family `tokenizer.json` files against HF `tokenizers` on the same file.

The files in ../shared/data/tokenizers/sentencepiece: Mistral v1 (BPE with byte fallback) in its
legacy form (Prepend + Replace normalizers, no pre-tokenizer: a whole text is one word) and its
Metaspace(first) form, botchan BPE and Unigram with SentencePiece's precompiled NFKC rules, and a
Unigram with byte fallback. Every line of every shared corpus is compared by ids (batch path) and
a sample of lines, whole documents and generated text by every field: ids, tokens, offsets, type
ids, masks and decoded text.
"""

from __future__ import annotations

import functools
from pathlib import Path
from typing import List

import numpy as np
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from tokenizers import Tokenizer as HFTokenizer

import tokembed
from test_components_parity import ALPHABET, assert_same

DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"
SP_DIR = DATA / "tokenizers" / "sentencepiece"
CORPORA = sorted((DATA / "corpora").glob("*.txt"))
FILES = [
    "mistral_v1.legacy.tokenizer.json",
    "mistral_v1.metaspace.tokenizer.json",
    "botchan_en_bpe_1000.tokenizer.json",
    "botchan_en_unigram_1000.tokenizer.json",
    "mon_unigram_bytefallback.tokenizer.json",
]
GENERATED = settings(max_examples=250, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@functools.lru_cache(maxsize=None)
def pair(name: str):
    path = SP_DIR / name
    assert path.is_file(), f"reference file not found: {path}"
    return HFTokenizer.from_file(str(path)), tokembed.Tokenizer.from_file(path)


@functools.lru_cache(maxsize=None)
def lines(corpus: Path) -> List[str]:
    return corpus.read_text(encoding="utf-8").split("\n")


def assert_same_ids(hf: HFTokenizer, ours: tokembed.Tokenizer, texts: List[str], where: str) -> None:
    expected = hf.encode_batch(texts, add_special_tokens=True)
    flat, offsets = ours.encode_batch_flat(texts)
    for i, e in enumerate(expected):
        got = flat[offsets[i] : offsets[i + 1]].tolist()
        assert got == e.ids, f"{where}: ids differ for line {i} {texts[i]!r}: ours {got[:20]}, HF {e.ids[:20]}"


@pytest.mark.parametrize("name", FILES)
@pytest.mark.parametrize("corpus", CORPORA, ids=lambda p: p.name)
def test_every_corpus_line_gives_hf_ids(name, corpus):
    hf, ours = pair(name)
    texts = lines(corpus)
    for start in range(0, len(texts), 20_000):
        assert_same_ids(hf, ours, texts[start : start + 20_000], f"{name} on {corpus.name}")


@pytest.mark.parametrize("name", FILES)
@pytest.mark.parametrize("corpus", CORPORA, ids=lambda p: p.name)
def test_sampled_lines_match_in_every_field(name, corpus):
    hf, ours = pair(name)
    texts = [t for t in lines(corpus) if t.strip()][::97][:300]
    for i, text in enumerate(texts):
        assert_same(hf, ours, text, texts[i - 1] if i % 3 == 0 and i else None)


@pytest.mark.parametrize("name", FILES)
def test_a_whole_document_matches(name):
    hf, ours = pair(name)
    document = "\n".join(lines(CORPORA[0])[:3000])
    assert_same(hf, ours, document)
    single = ours.encode_batch_flat([document])[0]
    assert single.tolist() == hf.encode(document).ids


SPECIAL_FRAGMENTS = ["<s>", "</s>", "<unk>", "<pad>", "[INST]", "[/INST]", "▁", " ", "  ", "\n", "\n\n", "\t", "<0x41>"]
SP_TEXT = st.lists(
    st.one_of(st.text(alphabet=ALPHABET, max_size=10), st.sampled_from(SPECIAL_FRAGMENTS)), max_size=12
).map("".join)


@pytest.mark.parametrize("name", FILES)
@GENERATED
@given(text=SP_TEXT, second=SP_TEXT)
@example(text="<s>[INST] Hello [/INST]</s>", second="  leading and trailing  ")
@example(text="日本語のテキスト、中文文本。", second="Русский текст 😀👍🏽 e\u0301")
@example(text="\u3000ｶﾞ Ａ①ﬁ", second="\r\n\x00\x7f\u200b\ufeff")
def test_generated_text_matches(name, text, second):
    hf, ours = pair(name)
    assert_same(hf, ours, text)
    assert_same(hf, ours, text, second)


LONG_TEXT = st.lists(SP_TEXT, min_size=25, max_size=50).map(" ".join).filter(lambda t: len(t.encode("utf-8")) > 300)


@pytest.mark.parametrize("name", FILES)
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
@given(text=LONG_TEXT)
@example(text="日本語のテキスト、中文文本。Русский текст 😀👍🏽 e\u0301 <0x41> " * 30)
def test_long_generated_text_matches(name, text):
    """A text of more than 256 bytes that the file does not pre-tokenize (Mistral's legacy form)
    is cut into parts where no token spans a cut before its merges, as the ids-only path does:
    every field, offsets included, as HF gives them."""
    hf, ours = pair(name)
    assert_same(hf, ours, text)


# Ids without offsets take their own normalizer path (Precompiled rewrites the text without
# keeping alignments, a character at a time where characters stand alone): ASCII runs and letters
# of several scripts next to marks that join the character before them, CR LF, prepended
# concatenation marks (U+0600, U+110BD, which join the character after them), Hangul jamo, flags,
# emoji sequences, Indic conjuncts and characters the charsmap folds.
ASCII_RUN = st.text(alphabet=st.characters(min_codepoint=0x09, max_codepoint=0x7E), min_size=14, max_size=40)
JOINERS = st.sampled_from(
    ["\r\n", "\r", "\u0301", "\u0600", "\u06dd", "\U000110bd", "\u200d", "\u0d4e", "ﬁ", "①", "\u3000", "Ａ", "\u1100\u1161"]
    + ["и\u0306", "е\u0308", "中\u0301", "か\u3099", "ｶ\uff9e", "\u0e01\u0e33", "\U0001f1ef\U0001f1f5", "\U0001f469\u200d\U0001f4bb"]
    + ["слово", "日本語", "ｱｲｳ", "Ωμέγα", "שלום", "مرحبا", "ก\u0e34", "\u0915\u094d\u0937"]
)
IDS_TEXT = st.lists(st.one_of(ASCII_RUN, JOINERS, st.text(alphabet=ALPHABET, max_size=6)), max_size=10).map("".join)


@pytest.mark.parametrize("name", [n for n in FILES if "botchan" in n or "mon_" in n])
@GENERATED
@given(texts=st.lists(IDS_TEXT, min_size=1, max_size=8))
@example(texts=["abc\r\ndef ghijklmnopqrstuvwxyz\u0301 x", "\u0600abcdefghijklmnopqrstu ﬁ①", "a" * 20 + "\u0301" + "b" * 20])
def test_generated_text_gives_hf_ids_without_offsets(name, texts):
    hf, ours = pair(name)
    assert_same_ids(hf, ours, texts, name)


@pytest.mark.parametrize("name", FILES)
def test_saved_file_loads_in_hf_with_the_same_results(name, tmp_path):
    hf, ours = pair(name)
    out = tmp_path / "tokenizer.json"
    ours.save(out)
    reloaded = HFTokenizer.from_file(str(out))
    text = "<s> Hello  wörld ﬁ 日本 😀\n"
    assert reloaded.encode(text).ids == hf.encode(text).ids
    again = tokembed.Tokenizer.from_file(out)
    assert again.encode(text).ids.tolist() == hf.encode(text).ids


def test_long_texts_without_spaces_stay_linear():
    """The legacy Mistral pipeline makes a whole text one word: a megabyte of Chinese or of one
    repeated character must come back exact (compared with HF on the 100 KB case)."""
    hf, ours = pair("mistral_v1.legacy.tokenizer.json")
    chinese = "".join(chr(0x4E00 + (i * 7919) % 20000) for i in range(30_000))
    assert ours.encode(chinese).ids.tolist() == hf.encode(chinese).ids
    repeated = "a" * 100_000
    assert ours.encode_batch_flat([repeated])[0].tolist() == hf.encode(repeated).ids
    assert len(ours.encode_batch_flat(["字" * 1_000_000])[0]) > 0
    assert np.all(ours.encode_batch_flat(["\x00\x01" * 500_000])[0] < 32000)
