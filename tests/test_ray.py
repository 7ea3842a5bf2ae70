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
