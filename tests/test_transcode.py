"""tokembed makes the UTF-8 of non-ASCII Python strings itself (simdutf, into one buffer per call)
instead of asking CPython for it: the ids, offsets and errors must be exactly those of the
reference, at one thread and at two, for every way CPython stores a str (Latin-1, UCS-2, UCS-4),
for strings whose UTF-8 CPython already holds, mixed in one batch with ASCII strings, and for the
one text (and pair) of `encode`."""

from __future__ import annotations

import random
import sys

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from tokenizers import Tokenizer as HFTokenizer

import tokembed
from conftest import DATA

GPT2 = DATA / "tokenizers" / "gpt2" / "tokenizer.json"
SENTENCEPIECE = DATA / "tokenizers" / "sentencepiece" / "mistral_v1.model"


def fresh(text: str) -> str:
    """A new str object with the same text and no UTF-8 copy inside (CPython makes that copy the
    first time a library asks, and keeps it)."""
    return (text + "x")[:-1]


def batch() -> list[str]:
    """~700 KB: German prose (Latin-1 range), Chinese and Russian (UCS-2), emoji (UCS-4), ASCII."""
    rng = random.Random(7)
    german = (DATA / "corpora" / "de_manpages_3MB.txt").read_text(encoding="utf-8")[:200_000]
    docs = [german[i : i + 4000] for i in range(0, len(german), 4000)]
    latin1 = "".join(chr(rng.choice([0xE4, 0xF6, 0xFC, 0xDF, 0x20, 0x61, 0xE9])) for _ in range(40_000))
    chinese = "".join(chr(0x4E00 + rng.randrange(3000)) for _ in range(60_000))
    russian = "".join(rng.choice("абвгдежзийклмнопрстуфхцчшщыьэюя .,\n") for _ in range(60_000))
    emoji = "".join(rng.choice(["😀", "🙂", "a", " ", "🚀", "中", "\u0301"]) for _ in range(30_000))
    for text in (latin1, chinese, russian, emoji):
        docs += [text[i : i + 3000] for i in range(0, len(text), 3000)]
    docs += ["plain ascii text " * 50] * 20
    rng.shuffle(docs)
    return docs


@pytest.fixture(scope="module")
def docs() -> list[str]:
    return batch()


@pytest.fixture
def two_threads():
    before = tokembed.get_num_threads()
    tokembed.set_num_threads(2)
    yield
    tokembed.set_num_threads(before)


def kinds(docs: list[str]) -> set[int]:
    """The widest code point of each str, as CPython's storage kind: 1, 2 or 4 bytes."""
    return {1 if max(map(ord, d)) < 256 else 2 if max(map(ord, d)) < 65536 else 4 for d in docs}


def test_the_batch_has_every_storage_kind(docs):
    assert kinds(docs) == {1, 2, 4}
    assert sum(len(d.encode()) for d in docs) > 500_000


def test_ids_and_offsets_match_the_reference_and_one_thread(docs, two_threads):
    tok = tokembed.Tokenizer.from_file(GPT2)
    tok.enable_padding(pad_token="<|endoftext|>")
    hf = HFTokenizer.from_file(str(GPT2))
    ids, rows = tok.encode_batch_flat([fresh(d) for d in docs], add_special_tokens=False)
    padded = tok.encode_batch([fresh(d) for d in docs], add_special_tokens=False, return_offsets=True)
    counts = tok.count_tokens([fresh(d) for d in docs], add_special_tokens=False)
    expected = hf.encode_batch(docs, add_special_tokens=False)
    for i, want in enumerate(expected):
        n = len(want.ids)
        assert ids[rows[i] : rows[i + 1]].tolist() == want.ids, f"document {i}"
        assert padded["input_ids"][i][:n].tolist() == want.ids and padded["attention_mask"][i].sum() == n
        assert [tuple(o) for o in padded["offsets"][i][:n].tolist()] == want.offsets, f"document {i}"
        assert counts[i] == n
    tokembed.set_num_threads(1)
    one_ids, one_rows = tok.encode_batch_flat([fresh(d) for d in docs], add_special_tokens=False)
    assert one_ids.tolist() == ids.tolist() and one_rows.tolist() == rows.tolist()


def test_sentencepiece_model_matches_one_thread(docs, two_threads):
    tok = tokembed.Tokenizer.from_sentencepiece(SENTENCEPIECE)
    two = tok.encode_batch_flat([fresh(d) for d in docs])
    tokembed.set_num_threads(1)
    one = tok.encode_batch_flat([fresh(d) for d in docs])
    assert two[0].tolist() == one[0].tolist() and two[1].tolist() == one[1].tolist()


