"""Inputs that are not text (issue 17), against NumPy on the same formulas.

    python benches/bench_nontext.py [--repeats 7]

Whisper log-mel features (`tokembed.log_mel_spectrogram`) of B waveforms of 30 s at 16 kHz
(random noise plus a tone), B = 1 and 8, tokembed at 1 and 2 threads against a float64 NumPy
implementation of the same recipe (`np.fft.rfft` over all frames at once, the mel product as
one matmul; `tests/nontext/reference_whisper.py`). Runs alternate, medians of `--repeats`;
"x real time" is seconds of audio per second of compute; the ratio is NumPy's time over ours.

Whisper's encoder front end (`tokembed.AudioEmbedder`) on B inputs of 80 x 3000 features at
Whisper-base width (d = 512, random weights), B = 1 and 4, against NumPy on the same formulas:
each convolution as gathered windows times the weights (one BLAS matmul), GELU with an erf
polynomial (Abramowitz-Stegun 7.1.26, error below 1.5e-7: NumPy has no erf; exact erf through
`math.erf` would make NumPy look ten times slower than it need be).

ViT patch embeddings (`tokembed.PatchEmbedder`) of B images of 224 x 224 at ViT-Base shapes
(patch 16, D 768, random weights), B = 1, 8 and 32, against NumPy: the patches by reshape and
transpose, one matmul, bias, CLS and positions. Ratios are NumPy's time over ours.

Both tables also time NumPy's matrix products alone ("NumPy matmuls ms"): the convolutions are
sgemm at the machine's peak (OpenBLAS, matrixmultiply and the `gemm` crate all run these shapes
at ~90 GFLOP/s on one thread here), so NumPy's time over its own matmuls is the most any
implementation with an equally fast sgemm can gain over NumPy on one thread.

ViT preprocessing (`PatchEmbedder.preprocess`: resize as Pillow does, rescale, normalize) of
B photos of 480 x 640 to 224 x 224, against what HF's PIL processor does (PIL `Image.resize`
bilinear, then NumPy); the pixels are compared too.

Torch rows (`torch.nn.functional.conv1d`/`conv2d` + `gelu`, `torch.stft`) are added when torch is
importable (not in any extra: `pip install torch` to see them), at the same thread count, with
OMP_WAIT_POLICY=PASSIVE (unless set) so that its idle threads do not spin on the timed cores.

Run with OPENBLAS_NUM_THREADS=1: NumPy's BLAS threads otherwise spin after each matmul on the
cores we time (NumPy then uses one BLAS thread; compare the 1-thread rows).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

import numpy as np

import tokembed
from tokembed.nontext import mel_filter_bank
from common import print_table

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "nontext"))
from reference_whisper import log_mel  # noqa: E402


def alternate(ours, numpy_run, repeats: int, extra=()):
    """Times ``ours`` and ``numpy_run`` (and each ``(run, times)`` of ``extra``) in turn,
    ``repeats`` times; returns the two lists of seconds."""
    ours_times, numpy_times = [], []
    for _ in range(repeats):
        for run, times in ((ours, ours_times), (numpy_run, numpy_times)) + tuple(extra):
            start = time.perf_counter()
            run()
            times.append(time.perf_counter() - start)
    return ours_times, numpy_times


def speed_row(first, ours, numpy_times, work: float, check: str = ""):
    """A table row: ``first`` cells, our median ms and ``work`` per second, NumPy's median ms,
    the median of the per-pair ratios (and the largest difference, if given)."""
    ratios = sorted(n / o for n, o in zip(numpy_times, ours))
    row = [*first, f"{statistics.median(ours) * 1000:.1f}", f"{work / statistics.median(ours):.0f}",
           f"{statistics.median(numpy_times) * 1000:.1f}", f"{statistics.median(ratios):.1f}x"]
    return row + ([check] if check else [])


def waveforms(batch: int):
    rng = np.random.default_rng(0)
    t = np.arange(480_000) / 16_000
    return [(0.1 * rng.standard_normal(480_000) + 0.5 * np.sin(2 * np.pi * (200 + 50 * b) * t)).astype(np.float32)
            for b in range(batch)]


def import_torch():
    # Without this, torch's OpenMP threads spin for a while after each op, on the cores the next
    # run (ours or NumPy's) is timed on; passive threads sleep instead.
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
    try:
        import torch
    except ImportError:
        return None
    return torch


def torch_log_mel():
    torch = import_torch()
    if torch is None:
        return None
    filters = torch.from_numpy(mel_filter_bank()).float()

    def run(waves):
        x = torch.from_numpy(np.stack(waves))
        window = torch.hann_window(400)
        stft = torch.stft(x, 400, 160, window=window, return_complex=True)
        power = stft[..., :-1].abs() ** 2
        mel = filters.T @ power
        log_spec = torch.clamp(mel, min=1e-10).log10()
        log_spec = torch.maximum(log_spec, log_spec.amax(dim=(1, 2), keepdim=True) - 8.0)
        return (log_spec + 4.0) / 4.0

    return run


def windows(h, stride):
    """The kernel-3, padding-1 windows of ``h`` (B, T, C) time-major, as rows (B, T_out, 3 * C)."""
    padded = np.pad(h, ((0, 0), (1, 1), (0, 0)))
    frames = (h.shape[1] + 2 - 3) // stride + 1
    return np.concatenate([padded[:, k:k + stride * (frames - 1) + 1:stride] for k in range(3)], axis=2)


def flat_weights(w):
    """A convolution weight (D, C, 3) as (3 * C, D), k-major like ``windows``' rows."""
    return w.transpose(2, 1, 0).reshape(-1, w.shape[0])


