"""``tokembed encode`` and the shard readers under the conditions of real use: two runs on one
prefix, data and metadata of different runs, broken or odd inputs, options that make no sense,
failures at the last step, what killed runs leave behind, Ctrl-C, and very long lines."""

from __future__ import annotations

import gzip
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import threading
import time
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import pytest

import tokembed
from tokembed.cli import main
from tokembed.data import FORMATS, TokenDataset, open_shards, read_bin
from tokembed.preprocess import encode_files
from conftest import DATA
from shard_reference import corpus_documents, read_documents_independently

SMALL = DATA / "corpora" / "en_fortunes.txt"
OTHER = DATA / "corpora" / "en_botchan.txt"
BIG = DATA / "corpora" / "en_python_docs_10MB.txt"


@pytest.fixture(scope="module")
def gpt2():
    return tokembed.Tokenizer.builtin("gpt2")


def run_cli(*args):
    return main(["encode", *map(str, args)])


def encode_command(*args):
    return [sys.executable, "-m", "tokembed", "encode", *map(str, args)]


def names(folder: Path):
    return sorted(p.name for p in folder.iterdir())


def data_files(prefix: Path, fmt: str):
    return {"bin": [".bin"], "npy": [".npy"], "megatron": [".bin"], "parquet": [".parquet"]}[fmt]


# ----- item 8: one run at a time on a prefix; data and metadata from the same run ----------------


def _start_slow_run(prefix: Path, *extra):
    """An encode reading standard input that stays open: it is mid-run until stdin closes."""
    proc = subprocess.Popen(encode_command("-", "-o", prefix, "--batch-mb", "0.3", *extra),
                            stdin=subprocess.PIPE, stderr=subprocess.PIPE)
    proc.stdin.write(BIG.read_bytes()[:400_000])
    proc.stdin.flush()
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if any(".tmp-" in n for n in names(prefix.parent)):
            return proc
        time.sleep(0.05)
    proc.kill()
    raise AssertionError("the first run wrote no temporary file")


def test_a_second_run_on_the_same_prefix_fails_at_once(tmp_path, gpt2):
    out = tmp_path / "out"
    out.mkdir()
    first = _start_slow_run(out / "s")
    try:
        second = subprocess.run(encode_command(SMALL, "-o", out / "s", "--overwrite"), capture_output=True, timeout=60)
        assert second.returncode == 2, second.stderr
        err = second.stderr.decode()
        assert "another run is writing this shard" in err and str(out / "s.lock") in err
        assert "Traceback" not in err
        assert not any(n in names(out) for n in ("s.bin", "s.meta.json"))  # the second run wrote nothing
    except BaseException:
        first.kill()
        raise
    _, err = first.communicate(timeout=120)  # closes its input: the first run ends
    assert first.returncode == 0, err
    # The shard is the first run's alone, and the lock is gone with it.
    assert names(out) == ["s.bin", "s.meta.json"]
    text = BIG.read_bytes()[:400_000].decode("utf-8", "replace")
    docs = [line[:-1] if line.endswith("\r") else line for line in text.split("\n")]
    ids, _ = gpt2.encode_batch_flat([d for d in docs if d])
    assert np.array_equal(np.asarray(open_shards(out / "s").ids, dtype=np.int64), ids.astype(np.int64))


def test_runs_one_after_the_other_take_the_lock_in_turn(tmp_path):
    for _ in range(3):
        assert run_cli(SMALL, "-o", tmp_path / "s", "--overwrite", "-q") == 0
        assert names(tmp_path) == ["s.bin", "s.meta.json"]
    # A lock file left by a run that was killed (nobody holds it) does not stop the next run.
    (tmp_path / "s.lock").write_text("12345\n")
    assert run_cli(SMALL, "-o", tmp_path / "s", "--overwrite", "-q") == 0
    assert names(tmp_path) == ["s.bin", "s.meta.json"]


