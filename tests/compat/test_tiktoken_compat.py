"""tokembed.compat.tiktoken against the real tiktoken, call by call: every registered encoding,
every public function and argument form, on the shared corpora and on generated text and bytes,
with the same results and the same error types."""

from __future__ import annotations

import pickle
import random
import sys
from pathlib import Path

import numpy as np
import pytest
import tiktoken
import tiktoken.model
from hypothesis import given, settings
from hypothesis import strategies as st

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import reference_tiktoken  # noqa: E402
from conftest import CORPORA, corpus_lines  # noqa: E402

import tokembed  # noqa: E402
import tokembed.compat.tiktoken as compat  # noqa: E402

NAMES = tiktoken.list_encoding_names()
# Encodings with ranks of their own (the others differ from one of these only in special tokens).
RANK_SETS = ["r50k_base", "p50k_base", "cl100k_base", "o200k_base"]


def both(name: str):
    return compat.get_encoding(name), reference_tiktoken.encoding(name)


def outcome(call):
    """A call's result, or its exception's type: errors must match as results do."""
    try:
        return call()
    except Exception as e:  # noqa: BLE001
        return type(e)


@pytest.fixture(scope="module")
def corpus_text() -> list[str]:
    # The first 200 KB of lines of each corpus, and some lines with special tokens written in.
    lines: list[str] = []
    for path in CORPORA:
        size = 0
        for line in corpus_lines(path):
            lines.append(line)
            size += len(line)
            if size > 200_000:
                break
    rng = random.Random(0)
    specials = ["<|endoftext|>", "<|fim_prefix|>", "<|endofprompt|>", "<|start|>", "<|reserved_200500|>"]
    for i in range(0, len(lines), 40):
        lines.append(rng.choice(specials) + lines[i] + rng.choice(specials) + " " + lines[i + 1 if i + 1 < len(lines) else 0])
    return lines


# ----- the registry -------------------------------------------------------------------------


def test_every_tiktoken_encoding_is_registered_with_its_definition():
    assert compat.list_encoding_names() == NAMES
    for name in NAMES:
        ours, theirs = both(name)
        assert ours.name == theirs.name
        assert ours._pat_str == theirs._pat_str
        assert ours._special_tokens == theirs._special_tokens
        assert ours.special_tokens_set == theirs.special_tokens_set
        assert (ours.max_token_value, ours.n_vocab) == (theirs.max_token_value, theirs.n_vocab)
        assert ours.eot_token == theirs.eot_token
        assert repr(ours) == repr(theirs)
        assert compat.get_encoding(name) is ours


def test_unknown_encoding_and_bad_name_type():
    with pytest.raises(ValueError):
        compat.get_encoding("no_such_encoding")
    with pytest.raises(ValueError):
        tiktoken.get_encoding("no_such_encoding")
    with pytest.raises(ValueError):
        compat.get_encoding(123)  # type: ignore[arg-type]


def test_models_map_to_the_same_encodings():
    models = list(tiktoken.model.MODEL_TO_ENCODING)
    models += [prefix + "2025-01-01" for prefix in tiktoken.model.MODEL_PREFIX_TO_ENCODING]
    models += ["gpt-4o", "gpt-4-0314", "ft:gpt-4o:org:x", "gpt-oss-120b", "text-davinci-003"]
    for model in models:
        assert compat.encoding_name_for_model(model) == tiktoken.encoding_name_for_model(model), model
    assert compat.encoding_for_model("gpt-4o") is compat.get_encoding("o200k_base")
    for unknown in ["", "llama-3", "GPT-4"]:
        assert outcome(lambda: compat.encoding_name_for_model(unknown)) is KeyError
        assert outcome(lambda: tiktoken.encoding_name_for_model(unknown)) is KeyError


# ----- encoding, on the corpora -------------------------------------------------------------


@pytest.mark.parametrize("name", RANK_SETS)
def test_corpus_encode_ordinary(name, corpus_text):
    ours, theirs = both(name)
    expected = theirs.encode_ordinary_batch(corpus_text)
    assert ours.encode_ordinary_batch(corpus_text) == expected
    assert ours.encode_batch(corpus_text, disallowed_special=()) == expected
    for i in range(0, len(corpus_text), 97):
        assert ours.encode_ordinary(corpus_text[i]) == expected[i]
        arr = ours.encode_to_numpy(corpus_text[i], disallowed_special=())
        assert arr.dtype == np.uint32 and arr.tolist() == expected[i]