def numpy_windows(x, w1, w2):
    """The two matmuls' operands of ``numpy_front_end`` (for timing its matmuls alone); the
    second convolution's input is zeros of its shape, the values do not change the time."""
    h = x.transpose(0, 2, 1)
    hidden = np.zeros((x.shape[0], h.shape[1], w1.shape[0]), dtype=np.float32)
    return windows(h, 1), flat_weights(w1), np.ascontiguousarray(windows(hidden, 2)), flat_weights(w2)


def numpy_front_end(x, w1, b1, w2, b2, positions):
    def erf(v):  # Abramowitz-Stegun 7.1.26
        t = 1.0 / (1.0 + 0.3275911 * np.abs(v))
        y = 1.0 - (((((1.061405429 * t - 1.453152027) * t) + 1.421413741) * t - 0.284496736) * t + 0.254829592) * t * np.exp(-v * v)
        return np.sign(v) * y

    def conv_gelu(h, w, b, stride):  # h (B, T, C) time-major, w (D, C, 3)
        y = windows(h, stride) @ flat_weights(w) + b
        return 0.5 * y * (1.0 + erf(y / np.sqrt(2.0)))

    h = conv_gelu(x.transpose(0, 2, 1), w1, b1, 1)
    h = conv_gelu(h, w2, b2, 2)
    return h + positions[: h.shape[1]]


def torch_front_end(w1, b1, w2, b2, positions):
    torch = import_torch()
    if torch is None:
        return None
    tensors = [torch.from_numpy(a) for a in (w1, b1, w2, b2, positions)]

    def run(x):
        with torch.inference_mode():
            w1_, b1_, w2_, b2_, pos = tensors
            h = torch.nn.functional.gelu(torch.nn.functional.conv1d(torch.from_numpy(x), w1_, b1_, padding=1))
            h = torch.nn.functional.gelu(torch.nn.functional.conv1d(h, w2_, b2_, stride=2, padding=1))
            return (h.transpose(1, 2) + pos[: h.shape[2]]).numpy()

    return run


def timed_row(first, ours_run, numpy_run, matmuls_run, torch_run, repeats, work, check, threads):
    """One table row: ours, NumPy, NumPy's matmuls alone and torch (if any) in alternating runs."""
    tokembed.set_num_threads(threads)
    torch = import_torch()
    if torch is not None:
        torch.set_num_threads(threads)
    matmul_times: list = []
    torch_times: list = []
    extra = [(matmuls_run, matmul_times)] + ([(torch_run, torch_times)] if torch_run else [])
    ours, numpy_times = alternate(ours_run, numpy_run, repeats, tuple(extra))
    row = speed_row(first, ours, numpy_times, work)
    row += [f"{statistics.median(matmul_times) * 1000:.1f}",
            f"{statistics.median(numpy_times) / statistics.median(matmul_times):.1f}x"]
    if torch_run:
        row += [f"{statistics.median(torch_times) * 1000:.1f}",
                f"{statistics.median(ratio_pairs(torch_times, ours)):.1f}x"]
    return row + [check]


