"""A long document is cut into parts that threads tokenize side by side (just before a letter
that starts a line after a line ending in a visible character; under the known split patterns
also before punctuation after a letter or digit, and inside digit runs at their pieces' bounds;
under pipelines split at white space, where their chunks are cut): its ids must be the
reference's, and the same at one and two threads, whatever the text around the cut points."""

from __future__ import annotations

import base64
import gzip
import random
from pathlib import Path

import pytest
import tiktoken
from tiktoken_ext import openai_public
from tokenizers import Tokenizer as HFTokenizer

import tokembed
from conftest import DATA
from test_bpe_parity import tiktoken_encoding

TOKENIZERS = DATA / "tokenizers"
CORPORA = DATA / "corpora"
TEST_DATA = Path(__file__).parent / "data"


@pytest.fixture(scope="module")
def o200k_ranks(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("o200k") / "o200k_base.tiktoken"
    path.write_bytes(gzip.decompress(tokembed.tokenizers.builtin.path("o200k_base").read_bytes()))
    return path


def o200k_reference(path: Path) -> tiktoken.Encoding:
    original = openai_public.load_tiktoken_bpe
    openai_public.load_tiktoken_bpe = lambda *_, **__: tiktoken.load.load_tiktoken_bpe(str(path))
    try:
        return tiktoken.Encoding(**openai_public.o200k_base())
    finally:
        openai_public.load_tiktoken_bpe = original


def long_documents() -> list[str]:
    """Megabyte documents of prose, code and German; one built to put every kind of white space
    next to the lines that start with a letter; and `documents_without_lines`."""
    docs = [(CORPORA / name).read_text(encoding="utf-8")[:1_000_000]
            for name in ("en_python_docs_10MB.txt", "code_python_stdlib_3MB.txt", "de_manpages_3MB.txt")]
    rng = random.Random(12)
    around = ["x\nA", "  \nAb", ".\nWord", "x\n\nA", "x\r\nA", "\t\nA", " \n A", "1\nA", "ß\nA", "x\n\u00a0A",
              "'\ns", "x \nA", "é\nÉ", "x\n'll", "\n\nA"]
    parts, size = [], 0
    while size < 600_000:
        words = " ".join(rng.choice(["the", "Word", "naïve", "x=1;", "  ", "don't", "日本", "42", "--"])
                         for _ in range(rng.randrange(1, 30)))
        piece = words + rng.choice(around)
        parts.append(piece)
        size += len(piece)
    docs.append("".join(parts))
    return docs + documents_without_lines()


def documents_without_lines() -> list[str]:
    """Long documents without a line to cut at: random base64 (cut before its `+` and `/`), and
    digit runs of every length among letters, punctuation, contractions and digits outside
    ASCII (cut inside the runs, at their pieces' bounds)."""
    rng = random.Random(13)
    docs = [base64.b64encode(rng.randbytes(450_000)).decode()]
    parts, size = [], 0
    while size < 600_000:
        piece = rng.choice(["0123456789"[: rng.randrange(1, 11)] * rng.randrange(1, 40), "x", "Q", "+", "/", "'s",
                            "'", "٣", "½", "é", "=", "-", "日本", "\u0301", "don't", "9'", "a'll", "."])
        parts.append(piece)
        size += len(piece)
    docs.append("".join(parts))
    return docs


@pytest.fixture(scope="module")
def docs() -> list[str]:
    return long_documents()


def ids_at(tok: tokembed.Tokenizer, docs: list[str], threads: int, **kwargs) -> list[list[int]]:
    tokembed.set_num_threads(threads)
    try:
        out = []
        for doc in docs:  # one document per call: nothing else to spread over the threads
            ids, offsets = tok.encode_batch_flat([doc], **kwargs)
            out.append(ids.tolist())
        return out
    finally:
        tokembed.set_num_threads(2)


def check(tok, expected, docs, **kwargs):
    one, two = ids_at(tok, docs, 1, **kwargs), ids_at(tok, docs, 2, **kwargs)
    for k, doc in enumerate(docs):
        assert two[k] == expected[k], f"document {k} at 2 threads"
        assert one[k] == expected[k], f"document {k} at 1 thread"


@pytest.mark.parametrize("name", ["r50k_base", "cl100k_base"])
def test_tiktoken_families(name, docs):
    ours = tokembed.Tokenizer.builtin({"r50k_base": "gpt2"}.get(name, name))
    check(ours, tiktoken_encoding(name).encode_ordinary_batch(docs), docs, add_special_tokens=False)


def test_o200k(docs, o200k_ranks):
    ours = tokembed.Tokenizer.from_tiktoken(o200k_ranks, "o200k_base")
    check(ours, o200k_reference(o200k_ranks).encode_ordinary_batch(docs), docs, add_special_tokens=False)


@pytest.mark.parametrize("family", ["gpt2", "bert-base-uncased"])
def test_tokenizer_json_with_special_tokens(family, docs):
    """HF files: added tokens in the middle of the text, BERT's template around the joined parts."""
    path = TOKENIZERS / family / "tokenizer.json"
    special = "<|endoftext|>" if family == "gpt2" else "[SEP]"
    docs = [doc[: len(doc) // 2] + f"x\n{special}\nAb" + doc[len(doc) // 2 :] for doc in docs]
    # Base64 with the special token every few hundred bytes, next to and inside the points it
    # would be cut at (a letter or digit before punctuation).
    rng = random.Random(5)
    pieces = [base64.b64encode(rng.randbytes(rng.randrange(1, 300))).decode() for _ in range(3000)]
    docs.append("".join(piece + rng.choice([special, f"{special}+", f"x{special}", "+"]) for piece in pieces))
    hf = HFTokenizer.from_file(str(path))
    hf.no_truncation()
    hf.no_padding()
    expected = [e.ids for e in hf.encode_batch(docs)]
    ours = tokembed.Tokenizer.from_file(path)
    ours.no_truncation()
    ours.no_padding()
    check(ours, expected, docs)
