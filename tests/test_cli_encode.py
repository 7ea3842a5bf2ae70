"""``tokembed encode`` end to end: every document of the real corpora comes back with exactly the
ids of ``Tokenizer.encode_batch_flat``, in every format, with 1 and 2 workers, read with our
readers and with independent ones; inputs of every kind; bad input reported with file and line;
no truncated shard under a final name after a crash, an interrupt or an error."""

from __future__ import annotations

import gzip
import hashlib
import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

import tokembed
from tokembed.cli import main
from tokembed.data import FORMATS, open_shards
from tokembed.preprocess import encode_files
from conftest import CORPORA, DATA
from shard_reference import corpus_documents, read_documents_independently

GPT2_EOS = 50256  # tiktoken's <|endoftext|> for gpt2


@pytest.fixture(scope="module")
def gpt2():
    return tokembed.Tokenizer.builtin("gpt2")


@pytest.fixture(scope="module")
def corpora_reference(gpt2):
    docs = [d for path in CORPORA for d in corpus_documents(path)]
    ids, offsets = gpt2.encode_batch_flat(docs)
    return docs, ids.astype(np.int64), offsets


def run_cli(*args):
    return main(["encode", *map(str, args)])


def assert_same_documents(prefix, fmt, ids, offsets):
    """Both our reader and an independent one give ``ids`` split at ``offsets``."""
    stored, docs, all_ids = read_documents_independently(str(prefix), fmt)
    assert np.array_equal(all_ids.astype(np.int64), ids)
    ours = open_shards(prefix)
    assert np.array_equal(np.asarray(ours.ids, dtype=np.int64), ids)
    if fmt != "bin":  # nanoGPT's raw format keeps no document boundaries
        assert [len(d) for d in docs] == np.diff(offsets).tolist()
        assert np.array_equal(np.asarray(ours.offsets), offsets)
    return stored


@pytest.mark.parametrize("workers", [1, 2])
@pytest.mark.parametrize("fmt", FORMATS)
def test_every_corpus_document_has_the_ids_of_encode_batch_flat(tmp_path, corpora_reference, gpt2, fmt, workers):
    docs, ids, offsets = corpora_reference
    prefix = tmp_path / "corpora"
    # Small batches: many batch boundaries, and the read-ahead and write-behind threads busy.
    assert run_cli(DATA / "corpora" / "*.txt", "-o", prefix, "--format", fmt, "--workers", workers, "--batch-mb", 1, "-q") == 0
    stored = assert_same_documents(prefix, fmt, ids, offsets)
    assert stored == ("uint32" if fmt == "parquet" else "uint16")
    meta = json.loads((tmp_path / "corpora.meta.json").read_text())
    assert meta["documents"] == len(docs) and meta["tokens"] == len(ids)
    assert meta["format"] == fmt and meta["dtype"] == stored
    assert meta["tokenizer"]["name"] == "gpt2"
    assert meta["tokenizer"]["sha256"] == hashlib.sha256(gpt2.to_str().encode()).hexdigest()
    assert [i["path"] for i in meta["inputs"]] == [str(p) for p in CORPORA]
    assert meta["input_bytes"] == sum(p.stat().st_size for p in CORPORA)
    assert sorted(os.listdir(tmp_path)) == sorted(meta["files"] + ["corpora.meta.json"])