def ratio_pairs(theirs, ours):
    return sorted(t / o for t, o in zip(theirs, ours))


def front_end_rows(repeats: int):
    rng = np.random.default_rng(0)
    d = 512
    w1 = rng.normal(0, 1 / np.sqrt(240), (d, 80, 3)).astype(np.float32)
    w2 = rng.normal(0, 1 / np.sqrt(3 * d), (d, d, 3)).astype(np.float32)
    b1, b2 = rng.normal(0, 0.5, d).astype(np.float32), rng.normal(0, 0.5, d).astype(np.float32)
    positions = rng.normal(0, 1, (1500, d)).astype(np.float32)
    embedder = tokembed.AudioEmbedder(w1, b1, w2, b2, positions)
    torch_run = torch_front_end(w1, b1, w2, b2, positions)
    rows = []
    for batch in (1, 4):
        x = rng.normal(0, 1, (batch, 80, 3000)).astype(np.float32)
        check = f"{np.abs(embedder(x) - numpy_front_end(x, w1, b1, w2, b2, positions)).max():.1e}"
        if torch_run:
            check += f" / {np.abs(embedder(x) - torch_run(x)).max():.1e}"
        a1, m1, a2, m2 = numpy_windows(x, w1, w2)
        for threads in (1, 2):
            rows.append(timed_row([batch, threads], lambda: embedder(x),
                                  lambda: numpy_front_end(x, w1, b1, w2, b2, positions),
                                  lambda: (a1 @ m1, a2 @ m2), torch_run and (lambda: torch_run(x)),
                                  repeats, 30.0 * batch, check, threads))
    return rows, torch_run is not None


def vit_rows(repeats: int):
    rng = np.random.default_rng(0)
    d, p = 768, 16
    weight = rng.normal(0, 0.02, (d, 3, p, p)).astype(np.float32)
    bias, cls = rng.normal(0, 0.02, d).astype(np.float32), rng.normal(0, 0.02, d).astype(np.float32)
    positions = rng.normal(0, 0.02, (1 + 196, d)).astype(np.float32)
    embedder = tokembed.PatchEmbedder(weight, bias, cls, positions)
    flat_weight = weight.reshape(d, -1).T.copy()

    def patches_of(x):
        return x.reshape(x.shape[0], 3, 14, p, 14, p).transpose(0, 2, 4, 1, 3, 5).reshape(x.shape[0], 196, 3 * p * p)

    def numpy_vit(x):
        b = x.shape[0]
        projected = patches_of(x) @ flat_weight + bias
        return np.concatenate([np.broadcast_to(cls, (b, 1, d)), projected], axis=1) + positions

    torch = import_torch()
    torch_run = None
    if torch is not None:
        tensors = [torch.from_numpy(a) for a in (weight, bias, cls, positions)]

        def torch_vit(x):
            with torch.inference_mode():
                w, b, c, pos = tensors
                y = torch.nn.functional.conv2d(torch.from_numpy(x), w, b, stride=p).flatten(2).transpose(1, 2)
                return (torch.cat([c.expand(y.shape[0], 1, d), y], dim=1) + pos).numpy()

        torch_run = torch_vit

    rows = []
    for batch in (1, 8, 32):
        x = rng.normal(0, 1, (batch, 3, 224, 224)).astype(np.float32)
        check = f"{np.abs(embedder(x) - numpy_vit(x)).max():.1e}"
        if torch_run:
            check += f" / {np.abs(embedder(x) - torch_run(x)).max():.1e}"
        gathered = np.ascontiguousarray(patches_of(x))
        for threads in (1, 2):
            rows.append(timed_row([batch, threads], lambda: embedder(x), lambda: numpy_vit(x),
                                  lambda: gathered @ flat_weight, torch_run and (lambda: torch_run(x)),
                                  repeats, batch, check, threads))
    return rows, torch_run is not None


