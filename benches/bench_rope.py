"""Rotary position embedding: tokembed `RotaryEmbedding.apply` against NumPy (and torch when installed).

    python benches/bench_rope.py [--repeats 7] [--shape 8,2048,12,64]

x is float32 `(batch, seq, heads, head_dim)` with positions `arange(seq)`, NeoX layout (HF's
`rotate_half`), theta 10000. tokembed computes cos/sin from the positions inside every call;
NumPy and torch get them precomputed (outside the timing), which favours them. Modes: a new
output array per call, and writing into a preallocated `out=` (NumPy: `out=` on every ufunc,
one preallocated half-size temporary). GB/s counts x read once and the output written once.
NumPy and torch rows use their own threading (NumPy ufuncs: one thread; torch:
`torch.set_num_threads`). Medians of `--repeats` runs after one warm-up.
"""

from __future__ import annotations

import argparse
import os

import numpy as np

import tokembed
from common import median_seconds, print_table


def numpy_rope(x: np.ndarray, cos: np.ndarray, sin: np.ndarray, out: np.ndarray, tmp: np.ndarray) -> np.ndarray:
    """The best NumPy version we found: half-width cos/sin broadcast over heads, every ufunc
    writing into a preallocated array (no temporaries), halves as strided views."""
    h = x.shape[-1] // 2
    x1, x2 = x[..., :h], x[..., h:]
    o1, o2 = out[..., :h], out[..., h:]
    np.multiply(x1, cos, out=o1)
    np.multiply(x2, sin, out=tmp)
    np.subtract(o1, tmp, out=o1)
    np.multiply(x2, cos, out=o2)
    np.multiply(x1, sin, out=tmp)
    np.add(o2, tmp, out=o2)
    return out


def numpy_cos_sin(inv_freq: np.ndarray, seq: int) -> tuple:
    angles = np.arange(seq, dtype=np.float32)[:, None] * inv_freq[None, :]
    return np.cos(angles)[:, None, :], np.sin(angles)[:, None, :]  # (seq, 1, half): broadcast over heads


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--shape", default="8,2048,12,64")
    args = parser.parse_args()
    shape = tuple(int(v) for v in args.shape.split(","))
    batch, seq, heads, head_dim = shape
    x = np.random.default_rng(0).standard_normal(shape, dtype=np.float32)
    positions = np.arange(seq, dtype=np.int64)
    gb = 2 * x.nbytes / 1e9
    rope = tokembed.RotaryEmbedding(head_dim, 10000.0)
    cos, sin = numpy_cos_sin(rope.inv_freq, seq)

    out = np.empty_like(x)
    tmp = np.empty(shape[:-1] + (head_dim // 2,), dtype=np.float32)
    check = numpy_rope(x, cos, sin, np.empty_like(x), tmp)
    np.testing.assert_allclose(rope.apply(x, positions), check, rtol=1e-5, atol=1e-5)

    t_np_new = median_seconds(lambda: numpy_rope(x, cos, sin, np.empty_like(x), np.empty_like(tmp)), args.repeats)
    t_np_out = median_seconds(lambda: numpy_rope(x, cos, sin, out, tmp), args.repeats)

    torch_rows = []
    try:
        import torch
    except ImportError:
        torch = None

    rows = []
    for threads in (1, 2):
        tokembed.set_num_threads(threads)
        t_new = median_seconds(lambda: rope.apply(x, positions), args.repeats)
        t_out = median_seconds(lambda: rope.apply(x, positions, out=out), args.repeats)
        work = x.copy()
        t_inplace = median_seconds(lambda: rope.apply(work, positions, out=work), args.repeats)
        for mode, t_ours, t_np in [("new array", t_new, t_np_new), ("out=", t_out, t_np_out),
                                   ("in place (out=x)", t_inplace, t_np_out)]:
            rows.append([mode, threads, f"{t_ours * 1e3:.2f}", f"{gb / t_ours:.1f}", f"{t_np * 1e3:.2f}",
                         f"{gb / t_np:.1f}", f"{t_np / t_ours:.1f}x"])
        if torch is not None:
            torch.set_num_threads(threads)
            tx = torch.from_numpy(x)
            tc = torch.from_numpy(np.concatenate([cos, cos], -1))
            ts = torch.from_numpy(np.concatenate([sin, sin], -1))

            def hf_torch():
                x1, x2 = tx[..., : head_dim // 2], tx[..., head_dim // 2:]
                return tx * tc + torch.cat((-x2, x1), dim=-1) * ts

            t_torch = median_seconds(hf_torch, args.repeats)
            torch_rows.append(["torch (HF rotate_half)", threads, f"{t_torch * 1e3:.2f}", f"{gb / t_torch:.1f}",
                               f"{t_torch / t_new:.1f}x"])
    print(f"x {shape} float32, {x.nbytes / 1e6:.0f} MB; cpus {os.cpu_count()}; load average {os.getloadavg()}")
    print()
    print_table(["mode", "threads", "tokembed ms", "tokembed GB/s", "NumPy ms", "NumPy GB/s", "vs NumPy"], rows)
    if torch_rows:
        print()
        print_table(["implementation", "threads", "ms", "GB/s", "tokembed (new array) speedup"], torch_rows)
    else:
        print("\n(torch not installed: no torch rows)")


if __name__ == "__main__":
    main()
