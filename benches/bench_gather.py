"""Embedding tables: tokembed's gather and fused BERT input embedding against NumPy (and torch).

    python benches/bench_gather.py [--repeats 7]

1. Gather from a 50257 x 768 float32 table (GPT-2 sized) with ids (256, 2048) into a
   preallocated `out=` (1.6 GB): tokembed `table.lookup(ids, out=out)` on 1 and 2 threads,
   against `np.take(weights, ids, axis=0, out=out)` (default mode, which checks ids like we do),
   `np.take(..., mode="clip")` (no check), and `np.copyto` of an array of the same size as the
   output: a plain memory copy, the bandwidth a gather can hope to reach.
2. BERT-base input embedding, B=32, S=512, D=768 (word 30522 rows, 512 positions, 2 types,
   LayerNorm): tokembed `InputEmbedder` into `out=` against the best NumPy version we could
   write (take into a preallocated buffer, in-place adds, LayerNorm with in-place ops and einsum).
Torch rows (F.embedding, F.layer_norm) are added when torch is importable.
GB/s is bytes of output written per second; every time is the median of --repeats runs.
"""

from __future__ import annotations

import argparse
import os

import numpy as np

import tokembed
from common import median_seconds, print_table

VOCAB, DIM, BATCH, LENGTH = 50257, 768, 256, 2048
BERT_VOCAB, BERT_POSITIONS, BERT_TYPES, B, S, EPS = 30522, 512, 2, 32, 512, 1e-12


def torch_or_none():
    try:
        import torch
    except ImportError:
        return None
    return torch


def gather_rows(repeats: int) -> list:
    rng = np.random.default_rng(0)
    weights = rng.standard_normal((VOCAB, DIM), dtype=np.float32)
    ids = rng.integers(0, VOCAB, (BATCH, LENGTH), dtype=np.int64)
    out = np.empty(ids.shape + (DIM,), dtype=np.float32)
    source = np.ones_like(out)
    table = tokembed.EmbeddingTable(weights)
    gb = out.nbytes / 1e9

    timings = {}
    for threads in (1, 2):
        tokembed.set_num_threads(threads)
        timings[f"tokembed lookup(out=), {threads} thread(s)"] = median_seconds(lambda: table.lookup(ids, out=out), repeats)
    assert np.array_equal(out, weights[ids]), "tokembed gather differs from NumPy"
    timings["np.take(out=)"] = median_seconds(lambda: np.take(weights, ids, axis=0, out=out), repeats)
    timings["np.take(out=, mode='clip')"] = median_seconds(
        lambda: np.take(weights, ids, axis=0, out=out, mode="clip"), repeats
    )
    timings["np.copyto (same size)"] = median_seconds(lambda: np.copyto(out, source), repeats)
    torch = torch_or_none()
    if torch is not None:
        tw, tids, tout = torch.from_numpy(weights), torch.from_numpy(ids.reshape(-1)), torch.from_numpy(out.reshape(-1, DIM))
        for threads in (1, 2):
            torch.set_num_threads(threads)
            timings[f"torch index_select(out=), {threads} thread(s)"] = median_seconds(
                lambda: torch.index_select(tw, 0, tids, out=tout), repeats
            )

    take, copy = timings["np.take(out=)"], timings["np.copyto (same size)"]
    return [
        [name, f"{t * 1e3:.1f}", f"{gb / t:.2f}", f"{take / t:.2f}x", f"{copy / t:.2f}"]
        for name, t in timings.items()
    ]


def numpy_bert(word, position, token_type, weight, bias, ids, types, out, scratch, stats):
    """The fastest NumPy version we found: no temporary of the output's size is allocated."""
    seq = ids.shape[1]
    np.take(word, ids, axis=0, out=out, mode="clip")
    np.take(token_type, types, axis=0, out=scratch, mode="clip")
    out += scratch  # (word + type) + position, PyTorch's order
    out += position[:seq]
    mean = np.mean(out, axis=-1, keepdims=True, out=stats[0])
    out -= mean
    var = np.einsum("bsd,bsd->bs", out, out, out=stats[1][..., 0])
    var /= out.shape[-1]
    var += EPS
    np.sqrt(var, out=var)
    np.reciprocal(var, out=var)
    out *= stats[1]
    out *= weight
    out += bias
    return out


