"""``tokembed encode --shard-size/--shard-tokens``: a series of shards and a manifest. The shards,
read back without tokembed and in manifest order, hold exactly ``encode_batch_flat``'s ids of
every document; every shard is as full as the limit allows without splitting a document; the
manifest's checksums, counts and sources are those of the files; ``open_shards`` and
``TokenDataset`` read the series as one dataset. A run killed (SIGKILL) at random points and
resumed with ``--resume`` leaves the same bytes as an uninterrupted run, and a killed run never
lists a shard that is not whole."""

from __future__ import annotations

import hashlib
import json
import os
import random
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

import tokembed
from tokembed.cli import main
from tokembed.data import TokenDataset, open_shards
from tokembed.data.manifest import ShardSet
from conftest import DATA
from shard_reference import corpus_documents, read_documents_independently, runs_killed_at_random

CORPORA = DATA / "corpora"
TEXT_INPUTS = [CORPORA / "en_fortunes.txt", CORPORA / "de_manpages_3MB.txt"]
GPT2_EOS = 50256


@pytest.fixture(scope="module")
def gpt2():
    return tokembed.Tokenizer.builtin("gpt2")


@pytest.fixture(scope="module")
def inputs(tmp_path_factory, gpt2):
    """Two text corpora and a JSON Lines file with bad lines between them (so that problem
    counts must be carried across a resume), and the expected documents of each input."""
    folder = tmp_path_factory.mktemp("inputs")
    code = corpus_documents(CORPORA / "code_python_stdlib_3MB.txt")[:20000]
    lines = []
    for i, doc in enumerate(code):
        lines.append(json.dumps({"text": doc}).encode())
        if i % 997 == 5:
            lines.append(b"{not json")
        if i % 1499 == 7:
            lines.append(json.dumps({"other": doc}).encode())
    jsonl = folder / "code.jsonl"
    jsonl.write_bytes(b"\n".join(lines) + b"\n")
    paths = [TEXT_INPUTS[0], jsonl, TEXT_INPUTS[1]]
    per_input = [corpus_documents(TEXT_INPUTS[0]), code, corpus_documents(TEXT_INPUTS[1])]
    return paths, per_input


def run_cli(*args):
    return main(["encode", *map(str, args)])


def encode_command(*args):
    return [sys.executable, "-m", "tokembed", "encode", *map(str, args)]


def reference_ids(gpt2, docs, eos):
    ids, offsets = gpt2.encode_batch_flat(docs)
    lengths = np.diff(offsets)
    docs_ids = [ids[a:b].astype(np.int64) for a, b in zip(offsets[:-1], offsets[1:])]
    if eos:
        docs_ids = [np.append(d, GPT2_EOS) for d in docs_ids]
        lengths = lengths + 1
    return docs_ids


def folder_bytes(folder: Path):
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir()) if p.is_file()}


