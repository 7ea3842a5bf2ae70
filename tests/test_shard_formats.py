"""Shard writers and readers: what one writes, the other reads back exactly, and so does an
independent reader written from the format description (tests/shard_reference.py); batch
boundaries, empty documents, dtypes, and no file under a final name before close."""

from __future__ import annotations

import os

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tokembed.data import FORMATS, MegatronIndexedDataset, open_shards, open_writer, read_bin
from tokembed.data.formats import choose_dtype
from tokembed.data.metadata import write_metadata
from shard_reference import read_documents_independently, read_megatron_independently

DTYPE_MAX = {"uint16": 0xFFFF, "uint32": 0xFFFFFFFF, "int32": 0x7FFFFFFF}


def write_batches(prefix, fmt, dtype, batches):
    with open_writer(prefix, fmt, dtype) as w:
        for docs in batches:
            lengths = [len(d) for d in docs]
            offsets = np.zeros(len(docs) + 1, dtype=np.int64)
            np.cumsum(lengths, out=offsets[1:])
            ids = np.array([i for d in docs for i in d], dtype=np.uint32)
            w.write(ids, offsets)
    write_metadata(prefix, {"format": fmt, "dtype": dtype})  # as the CLI does, last
    return w


def check_round_trip(prefix, fmt, dtype, batches):
    docs = [d for batch in batches for d in batch]
    flat = np.array([i for d in docs for i in d], dtype=np.int64)
    stored, independent_docs, independent_ids = read_documents_independently(prefix, fmt)
    assert stored == dtype
    assert independent_ids.astype(np.int64).tolist() == flat.tolist()
    ours = open_shards(prefix)
    assert np.asarray(ours.ids, dtype=np.int64).tolist() == flat.tolist()
    if fmt == "bin":
        assert ours.offsets is None
        return
    assert [d.astype(np.int64).tolist() for d in independent_docs] == docs
    assert len(ours) == len(docs)
    assert [ours.document(i).astype(np.int64).tolist() for i in range(len(docs))] == docs


def writable_dtypes(fmt):
    return {"megatron": ["uint16", "int32"], "parquet": ["uint32", "uint16"]}.get(fmt, ["uint16", "uint32", "int32"])


@pytest.mark.parametrize("fmt", FORMATS)
def test_each_dtype_round_trips_with_the_largest_id(tmp_path, fmt):
    for dtype in writable_dtypes(fmt):
        top = DTYPE_MAX[dtype]
        batches = [[[0, 1, top], [], [top, 7]], [[5]], [], [[top - 1] * 3, [2]]]
        prefix = str(tmp_path / f"{fmt}_{dtype}")
        write_batches(prefix, fmt, dtype, batches)
        check_round_trip(prefix, fmt, dtype, batches)


@settings(max_examples=40, deadline=None)
@given(
    fmt=st.sampled_from(FORMATS),
    batches=st.lists(
        st.lists(st.lists(st.integers(0, 0xFFFF), max_size=30), max_size=8),
        max_size=6,
    ),
)
def test_any_batches_round_trip(tmp_path_factory, fmt, batches):
    prefix = str(tmp_path_factory.mktemp("h") / "shard")
    dtype = "uint16" if fmt != "parquet" else "uint32"
    write_batches(prefix, fmt, dtype, batches)
    check_round_trip(prefix, fmt, dtype, batches)


@pytest.mark.parametrize("fmt", FORMATS)
def test_nothing_under_a_final_name_until_close_and_nothing_left_after_abort(tmp_path, fmt):
    prefix = str(tmp_path / "shard")
    w = open_writer(prefix, fmt, "uint32" if fmt == "parquet" else "uint16")
    w.write(np.arange(10, dtype=np.uint32), np.array([0, 4, 10]))
    assert not any(os.path.exists(p) for p in w.paths)
    assert any(".tmp-" in name for name in os.listdir(tmp_path))
    w.abort()
    assert os.listdir(tmp_path) == []


@pytest.mark.parametrize("fmt", FORMATS)
def test_an_exception_inside_the_block_aborts(tmp_path, fmt):
    prefix = str(tmp_path / "shard")
    with pytest.raises(RuntimeError, match="boom"):
        with open_writer(prefix, fmt, "uint16") as w:
            w.write(np.arange(10, dtype=np.uint32), np.array([0, 10]))
            raise RuntimeError("boom")
    assert os.listdir(tmp_path) == []


