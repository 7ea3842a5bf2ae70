"""Inputs that are not text (issue 17), against NumPy on the same formulas.

    python benches/bench_nontext.py [--repeats 7]

Whisper log-mel features (`tokembed.log_mel_spectrogram`) of B waveforms of 30 s at 16 kHz
(random noise plus a tone), B = 1 and 8, tokembed at 1 and 2 threads against a float64 NumPy
implementation of the same recipe (`np.fft.rfft` over all frames at once, the mel product as
one matmul; `tests/nontext/reference_whisper.py`). Runs alternate, medians of `--repeats`;
"x real time" is seconds of audio per second of compute; the ratio is NumPy's time over ours.
Torch rows (`torch.stft` + matmul, as the feature extractor's torch path) are added when torch
is importable (it is not on the CI machine). The ViT rows come with ViT (issue 17, next).
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
            ours, numpy_times, torch_times = [], [], []
            for _ in range(args.repeats):
                for run, times in ((ours_run, ours), (numpy_run, numpy_times)) + (
                    ((lambda: torch_run(waves), torch_times),) if torch_run else ()
                ):
                    start = time.perf_counter()
                    run()
                    times.append(time.perf_counter() - start)
            audio = 30.0 * batch
            ratios = sorted(n / o for n, o in zip(numpy_times, ours))
            row = [batch, threads, f"{statistics.median(ours) * 1000:.1f}", f"{audio / statistics.median(ours):.0f}",
                   f"{statistics.median(numpy_times) * 1000:.1f}", f"{statistics.median(ratios):.1f}x"]
            if torch_run:
                row.append(f"{statistics.median(torch_times) * 1000:.1f}")
            rows.append(row)
    headers = ["waveforms of 30 s", "threads", "tokembed ms", "x real time", "NumPy ms", "NumPy / tokembed"]
    print("\nWhisper log-mel features (80 x 3000 per waveform), medians of alternating runs\n")
    print_table(headers + (["torch ms"] if torch_run else []), rows)


if __name__ == "__main__":
    main()