@pytest.mark.parametrize("fmt", ["bin", "npy", "megatron", "parquet"])
def test_shards_hold_every_document_in_order_each_as_full_as_the_limit_allows(tmp_path, gpt2, inputs, fmt):
    paths, per_input = inputs
    limit = 150_000
    prefix = tmp_path / "out" / "train"
    assert run_cli(*paths, "-o", prefix, "--format", fmt, "--shard-tokens", limit, "--append-eos", "-q") == 0
    manifest = json.loads((tmp_path / "out" / "train.manifest.json").read_text())
    assert manifest["complete"] is True and manifest["format"] == fmt and manifest["shard_limit"] == {"tokens": limit}
    expected = [d for docs in per_input for d in reference_ids(gpt2, docs, eos=True)]
    shards = manifest["shards"]
    assert len(shards) > 3
    got_docs, got_ids = [], []
    for k, shard in enumerate(shards):
        assert shard["prefix"] == f"train-{k:05d}"
        at = str(tmp_path / "out" / shard["prefix"])
        _, docs, ids = read_documents_independently(at, fmt, manifest["dtype"])
        for name, recorded in shard["files"].items():
            data = (tmp_path / "out" / name).read_bytes()
            assert len(data) == recorded["bytes"] and hashlib.sha256(data).hexdigest() == recorded["sha256"]
        assert len(ids) == shard["tokens"]
        assert shard["first_document"] == len(got_docs) if docs is not None else True
        n = shard["documents"]
        # Greedy: within the limit (or one document alone), and the next document would not fit.
        lengths = [len(d) for d in expected[shard["first_document"]: shard["first_document"] + n]]
        assert sum(lengths) == shard["tokens"]
        assert shard["tokens"] <= limit or n == 1
        if k + 1 < len(shards):
            assert shard["tokens"] + len(expected[shard["first_document"] + n]) > limit
        got_ids.append(np.asarray(ids, dtype=np.int64))
        if docs is not None:
            got_docs += [np.asarray(d, dtype=np.int64) for d in docs]
            assert len(docs) == n
    assert np.array_equal(np.concatenate(got_ids), np.concatenate(expected))
    if fmt != "bin":
        assert len(got_docs) == len(expected)
        assert all(np.array_equal(a, b) for a, b in zip(got_docs, expected))
    assert manifest["documents"] == len(expected) and manifest["tokens"] == sum(map(len, expected))
    # Sources: each input's documents, in order, each exactly once.
    seen = {i: 0 for i in range(len(paths))}
    for shard in shards:
        for source in shard["sources"]:
            assert source["first"] == seen[source["input"]]
            seen[source["input"]] += source["documents"]
    assert [seen[i] for i in range(len(paths))] == [len(docs) for docs in per_input]
    assert manifest["skipped"]["malformed JSON"] == sum(1 for i in range(20000) if i % 997 == 5)
    assert manifest["skipped"]["missing key"] == sum(1 for i in range(20000) if i % 1499 == 7)
    assert set(manifest["problems_by_input"]) == {"0", "1", "2"}
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == sorted(
        ["train.manifest.json"] + [n for s in shards for n in s["files"]]
    )


def test_a_shard_size_in_bytes_bounds_each_data_file(tmp_path, gpt2):
    prefix = tmp_path / "t"
    assert run_cli(TEXT_INPUTS[0], "-o", prefix, "--shard-size", "200KB", "-q") == 0
    manifest = json.loads((tmp_path / "t.manifest.json").read_text())
    assert manifest["shard_limit"] == {"bytes": 200_000} and manifest["dtype"] == "uint16"
    sizes = [s["files"][s["prefix"] + ".bin"]["bytes"] for s in manifest["shards"]]
    assert len(sizes) > 5 and max(sizes) <= 200_000 and min(sizes[:-1]) > 190_000
    ids = np.concatenate([np.fromfile(tmp_path / (s["prefix"] + ".bin"), dtype="<u2") for s in manifest["shards"]])
    expected, _ = gpt2.encode_batch_flat(corpus_documents(TEXT_INPUTS[0]))
    assert np.array_equal(ids, expected)


