"""A real two-node Ray cluster on this machine (a head and a second raylet, each started with
``ray start`` and given one CPU, tasks of a fraction of one): shards written by the workers of
both nodes, read back through the manifest, equal ``encode_batch_flat`` on the documents in
order; the driver's memory does not grow with the output; a ``tokembed encode --ray`` job killed
(SIGKILL) at random points and resumed leaves the same bytes as an uninterrupted one."""

from __future__ import annotations

import json
import os
import random
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import ray  # noqa: F401 (in the test extra: a missing Ray must fail the run, not skip it)

import tokembed
from tokembed.data import open_shards
from conftest import CORPORA
from shard_reference import corpus_documents, runs_killed_at_random

# Ray 2.5x asks for a token unless told otherwise; a local test cluster needs none.
ENV = dict(os.environ, RAY_AUTH_MODE="disabled")
# The `ray` command of the interpreter running the tests (installed beside it by pip).
RAY = os.path.join(os.path.dirname(sys.executable), "ray")
PEAK_PROBE = (
    "import resource, sys\n"
    "from tokembed.cli import main\n"
    "code = main(sys.argv[1:])\n"
    "print('PEAK_KB', resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, file=sys.stderr)\n"
    "sys.exit(code)\n"
)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def cluster():
    os.environ["RAY_AUTH_MODE"] = "disabled"
    subprocess.run([RAY, "stop", "--force"], env=ENV, capture_output=True)
    port = _free_port()
    address = f"127.0.0.1:{port}"
    common = ["--num-cpus=1", "--disable-usage-stats"]
    subprocess.run([RAY, "start", "--head", f"--port={port}", "--include-dashboard=false", *common],
                   env=ENV, check=True, capture_output=True, timeout=180)
    try:
        subprocess.run([RAY, "start", f"--address={address}", *common], env=ENV, check=True,
                       capture_output=True, timeout=180)
        # Every driver below is a new process: this one may have run another Ray session
        # (tests/test_ray.py), whose leftovers made in-process drivers fail here (OwnerDiedError).
        yield address
    finally:
        subprocess.run([RAY, "stop", "--force"], env=ENV, capture_output=True, timeout=120)


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    """Many files: every shared corpus (20 MB in all) cut into pieces of 10,000 lines (the last
    piece of each is shorter), and their documents in order. Lines that Python's
    ``str.splitlines`` would cut (a form feed, U+2028 ...) and lines of white space only are
    left out: Ray's ``read_text`` splits at the first and drops the second, ``tokembed encode``
    splits only at newlines and keeps every line that is not empty."""
    folder = tmp_path_factory.mktemp("corpus")
    paths, docs = [], []
    for path in CORPORA:
        lines = [line for line in corpus_documents(path) if line.splitlines() == [line] and line.strip()]
        for k in range(0, len(lines), 10_000):
            part = folder / f"{path.stem}-{k // 10_000:02d}.txt"
            part.write_text("\n".join(lines[k:k + 10_000]) + "\n", encoding="utf-8")
            paths.append(part)
            docs += lines[k:k + 10_000]
    return paths, docs


def expected_documents(docs, eos=None):
    gpt2 = tokembed.Tokenizer.builtin("gpt2")
    ids, offsets = gpt2.encode_batch_flat(docs)
    out = [ids[a:b].tolist() for a, b in zip(offsets[:-1], offsets[1:])]
    return [d + [eos] for d in out] if eos is not None else out


def read_back(prefix):
    data = open_shards(prefix, verify=True)
    return [data.document(i).tolist() for i in range(len(data))]


WRITE_SHARDS_DRIVER = """
import json, sys, time
import ray, ray.data
import tokembed.ray as tokembed_ray
ray.init(address=sys.argv[1], log_to_driver=False, configure_logging=False)
ray.data.DataContext.get_current().enable_progress_bars = False
deadline = time.monotonic() + 60
while len([n for n in ray.nodes() if n["Alive"]]) < 2:
    assert time.monotonic() < deadline, "the second node did not join"
    time.sleep(0.5)
paths = json.loads(sys.argv[3])
# Quarter CPUs everywhere, a block per file: every stage has room on both nodes. Tokenized by
# tasks (a TokenizeBatch instance as the function): an actor pool on two one-CPU raylets
# sometimes has an actor cancelled as it starts; tests/test_ray.py covers the pool.
ds = ray.data.read_text(paths, ray_remote_args={"num_cpus": 0.25}, override_num_blocks=len(paths))
ds = ds.filter(lambda row: row["text"] != "", num_cpus=0.25)
ds = ds.map_batches(tokembed_ray.TokenizeBatch("gpt2", append_eos=True), batch_format="pyarrow",
                    batch_size=500, num_cpus=0.25)
manifest = tokembed_ray.write_shards(ds, sys.argv[2], tokenizer="gpt2", format="npy", num_cpus=0.25)
print(json.dumps({"nodes": manifest.pop("nodes"), "manifest": manifest}))
"""


