"""tokembed.ray on a local Ray instance (2 CPUs, actors of half a CPU so the pool cannot wait
forever for CPUs): a Ray Dataset of real corpus documents tokenized on an actor pool, written
as shards, reads back with exactly the ids of ``encode_batch_flat``."""

from __future__ import annotations

import os
import pickle

import pytest
import ray  # in the test extra: a missing Ray must fail the run, not skip it
import ray.data  # noqa: F401

import tokembed
import tokembed.ray as tokembed_ray
from tokembed.data import open_shards
from conftest import CORPORA
from shard_reference import corpus_documents, read_documents_independently


@pytest.fixture(scope="module")
def local_ray():
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False, configure_logging=False)
    ray.data.DataContext.get_current().enable_progress_bars = False
    yield ray
    ray.shutdown()


@pytest.fixture(scope="module")
def documents():
    # A few hundred real documents of every corpus: enough for many batches and blocks.
    return [d for path in CORPORA for d in corpus_documents(path)[:300]]


def test_tokenizers_pickle_as_their_files():
    for name in ("gpt2", "bert-base-uncased"):
        tok = tokembed.Tokenizer.builtin(name)
        clone = pickle.loads(pickle.dumps(tok))
        texts = [p.read_text(encoding="utf-8")[:2000] for p in CORPORA]
        assert [a.tolist() for a in tok.encode_batch_flat(texts)] == [a.tolist() for a in clone.encode_batch_flat(texts)]


@pytest.mark.parametrize("fmt", ["npy", "megatron", "parquet"])
def test_actor_pool_tokenization_writes_the_same_shards(local_ray, documents, tmp_path, fmt):
    gpt2 = tokembed.Tokenizer.builtin("gpt2")
    ds = local_ray.data.from_items([{"text": d} for d in documents], override_num_blocks=6)
    tokenized = tokembed_ray.tokenize_dataset(
        ds, gpt2, append_eos=True, concurrency=2, num_cpus=0.5, batch_size=200
    )
    manifest = tokembed_ray.write_shards(tokenized, tmp_path / "ray", tokenizer=gpt2, format=fmt, num_cpus=0.25)
    ids, offsets = gpt2.encode_batch_flat(documents)
    expected = [ids[offsets[i] : offsets[i + 1]].tolist() + [50256] for i in range(len(documents))]
    # Each shard read without tokembed, in the manifest's order.
    docs = []
    for shard in manifest["shards"]:
        docs += read_documents_independently(str(tmp_path / shard["prefix"]), fmt, manifest["dtype"])[1]
    assert [d.tolist() for d in docs] == expected
    ours = open_shards(tmp_path / "ray", verify=True)
    assert [ours.document(i).tolist() for i in range(len(ours))] == expected
    assert manifest["documents"] == len(documents) and manifest["tokens"] == sum(map(len, expected))
    assert len(manifest["shards"]) > 1
    files = [name for shard in manifest["shards"] for name in shard["files"]]
    assert sorted(os.listdir(tmp_path)) == sorted(files + ["ray.manifest.json"])
    # Written again over itself with overwrite: the same shards; without it: refused.
    with pytest.raises(FileExistsError, match="overwrite=True"):
        tokembed_ray.write_shards(tokenized, tmp_path / "ray", tokenizer=gpt2, format=fmt)


def test_tokenized_dataset_has_a_list_uint32_column(local_ray, documents):
    import pyarrow as pa

    ds = local_ray.data.from_items([{"text": d, "n": i} for i, d in enumerate(documents[:50])])
    tokenized = tokembed_ray.tokenize_dataset(ds, "gpt2", concurrency=1, num_cpus=0.5, keep_text=True)
    table = pa.concat_tables(list(tokenized.iter_batches(batch_format="pyarrow", batch_size=None)))
    assert table.schema.field("ids").type == pa.list_(pa.uint32())
    gpt2 = tokembed.Tokenizer.builtin("gpt2")
    rows = sorted(table.to_pylist(), key=lambda r: r["n"])
    assert [r["ids"] for r in rows] == [gpt2.encode_batch_flat([r["text"]])[0].tolist() for r in rows]


# ----- encode_on_ray: the driver joins only units that are finished --------------------------------