@pytest.mark.parametrize("name", NAMES)
def test_corpus_special_token_forms(name, corpus_text):
    ours, theirs = both(name)
    lines = corpus_text[-200:]  # the lines with special tokens written in
    specials = sorted(theirs.special_tokens_set)
    some = set(specials[:1])
    forms = [
        dict(allowed_special="all"),
        dict(allowed_special="all", disallowed_special=()),
        dict(allowed_special=some, disallowed_special=()),
        dict(allowed_special=set(specials[1:3]), disallowed_special=()),
        dict(allowed_special=frozenset(specials), disallowed_special="all"),
        dict(disallowed_special=()),
        dict(allowed_special={"<|not_a_special_token|>", specials[0]}, disallowed_special=()),
    ]
    for form in forms:
        assert ours.encode_batch(lines, **form) == theirs.encode_batch(lines, **form), form
        for line in lines[:40]:
            assert ours.encode(line, **form) == theirs.encode(line, **form), form
            assert ours.encode_to_numpy(line, **form).tolist() == theirs.encode_to_numpy(line, **form).tolist()


@pytest.mark.parametrize("name", ["cl100k_base", "o200k_harmony", "p50k_edit"])
def test_disallowed_special_tokens_raise_value_error(name, corpus_text):
    ours, theirs = both(name)
    lines = corpus_text[-50:]
    specials = sorted(theirs.special_tokens_set)[:4]
    forms = [
        dict(),
        dict(disallowed_special="all"),
        dict(disallowed_special=set(specials[:1])),
        dict(allowed_special=set(specials[:1])),
        dict(allowed_special=set(specials[:1]), disallowed_special=set(specials[1:])),
    ]
    for form in forms:
        for line in lines:
            got = outcome(lambda: ours.encode(line, **form))
            assert got == outcome(lambda: theirs.encode(line, **form)), (form, line)
        assert outcome(lambda: ours.encode_batch(lines, **form)) == outcome(lambda: theirs.encode_batch(lines, **form))
    text = "<|endoftext|> hello"
    with pytest.raises(ValueError, match="disallowed special token '<\\|endoftext\\|>'"):
        ours.encode(text)
    with pytest.raises(ValueError):
        ours.encode_to_numpy(text)


# ----- generated text and bytes -------------------------------------------------------------

any_char = st.characters(codec=None)  # lone surrogates included, as Python strings may hold them
pieces = st.one_of(
    st.text(any_char, max_size=8),
    st.sampled_from([" ", "  ", "\n", "\r\n", "\t", " " * 30, "'s", "'LL", "123456", "日本語", "🙂👍🏽", "e\u0301",
                     "<|endoftext|>", "<|fim_prefix|>", "<|endofprompt|>", "<|start|>", "<|reserved_200900|>",
                     "\ud83d\udc4d", "\ud83d", "<|endoftext", "|>"]),
)
texts = st.lists(pieces, max_size=12).map("".join)
GENERATED = ["r50k_base", "cl100k_base", "o200k_harmony"]


@pytest.mark.parametrize("name", GENERATED)
@settings(max_examples=300, deadline=None)
@given(text=texts)
def test_generated_text(name, text):
    ours, theirs = both(name)
    assert ours.encode_ordinary(text) == theirs.encode_ordinary(text)
    assert ours.encode(text, allowed_special="all") == theirs.encode(text, allowed_special="all")
    assert outcome(lambda: ours.encode(text)) == outcome(lambda: theirs.encode(text))
    subset = {"<|endoftext|>", "<|start|>"} & theirs.special_tokens_set
    form = dict(allowed_special=subset, disallowed_special=())
    assert ours.encode(text, **form) == theirs.encode(text, **form)
    assert ours.encode_batch([text, text[::-1]], **form) == theirs.encode_batch([text, text[::-1]], **form)


@pytest.mark.parametrize("name", GENERATED)
@settings(max_examples=300, deadline=None)
@given(data=st.one_of(st.binary(max_size=40), texts.map(lambda t: t.encode("utf-8", "surrogatepass"))))
def test_generated_bytes(name, data):
    ours, theirs = both(name)
    ids = ours._encode_bytes(data)
    assert ids == theirs._encode_bytes(data)
    assert ours.decode_bytes(ids) == data
    if data:
        assert ours._encode_single_piece(data) == theirs._encode_single_piece(data)
    else:  # tiktoken 0.14 panics on empty input here (PanicException); tokembed gives no ids
        assert ours._encode_single_piece(data) == []


