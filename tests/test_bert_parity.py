"""Parity of the BERT tokenizer with HF `tokenizers` on every line of every corpus.

Two ways of loading are compared: `tokenizer.json` (against `Tokenizer.from_file`) and
`vocab.txt` (against `BertWordPieceTokenizer`). Batches are compared as whole arrays, so the
check covers ids, type ids, both masks and offsets of each line.
"""

from __future__ import annotations

import numpy as np
import pytest
from tokenizers import Tokenizer as HFTokenizer
from tokenizers.implementations import BertWordPieceTokenizer

import tokembed
from conftest import BERT_JSON, BERT_VOCAB, CORPORA, corpus_lines

CHUNK = 4000


def hf_rows(encodings, with_overflow: bool):
    rows, mapping = [], []
    for i, e in enumerate(encodings):
        rows.append(e)
        mapping.append(i)
        if with_overflow:
            rows.extend(e.overflowing)
            mapping.extend([i] * len(e.overflowing))
    return rows, mapping


def hf_arrays(encodings, with_overflow: bool = False) -> dict:
    """HF encodings as the padded arrays tokembed returns (HF pads them itself)."""
    rows, mapping = hf_rows(encodings, with_overflow)
    width = max((len(e.ids) for e in rows), default=0)
    assert all(len(e.ids) == width for e in rows), "HF rows must already be padded"
    out = {
        "input_ids": np.array([e.ids for e in rows], dtype=np.int64).reshape(len(rows), width),
        "token_type_ids": np.array([e.type_ids for e in rows], dtype=np.int64).reshape(len(rows), width),
        "attention_mask": np.array([e.attention_mask for e in rows], dtype=np.int64).reshape(len(rows), width),
        "special_tokens_mask": np.array([e.special_tokens_mask for e in rows], dtype=np.int64).reshape(
            len(rows), width
        ),
        "offsets": np.array([e.offsets for e in rows], dtype=np.int64).reshape(len(rows), width, 2),
    }
    if with_overflow:
        out["overflow_to_sample_mapping"] = np.array(mapping, dtype=np.int64)
    return out


def assert_same_batch(ours, theirs: dict, where: str) -> None:
    for key, expected in theirs.items():
        got = ours[key]
        assert got.shape == expected.shape, f"{where}: {key} shape {got.shape} != {expected.shape}"
        if not np.array_equal(got, expected):
            row = int(np.argwhere((got != expected).reshape(got.shape[0], -1).any(axis=1))[0, 0])
            raise AssertionError(f"{where}: {key} differs first at row {row}")


def longest_padding(hf: HFTokenizer) -> None:
    hf.no_truncation()
    hf.enable_padding(pad_id=0, pad_token="[PAD]")


@pytest.fixture(scope="module")
def json_pair():
    hf = HFTokenizer.from_file(str(BERT_JSON))
    longest_padding(hf)
    return tokembed.Tokenizer.from_file(BERT_JSON), hf


@pytest.fixture(scope="module")
def vocab_pair():
    hf = BertWordPieceTokenizer(str(BERT_VOCAB))
    longest_padding(hf)
    return tokembed.Tokenizer.from_wordpiece_vocab(BERT_VOCAB), hf


@pytest.mark.parametrize("loader", ["json_pair", "vocab_pair"])
@pytest.mark.parametrize("corpus", CORPORA, ids=lambda p: p.name)
def test_every_corpus_line_matches(loader, corpus, request):
    ours, hf = request.getfixturevalue(loader)
    lines = corpus_lines(corpus)
    for start in range(0, len(lines), CHUNK):
        chunk = lines[start : start + CHUNK]
        theirs = hf.encode_batch(chunk)
        got = ours.encode_batch(chunk, truncation=False, padding="longest", return_offsets=True)
        assert_same_batch(got, hf_arrays(theirs), f"{corpus.name} lines {start}..")
        # Without offsets the arrays come from the ids-only path of `encode_batch_flat`.
        plain = ours.encode_batch(chunk, truncation=False, padding="longest")
        assert "offsets" not in plain
        without = {key: value for key, value in hf_arrays(theirs).items() if key != "offsets"}
        assert_same_batch(plain, without, f"{corpus.name} lines {start}.., no offsets")
        ids, row_offsets = ours.encode_batch_flat(chunk)
        expected = [np.array([t for t, m in zip(e.ids, e.attention_mask) if m]) for e in theirs]
        for i, e in enumerate(expected):
            assert np.array_equal(ids[row_offsets[i] : row_offsets[i + 1]], e), f"{corpus.name} line {start + i}"


@pytest.mark.parametrize("corpus", CORPORA, ids=lambda p: p.name)
def test_tokens_and_decode_match(json_pair, corpus):
    ours, hf = json_pair
    lines = [line for line in corpus_lines(corpus)[:3000] if line.strip()]
    theirs = hf.encode_batch(lines)
    unpadded = [[i for i, m in zip(e.ids, e.attention_mask) if m] for e in theirs]
    for line, e, ids in zip(lines, theirs, unpadded):
        assert ours.tokenize(line, add_special_tokens=True) == [t for t, m in zip(e.tokens, e.attention_mask) if m]
    for skip in (True, False):
        expected = hf.decode_batch(unpadded, skip_special_tokens=skip)
        assert ours.decode_batch(unpadded, skip_special_tokens=skip) == expected
        assert [ours.decode(ids, skip_special_tokens=skip) for ids in unpadded[:200]] == expected[:200]