@pytest.mark.parametrize("fmt", FORMATS)
def test_data_of_one_run_beside_metadata_of_another_is_refused(tmp_path, fmt):
    assert run_cli(SMALL, "-o", tmp_path / "a", "--format", fmt, "-q") == 0
    assert run_cli(OTHER, "-o", tmp_path / "b", "--format", fmt, "-q") == 0
    open_shards(tmp_path / "a")  # whole, it opens
    for suffix in data_files(tmp_path / "a", fmt):
        shutil.copyfile(tmp_path / f"b{suffix}", tmp_path / f"a{suffix}")
    data = str(tmp_path / f"a{data_files(tmp_path / 'a', fmt)[0]}")
    with pytest.raises(ValueError, match=re.escape(data)):
        open_shards(tmp_path / "a")
    with pytest.raises(ValueError, match=re.escape(data)):
        TokenDataset(str(tmp_path / "a"), max_length=8)
    if fmt == "bin":
        with pytest.raises(ValueError, match=re.escape(data)):
            read_bin(tmp_path / "a.bin")

    # Metadata written before the file sizes were recorded: the counts still tell.
    meta = json.loads((tmp_path / "a.meta.json").read_text())
    del meta["file_bytes"]
    (tmp_path / "a.meta.json").write_text(json.dumps(meta))
    with pytest.raises(ValueError, match=re.escape(data) + ".*tokens"):
        open_shards(tmp_path / "a")


def test_a_data_file_cut_short_is_refused(tmp_path):
    assert run_cli(SMALL, "-o", tmp_path / "a", "--format", "megatron", "-q") == 0
    with open(tmp_path / "a.bin", "r+b") as f:
        f.truncate(os.path.getsize(tmp_path / "a.bin") - 2)
    with pytest.raises(ValueError, match=re.escape(str(tmp_path / "a.bin")) + ".*bytes"):
        open_shards(tmp_path / "a")


