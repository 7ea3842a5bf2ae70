"""Pre-tokenized input (`encode(words, is_pretokenized=True)`) and `word_ids`, against HF.

NER pipelines hand the tokenizer words and read `word_ids` back to align labels. HF encodes each
word on its own: offsets are within the word, and every token of word i has word id i, whatever
the pre-tokenizer would have cut. Checked on real corpus lines split at white space (with the
words' own spaces for byte-level BPE, as users of GPT-2-style files pass them), pairs, added
tokens inside words, truncation with overflowing windows, padding, and generated words, for a
WordPiece, a byte-level BPE, a SentencePiece BPE and a Unigram tokenizer.json.
"""

from __future__ import annotations

import functools
import re
from pathlib import Path
from typing import List, Tuple

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from tokenizers import Tokenizer as HFTokenizer

import tokembed
from test_components_parity import ALPHABET, corpus_texts, first_difference

DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"
FILES = {
    "bert": DATA / "tokenizers" / "bert-base-uncased" / "tokenizer.json",
    "gpt2": DATA / "tokenizers" / "gpt2" / "tokenizer.json",
    "mistral": DATA / "tokenizers" / "sentencepiece" / "mistral_v1.legacy.tokenizer.json",
    "unigram": DATA / "tokenizers" / "sentencepiece" / "botchan_en_unigram_1000.tokenizer.json",
}
GENERATED = settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@functools.lru_cache(maxsize=None)
def pair(name: str) -> Tuple[HFTokenizer, tokembed.Tokenizer]:
    hf = HFTokenizer.from_file(str(FILES[name]))
    hf.no_padding()
    hf.no_truncation()
    return hf, tokembed.Tokenizer.from_str(hf.to_str())


@pytest.fixture(scope="session")
def shared_data() -> Path:
    assert all(f.is_file() for f in FILES.values()), f"reference data not found under {DATA}"
    return DATA


def words_of(line: str, keep_spaces: bool) -> List[str]:
    """White-space words; with `keep_spaces` each keeps the spaces before it (GPT-2 style)."""
    return re.findall(r"\s*\S+", line) if keep_spaces else line.split()


def assert_same_words(hf, ours, words, pair_words=None, add_special_tokens=True) -> None:
    theirs = hf.encode(words, pair_words, is_pretokenized=True, add_special_tokens=add_special_tokens)
    mine = ours.encode(words, pair_words, is_pretokenized=True, add_special_tokens=add_special_tokens)
    where = f"words={words!r} pair={pair_words!r}"
    for t, m in [(theirs, mine)] + list(zip(theirs.overflowing, mine.overflowing)):
        fields = {
            "ids": (m.ids.tolist(), t.ids),
            "tokens": (m.tokens, t.tokens),
            "offsets": ([tuple(o) for o in m.offsets.tolist()], t.offsets),
            "word_ids": (m.word_ids, t.word_ids),
            "sequence_ids": (m.sequence_ids, t.sequence_ids),
            "type_ids": (m.type_ids.tolist(), t.type_ids),
            "special_tokens_mask": (m.special_tokens_mask.tolist(), t.special_tokens_mask),
            "attention_mask": (m.attention_mask.tolist(), t.attention_mask),
        }
        for field, (got, expected) in fields.items():
            assert got == expected, f"{field} differ for {where}: {first_difference(got, expected)}"
    assert len(mine.overflowing) == len(theirs.overflowing), where


@pytest.mark.parametrize("name", list(FILES))
def test_pretokenized_corpus_lines(name, shared_data):
    hf, ours = pair(name)
    lines = [line for line in corpus_texts()[::5] if line.strip()]
    for i, line in enumerate(lines):
        words = words_of(line, keep_spaces=name == "gpt2")
        pair_words = words_of(lines[i - 1], keep_spaces=name == "gpt2") if i % 3 == 0 else None
        assert_same_words(hf, ours, words, pair_words, add_special_tokens=i % 2 == 0)


@pytest.mark.parametrize("name", ["bert", "mistral"])
def test_pretokenized_with_truncation_padding_and_added_tokens(name, shared_data):
    """The settings travel in the file HF writes, which tokembed loads with them."""
    hf = HFTokenizer.from_file(str(FILES[name]))
    hf.add_tokens(["<ent>"])
    hf.enable_truncation(max_length=16, stride=3)
    hf.enable_padding(pad_id=0, pad_token="<pad>", length=16)
    ours = tokembed.Tokenizer.from_str(hf.to_str())
    special = "[SEP]" if name == "bert" else "</s>"
    for line in corpus_texts()[1::40][:60]:
        words = line.split()
        words = [w + "<ent>" if k % 4 == 1 else w for k, w in enumerate(words)] + [special]
        assert_same_words(hf, ours, words)


