"""Character-level BPE cuts a word between two characters that no token has side by side (beside
a character that is not a token only where the model spells it alone), and encodes the parts
alone, each through the thread's word caches (Rust `models/pair_cuts.rs`). Only the ids path
(`encode_batch_flat`) cuts, so it is compared here with the reference wherever cuts fall: text
without spaces (Japanese, Chinese: a whole document is one word under SentencePiece's
pipelines), runs of characters the vocabulary lacks (fused into one unknown token by botchan's
BPE, bytes under Mistral's byte fallback), emoji, user-defined pieces (Mistral v3), and the
Japanese corpus as lines and as ~4 KB documents. The `.model` Unigram models (cut only before
`▁`, their float32 paths carried from word to word) run the same checks. `.model` files against
`sentencepiece`, `tokenizer.json` files against HF `tokenizers`.
"""

from __future__ import annotations

import functools
from pathlib import Path
from typing import List

import pytest
import sentencepiece
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from tokenizers import Tokenizer as HFTokenizer

import tokembed

DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"
SP_DIR = DATA / "tokenizers" / "sentencepiece"
LOCAL = Path(__file__).resolve().parent / "data" / "sentencepiece"
MODELS = [
    SP_DIR / "mistral_v1.model",
    SP_DIR / "botchan_en_bpe_1000.model",
    LOCAL / "mistral_v3.model",
    SP_DIR / "botchan_en_unigram_1000.model",
    LOCAL / "ja_unigram_8000.model",
]
BPE_FILES = ["mistral_v1.legacy.tokenizer.json", "mistral_v1.metaspace.tokenizer.json", "botchan_en_bpe_1000.tokenizer.json"]
JAPANESE = LOCAL / "ja_wagahaiwa_nekodearu_200KB.txt"
GENERATED = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def chars(lo: int, hi: int):
    return st.characters(min_codepoint=lo, max_codepoint=hi, exclude_categories=["Cs"])


# Mostly scripts written without spaces, where nearly every point between two characters is a cut.
SCRIPTS = st.one_of(
    chars(0x4E00, 0x9FFF),  # CJK ideographs: common ones are Mistral tokens, rare ones are not
    chars(0x3040, 0x30FF),  # kana
    chars(0xAC00, 0xD7A3),  # Hangul syllables
    chars(0x20, 0x7E),  # ASCII
    chars(0x400, 0x4FF),  # Cyrillic
    chars(0x1F300, 0x1FAFF),  # emoji, past the Basic Multilingual Plane
    st.sampled_from(list("　、。「」 \n▁")),
)
FRAGMENTS = st.sampled_from(["日本語", "中文文本", "吾輩は猫である", "[INST]", "[REFERENCE_DOC_1]", "▁▁", "  ", "<s>", "ｶﾞ"])
TEXT = st.lists(st.one_of(st.text(alphabet=SCRIPTS, min_size=1, max_size=12), FRAGMENTS), max_size=10).map("".join)


@functools.lru_cache(maxsize=None)
def model_pair(path: Path):
    return sentencepiece.SentencePieceProcessor(model_file=str(path)), tokembed.Tokenizer.from_sentencepiece(path)


@functools.lru_cache(maxsize=None)
def json_pair(name: str):
    return HFTokenizer.from_file(str(SP_DIR / name)), tokembed.Tokenizer.from_file(SP_DIR / name)


@functools.lru_cache(maxsize=None)
def japanese_lines() -> List[str]:
    return JAPANESE.read_text(encoding="utf-8").split("\n")


def documents(lines: List[str], size: int = 4000) -> List[str]:
    """The lines joined into documents of about `size` bytes."""
    out, current = [], ""
    for line in lines:
        current += line + "\n"
        if len(current.encode()) >= size:
            out.append(current)
            current = ""
    return out + ([current] if current else [])


def ids_path(ours: tokembed.Tokenizer, texts: List[str], **options) -> List[List[int]]:
    flat, offsets = ours.encode_batch_flat(texts, **options)
    return [flat[offsets[i] : offsets[i + 1]].tolist() for i in range(len(texts))]


@pytest.mark.parametrize("model", MODELS, ids=lambda p: p.name)
@GENERATED
@given(text=TEXT)
@example(text="吾輩は猫である。名前はまだ無い。")
@example(text="鿕鿔鿓 rare ideographs 鿕鿔")
@example(text="😀👍🏽日本😀")
@example(text="[INST]日本語[/INST][REFERENCE_DOC_1]中文")
def test_model_files_cut_as_the_library_encodes(model, text):
    reference, ours = model_pair(model)
    expected = reference.encode(text)
    assert ids_path(ours, [text]) == [expected], f"{model.name}: {text!r}"
    # The same text again (its parts now cached) and inside a batch of others.
    assert ids_path(ours, ["x", text, text[::-1]])[1] == expected


@pytest.mark.parametrize("name", BPE_FILES)
@GENERATED
@given(text=TEXT)
@example(text="吾輩は猫である。名前はまだ無い。")
@example(text="鿕鿔鿓 rare ideographs 鿕鿔")
@example(text="😀👍🏽日本😀")
def test_json_files_cut_as_hf_encodes(name, text):
    hf, ours = json_pair(name)
    expected = hf.encode(text, add_special_tokens=False).ids
    assert ids_path(ours, [text], add_special_tokens=False) == [expected], f"{name}: {text!r}"


@pytest.mark.parametrize("model", MODELS, ids=lambda p: p.name)
def test_model_files_on_japanese_lines_and_documents(model):
    reference, ours = model_pair(model)
    lines = japanese_lines()
    for texts in (lines, documents(lines)):
        expected = reference.encode(texts)
        got = ids_path(ours, texts)
        for i, (g, e) in enumerate(zip(got, expected)):
            assert g == e, f"{model.name}, text {i} {texts[i][:60]!r}: ours {g[:20]}, sentencepiece {e[:20]}"


@pytest.mark.parametrize("name", BPE_FILES)
def test_json_files_on_japanese_lines_and_documents(name):
    hf, ours = json_pair(name)
    lines = japanese_lines()
    for texts in (lines, documents(lines)):
        expected = [e.ids for e in hf.encode_batch(texts, add_special_tokens=False)]
        got = ids_path(ours, texts, add_special_tokens=False)
        for i, (g, e) in enumerate(zip(got, expected)):
            assert g == e, f"{name}, text {i} {texts[i][:60]!r}: ours {g[:20]}, HF {e[:20]}"