def bert_rows(repeats: int) -> list:
    rng = np.random.default_rng(1)
    word = rng.standard_normal((BERT_VOCAB, DIM), dtype=np.float32) * 0.05
    position = rng.standard_normal((BERT_POSITIONS, DIM), dtype=np.float32) * 0.05
    token_type = rng.standard_normal((BERT_TYPES, DIM), dtype=np.float32) * 0.05
    weight = 1 + rng.standard_normal(DIM, dtype=np.float32) * 0.1
    bias = rng.standard_normal(DIM, dtype=np.float32) * 0.1
    ids = rng.integers(0, BERT_VOCAB, (B, S), dtype=np.int64)
    types = (np.arange(S) >= S // 2).astype(np.int64)[None].repeat(B, 0)
    embedder = tokembed.InputEmbedder(
        tokembed.EmbeddingTable(word),
        position=tokembed.EmbeddingTable(position),
        segment=tokembed.EmbeddingTable(token_type),
        layer_norm=(weight, bias, EPS),
    )
    out = np.empty((B, S, DIM), dtype=np.float32)
    reference = np.empty_like(out)
    scratch = np.empty_like(out)
    stats = (np.empty((B, S, 1), np.float32), np.empty((B, S, 1), np.float32))
    gb = out.nbytes / 1e9

    timings = {}
    for threads in (1, 2):
        tokembed.set_num_threads(threads)
        timings[f"tokembed InputEmbedder(out=), {threads} thread(s)"] = median_seconds(
            lambda: embedder(ids, types, out=out), repeats
        )
    timings["NumPy take + in-place add + LayerNorm"] = median_seconds(
        lambda: numpy_bert(word, position, token_type, weight, bias, ids, types, reference, scratch, stats), repeats
    )
    difference = float(np.abs(out - reference).max())
    torch = torch_or_none()
    if torch is not None:
        import torch.nn.functional as F

        tw, tp, tt = (torch.from_numpy(a) for a in (word, position, token_type))
        tln_w, tln_b, tids, ttypes = (torch.from_numpy(a) for a in (weight, bias, ids, types))
        for threads in (1, 2):
            torch.set_num_threads(threads)

            def run_torch():
                with torch.no_grad():
                    x = F.embedding(tids, tw) + F.embedding(ttypes, tt)
                    x += tp[:S]
                    return F.layer_norm(x, (DIM,), tln_w, tln_b, EPS)

            timings[f"torch embedding + layer_norm, {threads} thread(s)"] = median_seconds(run_torch, repeats)

    numpy_time = timings["NumPy take + in-place add + LayerNorm"]
    rows = [[name, f"{t * 1e3:.1f}", f"{gb / t:.2f}", f"{numpy_time / t:.2f}x"] for name, t in timings.items()]
    return rows, difference


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeats", type=int, default=7)
    args = parser.parse_args()
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(f"load average before the run: {load:.2f} on {os.cpu_count()} CPUs\n")

    print(f"Gather: table {VOCAB} x {DIM} float32, ids ({BATCH}, {LENGTH}), output 1.61 GB\n")
    print_table(["method", "median ms", "GB/s", "vs np.take", "of np.copyto bandwidth"], gather_rows(args.repeats))
    print()
    rows, difference = bert_rows(args.repeats)
    print(f"BERT input embedding: B={B}, S={S}, D={DIM}, LayerNorm; tokembed vs NumPy max abs difference {difference:.1e}\n")
    print_table(["method", "median ms", "GB/s", "vs NumPy"], rows)


if __name__ == "__main__":
    main()