WORDS = st.lists(st.text(alphabet=ALPHABET, max_size=8), max_size=8)


@pytest.mark.parametrize("name", list(FILES))
@GENERATED
@given(words=WORDS, pair_words=st.one_of(st.none(), WORDS))
def test_pretokenized_generated_words(name, words, pair_words, shared_data):
    hf, ours = pair(name)
    assert_same_words(hf, ours, words, pair_words)


def test_pretokenized_input_must_be_words(shared_data):
    _, ours = pair("bert")
    with pytest.raises(TypeError, match="text must be a list of str words"):
        ours.encode("not a list", is_pretokenized=True)
    with pytest.raises(TypeError, match=r"pair\[1\] must be str, got int"):
        ours.encode(["a"], ["b", 3], is_pretokenized=True)


def padded_rows(encodings, field: str, pad: int) -> List[List[int]]:
    """HF's per-encoding lists laid out right-padded to the longest, as our batch arrays are."""
    rows = [[pad if v is None else v for v in getattr(e, field)] for e in encodings]
    width = max((len(r) for r in rows), default=0)
    return [r + [pad] * (width - len(r)) for r in rows]


def padded_copy(name: str) -> tokembed.Tokenizer:
    """The test's tokenizer, padding to the longest row with a token of its own vocabulary."""
    hf, _ = pair(name)
    ours = tokembed.Tokenizer.from_str(hf.to_str())
    pad = {"gpt2": "<|endoftext|>", "mistral": "</s>", "unigram": "</s>"}.get(name)
    if pad is not None:
        ours.enable_padding(pad_token=pad)
    return ours


@pytest.mark.parametrize("name", list(FILES))
def test_pretokenized_batches(name, shared_data):
    """encode_batch(rows of words, is_pretokenized=True) against HF's encode_batch of the same
    rows: ids, masks, type ids, offsets and word ids (-1 where HF says None), with and without
    pairs; __call__ takes one list of words as a batch of one."""
    hf, _ = pair(name)
    ours = padded_copy(name)
    lines = [line for line in corpus_texts()[::25] if line.strip()][:300]
    rows = [words_of(line, keep_spaces=name == "gpt2") for line in lines]
    for pairs in (None, rows[1:] + rows[:1]):
        inputs = rows if pairs is None else list(zip(rows, pairs))
        theirs = hf.encode_batch(inputs, is_pretokenized=True)
        mine = ours.encode_batch(rows, pairs, is_pretokenized=True, return_offsets=True, return_word_ids=True)
        assert mine["attention_mask"].tolist() == padded_rows(theirs, "attention_mask", 0)
        lengths = [len(e.ids) for e in theirs]
        for field, key in [("ids", "input_ids"), ("type_ids", "token_type_ids"), ("word_ids", "word_ids")]:
            got = [row[:n] for row, n in zip(mine[key].tolist(), lengths)]
            expected = [[-1 if v is None else v for v in getattr(e, field)] for e in theirs]
            assert got == expected, field
        assert all(w == -1 for row, n in zip(mine["word_ids"].tolist(), lengths) for w in row[n:])
        got_offsets = [row[:n] for row, n in zip(mine["offsets"].tolist(), lengths)]
        assert got_offsets == [[list(o) for o in e.offsets] for e in theirs]
    one = ours(rows[0], is_pretokenized=True, return_word_ids=True)
    expected = hf.encode(rows[0], is_pretokenized=True)
    assert one["input_ids"].tolist() == [expected.ids]
    assert one["word_ids"].tolist() == padded_rows([expected], "word_ids", -1)


@pytest.mark.parametrize("name", ["bert", "gpt2"])
def test_word_ids_of_text_batches(name, shared_data):
    """return_word_ids on ordinary text: the pre-tokenizer's words, as HF's word_ids."""
    hf, _ = pair(name)
    ours = padded_copy(name)
    lines = [line for line in corpus_texts()[3::25] if line.strip()][:300]
    mine = ours.encode_batch(lines, return_word_ids=True)
    assert "offsets" not in mine
    theirs = hf.encode_batch(lines)
    assert mine["attention_mask"].tolist() == padded_rows(theirs, "attention_mask", 0)
    assert mine["word_ids"].tolist() == padded_rows(theirs, "word_ids", -1)


def test_pretokenized_batch_input_must_be_words(shared_data):
    _, ours = pair("bert")
    with pytest.raises(TypeError, match=r"texts\[1\] must be a list of str words"):
        ours.encode_batch([["a"], "b"], is_pretokenized=True)
    with pytest.raises(TypeError, match=r"pairs\[0\]\[1\] must be str, got int"):
        ours.encode_batch([["a"]], [["b", 3]], is_pretokenized=True)
    with pytest.raises(ValueError, match="same length"):
        ours.encode_batch([["a"], ["b"]], [["c"]], is_pretokenized=True)