@pytest.mark.parametrize("threads", [1, 2])
def test_the_strings_are_left_as_they_were(docs, threads):
    """CPython keeps the UTF-8 it makes inside the str (it shows in `sys.getsizeof`); the copy made
    here is the call's own. So the strings do not grow, at any thread count; asking CPython for
    their UTF-8 makes them grow, which is how the test knows it would see it."""
    tok = tokembed.Tokenizer.from_file(GPT2)
    wide = [fresh(d) for d in docs if max(map(ord, d)) >= 128]
    sizes = [sys.getsizeof(d) for d in wide]
    before = tokembed.get_num_threads()
    tokembed.set_num_threads(threads)
    try:
        tok.encode_batch_flat(wide)
        tok.encode(wide[0], wide[1])
    finally:
        tokembed.set_num_threads(before)
    assert [sys.getsizeof(d) for d in wide] == sizes
    HFTokenizer.from_file(str(GPT2)).encode_batch(wide, add_special_tokens=False)
    assert all(sys.getsizeof(d) > size for d, size in zip(wide, sizes))


def test_strings_whose_utf8_cpython_holds_are_borrowed(docs, two_threads):
    tok = tokembed.Tokenizer.from_file(GPT2)
    held = [fresh(d) for d in docs]
    for d in held:
        d.encode("utf-8", "strict")  # does not cache; asking a library does:
    HFTokenizer.from_file(str(GPT2)).encode_batch(held, add_special_tokens=False)
    sizes = [sys.getsizeof(d) for d in held]
    mixed = held[: len(held) // 2] + [fresh(d) for d in docs[len(held) // 2 :]]
    ids, rows = tok.encode_batch_flat(mixed, add_special_tokens=False)
    assert [sys.getsizeof(d) for d in held] == sizes
    tokembed.set_num_threads(1)
    one = tok.encode_batch_flat([fresh(d) for d in mixed], add_special_tokens=False)
    assert ids.tolist() == one[0].tolist() and rows.tolist() == one[1].tolist()


# The last two: two surrogates side by side in a UCS-2 str are two lone code points to CPython,
# not the pair UTF-16 would read as one emoji.
LONE = ["\ud800", "a\udfff", "中\udc00文", "\U0001f600\ud83d", "a\ud83d\ude00b", "中\ud83d\ude00"]


@pytest.mark.parametrize("threads", [1, 2])
@pytest.mark.parametrize("bad", LONE)
def test_a_lone_surrogate_in_a_large_batch_names_its_document(docs, threads, bad):
    tok = tokembed.Tokenizer.from_file(GPT2)
    texts = [fresh(d) for d in docs]
    where = len(texts) // 3
    texts[where] = fresh(texts[where] + bad)
    before = tokembed.get_num_threads()
    tokembed.set_num_threads(threads)
    try:
        with pytest.raises(ValueError, match=rf"texts\[{where}\] contains a lone surrogate"):
            tok.encode_batch_flat(texts)
        with pytest.raises(ValueError, match=rf"texts\[{where}\] contains a lone surrogate"):
            tok.count_tokens(texts)
    finally:
        tokembed.set_num_threads(before)


@pytest.mark.parametrize("bad", LONE)
def test_a_lone_surrogate_in_one_text_or_its_pair_is_named(bad):
    tok = tokembed.Tokenizer.from_file(GPT2)
    with pytest.raises(ValueError, match="text contains a lone surrogate"):
        tok.encode(fresh("ok " + bad))
    with pytest.raises(ValueError, match="pair contains a lone surrogate"):
        tok.encode("über", fresh("ok " + bad))


def test_one_text_and_its_pair_match_the_reference(docs):
    tok = tokembed.Tokenizer.from_file(GPT2)
    hf = HFTokenizer.from_file(str(GPT2))
    for text, pair in zip(docs[::7], docs[3::7]):
        want = hf.encode(text, pair, add_special_tokens=False)
        got = tok.encode(fresh(text), fresh(pair), add_special_tokens=False)
        assert list(got.ids) == want.ids and list(got.type_ids) == want.type_ids
        assert [tuple(o) for o in got.offsets] == want.offsets


GPT2_OURS = tokembed.Tokenizer.from_file(GPT2)
GPT2_HF = HFTokenizer.from_file(str(GPT2))


@settings(max_examples=30, deadline=None)
@given(
    st.lists(st.text(st.characters(exclude_categories=["Cs"]), min_size=1, max_size=200), min_size=1, max_size=40),
    st.sampled_from([1, 2]),
)
def test_generated_text_matches_the_reference(texts, threads):
    batch_texts = [fresh(t) for t in texts]
    before = tokembed.get_num_threads()
    tokembed.set_num_threads(threads)
    try:
        ids, rows = GPT2_OURS.encode_batch_flat(batch_texts, add_special_tokens=False)
    finally:
        tokembed.set_num_threads(before)
    for i, want in enumerate(GPT2_HF.encode_batch(batch_texts, add_special_tokens=False)):
        assert ids[rows[i] : rows[i + 1]].tolist() == want.ids
