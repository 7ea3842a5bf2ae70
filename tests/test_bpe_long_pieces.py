"""Long pieces without a split point (runs of one letter, random letters, digits, spaces, base64,
multi-byte characters) against tiktoken and HF: they take the search over whole tokens in
`rust/core/src/models/bpe/backtrack.rs` instead of the merge loop, and must give the same ids."""

from __future__ import annotations

import base64
import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from tokenizers import Tokenizer as HFTokenizer

import tokembed
from test_bpe_parity import TOKENIZERS, tiktoken_encoding

OURS = {
    "gpt2": tokembed.Tokenizer.builtin("gpt2"),
    "cl100k_base": tokembed.Tokenizer.builtin("cl100k_base"),
    "gpt2.json": tokembed.Tokenizer.from_file(TOKENIZERS / "gpt2" / "tokenizer.json"),
    "cl100k_base.json": tokembed.Tokenizer.from_file(TOKENIZERS / "cl100k_base" / "tokenizer.json"),
}
TIKTOKEN = {"gpt2": tiktoken_encoding("r50k_base"), "cl100k_base": tiktoken_encoding("cl100k_base")}
HF = {
    "gpt2.json": HFTokenizer.from_file(str(TOKENIZERS / "gpt2" / "tokenizer.json")),
    "cl100k_base.json": HFTokenizer.from_file(str(TOKENIZERS / "cl100k_base" / "tokenizer.json")),
}


def reference(name: str, text: str) -> list:
    if name in TIKTOKEN:
        return TIKTOKEN[name].encode_ordinary(text)
    return HF[name].encode(text).ids