@pytest.mark.parametrize("fmt", ["npy", "megatron", "parquet"])
def test_open_shards_reads_the_series_as_one_dataset(tmp_path, gpt2, fmt):
    docs = corpus_documents(TEXT_INPUTS[0])
    prefix = tmp_path / "s"
    assert run_cli(TEXT_INPUTS[0], "-o", prefix, "--format", fmt, "--shard-tokens", 100_000, "-q") == 0
    data = open_shards(prefix, verify=True)
    assert isinstance(data, ShardSet) and len(data) == len(docs) and len(data.shards) > 3
    expected = reference_ids(gpt2, docs, eos=False)
    rng = random.Random(3)
    for i in [0, len(docs) - 1, -1] + rng.sample(range(len(docs)), 200):
        assert np.array_equal(np.asarray(data.document(i), dtype=np.int64), expected[i])
    with pytest.raises(IndexError):
        data.document(len(docs))
    # Shuffled by a seed: a permutation of the same documents, the same for the same seed.
    a, b, c = open_shards(prefix, seed=7), open_shards(prefix, seed=7), data.shuffled(8)
    order_a = [a.locate(i) for i in range(len(docs))]
    assert order_a == [b.locate(i) for i in range(len(docs))]
    assert order_a != [c.locate(i) for i in range(len(docs))]
    assert sorted(order_a) == [data.locate(i) for i in range(len(docs))]
    for i in rng.sample(range(len(docs)), 50):
        shard, local = a.locate(i)
        assert np.array_equal(np.asarray(a.document(i), dtype=np.int64),
                              expected[data.shards and data.manifest["shards"][shard]["first_document"] + local])
    # Windows over each shard's stream (they never cross from one shard to the next).
    windows = TokenDataset(prefix, 64)
    streams = [np.asarray(s.ids) for s in data.shards]
    assert len(windows) == sum((len(s) - 1) // 64 for s in streams)
    first_inputs, first_targets = windows[0]
    assert np.array_equal(first_inputs, streams[0][:64]) and np.array_equal(first_targets, streams[0][1:65])


def test_a_changed_file_is_refused_when_opening_and_with_verify(tmp_path):
    prefix = tmp_path / "s"
    assert run_cli(TEXT_INPUTS[0], "-o", prefix, "--format", "npy", "--shard-tokens", 200_000, "-q") == 0
    victim = tmp_path / "s-00001.npy"
    data = bytearray(victim.read_bytes())
    data[-1] ^= 1
    victim.write_bytes(bytes(data))
    open_shards(prefix)  # sizes agree: only the checksum can tell
    with pytest.raises(ValueError, match="s-00001.npy: its SHA-256 is not the one recorded"):
        open_shards(prefix, verify=True)
    victim.write_bytes(bytes(data[:-2]))
    with pytest.raises(ValueError, match="s-00001.npy: .* bytes where"):
        open_shards(prefix)


def _stop_after_shards(monkeypatch, count):
    """The run is stopped (as by a kill) right after its ``count``-th manifest write."""
    from tokembed.corpus import shard_series

    real = shard_series.ShardSeries._write_manifest
    calls = []

    def write_then_stop(self, complete):
        result = real(self, complete)
        calls.append(complete)
        if len(calls) == count:
            raise KeyboardInterrupt
        return result

    monkeypatch.setattr(shard_series.ShardSeries, "_write_manifest", write_then_stop)


@pytest.mark.parametrize("stop_after", [1, 4, 9])
def test_a_resumed_run_writes_what_an_uninterrupted_one_writes(tmp_path, inputs, monkeypatch, capsys, stop_after):
    paths, _ = inputs
    args = [*paths, "--format", "megatron", "--shard-tokens", 150_000, "--append-eos", "-q"]
    assert run_cli(*args[:3], "-o", tmp_path / "whole" / "t", *args[3:]) == 0
    whole = folder_bytes(tmp_path / "whole")
    with monkeypatch.context() as m:
        _stop_after_shards(m, stop_after)
        assert run_cli(*args[:3], "-o", tmp_path / "cut" / "t", *args[3:]) == 130  # interrupted
    partial = json.loads((tmp_path / "cut" / "t.manifest.json").read_text())
    assert partial["complete"] is False and len(partial["shards"]) == stop_after
    assert run_cli(*args[:3], "-o", tmp_path / "cut" / "t", *args[3:], "--resume") == 0
    assert folder_bytes(tmp_path / "cut") == whole
    # Resuming a complete output changes nothing.
    assert run_cli(*args[:3], "-o", tmp_path / "cut" / "t", *args[3:], "--resume") == 0
    assert folder_bytes(tmp_path / "cut") == whole


def test_a_damaged_shard_is_written_again_on_resume(tmp_path, capsys):
    args = [TEXT_INPUTS[0], "-o", tmp_path / "t", "--shard-tokens", 100_000, "-q"]
    assert run_cli(*args) == 0
    whole = folder_bytes(tmp_path)
    victim = tmp_path / "t-00002.bin"
    data = bytearray(victim.read_bytes())
    data[100] ^= 0xFF
    victim.write_bytes(bytes(data))
    (tmp_path / "t-00004.bin").unlink()
    assert run_cli(*args, "--resume") == 0
    assert "t-00002.bin: its SHA-256 is not the one recorded; writing it again from there" in capsys.readouterr().err
    assert folder_bytes(tmp_path) == whole


def test_resume_refuses_other_arguments_and_unresumable_runs(tmp_path, capsys):
    prefix = tmp_path / "t"
    assert run_cli(TEXT_INPUTS[0], "-o", prefix, "--shard-tokens", 200_000, "-q") == 0
    before = folder_bytes(tmp_path)
    cases = [
        (["--shard-tokens", 100_000, "--resume"], "differing: shard_limit"),
        (["--shard-tokens", 200_000, "--resume", "--format", "npy"], "differing: format"),
        (["--shard-tokens", 200_000, "--resume", "--append-eos"], "differing: append_eos, eos_id"),
        (["--resume"], "--resume goes on with a sharded output"),
        (["--shard-tokens", 200_000], "already exist; use --overwrite to replace it, or --resume"),
        (["--shard-tokens", 200_000, "--shard-size", "1MB"], "not both"),
        (["--shard-size", "12 parsecs"], "give a number of bytes or a size"),
        (["--shard-tokens", 0], "--shard-tokens must be at least 1"),
    ]
    for extra, message in cases:
        assert run_cli(TEXT_INPUTS[0], "-o", prefix, *extra, "-q") == 2
        assert message in capsys.readouterr().err, extra
    assert run_cli(TEXT_INPUTS[1], "-o", prefix, "--shard-tokens", 200_000, "--resume", "-q") == 2
    assert "differing: inputs" in capsys.readouterr().err
    assert folder_bytes(tmp_path) == before
    assert run_cli("-", "-o", tmp_path / "u", "--shard-tokens", 10, "--resume") == 2
    assert "--resume cannot read standard input again" in capsys.readouterr().err


def test_overwrite_with_fewer_shards_removes_the_old_ones(tmp_path, gpt2):
    prefix = tmp_path / "t"
    assert run_cli(TEXT_INPUTS[0], "-o", prefix, "--shard-tokens", 100_000, "-q") == 0
    many = len(json.loads((tmp_path / "t.manifest.json").read_text())["shards"])
    assert run_cli(TEXT_INPUTS[0], "-o", prefix, "--shard-tokens", 300_000, "--overwrite", "-q") == 0
    manifest = json.loads((tmp_path / "t.manifest.json").read_text())
    assert len(manifest["shards"]) < many
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        ["t.manifest.json"] + [n for s in manifest["shards"] for n in s["files"]]
    )
    # A single shard written over the series takes its place: no shard of the series is left.
    assert run_cli(TEXT_INPUTS[0], "-o", prefix, "--overwrite", "-q") == 0
    assert sorted(p.name for p in tmp_path.iterdir()) == ["t.bin", "t.meta.json"]