@pytest.fixture(scope="module")
def input_files(tmp_path_factory, documents):
    folder = tmp_path_factory.mktemp("inputs")
    paths = []
    for k in range(3):
        path = folder / f"part-{k}.txt"
        path.write_text("\n".join(d for d in documents[k::3] if d.strip() and d.splitlines() == [d]) + "\n",
                        encoding="utf-8")
        paths.append(str(path))
    return paths


def _encode(paths, out, **extra):
    return tokembed_ray.encode_on_ray(paths, out, "gpt2", shard_tokens=6000, format="megatron", append_eos=True,
                                      num_cpus=0.5, quiet=True, **extra)


def _without_last_shard(unit_prefix):
    """The manifest of a unit as its writer leaves it while the last shard is being written."""
    from tokembed.data import read_manifest

    manifest = read_manifest(unit_prefix)
    assert manifest["complete"] is True and len(manifest["shards"]) > 1
    half = dict(manifest, complete=False, shards=manifest["shards"][:-1])
    half["documents"] -= manifest["shards"][-1]["documents"]
    half["tokens"] -= manifest["shards"][-1]["tokens"]
    return manifest, half


def test_encode_on_ray_waits_for_a_unit_another_process_is_writing(local_ray, input_files, tmp_path, monkeypatch):
    """A worker of a killed run, not reaped yet, may take a unit's lock after this run's task
    ended: the driver waits for the lock and reads the unit as that worker leaves it."""
    import json
    import threading

    from tokembed.corpus.outputs import locked_output
    from tokembed.data import manifest_path
    from tokembed.integrations import ray_shards

    reference = _encode(input_files, tmp_path / "reference" / "t")
    real = ray_shards._encode_units
    unit = str(tmp_path / "out" / "t-00001")
    holding, released = threading.Event(), threading.Event()

    def other_writer():
        with locked_output(unit):
            whole, half = _without_last_shard(unit)
            path = manifest_path(unit)
            with open(path, "w", encoding="utf-8") as f:
                json.dump(half, f)
            holding.set()
            released.wait(1.5)  # the driver is kept waiting meanwhile
            with open(path, "w", encoding="utf-8") as f:
                json.dump(whole, f)

    def tasks_then_another_writer(*args):
        done = real(*args)
        threading.Thread(target=other_writer, daemon=True).start()
        assert holding.wait(30)
        return done

    monkeypatch.setattr(ray_shards, "_encode_units", tasks_then_another_writer)
    manifest = _encode(input_files, tmp_path / "out" / "t")
    released.set()
    for m in (manifest, reference):
        m.pop("nodes")
    assert manifest == reference


def test_encode_on_ray_resumes_a_unit_left_unfinished(local_ray, input_files, tmp_path, monkeypatch, capfd):
    """A unit found unfinished after its task ended is encoded (resumed) again, never joined
    half-written: the output is that of an uninterrupted run."""
    import json

    from tokembed.data import manifest_path
    from tokembed.integrations import ray_shards

    reference = _encode(input_files, tmp_path / "reference" / "t")
    real = ray_shards._encode_units
    unit = str(tmp_path / "out" / "t-00002")
    calls = []

    def tasks_then_unit_unfinished(ds, *args):
        done = real(ds, *args)
        calls.append(sorted(r["input"] for r in done))
        if len(calls) == 1:  # as a killed run's worker leaves it: the last shard gone, unlisted
            whole, half = _without_last_shard(unit)
            for name in whole["shards"][-1]["files"]:
                os.remove(tmp_path / "out" / name)
            with open(manifest_path(unit), "w", encoding="utf-8") as f:
                json.dump(half, f)
        return done

    monkeypatch.setattr(ray_shards, "_encode_units", tasks_then_unit_unfinished)
    manifest = _encode(input_files, tmp_path / "out" / "t")
    assert calls == [[0, 1, 2], [2]]
    assert "t-00002: not complete after their tasks ended; resuming them" in capfd.readouterr().err
    for m in (manifest, reference):
        m.pop("nodes")
    assert manifest == reference
    names = sorted(os.listdir(tmp_path / "out"))
    assert names == sorted(os.listdir(tmp_path / "reference"))
    for name in names:
        assert (tmp_path / "out" / name).read_bytes() == (tmp_path / "reference" / name).read_bytes(), name