# ----- item 11: inputs --------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["t.jsonl.gz", "t.txt.gz"])
def test_a_truncated_gzip_input_is_an_error_naming_the_file(tmp_path, capsys, name):
    lines = [json.dumps({"text": f"document {i} " * 20}) for i in range(3000)]
    packed = gzip.compress(("\n".join(lines) + "\n").encode())
    path = tmp_path / name
    path.write_bytes(packed[: len(packed) // 2])
    assert run_cli(path, "-o", tmp_path / "s") == 2
    err = capsys.readouterr().err
    assert f"{path}: the compressed file is truncated" in err
    assert names(tmp_path) == [name]
    path.write_bytes(b"not gzip at all\n")
    assert run_cli(path, "-o", tmp_path / "s") == 2
    assert f"{path}: not a valid gzip file" in capsys.readouterr().err


def test_an_existing_file_is_taken_literally_not_as_a_glob(tmp_path, gpt2):
    (tmp_path / "data[1].txt").write_text("the file named with brackets\n")
    (tmp_path / "data1.txt").write_text("what the glob would match\n")
    assert run_cli(tmp_path / "data[1].txt", "-o", tmp_path / "s", "--format", "npy", "-q") == 0
    ids, _ = gpt2.encode_batch_flat(["the file named with brackets"])
    assert open_shards(tmp_path / "s").ids.tolist() == ids.tolist()
    # A name that is no file is still a glob.
    assert run_cli(tmp_path / "data[0-9].txt", "-o", tmp_path / "g", "--format", "npy", "-q") == 0
    ids, _ = gpt2.encode_batch_flat(["what the glob would match"])
    assert open_shards(tmp_path / "g").ids.tolist() == ids.tolist()


def test_a_leading_utf8_bom_is_not_text(tmp_path, gpt2):
    bom = b"\xef\xbb\xbf"
    (tmp_path / "a.txt").write_bytes(bom + "Héllo\n\ufeffsecond\n".encode())
    (tmp_path / "b.jsonl").write_bytes(bom + b'{"text": "json one"}\n{"text": "json two"}\n')
    (tmp_path / "c.txt.gz").write_bytes(gzip.compress(bom + b"gz line\n"))
    assert run_cli(tmp_path / "a.txt", tmp_path / "b.jsonl", tmp_path / "c.txt.gz", "-o", tmp_path / "s",
                   "--format", "npy", "-q") == 0
    # Only the mark that starts a file goes, as Python's utf-8-sig decodes it.
    docs = ["Héllo", "\ufeffsecond", "json one", "json two", "gz line"]
    assert (bom + "Héllo\n\ufeffsecond\n".encode()).decode("utf-8-sig").split("\n")[:2] == docs[:2]
    ids, offsets = gpt2.encode_batch_flat(docs)
    shard = open_shards(tmp_path / "s")
    assert shard.ids.tolist() == ids.tolist() and shard.offsets.tolist() == offsets.tolist()
    assert run_cli(tmp_path / "a.txt", "-o", tmp_path / "w", "--document-per-file", "--format", "npy", "-q") == 0
    assert open_shards(tmp_path / "w").ids.tolist() == gpt2.encode_batch_flat(["Héllo\n\ufeffsecond\n"])[0].tolist()
    bom_only = tmp_path / "bom_only.txt"
    bom_only.write_bytes(bom)
    assert run_cli(bom_only, "-o", tmp_path / "e", "--keep-empty") == 2  # no line at all: nothing to write


def test_a_bom_from_standard_input_is_not_text(tmp_path, gpt2):
    done = subprocess.run(encode_command("-", "-o", tmp_path / "s", "--format", "npy", "-q"),
                          input=b"\xef\xbb\xbfone\ntwo\n", capture_output=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert open_shards(tmp_path / "s").ids.tolist() == gpt2.encode_batch_flat(["one", "two"])[0].tolist()


# ----- item 11: options -------------------------------------------------------------------------


@pytest.mark.parametrize("eos", ["70000", "50257", "-1"])
def test_an_eos_id_outside_the_vocabulary_is_refused(tmp_path, capsys, eos):
    assert run_cli(SMALL, "-o", tmp_path / "s", "--append-eos", "--eos-id", eos) == 2
    err = capsys.readouterr().err
    assert f"--eos-id) {eos} is not in the tokenizer's vocabulary (ids 0 to 50,256" in err
    assert names(tmp_path) == []


def test_an_eos_id_inside_the_vocabulary_is_taken(tmp_path):
    assert run_cli(SMALL, "-o", tmp_path / "s", "--append-eos", "--eos-id", 50256, "-q") == 0
    assert json.loads((tmp_path / "s.meta.json").read_text())["dtype"] == "uint16"


@pytest.mark.parametrize("value", ["0", "-1", "1e-9", "0.0005", "nan", "inf", "-inf", "1e9"])
def test_a_nonsense_batch_size_is_refused_up_front(tmp_path, capsys, value):
    assert run_cli(SMALL, "-o", tmp_path / "s", f"--batch-mb={value}") == 2
    err = capsys.readouterr().err
    assert "--batch-mb must be a size in megabytes from 0.001" in err and "Traceback" not in err
    assert names(tmp_path) == []


def test_the_smallest_batch_size_works(tmp_path, gpt2):
    assert run_cli(SMALL, "-o", tmp_path / "s", "--batch-mb", "0.001", "--format", "npy", "-q") == 0
    ids, _ = gpt2.encode_batch_flat(corpus_documents(SMALL))
    assert open_shards(tmp_path / "s").ids.tolist() == ids.tolist()


def test_a_run_that_keeps_no_document_is_an_error(tmp_path, capsys):
    (tmp_path / "nokey.jsonl").write_text('{"body": "a"}\n{"body": "b"}\n')
    (tmp_path / "empty.txt").write_bytes(b"")
    (tmp_path / "blank.txt").write_text("\n\n\r\n")
    assert run_cli(tmp_path / "nokey.jsonl", "-o", tmp_path / "s") == 2
    err = capsys.readouterr().err
    assert "no document to write (left out: missing key: 2); nothing written to" in err
    assert run_cli(tmp_path / "empty.txt", "-o", tmp_path / "s") == 2
    assert "no document to write (the inputs are empty)" in capsys.readouterr().err
    assert run_cli(tmp_path / "blank.txt", "-o", tmp_path / "s") == 2
    assert "no document to write (left out: empty documents: 3)" in capsys.readouterr().err
    assert names(tmp_path) == ["blank.txt", "empty.txt", "nokey.jsonl"]
    with pytest.raises(ValueError, match="no document to write"):
        encode_files([str(tmp_path / "empty.txt")], tmp_path / "s", progress=False)
    # Empty documents that are asked for are documents.
    assert run_cli(tmp_path / "blank.txt", "-o", tmp_path / "s", "--keep-empty", "--format", "npy", "-q") == 0
    assert len(open_shards(tmp_path / "s")) == 3


# ----- item 11: outputs -------------------------------------------------------------------------


@pytest.mark.parametrize("old,new", [("megatron", "bin"), ("npy", "parquet"), ("bin", "megatron"), ("parquet", "npy")])
def test_overwrite_with_another_format_leaves_no_file_of_the_old_one(tmp_path, capsys, gpt2, old, new):
    assert run_cli(OTHER, "-o", tmp_path / "s", "--format", old, "-q") == 0
    # Without --overwrite, a shard of any format at the prefix is kept.
    assert run_cli(SMALL, "-o", tmp_path / "s", "--format", new) == 2
    assert "--overwrite" in capsys.readouterr().err
    assert run_cli(SMALL, "-o", tmp_path / "s", "--format", new, "--overwrite", "-q") == 0
    meta = json.loads((tmp_path / "s.meta.json").read_text())
    assert names(tmp_path) == sorted(meta["files"] + ["s.meta.json"])
    ids, offsets = gpt2.encode_batch_flat(corpus_documents(SMALL))
    _, _, got = read_documents_independently(str(tmp_path / "s"), new)
    assert got.tolist() == ids.tolist()
    assert open_shards(tmp_path / "s").format == new


def test_overwrite_leaves_files_that_are_not_ours(tmp_path):
    for name in ("s.txt", "s.bin.bak", "s2.bin", "s.idx.old"):
        (tmp_path / name).write_text("keep me\n")
    assert run_cli(SMALL, "-o", tmp_path / "s", "--format", "megatron", "-q") == 0
    assert run_cli(SMALL, "-o", tmp_path / "s", "--format", "npy", "--overwrite", "-q") == 0
    assert names(tmp_path) == ["s.bin.bak", "s.idx.old", "s.meta.json", "s.npy", "s.offsets.npy", "s.txt", "s2.bin"]


def test_a_failed_metadata_write_leaves_nothing_new_under_a_final_name(tmp_path, capsys, monkeypatch):
    from tokembed.corpus import job

    def disk_full(*args, **kwargs):
        raise OSError(28, "No space left on device")

    # Building the metadata fails: the old shard stays as it was.
    assert run_cli(OTHER, "-o", tmp_path / "s", "--format", "megatron", "-q") == 0
    before = {n: (tmp_path / n).read_bytes() for n in names(tmp_path)}
    with monkeypatch.context() as m:
        m.setattr(job, "shard_metadata", disk_full)
        assert run_cli(SMALL, "-o", tmp_path / "s2", "--format", "npy") == 2
        assert run_cli(SMALL, "-o", tmp_path / "s", "--format", "bin", "--overwrite") == 2
    assert "No space left on device" in capsys.readouterr().err
    assert {n: (tmp_path / n).read_bytes() for n in names(tmp_path)} == before

    # The metadata file cannot take its name: the new data files do not keep theirs either.
    real_replace = os.replace

    def replace(src, dst, *args, **kwargs):
        if os.fspath(dst).endswith(".meta.json"):
            raise OSError(28, "No space left on device")
        return real_replace(src, dst, *args, **kwargs)

    for fmt in FORMATS:
        folder = tmp_path / fmt
        folder.mkdir()
        with monkeypatch.context() as m:
            m.setattr(os, "replace", replace)
            assert run_cli(SMALL, "-o", folder / "s", "--format", fmt) == 2
        assert "No space left on device" in capsys.readouterr().err
        assert names(folder) == []


def test_temporary_files_of_dead_runs_are_removed_and_named(tmp_path, capsys):
    gone = subprocess.Popen([sys.executable, "-c", "pass"])
    gone.wait()
    alive = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(120)"])
    try:
        dead, live = gone.pid, alive.pid
        stale = [f"s.bin.tmp-{dead}", f"s.idx.tmp-{dead}", f"s.idx.sizes.tmp-{dead}", f"s.meta.json.tmp-{dead}",
                 f"s.offsets.npy.tmp-{dead}"]
        kept = [f"s.bin.tmp-{live}", f"s2.bin.tmp-{dead}", f"other.bin.tmp-{dead}", f"s.txt.tmp-{dead}"]
        for name in stale + kept:
            (tmp_path / name).write_bytes(b"x" * 10)
        assert run_cli(SMALL, "-o", tmp_path / "s") == 0
        err = capsys.readouterr().err
        message = f"tokembed: removed {len(stale)} temporary files left by an interrupted run: "
        (line,) = [line for line in err.splitlines() if line.startswith(message)]
        assert sorted(line[len(message):].split(", ")) == sorted(str(tmp_path / name) for name in stale)
        assert names(tmp_path) == sorted(kept + ["s.bin", "s.meta.json"])
        # Nothing stale: nothing said.
        assert run_cli(SMALL, "-o", tmp_path / "s", "--overwrite") == 0
        assert "removed" not in capsys.readouterr().err
    finally:
        alive.kill()
        alive.wait()


# ----- item 11: Ctrl-C --------------------------------------------------------------------------


def _wait_for_temporary(folder: Path, proc, min_size: int = 100_000) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        for p in folder.iterdir():
            try:
                if ".tmp-" in p.name and p.stat().st_size > min_size:
                    return
            except FileNotFoundError:
                continue
        if proc.poll() is not None:
            raise AssertionError(f"the run ended before it could be interrupted: {proc.stderr.read()!r}")
        time.sleep(0.02)
    proc.kill()
    raise AssertionError("no temporary output appeared")


def _ctrl_c(proc, times: int) -> None:
    """Ctrl-C as an impatient person presses it: more than once, 50 ms apart."""
    for _ in range(times):
        try:
            proc.send_signal(signal.SIGINT)
        except ProcessLookupError:
            return
        time.sleep(0.05)


@pytest.mark.parametrize("presses", [1, 3])
def test_ctrl_c_while_encoding_a_big_file(tmp_path, presses):
    big = tmp_path / "big.txt"
    with open(big, "wb") as f:
        for _ in range(6):
            f.write(BIG.read_bytes())
    out = tmp_path / "out"
    out.mkdir()
    proc = subprocess.Popen(encode_command(big, "-o", out / "s", "--batch-mb", "1", "--workers", "1", "--format", "megatron"),
                            stderr=subprocess.PIPE)
    try:
        _wait_for_temporary(out, proc)
        _ctrl_c(proc, presses)
        _, err = proc.communicate(timeout=60)
    finally:
        proc.kill()
    assert (proc.returncode, err) == (130, b"tokembed: interrupted\n")
    assert names(out) == []


@pytest.mark.parametrize("presses", [1, 3])
def test_ctrl_c_while_encoding_a_slow_pipe(tmp_path, presses):
    proc = subprocess.Popen(encode_command("-", "-o", tmp_path / "s", "--batch-mb", "0.3", "--format", "npy"),
                            stdin=subprocess.PIPE, stderr=subprocess.PIPE)
    text = BIG.read_bytes()[:4_000_000]
    stop = threading.Event()

    def feed():  # a few MB, slowly: the run is surely waiting for input or encoding it
        try:
            for start in range(0, len(text), 200_000):
                if stop.is_set():
                    return
                proc.stdin.write(text[start : start + 200_000])
                proc.stdin.flush()
                time.sleep(0.05)
            stop.wait(60)
        except (BrokenPipeError, OSError):
            pass

    feeder = threading.Thread(target=feed, daemon=True)
    feeder.start()
    try:
        _wait_for_temporary(tmp_path, proc)
        _ctrl_c(proc, presses)
        _, err = proc.communicate(timeout=60)
    finally:
        stop.set()
        proc.kill()
        feeder.join(timeout=10)
    assert (proc.returncode, err) == (130, b"tokembed: interrupted\n")
    assert names(tmp_path) == []


# ----- item 13: a very long line ------------------------------------------------------------------


def test_a_very_long_line_with_tiny_batches_is_read_in_linear_time(tmp_path, gpt2):
    line = BIG.read_bytes().replace(b"\n", b" ").replace(b"\r", b" ") * 3  # 30 MB, one line
    (tmp_path / "long.txt").write_bytes(line + b"\nafter\n")
    started = time.monotonic()
    done = subprocess.run(encode_command(tmp_path / "long.txt", "-o", tmp_path / "s", "--batch-mb", "0.001",
                                         "--format", "npy", "-q"), capture_output=True, timeout=180)
    seconds = time.monotonic() - started
    assert done.returncode == 0, done.stderr
    ids, offsets = gpt2.encode_batch_flat([line.decode("utf-8"), "after"])
    shard = open_shards(tmp_path / "s")
    assert shard.offsets.tolist() == offsets.tolist()
    assert np.array_equal(np.asarray(shard.ids, dtype=np.int64), ids.astype(np.int64))
    assert seconds < 120, seconds


class CountingBytes(bytes):
    """Bytes that count what ``+`` copies (a reader that concatenates at each read shows here)."""

    copied = 0

    def __add__(self, other):
        CountingBytes.copied += len(self) + len(other)
        return CountingBytes(bytes(self) + bytes(other))

    def __radd__(self, other):
        CountingBytes.copied += len(self) + len(other)
        return CountingBytes(bytes(other) + bytes(self))


def test_line_chunks_gather_a_long_line_without_copying_it_again_and_again(monkeypatch):
    from tokembed.preprocess import lines
    from tokembed.preprocess.sources import InputFile

    long_line = b"x" * 1_000_000
    data = long_line + b"\nshort\nlast"

    @contextmanager
    def fake_open(source):
        position = 0

        def read(n):
            nonlocal position
            piece = CountingBytes(data[position : position + n])
            position += len(piece)
            return piece

        yield read, (lambda: position)

    monkeypatch.setattr(lines, "open_binary", fake_open)
    CountingBytes.copied = 0
    # A compressed input takes the reader that gathers what ``read`` returns (a plain file's
    # reader goes back to the start of the line instead: tests/test_corpus_buffers.py).
    chunks = list(lines.line_chunks(InputFile("mem.txt.gz", "text", len(data)), 1000))
    assert [(bytes(c.body), c.first_line) for c in chunks] == [(long_line + b"\nshort", 1), (b"last", 3)]
    assert sum(c.nbytes for c in chunks) == len(data)
    assert CountingBytes.copied <= 2 * len(data), CountingBytes.copied


def test_without_bom_drops_only_a_leading_mark_whatever_the_read_sizes():
    import io

    from tokembed.preprocess.lines import without_bom

    bom = b"\xef\xbb\xbf"
    for data in [b"", bom[:1], bom[:2], bom, bom + b"abc", b"ab", b"abcdef", bom + bom + b"x", b"x" + bom]:
        for n in [1, 2, 3, 5, -1]:
            read = without_bom(io.BytesIO(data).read)
            out = b""
            while True:
                piece = read(n)
                if not piece:
                    break
                assert n < 0 or len(piece) <= n
                out += piece
            assert out == (data[3:] if data.startswith(bom) else data), (data, n)


def test_json_nested_deeper_than_pythons_limit_is_read_alike_by_both_readers(tmp_path, gpt2):
    """A line nested 5,000 deep around a skipped value: Python's json raises RecursionError, so
    the careful reader (taken for a buffer holding any unusual line) asks the core, which reads it
    without recursion; the document is kept either way, and an unreadable deep line is reported."""
    deep = '{"id": ' + "[" * 5000 + "]" * 5000 + ', "text": "deep text"}'
    unclosed = '{"id": ' + "[" * 5000 + ', "text": "lost"}'
    plain = tmp_path / "plain.jsonl"
    plain.write_text(deep + "\n" + '{"text": "after"}\n', encoding="utf-8")
    careful = tmp_path / "careful.jsonl"
    careful.write_text("{not json\n" + deep + "\n" + unclosed + "\n" + '{"text": "after"}\n', encoding="utf-8")
    expected, _ = gpt2.encode_batch_flat(["deep text", "after"])
    for path, problems in ((plain, 0), (careful, 2)):
        summary = encode_files([str(path)], tmp_path / path.stem, gpt2, progress=False, report=lambda m: None)
        assert summary.documents == 2
        assert np.array_equal(np.fromfile(tmp_path / f"{path.stem}.bin", dtype="<u2"), expected)
        assert summary.skipped.get("malformed JSON", 0) == problems
