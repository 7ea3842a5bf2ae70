"""Inputs that are not text (issue 17), against NumPy on the same formulas.

    python benches/bench_nontext.py [--repeats 7]

Whisper log-mel features (`tokembed.log_mel_spectrogram`) of B waveforms of 30 s at 16 kHz
(random noise plus a tone), B = 1 and 8, tokembed at 1 and 2 threads against a float64 NumPy
implementation of the same recipe (`np.fft.rfft` over all frames at once, the mel product as
one matmul; `tests/nontext/reference_whisper.py`). Runs alternate, medians of `--repeats`;
"x real time" is seconds of audio per second of compute; the ratio is NumPy's time over ours.
Torch rows (`torch.stft` + matmul, as the feature extractor's torch path) are added when torch
is importable (it is not on the CI machine).

Whisper's encoder front end (`tokembed.AudioEmbedder`) on B inputs of 80 x 3000 features at
Whisper-base width (d = 512, random weights), B = 1 and 4, against NumPy on the same formulas:
each convolution as gathered windows times the weights (one BLAS matmul), GELU with an erf
polynomial (Abramowitz-Stegun 7.1.26, error below 1.5e-7: NumPy has no erf; exact erf through
`math.erf` would make NumPy look ten times slower than it need be).

ViT patch embeddings (`tokembed.PatchEmbedder`) of B images of 224 x 224 at ViT-Base shapes
(patch 16, D 768, random weights), B = 8 and 32, against NumPy: the patches by reshape and
transpose, one matmul, bias, CLS and positions. Ratios are NumPy's time over ours.

Run with OPENBLAS_NUM_THREADS=1: NumPy's BLAS threads otherwise spin after each matmul on the
cores we time (NumPy then uses one BLAS thread; compare the 1-thread rows).
"""

from __future__ import annotations

import argparse
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


def torch_log_mel():
    try:
        import torch
    except ImportError:
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


def numpy_front_end(x, w1, b1, w2, b2, positions):
    def erf(v):  # Abramowitz-Stegun 7.1.26
        t = 1.0 / (1.0 + 0.3275911 * np.abs(v))
        y = 1.0 - (((((1.061405429 * t - 1.453152027) * t) + 1.421413741) * t - 0.284496736) * t + 0.254829592) * t * np.exp(-v * v)
        return np.sign(v) * y

    def conv_gelu(h, w, b, stride):  # h (B, T, C) time-major, w (D, C, 3)
        padded = np.pad(h, ((0, 0), (1, 1), (0, 0)))
        frames = (h.shape[1] + 2 - 3) // stride + 1
        windows = np.concatenate([padded[:, k:k + stride * (frames - 1) + 1:stride] for k in range(3)], axis=2)
        weights = w.transpose(2, 1, 0).reshape(-1, w.shape[0])  # (3 * C, D), k-major like the windows
        y = windows @ weights + b
        return 0.5 * y * (1.0 + erf(y / np.sqrt(2.0)))

    h = conv_gelu(x.transpose(0, 2, 1), w1, b1, 1)
    h = conv_gelu(h, w2, b2, 2)
    return h + positions[: h.shape[1]]


def front_end_rows(repeats: int):
    rng = np.random.default_rng(0)
    d = 512
    w1 = rng.normal(0, 1 / np.sqrt(240), (d, 80, 3)).astype(np.float32)
    w2 = rng.normal(0, 1 / np.sqrt(3 * d), (d, d, 3)).astype(np.float32)
    b1, b2 = rng.normal(0, 0.5, d).astype(np.float32), rng.normal(0, 0.5, d).astype(np.float32)
    positions = rng.normal(0, 1, (1500, d)).astype(np.float32)
    embedder = tokembed.AudioEmbedder(w1, b1, w2, b2, positions)
    rows = []
    for batch in (1, 4):
        x = rng.normal(0, 1, (batch, 80, 3000)).astype(np.float32)
        check = np.abs(embedder(x) - numpy_front_end(x, w1, b1, w2, b2, positions)).max()
        for threads in (1, 2):
            tokembed.set_num_threads(threads)
            ours, numpy_times = alternate(lambda: embedder(x), lambda: numpy_front_end(x, w1, b1, w2, b2, positions),
                                          repeats)
            rows.append(speed_row([batch, threads], ours, numpy_times, 30.0 * batch, f"{check:.1e}"))
    return rows


def vit_rows(repeats: int):
    rng = np.random.default_rng(0)
    d, p = 768, 16
    weight = rng.normal(0, 0.02, (d, 3, p, p)).astype(np.float32)
    bias, cls = rng.normal(0, 0.02, d).astype(np.float32), rng.normal(0, 0.02, d).astype(np.float32)
    positions = rng.normal(0, 0.02, (1 + 196, d)).astype(np.float32)
    embedder = tokembed.PatchEmbedder(weight, bias, cls, positions)
    flat_weight = weight.reshape(d, -1).T.copy()

    def numpy_vit(x):
        b = x.shape[0]
        patches = x.reshape(b, 3, 14, p, 14, p).transpose(0, 2, 4, 1, 3, 5).reshape(b, 196, 3 * p * p)
        projected = patches @ flat_weight + bias
        return np.concatenate([np.broadcast_to(cls, (b, 1, d)), projected], axis=1) + positions

    rows = []
    for batch in (8, 32):
        x = rng.normal(0, 1, (batch, 3, 224, 224)).astype(np.float32)
        check = np.abs(embedder(x) - numpy_vit(x)).max()
        for threads in (1, 2):
            tokembed.set_num_threads(threads)
            ours, numpy_times = alternate(lambda: embedder(x), lambda: numpy_vit(x), repeats)
            rows.append(speed_row([batch, threads], ours, numpy_times, batch, f"{check:.1e}"))
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
    print("\nWhisper encoder front end (80 x 3000 -> 1500 x 512), medians of alternating runs\n")
    print_table(["inputs of 30 s", "threads", "tokembed ms", "x real time", "NumPy ms", "NumPy / tokembed",
                 "max |difference|"], front_end_rows(args.repeats))
    print("\nViT patch embeddings (224 x 224, patch 16, D 768), medians of alternating runs\n")
    print_table(["images", "threads", "tokembed ms", "images/s", "NumPy ms", "NumPy / tokembed", "max |difference|"],
                vit_rows(args.repeats))


if __name__ == "__main__":
    main()