@pytest.mark.parametrize("fmt", ["bin", "megatron"])
def test_append_eos_puts_the_eos_after_every_document(tmp_path, corpora_reference, fmt):
    docs, ids, offsets = corpora_reference
    n = offsets[len(docs) // 3]  # a third of the documents is enough here
    corpus = tmp_path / "part.txt"
    corpus.write_text("\n".join(docs[: len(docs) // 3]) + "\n", encoding="utf-8")
    assert run_cli(corpus, "-o", tmp_path / "eos", "--format", fmt, "--append-eos", "-q") == 0
    expected = []
    for i in range(len(docs) // 3):
        expected.extend(ids[offsets[i] : offsets[i + 1]].tolist())
        expected.append(GPT2_EOS)
    assert n + len(docs) // 3 == len(expected)
    _, _, got = read_documents_independently(str(tmp_path / "eos"), fmt)
    assert got.tolist() == expected
    meta = json.loads((tmp_path / "eos.meta.json").read_text())
    assert meta["append_eos"] is True and meta["eos_id"] == GPT2_EOS


def test_eos_needs_an_id_when_the_tokenizer_has_none(tmp_path, capsys):
    corpus = tmp_path / "a.txt"
    corpus.write_text("hello world\nsecond\n")
    assert run_cli(corpus, "-o", tmp_path / "x", "--tokenizer", "bert-base-uncased", "--append-eos") == 2
    assert "--eos-id" in capsys.readouterr().err
    assert not list(tmp_path.glob("x*"))
    assert run_cli(corpus, "-o", tmp_path / "x", "--tokenizer", "bert-base-uncased", "--append-eos", "--eos-id", 102, "-q") == 0
    bert = tokembed.Tokenizer.builtin("bert-base-uncased")
    expected = [i for t in ["hello world", "second"] for i in bert.encode_batch_flat([t])[0].tolist() + [102]]
    assert open_shards(tmp_path / "x").ids.tolist() == expected


def test_jsonl_gz_and_parquet_inputs_give_the_same_ids(tmp_path, gpt2):
    import pyarrow as pa
    import pyarrow.parquet as pq

    # Real documents of a few kilobytes, with newlines and non-ASCII text inside.
    text = (DATA / "corpora" / "de_manpages_3MB.txt").read_text(encoding="utf-8")[:600_000]
    docs = [text[i : i + 3000] for i in range(0, len(text), 3000)]
    records = "".join(json.dumps({"id": i, "text": d}, ensure_ascii=i % 2 == 0) + "\n" for i, d in enumerate(docs))
    (tmp_path / "a.jsonl").write_text(records, encoding="utf-8")
    with gzip.open(tmp_path / "b.jsonl.gz", "wt", encoding="utf-8") as f:
        f.write(records)
    pq.write_table(pa.table({"body": docs}), tmp_path / "c.parquet", row_group_size=50)
    ids, offsets = gpt2.encode_batch_flat(docs)
    for name, extra in [("a.jsonl", []), ("b.jsonl.gz", []), ("c.parquet", ["--json-key", "body"])]:
        prefix = tmp_path / f"out_{name.split('.')[0]}"
        assert run_cli(tmp_path / name, "-o", prefix, "--format", "npy", "--batch-mb", 0.2, "-q", *extra) == 0
        assert_same_documents(prefix, "npy", ids.astype(np.int64), offsets)


def test_document_per_file(tmp_path, gpt2):
    paths = CORPORA[:3]
    assert run_cli(*paths, "-o", tmp_path / "whole", "--document-per-file", "--format", "npy", "-q") == 0
    docs = [p.read_bytes().decode("utf-8-sig") for p in paths]  # a leading byte order mark is not text
    ids, offsets = gpt2.encode_batch_flat(docs)
    assert_same_documents(tmp_path / "whole", "npy", ids.astype(np.int64), offsets)


def test_standard_input_and_keep_empty(tmp_path, gpt2):
    text = "first line\n\nthird, after an empty one\r\nlast without newline"
    args = [sys.executable, "-m", "tokembed", "encode", "-", "-o", str(tmp_path / "s"), "--format", "npy", "--keep-empty"]
    done = subprocess.run(args, input=text.encode(), capture_output=True, timeout=120)
    assert done.returncode == 0, done.stderr
    docs = ["first line", "", "third, after an empty one", "last without newline"]
    ids, offsets = gpt2.encode_batch_flat(docs)
    assert_same_documents(tmp_path / "s", "npy", ids.astype(np.int64), offsets)


def test_dtype_follows_the_vocabulary(tmp_path):
    corpus = CORPORA[0]
    cl100k = tokembed.Tokenizer.builtin("cl100k_base")
    ids, offsets = cl100k.encode_batch_flat(corpus_documents(corpus))
    for fmt, dtype in [("bin", "uint32"), ("megatron", "int32"), ("npy", "uint32")]:
        prefix = tmp_path / fmt
        assert run_cli(corpus, "-o", prefix, "--tokenizer", "cl100k_base", "--format", fmt, "-q") == 0
        assert assert_same_documents(prefix, fmt, ids.astype(np.int64), offsets) == dtype
    assert run_cli(corpus, "-o", tmp_path / "narrow", "--tokenizer", "cl100k_base", "--dtype", "uint16") == 2


# ----- bad input ---------------------------------------------------------------------------


def write_bad_inputs(folder: Path):
    (folder / "a.txt").write_bytes(b"good line\nbad \xff\xfe line\n\nanother\n")
    lines = [
        b'{"text": "one"}',
        b"not json",
        b'{"other": 1}',
        b'{"text": 5}',
        b'{"text": "bad \xff"}',
        b'{"text": "lone \\ud800 x"}',
        b"",
        b'{"text": "last"}',
    ]
    (folder / "b.jsonl").write_bytes(b"\n".join(lines))


@pytest.mark.parametrize("policy", ["replace", "skip"])
def test_bad_input_is_reported_with_file_and_line_and_counted(tmp_path, capsys, gpt2, policy):
    write_bad_inputs(tmp_path)
    assert run_cli(tmp_path / "a.txt", tmp_path / "b.jsonl", "-o", tmp_path / "out", "--errors", policy, "--format", "npy") == 0
    err = capsys.readouterr().err
    a, b = tmp_path / "a.txt", tmp_path / "b.jsonl"
    for where in [f"{a}:2: invalid UTF-8", f"{b}:2: malformed JSON", f"{b}:3: missing key 'text'", f"{b}:4: 'text' is a JSON int",
                  f"{b}:5: invalid UTF-8", f"{b}:6: invalid UTF-8: lone surrogate"]:
        assert where in err
    if policy == "replace":
        docs = ["good line", "bad \ufffd\ufffd line", "another", "one", "bad \ufffd", "lone \ufffd x", "last"]
    else:
        docs = ["good line", "another", "one", "last"]
    ids, offsets = gpt2.encode_batch_flat(docs)
    assert_same_documents(tmp_path / "out", "npy", ids.astype(np.int64), offsets)
    meta = json.loads((tmp_path / "out.meta.json").read_text())
    assert meta["skipped"] == {
        "empty documents": 1,
        "invalid UTF-8": 3,
        "malformed JSON": 1,
        "missing key": 1,
        "text not a string": 1,
    }
    assert "invalid UTF-8: 3" in err and "malformed JSON: 1" in err  # the summary


def test_strict_stops_at_the_first_bad_document_and_writes_nothing(tmp_path, capsys):
    write_bad_inputs(tmp_path)
    assert run_cli(tmp_path / "a.txt", "-o", tmp_path / "out", "--errors", "strict") == 2
    assert f"{tmp_path / 'a.txt'}:2: invalid UTF-8" in capsys.readouterr().err
    assert run_cli(tmp_path / "b.jsonl", "-o", tmp_path / "out", "--errors", "strict") == 2
    assert f"{tmp_path / 'b.jsonl'}:2: malformed JSON" in capsys.readouterr().err
    assert sorted(os.listdir(tmp_path)) == ["a.txt", "b.jsonl"]


def test_missing_inputs_and_unknown_kinds_are_errors(tmp_path, capsys):
    assert run_cli(tmp_path / "nothing*.txt", "-o", tmp_path / "o") == 2
    assert "no file matches" in capsys.readouterr().err
    (tmp_path / "data.csv").write_text("a,b\n")
    assert run_cli(tmp_path / "data.csv", "-o", tmp_path / "o") == 2
    assert "--input-format" in capsys.readouterr().err
    assert run_cli(tmp_path / "data.csv", "-o", tmp_path / "o", "--input-format", "text", "-q") == 0


# ----- nothing lost, nothing half-written ----------------------------------------------------


def test_an_existing_shard_is_kept_unless_overwrite(tmp_path, capsys):
    corpus = CORPORA[2]
    assert run_cli(corpus, "-o", tmp_path / "s", "-q") == 0
    before = (tmp_path / "s.bin").read_bytes()
    assert run_cli(CORPORA[0], "-o", tmp_path / "s") == 2
    assert "--overwrite" in capsys.readouterr().err
    assert (tmp_path / "s.bin").read_bytes() == before
    assert run_cli(CORPORA[0], "-o", tmp_path / "s", "--overwrite", "-q") == 0
    assert (tmp_path / "s.bin").read_bytes() != before


def test_an_exception_midway_leaves_no_file(tmp_path, monkeypatch):
    from tokembed.preprocess import pipeline

    calls = []
    original = pipeline.encode_raw_lines  # what encodes the lines of .txt inputs

    def failing(*args):
        calls.append(1)
        if len(calls) == 3:
            raise RuntimeError("simulated crash in the encoder")
        return original(*args)

    monkeypatch.setattr(pipeline, "encode_raw_lines", failing)
    for fmt in FORMATS:
        calls.clear()
        with pytest.raises(RuntimeError, match="simulated crash"):
            encode_files([str(CORPORA[-1])], tmp_path / "s", format=fmt, batch_bytes=200_000, progress=False)
        assert len(calls) == 3
        assert os.listdir(tmp_path) == []


def test_a_write_error_midway_is_reported_and_leaves_no_file(tmp_path, monkeypatch, capsys):
    from tokembed.data.formats.megatron import MegatronWriter

    writes = []
    original = MegatronWriter._write

    def disk_full(self, ids, offsets):
        writes.append(1)
        if len(writes) == 2:
            raise OSError(28, "No space left on device")
        return original(self, ids, offsets)

    monkeypatch.setattr(MegatronWriter, "_write", disk_full)
    assert run_cli(CORPORA[-1], "-o", tmp_path / "s", "--format", "megatron", "--batch-mb", 0.2) == 2
    assert "No space left on device" in capsys.readouterr().err
    assert os.listdir(tmp_path) == []


def _start_on_stdin(tmp_path, fmt):
    args = [sys.executable, "-m", "tokembed", "encode", "-", "-o", str(tmp_path / "s"), "--format", fmt, "--batch-mb", "0.3"]
    proc = subprocess.Popen(args, stdin=subprocess.PIPE, stderr=subprocess.PIPE)
    # Enough text for a few batches to be encoded and written; the input stays open, so the
    # process is surely mid-run when it is stopped.
    proc.stdin.write(CORPORA[-1].read_bytes()[:250_000] * 8)
    proc.stdin.flush()
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        temps = [p for p in tmp_path.iterdir() if ".tmp-" in p.name and p.stat().st_size > 100_000]
        if temps:
            return proc
        time.sleep(0.05)
    proc.kill()
    raise AssertionError("no temporary output appeared")


@pytest.mark.parametrize("fmt", ["bin", "megatron"])
def test_killed_midway_leaves_no_file_under_a_final_name(tmp_path, fmt):
    proc = _start_on_stdin(tmp_path, fmt)
    proc.kill()  # SIGKILL: no clean-up can run
    proc.wait(timeout=30)
    names = sorted(p.name for p in tmp_path.iterdir())
    # Temporary files, and the lock file, which nobody holds any more (the next run takes it).
    assert names and all(".tmp-" in n or n == "s.lock" for n in names), names


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_interrupted_midway_cleans_up(tmp_path, sig):
    proc = _start_on_stdin(tmp_path, "npy")
    proc.send_signal(sig)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err
    assert b"interrupted" in err
    assert list(tmp_path.iterdir()) == []


# ----- what the user sees --------------------------------------------------------------------


def test_summary_but_no_progress_bar_when_not_a_terminal(tmp_path):
    args = [sys.executable, "-m", "tokembed", "encode", str(CORPORA[2]), "-o", str(tmp_path / "s")]
    done = subprocess.run(args, capture_output=True, timeout=120)
    assert done.returncode == 0 and done.stdout == b""
    err = done.stderr.decode()
    assert "\r" not in err and "it/s" not in err
    assert err.startswith("tokembed encode: ") and "documents" in err and "B/s" in err and "tokens/s" in err
    quiet = subprocess.run(args + ["--overwrite", "-q"], capture_output=True, timeout=120)
    assert quiet.returncode == 0 and quiet.stderr == b""


def test_progress_bar_on_a_terminal(tmp_path):
    import fcntl
    import pty
    import struct
    import termios

    leader, follower = pty.openpty()
    fcntl.ioctl(follower, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 120, 0, 0))  # a real terminal's size
    args = [sys.executable, "-m", "tokembed", "encode", str(CORPORA[-1]), "-o", str(tmp_path / "s"), "--batch-mb", "0.5"]
    proc = subprocess.Popen(args, stderr=follower, stdout=subprocess.DEVNULL)
    os.close(follower)
    out = b""
    while True:
        try:
            chunk = os.read(leader, 65536)
        except OSError:  # the terminal closed with the process
            break
        if not chunk:
            break
        out += chunk
    os.close(leader)
    assert proc.wait(timeout=120) == 0
    text = out.decode("utf-8", "replace")
    assert "encode" in text and "B/s" in text and "docs/s" in text and "tok/s" in text and "100%" in text
    assert "tokembed encode: " in text  # the summary after the bar


def test_builtin_tokenizers_ship_as_assets_and_data_is_the_module():
    package = Path(tokembed.__file__).parent
    for name in ("bert-base-uncased/tokenizer.json", "gpt2/gpt2.tiktoken", "cl100k_base/cl100k_base.tiktoken"):
        assert (package / "tokenizers" / "assets" / name).is_file()
    assert (package / "data" / "__init__.py").is_file()
    assert tokembed.Tokenizer.builtin("gpt2").encode_batch_flat(["Hello world"])[0].tolist() == [15496, 995]


# ----- generated input: chunk and block boundaries anywhere ------------------------------------


def _line_strategy():
    from hypothesis import strategies as st

    text = st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\n"), max_size=12).map(
        lambda s: s.encode("utf-8")
    )
    junk = st.sampled_from([b"\xff", b"\xc3", b"\xe2\x82", b"\xed\xa0\x80", b"\r", b"\r\r", b""])
    # Any bytes at all (newlines included): the replacement of each invalid sequence must be
    # Python's, U+FFFD per maximal subpart.
    noise = st.binary(max_size=6)
    return st.lists(st.one_of(text, junk, noise), max_size=4).map(b"".join)


def test_generated_lines_match_a_line_by_line_reference(tmp_path_factory, gpt2):
    from hypothesis import given, settings
    from hypothesis import strategies as st

    @settings(max_examples=80, deadline=None)
    @given(lines=st.lists(_line_strategy(), max_size=40), final_newline=st.booleans(),
           batch=st.integers(1, 64), errors=st.sampled_from(["replace", "skip"]), keep_empty=st.booleans())
    def check(lines, final_newline, batch, errors, keep_empty):
        folder = tmp_path_factory.mktemp("gen")
        data = b"\n".join(lines) + (b"\n" if final_newline and lines else b"")
        (folder / "in.txt").write_bytes(data)
        # The reference: Python's own line-by-line decoding, and its words for each error. A
        # byte order mark that starts the file is not text (utf-8-sig).
        expected, bad_lines = [], []
        if data.startswith(b"\xef\xbb\xbf"):
            data = data[3:]
        raw_lines = data.split(b"\n") if data else []
        if data.endswith(b"\n"):
            raw_lines.pop()  # a final newline ends the last line; it does not start an empty one
        for number, raw in enumerate(raw_lines, start=1):
            try:
                text = raw.decode("utf-8")
            except UnicodeDecodeError as e:
                bad_lines.append(f"in.txt:{number}: invalid UTF-8: {e.reason} at byte {e.start} of the line")
                if errors == "skip":
                    continue
                text = raw.decode("utf-8", "replace")
            if text.endswith("\r"):
                text = text[:-1]
            if text or keep_empty:
                expected.append(text)
        reports = []
        run = lambda: encode_files([str(folder / "in.txt")], folder / "out", gpt2, format="npy",  # noqa: E731
                                   batch_bytes=batch, errors=errors, keep_empty=keep_empty, progress=False,
                                   report=reports.append)
        if not expected:  # a run that keeps no document is an error, and writes nothing
            with pytest.raises(ValueError, match="no document to write"):
                run()
            assert sorted(p.name for p in folder.iterdir()) == ["in.txt"]
        else:
            run()
            ids, offsets = gpt2.encode_batch_flat(expected)
            assert_same_documents(folder / "out", "npy", ids.astype(np.int64), offsets)
        reported = [r[r.index("in.txt:"):r.rindex(" (")] for r in reports if "invalid UTF-8" in r]
        assert reported == bad_lines[:20]

    check()


# ----- generated JSON Lines: the core's parser and the careful reader agree ----------------------


def _jsonl_line_strategy():
    from hypothesis import strategies as st

    text = st.text(st.characters(blacklist_categories=("Cs",)), max_size=10)
    value = st.one_of(text, text, st.integers(), st.none(), st.booleans(), st.lists(text, max_size=2),
                      st.dictionaries(st.sampled_from(["text", "a"]), text, max_size=2))
    key = st.sampled_from(['"text"', '"text"', '"id"', '"t\\u0065xt"', '"Text"'])
    members = st.lists(st.tuples(key, value, st.booleans()), max_size=4)
    record = members.map(lambda ms: "{" + ", ".join(f"{k}: {json.dumps(v, ensure_ascii=a)}" for k, v, a in ms) + "}")
    junk = st.sampled_from([
        "not json", "", "  ", "\r", "null", "[1]", '"text"', '{"text": NaN}', '{"text": "\\ud800 x"}',
        '{"text": "\\udfff", "id": 1}', '{"text": "x"} trailing', '{"text": "x"}\r', '{"text": "x",}', "\ufeff" + '{"text": "bom"}',
        '{"text": "tab\tinside"}', '{"text": 1e400}', '{"text": "a"}{"text": "b"}',
    ])
    line = st.one_of(record, record, record, junk).map(lambda s: s.encode("utf-8"))
    invalid = st.sampled_from([b'{"text": "bad \xff"}', b'{"text": "\xed\xa0\x80"}', b"\xff"])
    return st.one_of(line, line, line, invalid)


def _reference_jsonl(data: bytes, key: str, errors: str, keep_empty: bool):
    """The documents of a JSON Lines file by the rules of the reader's docs, with Python's json."""
    docs = []
    lines = data.split(b"\n")
    if data.endswith(b"\n"):
        lines.pop()
    for raw in lines:
        try:
            record = json.loads(raw)
        except UnicodeDecodeError:
            if errors == "skip":
                continue
            try:
                record = json.loads(raw.decode("utf-8", "replace"))
            except ValueError:
                continue
        except ValueError:
            continue  # blank lines and malformed JSON alike: no document
        if not isinstance(record, dict) or not isinstance(record.get(key), str):
            continue
        text = record[key]
        if re.search("[\ud800-\udfff]", text):
            if errors == "skip":
                continue
            text = re.sub("[\ud800-\udfff]", "\ufffd", text)
        if text or keep_empty:
            docs.append(text)
    return docs


def test_generated_jsonl_matches_python_json(tmp_path_factory, gpt2):
    from hypothesis import HealthCheck, given, settings
    from hypothesis import strategies as st

    @settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(lines=st.lists(_jsonl_line_strategy(), max_size=30), batch=st.integers(1, 400),
           errors=st.sampled_from(["replace", "skip"]), keep_empty=st.booleans())
    def check(lines, batch, errors, keep_empty):
        folder = tmp_path_factory.mktemp("jsonl")
        data = b"\n".join(lines)
        (folder / "in.jsonl").write_bytes(data)
        expected = _reference_jsonl(data, "text", errors, keep_empty)
        run = lambda: encode_files([str(folder / "in.jsonl")], folder / "out", gpt2, format="npy",  # noqa: E731
                                   batch_bytes=batch, errors=errors, keep_empty=keep_empty, progress=False,
                                   report=lambda _: None)
        if not expected:  # a run that keeps no document is an error, and writes nothing
            with pytest.raises(ValueError, match="no document to write"):
                run()
            assert sorted(p.name for p in folder.iterdir()) == ["in.jsonl"]
            return
        run()
        ids, offsets = gpt2.encode_batch_flat(expected)
        assert_same_documents(folder / "out", "npy", ids.astype(np.int64), offsets)

    check()


def test_plain_jsonl_takes_the_core_parser(tmp_path, gpt2, monkeypatch):
    """A file of plain records never reaches the careful (Python) reader; one bad line sends only
    its own buffer there."""
    from tokembed.preprocess import jsonl_input

    careful = []
    original = jsonl_input.parse_lines
    monkeypatch.setattr(jsonl_input, "parse_lines", lambda chunk, *a: careful.append(chunk.first_line) or original(chunk, *a))
    docs = corpus_documents(CORPORA[0])[:3000]
    records = [json.dumps({"id": i, "text": d}, ensure_ascii=i % 3 == 0) for i, d in enumerate(docs)]
    (tmp_path / "a.jsonl").write_text("\n".join(records) + "\n", encoding="utf-8")
    summary = encode_files([str(tmp_path / "a.jsonl")], tmp_path / "a", gpt2, format="npy", batch_bytes=20_000, progress=False)
    assert careful == [] and summary.documents == len(docs)
    ids, offsets = gpt2.encode_batch_flat(docs)
    assert_same_documents(tmp_path / "a", "npy", ids.astype(np.int64), offsets)

    records[2500] = "not json"
    (tmp_path / "b.jsonl").write_text("\n".join(records) + "\n", encoding="utf-8")
    summary = encode_files([str(tmp_path / "b.jsonl")], tmp_path / "b", gpt2, format="npy", batch_bytes=20_000,
                           progress=False, report=lambda _: None)
    assert len(careful) == 1 and careful[0] <= 2501 and summary.skipped == {"malformed JSON": 1}
    ids, offsets = gpt2.encode_batch_flat(docs[:2500] + docs[2501:])
    assert_same_documents(tmp_path / "b", "npy", ids.astype(np.int64), offsets)