@pytest.mark.parametrize("name", GENERATED)
@settings(max_examples=300, deadline=None)
@given(data=st.data())
def test_generated_ids_decode(name, data):
    ours, theirs = both(name)
    pick = st.one_of(st.integers(0, theirs.n_vocab + 5), st.sampled_from(sorted(theirs._special_token_values)))
    tokens = data.draw(st.lists(pick, max_size=20))
    assert outcome(lambda: ours.decode_bytes(tokens)) == outcome(lambda: theirs.decode_bytes(tokens))
    for errors in ["replace", "ignore", "strict", "backslashreplace"]:
        got = outcome(lambda: ours.decode(tokens, errors=errors))
        assert got == outcome(lambda: theirs.decode(tokens, errors=errors))
    assert outcome(lambda: ours.decode_tokens_bytes(tokens)) == outcome(lambda: theirs.decode_tokens_bytes(tokens))
    assert outcome(lambda: ours.decode_with_offsets(tokens)) == outcome(lambda: theirs.decode_with_offsets(tokens))
    batch = [tokens, tokens[:3]]
    assert outcome(lambda: ours.decode_batch(batch)) == outcome(lambda: theirs.decode_batch(batch))
    assert outcome(lambda: ours.decode_bytes_batch(batch)) == outcome(lambda: theirs.decode_bytes_batch(batch))


@pytest.mark.parametrize("name", ["cl100k_base", "o200k_base"])
@settings(max_examples=200, deadline=None)
@given(text=texts)
def test_generated_offsets(name, text):
    ours, theirs = both(name)
    tokens = theirs.encode(text, allowed_special="all")
    assert outcome(lambda: ours.decode_with_offsets(tokens)) == outcome(lambda: theirs.decode_with_offsets(tokens))


# ----- single tokens and the vocabulary -----------------------------------------------------


@pytest.mark.parametrize("name", RANK_SETS + ["o200k_harmony"])
def test_every_id_and_token(name):
    ours, theirs = both(name)
    for token in range(theirs.n_vocab + 2):
        got = outcome(lambda: ours.decode_single_token_bytes(token))
        want = outcome(lambda: theirs.decode_single_token_bytes(token))
        if name == "o200k_harmony" and token == 200018:
            # Two special tokens share this id; which one tiktoken decodes depends on its hash order.
            assert got in (b"<|endofprompt|>", b"<|reserved_200018|>")
            continue
        assert got == want, token
        if isinstance(want, bytes):
            assert ours.encode_single_token(want) == theirs.encode_single_token(want)
        assert ours.is_special_token(token) == theirs.is_special_token(token)
    for special in theirs.special_tokens_set:
        assert ours.encode_single_token(special) == theirs.encode_single_token(special)
    for missing in [b"\xff\xfe\xfd not a token", "not one token", "<|nope|>"]:
        assert outcome(lambda: ours.encode_single_token(missing)) is KeyError
        assert outcome(lambda: theirs.encode_single_token(missing)) is KeyError
    assert ours.token_byte_values() == theirs.token_byte_values()
    assert ours._mergeable_ranks == theirs._mergeable_ranks


def test_unknown_ids_raise_key_error():
    ours, theirs = both("cl100k_base")
    for bad in [100256, 100261, 10**6]:
        assert outcome(lambda: theirs.decode([bad])) is KeyError
        assert outcome(lambda: ours.decode([bad])) is KeyError
        assert outcome(lambda: ours.decode_single_token_bytes(bad)) is KeyError
        assert outcome(lambda: ours.decode_bytes([1, bad])) is KeyError


# ----- Encoding from ranks in memory, pickling ---------------------------------------------


def test_encoding_from_ranks_in_memory_and_pickling(corpus_text):
    base, ref_base = both("r50k_base")
    kwargs = dict(
        name="custom", pat_str=ref_base._pat_str, mergeable_ranks=ref_base._mergeable_ranks,
        special_tokens={"<|pickle|>": 100_000, "<|endoftext|>": 50256},
    )
    ours, theirs = compat.Encoding(**kwargs), tiktoken.Encoding(**kwargs)
    lines = corpus_text[:300] + ["hello <|pickle|> world <|endoftext|>"]
    assert ours.encode_batch(lines, allowed_special="all") == theirs.encode_batch(lines, allowed_special="all")
    assert ours.max_token_value == theirs.max_token_value == 100_000
    for enc in [ours, base, compat.get_encoding("o200k_harmony")]:
        back = pickle.loads(pickle.dumps(enc))
        assert back.encode_batch(lines, allowed_special="all") == enc.encode_batch(lines, allowed_special="all")
        assert back.name == enc.name and back._special_tokens == enc._special_tokens
    assert base.__getstate__() == "r50k_base"  # registered encodings pickle by name, as tiktoken's do
    assert pickle.loads(pickle.dumps(base)).encode("hello world") == [31373, 995] == ref_base.encode("hello world")
    # A pattern tokembed has no scanner for runs on its general regex engine.
    custom = dict(kwargs, pat_str=r"\S+|\s+", name="words")
    assert compat.Encoding(**custom).encode_ordinary_batch(lines) == tiktoken.Encoding(**custom).encode_ordinary_batch(lines)


