"""What the corpus readers hand the core, and what an encode job asks of the tokenizer once:
block views read without a copy, the JSON Lines split across threads, the tokenizer's largest
id and its remembered SHA-256, and a writer told the largest id it will see."""

from __future__ import annotations

import gzip
import hashlib
import json

import numpy as np
import pytest

import tokembed
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from tokembed.corpus import lines
from tokembed.corpus.sources import InputFile
from tokembed.data import open_writer
from conftest import CORPORA
from shard_reference import corpus_documents


@pytest.fixture(scope="module")
def gpt2():
    return tokembed.Tokenizer.builtin("gpt2")


@pytest.fixture(scope="module")
def jsonl_block():
    """Real documents as JSON Lines (every other record with non-ASCII escaped), with blank
    lines between some records and a final newline, and the texts Python's json reads from it."""
    docs = [d for path in CORPORA[:3] for d in corpus_documents(path)[:150]]
    lines = []
    for i, d in enumerate(docs):
        lines.append(json.dumps({"id": i, "text": d}, ensure_ascii=i % 2 == 1))
        if i % 37 == 0:
            lines.append("   ")
    block = ("\n".join(lines) + "\n").encode("utf-8")
    texts = [json.loads(line)["text"] for line in block.split(b"\n") if line.strip()]
    return block, texts


def views_of(block: bytes):
    """The same bytes as every kind of buffer a reader may hand over."""
    padded = b"xx" + block + b"yy"
    return {
        "bytes": block,
        "memoryview": memoryview(block),
        "slice of a view": memoryview(padded)[2:-2],
        "bytearray": bytearray(block),
        "read-only view of a bytearray": memoryview(bytearray(block)).toreadonly(),
    }


@pytest.mark.parametrize("threads", [1, 2, 3, 5])
def test_jsonl_blocks_give_pythons_documents_in_order_from_any_buffer(gpt2, jsonl_block, threads, restore_threads):
    block, texts = jsonl_block
    tokembed.set_num_threads(threads)
    expected_ids, expected_offsets = gpt2.encode_batch_flat(texts)
    for kind, view in views_of(block).items():
        encoded = gpt2._core.encode_jsonl_flat(view, "text", True, False, False, 1)
        assert encoded is not None, kind
        ids, offsets, empty = encoded
        assert empty == 0
        np.testing.assert_array_equal(offsets, expected_offsets, err_msg=kind)
        np.testing.assert_array_equal(ids, expected_ids, err_msg=kind)


