"""Training windows, packing and TokenDataset, each against a straightforward Python reference
(the LLMs-from-scratch data loader's loop for windows), on real shards and generated input."""

from __future__ import annotations

import pickle
from multiprocessing import get_context

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import tokembed
from tokembed.data import TokenDataset, open_shards, pack_documents, sliding_windows, window_count
from tokembed.cli import main
from conftest import CORPORA


def reference_windows(token_ids, max_length, stride):
    # The loop of LLMs-from-scratch's GPTDatasetV1 (chapter 2), written out again.
    inputs, targets = [], []
    for i in range(0, len(token_ids) - max_length, stride):
        inputs.append(token_ids[i : i + max_length])
        targets.append(token_ids[i + 1 : i + max_length + 1])
    return inputs, targets


def reference_packing(docs, row_length, eos_id, drop_last, pad_id):
    stream = []
    for d in docs:
        stream.extend(d)
        if eos_id is not None:
            stream.append(eos_id)
    rows = [stream[i : i + row_length] for i in range(0, len(stream), row_length)]
    if rows and len(rows[-1]) < row_length:
        if drop_last:
            rows.pop()
        else:
            rows[-1] = rows[-1] + [pad_id] * (row_length - len(rows[-1]))
    return rows


@settings(max_examples=200, deadline=None)
@given(
    ids=st.lists(st.integers(0, 60000), max_size=200),
    max_length=st.integers(1, 40),
    stride=st.integers(1, 50),
)
def test_sliding_windows_match_the_reference_loop(ids, max_length, stride):
    arr = np.array(ids, dtype=np.uint16)
    inputs, targets = sliding_windows(arr, max_length, stride)
    ref_in, ref_tg = reference_windows(ids, max_length, stride)
    assert inputs.shape == targets.shape == (len(ref_in), max_length)
    assert inputs.tolist() == ref_in and targets.tolist() == ref_tg
    assert window_count(len(ids), max_length, stride) == len(ref_in)
    assert inputs.dtype == np.uint16


def test_sliding_windows_on_a_real_corpus_are_views_of_the_ids():
    ids, _ = tokembed.Tokenizer.builtin("gpt2").encode_batch_flat([CORPORA[2].read_text(encoding="utf-8")[:50_000]])
    inputs, targets = sliding_windows(ids, 256, 128)
    ref_in, ref_tg = reference_windows(ids.tolist(), 256, 128)
    assert inputs.tolist() == ref_in and targets.tolist() == ref_tg
    assert np.shares_memory(inputs, ids) and not inputs.flags.writeable
    with pytest.raises(ValueError):
        sliding_windows(ids, 0, 1)
    with pytest.raises(ValueError):
        sliding_windows(ids, 4, 0)
    with pytest.raises(ValueError):
        sliding_windows(ids.reshape(1, -1), 4, 1)


@settings(max_examples=200, deadline=None)
@given(
    docs=st.lists(st.lists(st.integers(0, 1000), max_size=20), max_size=12),
    row_length=st.integers(1, 17),
    eos=st.sampled_from([None, 50256]),
    drop_last=st.booleans(),
)
def test_packing_matches_the_reference(docs, row_length, eos, drop_last):
    ids = np.array([i for d in docs for i in d], dtype=np.uint32)
    offsets = np.concatenate([[0], np.cumsum([len(d) for d in docs], dtype=np.int64)]).astype(np.int64)
    rows = pack_documents(ids, offsets, row_length, eos, drop_last=drop_last, pad_id=0)
    expected = reference_packing(docs, row_length, eos, drop_last, 0)
    assert rows.shape == (len(expected), row_length)
    assert rows.tolist() == expected


def test_packing_checks_its_arguments():
    ids = np.arange(6, dtype=np.uint32)
    with pytest.raises(ValueError, match="pad_id"):
        pack_documents(ids, [0, 6], 4, drop_last=False)
    with pytest.raises(ValueError, match="offsets"):
        pack_documents(ids, [0, 5], 4)
    with pytest.raises(ValueError, match="row_length"):
        pack_documents(ids, [0, 6], 0)


@pytest.fixture(scope="module")
def shards(tmp_path_factory):
    folder = tmp_path_factory.mktemp("shards")
    prefixes = []
    for i, (path, fmt) in enumerate([(CORPORA[2], "bin"), (CORPORA[3], "megatron"), (CORPORA[0], "npy")]):
        prefix = folder / f"s{i}"
        assert main(["encode", str(path), "-o", str(prefix), "--format", fmt, "--append-eos", "-q"]) == 0
        prefixes.append(prefix)
    return prefixes


def test_token_dataset_over_shards_matches_the_reference_windows(shards):
    ds = TokenDataset(shards, max_length=64, stride=48)
    expected_in, expected_tg = [], []
    for prefix in shards:
        ids = np.asarray(open_shards(prefix).ids).tolist()
        ref_in, ref_tg = reference_windows(ids, 64, 48)
        expected_in += ref_in
        expected_tg += ref_tg
    assert len(ds) == len(expected_in) > 1000
    for i in [0, 1, len(ds) // 3, len(ds) // 2, len(ds) - 1, -1]:
        inputs, targets = ds[i]
        assert inputs.dtype == targets.dtype == np.int64 and inputs.shape == (64,)
        assert inputs.tolist() == expected_in[i] and targets.tolist() == expected_tg[i]
    all_inputs = [ds[i][0].tolist() for i in range(len(ds))]
    assert all_inputs == expected_in
    with pytest.raises(IndexError):
        ds[len(ds)]


def test_token_dataset_default_stride_is_non_overlapping_and_arrays_work(shards):
    ids = np.asarray(open_shards(shards[0]).ids)
    ds = TokenDataset(ids, max_length=100)
    ref_in, _ = reference_windows(ids.tolist(), 100, 100)
    assert len(ds) == len(ref_in) and ds[5][0].tolist() == ref_in[5]


def _second_window(ds):
    return ds[1][0].tolist()


def test_token_dataset_pickles_for_dataloader_workers(shards):
    ds = TokenDataset(shards, max_length=32, stride=32)
    clone = pickle.loads(pickle.dumps(ds))
    assert len(clone) == len(ds) and clone[7][1].tolist() == ds[7][1].tolist()
    # What a DataLoader with workers does: send the dataset to other processes.
    with get_context("spawn").Pool(1) as pool:
        assert pool.apply(_second_window, (ds,)) == ds[1][0].tolist()