def test_write_shards_from_the_workers_of_both_nodes(cluster, corpus, tmp_path):
    paths, docs = corpus
    prefix = tmp_path / "out" / "train"
    result = subprocess.run(
        [sys.executable, "-c", WRITE_SHARDS_DRIVER, cluster, str(prefix), json.dumps([str(p) for p in paths])],
        env=ENV, capture_output=True, text=True, timeout=600,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    reported = json.loads(result.stdout.strip().splitlines()[-1])
    manifest = reported["manifest"]
    assert len(reported["nodes"]) == 2  # written on both nodes
    assert len(manifest["shards"]) > 2
    assert read_back(prefix) == expected_documents(docs, eos=50256)
    assert json.loads((tmp_path / "out" / "train.manifest.json").read_text()) == manifest
    assert sorted(os.listdir(tmp_path / "out")) == sorted(
        ["train.manifest.json"] + [n for s in manifest["shards"] for n in s["files"]]
    )


def _encode_on_ray(cluster, paths, prefix, *extra, check=True):
    command = [sys.executable, "-c", PEAK_PROBE, "encode", *map(str, paths), "-o", str(prefix), "--ray", cluster,
               "--ray-cpus", "0.5", "--shard-tokens", "60000", "--format", "megatron", "--append-eos", *extra]
    result = subprocess.run(command, env=ENV, capture_output=True, text=True, timeout=600)
    if check:
        assert result.returncode == 0, result.stderr[-3000:]
    return result


def folder_bytes(folder: Path):
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir()) if p.is_file()}


def test_encode_on_ray_reads_and_writes_on_both_nodes_with_a_flat_driver(cluster, corpus, tmp_path):
    paths, docs = corpus
    small = _encode_on_ray(cluster, paths[:2], tmp_path / "small" / "t")
    big = _encode_on_ray(cluster, paths, tmp_path / "big" / "t")
    assert "on 2 node(s)" in big.stderr
    assert read_back(tmp_path / "big" / "t") == expected_documents(docs, eos=50256)
    manifest = json.loads((tmp_path / "big" / "t.manifest.json").read_text())
    assert [i["path"] for i in manifest["inputs"]] == [str(p) for p in paths]
    assert manifest["skipped"] == {}
    # Every input's documents, in order, from its own shards.
    assert [s["sources"][0]["input"] for s in manifest["shards"]] == sorted(s["sources"][0]["input"] for s in manifest["shards"])

    def peak_mb(result):
        return int(result.stderr.split("PEAK_KB")[1].split()[0]) / 1024

    def output_mb(folder):
        return sum(f.stat().st_size for f in folder.iterdir()) / 1e6

    grown = output_mb(tmp_path / "big") - output_mb(tmp_path / "small")
    print(f"driver peak {peak_mb(small):.1f} -> {peak_mb(big):.1f} MB while the output grew by {grown:.1f} MB")
    assert grown > 8
    # The driver never holds ids: its peak grows by a small fraction of what the output grew.
    assert peak_mb(big) - peak_mb(small) < 0.25 * grown, (peak_mb(small), peak_mb(big), grown)


def test_a_killed_ray_job_resumes_to_the_same_bytes(cluster, corpus, tmp_path):
    paths, _ = corpus
    whole_dir = tmp_path / "whole"
    started = time.monotonic()
    _encode_on_ray(cluster, paths, whole_dir / "t")
    duration = time.monotonic() - started
    whole = folder_bytes(whole_dir)
    rng = random.Random(5)
    kills = 0
    for trial in range(3):
        out = tmp_path / f"run{trial}"

        def command(extra, out=out):
            return [sys.executable, "-m", "tokembed", "encode", *map(str, paths), "-o", str(out / "t"), "--ray",
                    cluster, "--ray-cpus", "0.5", "--shard-tokens", "60000", "--format", "megatron",
                    "--append-eos", "-q", *extra]

        kills += runs_killed_at_random(command, out, 2, duration, rng, env=ENV)
        _encode_on_ray(cluster, paths, out / "t", "--resume")
        left = {n for n in os.listdir(out) if ".tmp-" in n or n.endswith(".lock")}
        deadline = time.monotonic() + 30
        while left and time.monotonic() < deadline:  # a killed worker may still be exiting
            time.sleep(0.5)
            left = {n for n in os.listdir(out) if ".tmp-" in n or n.endswith(".lock")}
        assert folder_bytes(out) == whole, trial
    assert kills >= 3


def test_encode_on_ray_refuses_what_it_cannot_do(cluster, corpus, tmp_path):
    paths, _ = corpus
    _encode_on_ray(cluster, paths[:2], tmp_path / "t")
    again = _encode_on_ray(cluster, paths[:2], tmp_path / "t", check=False)
    assert again.returncode == 2 and "--resume" in again.stderr and "--overwrite" in again.stderr
    other = _encode_on_ray(cluster, paths[:2], tmp_path / "t", "--resume", "--format", "npy", check=False)
    assert other.returncode == 2 and "differing: format" in other.stderr
    stdin = _encode_on_ray(cluster, ["-"], tmp_path / "u", check=False)
    assert stdin.returncode == 2 and "standard input" in stdin.stderr