def test_close_replaces_an_older_shard_whole(tmp_path):
    prefix = str(tmp_path / "shard")
    write_batches(prefix, "megatron", "uint16", [[[1, 2, 3]] * 5])
    write_batches(prefix, "megatron", "uint16", [[[9]]])
    _, sequences, doc_idx = read_megatron_independently(prefix)
    assert [s.tolist() for s in sequences] == [[9]] and doc_idx.tolist() == [0, 1]
    assert sorted(os.listdir(tmp_path)) == ["shard.bin", "shard.idx", "shard.meta.json"]


def test_ids_that_do_not_fit_the_dtype_are_refused(tmp_path):
    with open_writer(str(tmp_path / "s"), "bin", "uint16") as w:
        with pytest.raises(ValueError, match="65536 does not fit uint16"):
            w.write(np.array([1, 65536], dtype=np.uint32), np.array([0, 2]))
        w.abort()
    with pytest.raises(ValueError, match="offsets"):
        open_writer(str(tmp_path / "t"), "bin", "uint16").write(np.arange(3, dtype=np.uint32), np.array([0, 2]))


def test_dtype_choice():
    assert choose_dtype("bin", "auto", 50256) == "uint16"
    assert choose_dtype("bin", "auto", 65535) == "uint16"
    assert choose_dtype("bin", "auto", 65536) == "uint32"
    assert choose_dtype("npy", "auto", 100276) == "uint32"
    assert choose_dtype("megatron", "auto", 100276) == "int32"  # Megatron has no uint32 code
    assert choose_dtype("megatron", "auto", 50256) == "uint16"
    assert choose_dtype("parquet", "auto", 50256) == "uint32"
    with pytest.raises(ValueError, match="does not fit uint16"):
        choose_dtype("bin", "uint16", 100276)
    with pytest.raises(ValueError, match="no uint32 code"):
        choose_dtype("megatron", "uint32", 10)
    with pytest.raises(ValueError, match="unknown shard format"):
        choose_dtype("hdf5", "auto", 10)


def test_megatron_reader_reads_several_sequences_per_document(tmp_path):
    # Megatron's builder can put several sequences (sentences) in a document; write such an
    # index by hand from the format description and read it with ours.
    import struct

    sequences = [[1, 2], [3], [4, 5, 6], [], [7]]
    doc_idx = [0, 2, 3, 5]
    data = np.array([i for s in sequences for i in s], dtype="<u2")
    sizes = np.array([len(s) for s in sequences], dtype="<i4")
    pointers = np.concatenate([[0], np.cumsum(sizes)[:-1] * 2]).astype("<i8")
    (tmp_path / "m.bin").write_bytes(data.tobytes())
    header = b"MMIDIDX\x00\x00" + struct.pack("<QBQQ", 1, 8, len(sequences), len(doc_idx))
    (tmp_path / "m.idx").write_bytes(header + sizes.tobytes() + pointers.tobytes() + np.array(doc_idx, "<i8").tobytes())
    ds = MegatronIndexedDataset(tmp_path / "m")
    assert len(ds) == 5 and [ds[i].tolist() for i in range(5)] == sequences
    shards = open_shards(tmp_path / "m")
    assert [shards.document(j).tolist() for j in range(len(shards))] == [[1, 2, 3], [4, 5, 6], [7]]
    with pytest.raises(IndexError):
        ds[5]


def test_raw_bin_needs_a_dtype_without_metadata(tmp_path):
    np.arange(5, dtype="<u2").tofile(tmp_path / "x.bin")
    with pytest.raises(ValueError, match="dtype"):
        read_bin(tmp_path / "x.bin")
    assert read_bin(tmp_path / "x.bin", "uint16").tolist() == [0, 1, 2, 3, 4]
    assert open_shards(tmp_path / "x", dtype="uint16").ids.tolist() == [0, 1, 2, 3, 4]


def test_npy_shard_is_a_real_memory_mapped_npy(tmp_path):
    prefix = str(tmp_path / "s")
    write_batches(prefix, "npy", "uint16", [[[1, 2], [3]]])
    ids = np.load(prefix + ".npy", mmap_mode="r")
    assert isinstance(ids, np.memmap) and ids.dtype == np.dtype("<u2") and ids.tolist() == [1, 2, 3]
    assert isinstance(open_shards(prefix).ids, np.memmap)