@pytest.mark.parametrize("threads", [1, 2, 5])
def test_a_bad_line_anywhere_sends_the_block_to_the_careful_reader(gpt2, jsonl_block, threads, restore_threads):
    block, _ = jsonl_block
    tokembed.set_num_threads(threads)
    lines = block.split(b"\n")
    for at in (0, len(lines) // 2, len(lines) - 2):
        broken = b"\n".join(lines[:at] + [b'{"text": 1}'] + lines[at + 1:])
        assert gpt2._core.encode_jsonl_flat(memoryview(broken), "text", True, False, False, 1) is None, at


def test_text_lines_and_newline_counts_read_views(gpt2):
    block = "\n".join(corpus_documents(CORPORA[0])[:200]).encode("utf-8")
    expected = gpt2._core.encode_lines_flat(block, True)
    for kind, view in views_of(block).items():
        got = gpt2._core.encode_lines_flat(view, True)
        np.testing.assert_array_equal(got[0], expected[0], err_msg=kind)
        np.testing.assert_array_equal(got[1], expected[1], err_msg=kind)
        assert got[2:] == expected[2:]
        assert tokembed._core.count_newlines(view) == block.count(b"\n")


def test_word_counting_reads_views():
    from tokembed._core import WordCounter

    block = "\n".join(corpus_documents(CORPORA[0])[:200]).encode("utf-8")
    whole, viewed = WordCounter("gpt2"), WordCounter("gpt2")
    assert whole.feed_lines(block) == viewed.feed_lines(memoryview(b"#" + block)[1:])
    facts = lambda c: (c.distinct_words, c.documents, c.text_bytes)  # noqa: E731
    assert facts(whole) == facts(viewed) and whole.documents == block.count(b"\n") + 1


@pytest.mark.parametrize("bad", ["text", 3, None, [1, 2]])
def test_what_is_not_bytes_like_is_a_type_error(gpt2, bad):
    with pytest.raises(TypeError, match="bytes-like"):
        gpt2._core.encode_jsonl_flat(bad, "text", True)
    with pytest.raises(TypeError, match="bytes-like"):
        gpt2._core.encode_lines_flat(bad, True)
    with pytest.raises(TypeError, match="bytes-like"):
        tokembed._core.count_newlines(bad)


def test_max_token_id_is_the_vocabularys_largest(gpt2):
    for name in ("gpt2", "bert-base-uncased"):
        tok = tokembed.Tokenizer.builtin(name)
        assert tok.max_token_id() == max(tok.get_vocab().values())
    grown = tokembed.Tokenizer.from_str(gpt2.to_str())
    grown.add_tokens(["<|a new token|>"])
    assert grown.max_token_id() == max(grown.get_vocab().values()) == 50257
    # A vocabulary with holes in its ids.
    holes = {
        "version": "1.0", "truncation": None, "padding": None, "added_tokens": [], "normalizer": None,
        "pre_tokenizer": {"type": "Whitespace"}, "post_processor": None, "decoder": None,
        "model": {"type": "WordLevel", "vocab": {"a": 0, "[UNK]": 2, "b": 5}, "unk_token": "[UNK]"},
    }
    assert tokembed.Tokenizer.from_str(json.dumps(holes)).max_token_id() == 5


def test_json_sha256_is_remembered_until_the_tokenizer_changes(monkeypatch):
    tok = tokembed.Tokenizer.builtin("gpt2")

    def sha_of_text():
        return hashlib.sha256(tok.to_str().encode("utf-8")).hexdigest()

    first = tok.json_sha256()
    assert first == sha_of_text()
    calls = []
    original = tokembed.Tokenizer.to_str
    monkeypatch.setattr(tokembed.Tokenizer, "to_str", lambda self, *a: calls.append(1) or original(self, *a))
    assert tok.json_sha256() == first and calls == []  # remembered

    seen = {first}
    for change in (
        lambda: tok.enable_truncation(16),
        lambda: tok.enable_padding(pad_token="<|endoftext|>", length=8),
        lambda: tok.no_padding(),
        lambda: tok.no_truncation(),
        lambda: tok.add_tokens(["<|new|>"]),
        lambda: tok.set_dropout(0.1),
    ):
        change()
        now = tok.json_sha256()
        assert now == sha_of_text()
        seen.add(now)
    # Truncation and padding off again give the first text back; the rest differ.
    assert len(seen) == 5


def test_a_writer_told_the_largest_id_still_refuses_what_it_cannot_store(tmp_path):
    ids = np.array([1, 50256, 7], dtype=np.uint32)
    with open_writer(str(tmp_path / "fits"), "bin", "uint16", max_id=50256) as w:
        w.write(ids, np.array([0, 3]))
    assert np.fromfile(tmp_path / "fits.bin", dtype="<u2").tolist() == ids.tolist()
    # A largest id the type cannot hold: every batch is checked, as without the word.
    with open_writer(str(tmp_path / "wide"), "bin", "uint16", max_id=70_000) as w:
        with pytest.raises(ValueError, match="65536 does not fit uint16"):
            w.write(np.array([1, 65536], dtype=np.uint32), np.array([0, 2]))
        w.abort()
    # Signed ids are always checked for negatives.
    with open_writer(str(tmp_path / "signed"), "bin", "uint16", max_id=50256) as w:
        with pytest.raises(ValueError, match="negative"):
            w.write(np.array([1, -1], dtype=np.int64), np.array([0, 2]))
        w.abort()


BOM = b"\xef\xbb\xbf"


def numbered_lines(chunks):
    return [(first + i, line) for body, first, _ in chunks for i, line in enumerate(body.split(b"\n"))]


def chunks_of(path, chunk_bytes):
    return [(bytes(c.body), c.first_line, c.nbytes) for c in lines.line_chunks(InputFile(str(path), "text", None), chunk_bytes)]


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
# Files shorter than a byte order mark, read a byte or two at a time (a reader that looked ahead
# for the mark once handed those bytes out again after going back).
@example(pieces=[b"\n", b"a", b"\n"], bom=False, chunk_bytes=2)
@example(pieces=[b"\n\n"], bom=False, chunk_bytes=1)
@example(pieces=[b"a", b"\n"], bom=True, chunk_bytes=1)
@given(
    pieces=st.lists(st.sampled_from([b"a", b"bc", b"\n", b"\n\n", BOM, b"\r\n", b"x" * 50, "é€😀".encode()]), max_size=40),
    bom=st.booleans(),
    chunk_bytes=st.integers(1, 70),
)
def test_plain_files_are_cut_as_compressed_ones(tmp_path, pieces, bom, chunk_bytes):
    """A plain file is read again from the start of the line each block ended in (each chunk a
    view of its block); the same bytes gzipped take the reader that joins that line's start with
    the next block. Both give the same lines under the same numbers (cut into chunks at other
    places), and the plain reader counts every byte it took."""
    data = (BOM if bom else b"") + b"".join(pieces)
    plain, packed = tmp_path / "in.txt", tmp_path / "in.txt.gz"
    plain.write_bytes(data)
    packed.write_bytes(gzip.compress(data))
    got = chunks_of(plain, chunk_bytes)
    assert numbered_lines(got) == numbered_lines(chunks_of(packed, chunk_bytes))
    text = data[3:] if data.startswith(BOM) else data
    # Every line once, in order (a final newline starts no empty line).
    expected = text.split(b"\n")[:-1] if text.endswith(b"\n") else text.split(b"\n")
    assert [line for body, _, _ in got for line in body.split(b"\n")] == (expected if text else [])
    if got:  # a file of nothing but a byte order mark gives no chunk, whichever the reader
        assert sum(n for _, _, n in got) == len(data)


def test_a_plain_file_with_lines_longer_than_a_chunk_is_read_in_bounded_work(tmp_path):
    """Lines a little over half a chunk: each block ends inside a line, which is read again
    with the next block; the reads stay within twice the file."""
    path = tmp_path / "long_lines.txt"
    data = b"".join((b"%05d" % i) + b"y" * 600 + b"\n" for i in range(300))
    path.write_bytes(data)
    reads = []
    original = open

    class Counting:
        def __init__(self, f):
            self.f = f

        def read(self, n=-1):
            out = self.f.read(n)
            reads.append(len(out))
            return out

        def __getattr__(self, name):
            return getattr(self.f, name)

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            self.f.close()

    import builtins

    builtins.open = lambda *a, **k: Counting(original(*a, **k))
    try:
        got = chunks_of(path, 1000)
    finally:
        builtins.open = original
    assert b"\n".join(body for body, _, _ in got) + b"\n" == data
    assert [first for _, first, _ in got] == sorted({first for _, first, _ in got}) and got[0][1] == 1
    assert sum(reads) <= 2 * len(data)


def test_a_pipe_given_by_path_is_read_without_going_back(tmp_path):
    """A named pipe (or `<(zcat ...)`, /dev/stdin) cannot seek: its lines are gathered as
    standard input's are, and all of them come out, numbered, with every byte counted."""
    import os
    import threading

    data = BOM + b"".join(b"line %d " % i + b"z" * (i % 97) + b"\n" for i in range(3000)) + b"no newline at the end"
    fifo = tmp_path / "pipe.txt"
    os.mkfifo(fifo)

    def feed():
        with open(fifo, "wb") as f:
            f.write(data)

    writer = threading.Thread(target=feed)
    writer.start()
    try:
        got = chunks_of(fifo, 4096)
    finally:
        writer.join()
    plain = tmp_path / "plain.txt"
    plain.write_bytes(data)
    assert numbered_lines(got) == numbered_lines(chunks_of(plain, 4096))
    assert numbered_lines(got)[-1] == (3001, b"no newline at the end")
    assert sum(n for _, _, n in got) == len(data)


def test_a_pipe_given_by_path_is_one_document_under_document_per_file(tmp_path, gpt2):
    import os
    import threading

    from tokembed.preprocess import encode_files
    from tokembed.data import open_shards

    text = "first line\nsecond line\n"
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    writer = threading.Thread(target=lambda: fifo.write_bytes(BOM + text.encode()))
    writer.start()
    try:
        summary = encode_files([str(fifo)], tmp_path / "out", gpt2, input_format="text", document_per_file=True,
                               format="npy", progress=False)
    finally:
        writer.join()
    assert summary.documents == 1 and summary.input_bytes == len(BOM) + len(text.encode())
    assert open_shards(tmp_path / "out").ids.tolist() == gpt2.encode_batch_flat([text])[0].tolist()