def pathological(size: int) -> dict:
    rng = random.Random(size)
    return {
        "one letter": "a" * size,
        "two letters": "ab" * (size // 2),
        "random letters": "".join(rng.choice("abcdefghijklmnopqrstuvwxyz") for _ in range(size)),
        "random case": "".join(rng.choice("aAbBxXyY") for _ in range(size)),
        "random base64": base64.b64encode(rng.randbytes(size * 3 // 4)).decode(),
        "digits": "".join(rng.choice("0123456789") for _ in range(size)),
        "spaces": " " * size,
        "dashes": "-" * size,
        "accented": "é" * (size // 2),
        "emoji": "🙂" * (size // 4),
        "cjk": "".join(rng.choice("日本語中文字") for _ in range(size // 3)),
    }


@pytest.mark.parametrize("name", sorted(OURS))
@pytest.mark.parametrize("kind", sorted(pathological(10)))
def test_100kb_pieces_match_the_reference(name, kind):
    text = pathological(100_000)[kind]
    if name == "gpt2" and kind == "spaces":
        # tiktoken's own regex overflows its stack on long space runs under the GPT-2 pattern;
        # HF, on the same vocabulary and merges, is the reference.
        expected = HF["gpt2.json"].encode(text).ids
    else:
        expected = reference(name, text)
    assert OURS[name].encode_batch_flat([text])[0].tolist() == expected


O200K = tokembed.Tokenizer.builtin("o200k_base")


@pytest.mark.parametrize("name", ["gpt2", "cl100k_base", "o200k_base"])
def test_runs_of_each_ascii_character_match_tiktoken(name):
    """Runs of one character from 256 bytes on take the token such runs repeat and a short
    search (`encode_repeated`): every printable ASCII character and the white space ones, at
    lengths around that threshold and with different remainders, against tiktoken."""
    ours = O200K if name == "o200k_base" else OURS[name]
    theirs = tiktoken_encoding("r50k_base" if name == "gpt2" else name)
    for char in [chr(c) for c in range(32, 127)] + ["\t", "\n", "\r", "\x0b", "\x0c"]:
        for size in (255, 256, 257, 331, 1201):
            text = char * size
            assert ours.encode_batch_flat([text])[0].tolist() == theirs.encode_ordinary(text), (name, char, size)


@pytest.mark.parametrize("name", sorted(HF))
def test_offsets_of_long_pieces_match_hf(name):
    for kind, text in pathological(5_000).items():
        ours, theirs = OURS[name].encode(text), HF[name].encode(text)
        assert [tuple(o) for o in ours.offsets.tolist()] == theirs.offsets, kind


def whole_corpora(size: int) -> str:
    """The start of every corpus as one text: prose, code, many scripts, whitespace runs."""
    from conftest import CORPORA

    return "".join(c.read_text(encoding="utf-8")[:size] for c in CORPORA)


@pytest.mark.parametrize("name", sorted(OURS))
def test_long_texts_split_a_block_at_a_time_match_the_reference(name):
    """A text far over 16 KB is split and tokenized a block of 1024 pieces at a time
    (`SCAN_ABOVE` in tokenizer.rs); the pieces must be those of one pass, at every block edge,
    with offsets right for the json files."""
    text = whole_corpora(150_000)
    assert OURS[name].encode_batch_flat([text])[0].tolist() == reference(name, text)
    if name in HF:
        ours, theirs = OURS[name].encode(text), HF[name].encode(text)
        assert [tuple(o) for o in ours.offsets.tolist()] == theirs.offsets


ALPHABETS = ["a", "ab", "aab", "abc", "0123456789", "01", "abcdefghijklmnopqrstuvwxyz", "aAbBzZ", "ſkK",
             " ", " \t", "=-", "é", "éa", "e\u0301", "日本", "🙂👍", "ab1", "x\u00a0"]
long_runs = st.sampled_from(ALPHABETS).flatmap(lambda a: st.text(st.sampled_from(a), min_size=40, max_size=1500))
around = st.text(st.characters(exclude_categories=("Cs",)), max_size=6)
texts = st.tuples(around, long_runs, around, long_runs).map("".join)


@settings(max_examples=400, deadline=None)
@given(texts)
def test_generated_long_runs_match_tiktoken_and_hf(text):
    for name in OURS:
        assert OURS[name].encode_batch_flat([text])[0].tolist() == reference(name, text), name


def test_a_general_split_regex_that_gives_up_raises_instead_of_guessing():
    """fancy-regex bounds its backtracking stack; a look-ahead after two million spaces exceeds it.
    The pieces would then differ from the pattern's meaning, so the call fails and says why."""
    custom = tokembed.Tokenizer.from_tiktoken(TOKENIZERS / "gpt2" / "gpt2.tiktoken", r"\s+(?!\S)|\s+|\S+", {})
    text = " " * 2_000_000 + "x"
    with pytest.raises(ValueError, match=r"split pattern .* failed: .*stack"):
        custom.encode(text)
    with pytest.raises(ValueError, match=r"texts\[1\].*split pattern"):
        custom.encode_batch_flat(["fine", text])
    # Shorter runs split as the pattern says: 999 spaces, " ", "x".
    pieces = [" " * 999, " ", "x"]
    assert custom.encode("".join(pieces)).ids.tolist() == sum((TIKTOKEN["gpt2"].encode_ordinary(p) for p in pieces), [])


@pytest.mark.parametrize("name", ["gpt2", "cl100k_base.json"])
def test_long_pieces_of_every_size_on_a_fresh_tokenizer(name):
    """Pieces from just over the search's 48-byte threshold to 3 KB, on a tokenizer that has
    encoded nothing yet, then again after a longer one: the reference's ids every time."""
    fresh = (tokembed.Tokenizer.builtin(name) if name in TIKTOKEN
             else tokembed.Tokenizer.from_file(TOKENIZERS / name.removesuffix(".json") / "tokenizer.json"))
    rng = random.Random(11)
    medium = ["".join(rng.choice("abcdefghij") for _ in range(n)) for n in (49, 200, 1024)]
    long = "".join(rng.choice("abcdefghij") for _ in range(3000))
    before = [fresh.encode(t, add_special_tokens=False).ids.tolist() for t in medium]
    assert fresh.encode(long, add_special_tokens=False).ids.tolist() == reference(name, long)
    after = [fresh.encode(t, add_special_tokens=False).ids.tolist() for t in medium]
    expected = [reference(name, t) for t in medium]
    assert before == expected
    assert after == expected