def test_bad_ranks_raise_value_error():
    ranks = {bytes([b]): b for b in range(256)}
    with pytest.raises(ValueError, match="explicit_n_vocab"):
        compat.Encoding("x", pat_str=r"\S+", mergeable_ranks=ranks, special_tokens={}, explicit_n_vocab=300)
    with pytest.raises(ValueError, match="single byte"):
        compat.Encoding("x", pat_str=r"\S+", mergeable_ranks={b"a": 0}, special_tokens={})
    with pytest.raises(ValueError, match="rank 5 is already"):
        compat.Encoding("x", pat_str=r"\S+", mergeable_ranks={**ranks, b"ab": 5}, special_tokens={})
    with pytest.raises(ValueError, match="not bytes"):
        compat.Encoding("x", pat_str=r"\S+", mergeable_ranks={**ranks, "ab": 300}, special_tokens={})
    with pytest.raises(ValueError, match="special token"):
        compat.Encoding("x", pat_str=r"\S+", mergeable_ranks=ranks, special_tokens={"<s>": 5})
    enc = compat.Encoding("x", pat_str=r"\S+", mergeable_ranks=ranks, special_tokens={}, explicit_n_vocab=256)
    assert enc.n_vocab == 256 and enc.encode("ab c") == [97, 98, 32, 99]


def test_num_threads_is_accepted_and_lone_surrogates_are_replaced():
    ours, theirs = both("cl100k_base")
    batch = ["a\ud83d b", "\ud83d\udc4d", "fine"]
    assert ours.encode_ordinary_batch(batch, num_threads=1) == theirs.encode_ordinary_batch(batch, num_threads=1)
    assert ours.encode_batch(batch, num_threads=3) == theirs.encode_batch(batch, num_threads=3)
    assert ours.encode("\ud83d") == theirs.encode("\ud83d") == theirs.encode("\ufffd")


# ----- the main API beneath ------------------------------------------------------------------


def test_tokenizer_encode_bytes_and_ranks_in_memory():
    gpt2 = tokembed.Tokenizer.builtin("gpt2")
    ref = reference_tiktoken.encoding("r50k_base")
    from_ranks = tokembed.Tokenizer.from_tiktoken_ranks(ref._mergeable_ranks, "gpt2", {"<|endoftext|>": 50256})
    text = "Hello <|endoftext|> wörld  \n\n 12345"
    assert from_ranks.encode(text).ids.tolist() == gpt2.encode(text).ids.tolist()
    for data in [b"", b"abc \xff", b" \xec\x8b\xa4\xed", "ok".encode(), b"\x80" * 7, b"tail   \xe2\x82"]:
        ids = gpt2.encode_bytes(data)
        assert ids.dtype == np.uint32 and ids.tolist() == ref._encode_bytes(data)
        assert gpt2.decode_bytes(ids, skip_special_tokens=False) == data
        one_piece = gpt2.encode_bytes(bytearray(data), split=False).tolist()
        assert one_piece == (ref._encode_single_piece(data) if data else [])
    with pytest.raises(TypeError, match="data must be bytes"):
        gpt2.encode_bytes("text")  # type: ignore[arg-type]
    bert = tokembed.Tokenizer.builtin("bert-base-uncased")
    assert bert.encode_bytes(b"hello").tolist() == bert.encode_batch_flat(["hello"], add_special_tokens=False)[0].tolist()
    with pytest.raises(ValueError, match="needs a byte-level BPE"):
        bert.encode_bytes(b"hello \xff")
    with pytest.raises(ValueError, match="needs a byte-level BPE"):
        bert.encode_bytes(b"hello", split=False)


def test_get_encoding_after_fork_while_another_thread_holds_the_registry():
    # Run in a child interpreter: forking this (threaded) pytest process is not safe in itself.
    import subprocess
    import textwrap

    program = textwrap.dedent(
        f"""
        import os, sys, threading
        sys.path.insert(0, {str(Path(__file__).resolve().parents[1])!r})
        from forking import wait_or_kill
        from tokembed.compat.tiktoken import registry
        import tokembed.compat.tiktoken as compat

        held, release = threading.Event(), threading.Event()

        def hold():
            with registry._lock:  # as a thread building an encoding holds it
                held.set()
                release.wait()

        threading.Thread(target=hold, daemon=True).start()
        held.wait()
        pid = os.fork()
        if pid == 0:
            os._exit(0 if compat.get_encoding("gpt2").encode("hello world") == [31373, 995] else 1)
        code = wait_or_kill(pid, 60)
        release.set()
        sys.exit(3 if code is None else code)
        """
    )
    done = subprocess.run([sys.executable, "-c", program], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, (done.returncode, done.stderr[-2000:])
