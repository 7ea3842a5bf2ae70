"""The calls transformers users reach for, under transformers' names: `padding=False` (rows left
unpadded), `return_tensors`, `return_offsets_mapping`, `batch_decode`, `convert_ids_to_tokens`
and `convert_tokens_to_ids`, checked against HF `tokenizers` on a corpus."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from tokenizers import Tokenizer as HFTokenizer

import tokembed
from conftest import BERT_JSON, CORPORA, DATA, corpus_lines

DATA_TOKENIZERS = DATA / "tokenizers"


@pytest.fixture(scope="module")
def pair():
    hf = HFTokenizer.from_file(str(BERT_JSON))
    hf.no_padding()
    hf.no_truncation()
    return tokembed.Tokenizer.from_file(BERT_JSON), hf


@pytest.fixture(scope="module")
def lines():
    return [line for line in corpus_lines(CORPORA[0])[:400] if line.strip()]


def test_padding_false_gives_the_unpadded_rows(pair, lines):
    ours, hf = pair
    pairs = lines[1:] + lines[:1]
    for call in [
        lambda: ours(lines, padding=False, truncation=False, return_offsets_mapping=True),
        lambda: ours.encode_batch(lines, padding="do_not_pad", truncation=False, return_offsets=True),
    ]:
        got = call()
        theirs = hf.encode_batch(lines)
        assert got.shape == (len(lines),)
        for i, e in enumerate(theirs):
            assert got["input_ids"][i].tolist() == e.ids
            assert got["token_type_ids"][i].tolist() == e.type_ids
            assert got["attention_mask"][i].tolist() == e.attention_mask
            assert got["special_tokens_mask"][i].tolist() == e.special_tokens_mask
            assert [tuple(o) for o in got["offsets"][i].tolist()] == e.offsets
    got = ours(lines, pairs, padding=False, truncation=False)
    for i, e in enumerate(hf.encode_batch(list(zip(lines, pairs)))):
        assert got["input_ids"][i].tolist() == e.ids and got["token_type_ids"][i].tolist() == e.type_ids
    assert "unpadded rows" in repr(got)


def test_padding_false_with_truncation_and_overflow(pair, lines):
    ours, hf = pair
    hf.enable_truncation(16, stride=4)
    try:
        theirs = hf.encode_batch(lines[:50])
    finally:
        hf.no_truncation()
    got = ours.encode_batch(lines[:50], padding=False, truncation=True, max_length=16, stride=4,
                            return_overflowing=True)
    expected = []
    for e in theirs:
        expected.append(e.ids)
        expected.extend(o.ids for o in e.overflowing)
    assert [row.tolist() for row in got["input_ids"]] == expected
    assert isinstance(got["overflow_to_sample_mapping"], np.ndarray)


def test_return_offsets_mapping_and_return_tensors(pair, lines):
    ours, hf = pair
    got = ours(lines[:20], return_offsets_mapping=True, return_tensors="np", padding="longest")
    assert np.array_equal(got["offset_mapping"], got["offsets"])
    theirs = hf.encode_batch(lines[:20])
    for i, e in enumerate(theirs):
        assert [tuple(o) for o in got["offset_mapping"][i][: len(e.ids)].tolist()] == e.offsets
    with pytest.raises(ValueError, match="torch.from_numpy"):
        ours(lines[:2], return_tensors="pt")


def test_batch_decode_and_token_conversions(pair, lines):
    ours, hf = pair
    rows = [e.ids for e in hf.encode_batch(lines[:100])]
    assert ours.batch_decode(rows) == hf.decode_batch(rows, skip_special_tokens=False)
    assert ours.batch_decode(rows, skip_special_tokens=True) == hf.decode_batch(rows, skip_special_tokens=True)
    ids = rows[0]
    assert ours.convert_ids_to_tokens(ids) == [hf.id_to_token(i) for i in ids]
    assert ours.convert_ids_to_tokens(np.array(ids)) == [hf.id_to_token(i) for i in ids]
    assert ours.convert_ids_to_tokens(ids[1]) == hf.id_to_token(ids[1])
    tokens = [hf.id_to_token(i) for i in ids] + ["no-such-token"]
    assert ours.convert_tokens_to_ids(tokens) == [hf.token_to_id(t) for t in tokens]
    assert ours.convert_tokens_to_ids("[CLS]") == hf.token_to_id("[CLS]")
    with pytest.raises(TypeError):
        ours.convert_tokens_to_ids([1, 2])


def test_special_token_ids(pair):
    import sentencepiece

    ours, hf = pair
    assert (ours.pad_token_id, ours.eos_token_id, ours.bos_token_id) == (hf.token_to_id("[PAD]"), None, None)
    ours.enable_padding(pad_id=hf.token_to_id("[MASK]"), pad_token="[MASK]")
    try:
        assert ours.pad_token_id == hf.token_to_id("[MASK]")
    finally:
        ours.no_padding()
    gpt2 = tokembed.Tokenizer.builtin("gpt2")
    assert (gpt2.pad_token_id, gpt2.eos_token_id, gpt2.bos_token_id) == (None, 50256, None)
    model = str(Path(__file__).parent / "data" / "sentencepiece" / "mistral_v3.model")
    sp = sentencepiece.SentencePieceProcessor(model_file=model)
    mistral = tokembed.Tokenizer.from_sentencepiece(model)
    assert (mistral.bos_token_id, mistral.eos_token_id) == (sp.bos_id(), sp.eos_id())
    assert sp.pad_id() == -1 and mistral.pad_token_id is None


def added_pair(path):
    return tokembed.Tokenizer.from_file(path), HFTokenizer.from_file(str(path))


@pytest.mark.parametrize("path", [BERT_JSON, DATA_TOKENIZERS / "gpt2" / "tokenizer.json"], ids=["bert", "gpt2"])
def test_add_tokens_as_hf_adds_them(path, lines):
    from tokenizers import AddedToken

    ours, hf = added_pair(path)
    for tok in (ours, hf):
        tok.no_padding()
        tok.no_truncation()
    steps = [
        ("add_tokens", ["hello", "newtok1", "new tok two", "", "newtok1"]),
        ("add_special_tokens", ["<new_special>", "[CLS]", "<|endoftext|>"]),
        ("add_tokens", ["newtok1", "hello"]),
        ("add_tokens", [AddedToken("glued", single_word=True, lstrip=True, rstrip=True, normalized=False)]),
        ("add_special_tokens", [AddedToken("newtok1", special=True, normalized=False)]),
        ("add_tokens", [AddedToken("Über", normalized=True)]),
    ]
    text = "hello newtok1 new tok two <new_special>[CLS] a glued b xgluedx <|endoftext|> über Über"
    for method, tokens in steps:
        assert getattr(ours, method)(tokens) == getattr(hf, method)(tokens), (method, tokens)
        assert ours.get_vocab_size() == hf.get_vocab_size()
        for line in [text] + lines[:50]:
            mine, theirs = ours.encode(line), hf.encode(line)
            assert mine.ids.tolist() == theirs.ids, (method, line)
            assert [tuple(o) for o in mine.offsets.tolist()] == theirs.offsets
            assert ours.decode(theirs.ids) == hf.decode(theirs.ids)
    for content in ["hello", "newtok1", "new tok two", "<new_special>", "glued", "Über"]:
        assert ours.token_to_id(content) == hf.token_to_id(content)
    assert ours.add_special_tokens({"pad_token": "<pad-token>"}) == 1 and ours.token_to_id("<pad-token>") is not None


def test_add_tokens_needs_a_file_form_and_strings():
    model = str(Path(__file__).parent / "data" / "sentencepiece" / "mistral_v3.model")
    with pytest.raises(ValueError):
        tokembed.Tokenizer.from_sentencepiece(model).add_tokens(["x"])
    with pytest.raises(TypeError, match=r"tokens\[0\] must be a str or an AddedToken"):
        tokembed.Tokenizer.builtin().add_tokens([5])