def test_killed_runs_resume_to_the_same_bytes(tmp_path, inputs):
    """SIGKILL at random moments (reading, encoding, writing a shard, renaming, rewriting the
    manifest), then ``--resume``, sometimes killed again: the same files as an uninterrupted run.
    After every kill, each shard the manifest lists is whole (its size and SHA-256)."""
    paths, _ = inputs
    args = [*paths, "--format", "npy", "--shard-tokens", 120_000, "--batch-mb", "0.25", "--workers", "1", "-q"]
    whole_dir = tmp_path / "whole"
    subprocess.run(encode_command(*args, "-o", whole_dir / "t"), check=True)
    whole = folder_bytes(whole_dir)
    started = time.monotonic()
    subprocess.run(encode_command(*args, "-o", tmp_path / "timing" / "t"), check=True)
    duration = time.monotonic() - started
    rng = random.Random(11)
    kills = 0
    for trial in range(6):
        out = tmp_path / f"run{trial}"
        kills += runs_killed_at_random(lambda extra, out=out: encode_command(*args, *extra, "-o", out / "t"),
                                       out, 3, duration, rng)
        subprocess.run(encode_command(*args, "--resume", "-o", out / "t"), check=True)
        assert folder_bytes(out) == whole, trial
        assert not any(".tmp-" in name or name.endswith(".lock") for name in os.listdir(out))
    assert kills >= 6  # most attempts were cut short
