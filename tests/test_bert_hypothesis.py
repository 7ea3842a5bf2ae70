"""Generated text against HF `tokenizers`: accents and combining marks, CJK, control and format
characters, emoji, NBSP and other spaces, mixed with ordinary words and punctuation."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st
from tokenizers import Tokenizer as HFTokenizer

import tokembed
from conftest import BERT_JSON

HF = HFTokenizer.from_file(str(BERT_JSON))
HF.no_padding()
HF.no_truncation()
OURS = tokembed.Tokenizer.from_file(BERT_JSON)
OURS.no_padding()
OURS.no_truncation()

ranges = [
    (0x20, 0x7E),  # ASCII
    (0xA0, 0x17F),  # NBSP, Latin-1, Latin Extended-A (precomposed accents)
    (0x300, 0x36F),  # combining diacritical marks
    (0x370, 0x3FF),  # Greek (final sigma, tonos)
    (0x400, 0x4FF),  # Cyrillic
    (0x590, 0x6FF),  # Hebrew, Arabic (marks, RTL)
    (0x900, 0x97F),  # Devanagari (spacing marks)
    (0x1E00, 0x1EFF),  # Latin Extended Additional
    (0x2000, 0x206F),  # spaces, zero-width and format characters, punctuation
    (0x3000, 0x303F),  # ideographic space and CJK punctuation
    (0x3040, 0x30FF),  # kana
    (0x4E00, 0x4FFF),  # CJK ideographs
    (0xAC00, 0xD7A3),  # Hangul syllables (decompose under NFD into jamo, with or without a final)
    (0x1100, 0x11FF),  # Hangul conjoining jamo (what the syllables decompose into)
    (0x3130, 0x318F),  # Hangul compatibility jamo
    (0xFF00, 0xFFEF),  # full-width forms
    (0x1F300, 0x1F6FF),  # emoji
    (0x20000, 0x2000F),  # CJK extension B
    (0x0, 0x1F),  # control characters
    (0x7F, 0x9F),  # DEL and C1 controls
    (0xFFF0, 0xFFFD),  # specials, including the replacement character
]
alphabet = st.one_of(*[st.characters(min_codepoint=a, max_codepoint=b, exclude_categories=("Cs",)) for a, b in ranges])
words = st.sampled_from(["the", "Hello", "naïve", "don't", "[CLS]", "[SEP]", "[MASK]", "x" * 120, "1,000.5", "  ", "\n", "\t"])
texts = st.lists(st.one_of(st.text(alphabet, max_size=12), words), max_size=12).map("".join)


def check(text: str, pair: str | None = None) -> None:
    theirs = HF.encode(text, pair)
    ours = OURS.encode(text, pair)
    assert ours.ids.tolist() == theirs.ids
    assert ours.tokens == theirs.tokens
    assert [tuple(o) for o in ours.offsets.tolist()] == theirs.offsets
    assert ours.type_ids.tolist() == theirs.type_ids
    assert ours.special_tokens_mask.tolist() == theirs.special_tokens_mask
    for skip in (True, False):
        assert OURS.decode(ours.ids, skip_special_tokens=skip) == HF.decode(theirs.ids, skip_special_tokens=skip)


@settings(max_examples=1500, deadline=None)
@given(texts)
def test_generated_text(text):
    check(text)


@settings(max_examples=500, deadline=None)
@given(texts, texts)
def test_generated_pairs(text, pair):
    check(text, pair)


@settings(max_examples=300, deadline=None)
@given(st.lists(texts, max_size=20))
def test_generated_batches(batch):
    theirs = [e.ids for e in HF.encode_batch(batch)]
    ids, offsets = OURS.encode_batch_flat(batch)
    assert [ids[offsets[i] : offsets[i + 1]].tolist() for i in range(len(batch))] == theirs
    assert OURS.count_tokens(batch).tolist() == [len(t) for t in theirs]


def test_every_code_point_matches_in_and_after_a_word():
    """Every Unicode scalar value once, alone, inside a word, in uppercase company and next to a
    combining mark: BERT's per-character answers (cleaned? white space? punctuation? changed by
    lowercasing or accent stripping?) are kept per code point after their first use, so each one
    is checked here against HF rather than only the ranges the generated text draws from."""
    code_points = [c for c in range(0x80, 0x110000) if not 0xD800 <= c <= 0xDFFF]
    texts = []
    for start in range(0, len(code_points), 64):
        chunk = [chr(c) for c in code_points[start:start + 64]]
        texts.append(" ".join(f"A{c}b {c} É{c}\u0301" for c in chunk))
    for row in range(0, len(texts), 512):
        batch = texts[row:row + 512]
        for text, t in zip(batch, HF.encode_batch(batch)):
            o = OURS.encode(text)
            assert o.ids.tolist() == t.ids, text[:40]
            assert [tuple(x) for x in o.offsets.tolist()] == t.offsets, text[:40]