def photos(batch: int):
    """Photo-like 480 x 640 RGB images: smooth shapes plus sensor noise."""
    rng = np.random.default_rng(batch)
    y, x = np.mgrid[:480, :640]
    out = []
    for b in range(batch):
        smooth = 127 + 90 * np.sin(x / (13.0 + b))[..., None] * np.cos(y / (29.0 + b))[..., None]
        out.append(np.clip(smooth + rng.normal(0, 12, (480, 640, 3)), 0, 255).astype(np.uint8))
    return out


def preprocess_rows(repeats: int):
    try:
        from PIL import Image
    except ImportError:
        return None
    embedder = tokembed.PatchEmbedder(np.zeros((8, 3, 16, 16), np.float32), np.zeros(8, np.float32),
                                      np.zeros(8, np.float32), np.zeros((1 + 196, 8), np.float32))

    def pil_processor(images):  # what ViTImageProcessorPil does: PIL resize, then NumPy
        resized = [np.asarray(Image.fromarray(i).resize((224, 224), Image.BILINEAR)) for i in images]
        values = np.stack(resized).astype(np.float64) * (1 / 255)
        return ((values.astype(np.float32) - 0.5) / 0.5).transpose(0, 3, 1, 2)

    rows = []
    for batch in (1, 8):
        images = photos(batch)
        check = f"{np.abs(embedder.preprocess(images) - pil_processor(images)).max():.1e}"
        for threads in (1, 2):
            tokembed.set_num_threads(threads)
            ours, theirs = alternate(lambda: embedder.preprocess(images), lambda: pil_processor(images), repeats)
            rows.append(speed_row([batch, threads], ours, theirs, batch, check))
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeats", type=int, default=7)
    args = parser.parse_args()
    filters = mel_filter_bank()
    torch_run = torch_log_mel()
    rows = []
    for batch in (1, 8):
        waves = waveforms(batch)
        numpy_run = lambda: [log_mel(w.astype(np.float64), filters) for w in waves]  # noqa: E731
        for threads in (1, 2):
            tokembed.set_num_threads(threads)
            ours_run = lambda: tokembed.log_mel_spectrogram(waves)  # noqa: E731
            ours_run(), numpy_run()  # warm-up
            torch_times: list = []
            extra = ((lambda: torch_run(waves), torch_times),) if torch_run else ()
            ours, numpy_times = alternate(ours_run, numpy_run, args.repeats, extra)
            row = speed_row([batch, threads], ours, numpy_times, 30.0 * batch)
            if torch_run:
                row.append(f"{statistics.median(torch_times) * 1000:.1f}")
            rows.append(row)
    headers = ["waveforms of 30 s", "threads", "tokembed ms", "x real time", "NumPy ms", "NumPy / tokembed"]
    print("\nWhisper log-mel features (80 x 3000 per waveform), medians of alternating runs\n")
    print_table(headers + (["torch ms"] if torch_run else []), rows)
    torch_headers = ["torch ms", "torch / tokembed"]
    rows, with_torch = front_end_rows(args.repeats)
    print("\nWhisper encoder front end (80 x 3000 -> 1500 x 512), medians of alternating runs\n")
    print_table(["inputs of 30 s", "threads", "tokembed ms", "x real time", "NumPy ms", "NumPy / tokembed",
                 "NumPy matmuls ms", "NumPy / its matmuls"] + (torch_headers if with_torch else [])
                + ["max |difference| (NumPy / torch)"], rows)
    rows, with_torch = vit_rows(args.repeats)
    print("\nViT patch embeddings (224 x 224, patch 16, D 768), medians of alternating runs\n")
    print_table(["images", "threads", "tokembed ms", "images/s", "NumPy ms", "NumPy / tokembed", "NumPy matmuls ms",
                 "NumPy / its matmuls"] + (torch_headers if with_torch else [])
                + ["max |difference| (NumPy / torch)"], rows)
    rows = preprocess_rows(args.repeats)
    if rows:
        print("\nViT preprocessing (480 x 640 photos to 224 x 224 pixel values), medians of alternating runs\n")
        print_table(["images", "threads", "tokembed ms", "images/s", "PIL + NumPy ms", "PIL + NumPy / tokembed",
                     "max |difference|"], rows)

if __name__ == "__main__":
    main()