@pytest.mark.parametrize("loader", ["json_pair", "vocab_pair"])
@pytest.mark.parametrize("corpus", CORPORA, ids=lambda p: p.name)
def test_sentence_pairs_match(loader, corpus, request):
    ours, hf = request.getfixturevalue(loader)
    lines = corpus_lines(corpus)[:12001]
    firsts, seconds = lines[:-1], lines[1:]
    for start in range(0, len(firsts), CHUNK):
        a, b = firsts[start : start + CHUNK], seconds[start : start + CHUNK]
        theirs = hf.encode_batch(list(zip(a, b)))
        got = ours.encode_batch(a, b, truncation=False, padding="longest", return_offsets=True)
        assert_same_batch(got, hf_arrays(theirs), f"{corpus.name} pairs {start}..")


def _pairs_sample():
    lines = [line for line in corpus_lines(CORPORA[0])[:6000] if line.strip()]
    return lines[0::2][:1500], lines[1::2][:1500]


@pytest.mark.parametrize("strategy", ["longest_first", "only_first", "only_second"])
@pytest.mark.parametrize("stride", [0, 4])
@pytest.mark.parametrize("direction", ["right", "left"])
def test_truncation_with_stride_and_overflow(json_pair, strategy, stride, direction):
    ours, _ = json_pair
    hf = HFTokenizer.from_file(str(BERT_JSON))
    hf.no_padding()
    hf.enable_truncation(24, stride=stride, strategy=strategy, direction=direction)
    firsts, seconds = _pairs_sample()
    singles = [t for t in firsts if t.strip()][:300]
    cases = [(a, b) for a, b in zip(firsts, seconds)] + [(t, None) for t in singles]
    compared = 0
    for a, b in cases:
        try:
            expected = hf.encode(a, b)
        except BaseException as e:  # HF refuses (an error, or a Rust panic for a stride too large); so must we
            if isinstance(e, KeyboardInterrupt):
                raise
            with pytest.raises(ValueError):
                ours.encode_batch([a], None if b is None else [b], truncation=strategy, max_length=24,
                                  stride=stride, truncation_side=direction, padding="longest")
            continue
        got = ours.encode_batch(
            [a], None if b is None else [b], truncation=strategy, max_length=24, stride=stride,
            truncation_side=direction, padding="longest", return_overflowing=True, return_offsets=True,
        )
        rows = [expected] + list(expected.overflowing)
        width = max(len(r.ids) for r in rows)
        assert got["input_ids"].shape == (len(rows), width)
        for r, row in enumerate(rows):
            n = len(row.ids)
            sl = slice(0, n)
            assert got["input_ids"][r, sl].tolist() == row.ids
            assert got["token_type_ids"][r, sl].tolist() == row.type_ids
            assert got["special_tokens_mask"][r, sl].tolist() == row.special_tokens_mask
            assert [tuple(o) for o in got["offsets"][r, sl].tolist()] == row.offsets
            assert got["attention_mask"][r, :n].all() and not got["attention_mask"][r, n:].any()
        assert got["overflow_to_sample_mapping"].tolist() == [0] * len(rows)
        compared += 1
    assert compared > 100


def test_truncation_overflow_in_a_batch_matches_hf(json_pair):
    ours, _ = json_pair
    hf = HFTokenizer.from_file(str(BERT_JSON))
    hf.enable_truncation(40, stride=8, strategy="longest_first")
    hf.enable_padding(pad_id=0, pad_token="[PAD]")
    firsts, seconds = _pairs_sample()
    theirs = hf.encode_batch(list(zip(firsts, seconds)))
    got = ours.encode_batch(firsts, seconds, truncation=True, max_length=40, stride=8, padding="longest",
                            return_overflowing=True, return_offsets=True)
    # HF pads overflowing windows to the longest main row, which tokembed does too.
    assert_same_batch(got, hf_arrays(theirs, with_overflow=True), "pairs with overflow")


@pytest.mark.parametrize(
    "kwargs, hf_padding",
    [
        (dict(padding="longest"), dict()),
        (dict(padding="longest", padding_side="left"), dict(direction="left")),
        (dict(padding="longest", pad_to_multiple_of=8), dict(pad_to_multiple_of=8)),
        (dict(padding="max_length", max_length=200), dict(length=200)),
        (dict(padding="max_length", max_length=200, padding_side="left"), dict(length=200, direction="left")),
        (dict(padding="max_length", max_length=201, pad_to_multiple_of=16), dict(length=201, pad_to_multiple_of=16)),
    ],
)
def test_padding_modes(json_pair, kwargs, hf_padding):
    ours, _ = json_pair
    hf = HFTokenizer.from_file(str(BERT_JSON))
    hf.no_truncation()
    hf.enable_padding(pad_id=0, pad_token="[PAD]", **hf_padding)
    lines = [line for line in corpus_lines(CORPORA[1])[:2000] if 0 < len(line) < 300]
    got = ours.encode_batch(lines, lines[::-1], truncation=False, return_offsets=True, **kwargs)
    assert_same_batch(got, hf_arrays(hf.encode_batch(list(zip(lines, lines[::-1])))), str(kwargs))


def test_the_files_own_truncation_and_padding_apply_by_default():
    ours = tokembed.Tokenizer.from_file(BERT_JSON)
    hf = HFTokenizer.from_file(str(BERT_JSON))
    lines = corpus_lines(CORPORA[0])[:3000]
    got = ours.encode_batch(lines, return_offsets=True)
    assert got["input_ids"].shape == (len(lines), 128)
    assert_same_batch(got, hf_arrays(hf.encode_batch(lines)), "file defaults")
    one = ours.encode(lines[5] * 20)
    expected = hf.encode(lines[5] * 20)
    assert one.ids.tolist() == expected.ids
    assert [e.ids for e in expected.overflowing] == [o.ids.tolist() for o in one.overflowing]
