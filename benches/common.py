"""Helpers shared by the benchmarks: data, timing with medians, and table printing."""

from __future__ import annotations

import statistics
import time
from pathlib import Path
from typing import Callable, List, Sequence

DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"


def documents(path: Path, size: int = 4096) -> List[str]:
    """The corpus cut into documents of about `size` characters, at line ends."""
    return cut_documents(path.read_text(encoding="utf-8"), size)


def cut_documents(text: str, size: int = 4096) -> List[str]:
    """`text` cut into documents of about `size` characters, at line ends."""
    docs, i = [], 0
    while i < len(text):
        j = text.find("\n", i + size)
        j = len(text) if j < 0 else j + 1
        docs.append(text[i:j])
        i = j
    return docs


def megabytes(texts: Sequence[str]) -> float:
    return sum(len(t.encode("utf-8")) for t in texts) / 1e6


def median_seconds(fn: Callable[[], object], repeats: int) -> float:
    fn()  # warm-up: page faults, thread pools, caches
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def print_table(headers: Sequence[str], rows: Sequence[Sequence[object]]) -> None:
    """A Markdown table, ready to paste into the README."""
    cells = [[str(c) for c in r] for r in rows]
    widths = [max(len(h), *(len(r[i]) for r in cells)) for i, h in enumerate(headers)]
    print("| " + " | ".join(h.ljust(w) for h, w in zip(headers, widths)) + " |")
    print("|" + "|".join("-" * (w + 2) for w in widths) + "|")
    for r in cells:
        print("| " + " | ".join(c.ljust(w) for c, w in zip(r, widths)) + " |")
