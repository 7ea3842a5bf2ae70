"""Progress on a terminal (MB/s, documents/s, tokens/s, ETA when the input size is known), nothing
when standard error is not a terminal, and the final summary."""

from __future__ import annotations

import sys
import threading
import time
from typing import Optional, TextIO


class Progress:
    def __init__(
        self, total_bytes: Optional[int], enabled: bool, stream: Optional[TextIO] = None, desc: str = "encode"
    ):
        self.documents = 0
        self.tokens = 0
        self.nbytes = 0
        self._stream = stream if stream is not None else sys.stderr
        self._start = time.perf_counter()
        self._lock = threading.Lock()
        self._bar = None
        if enabled:
            from tqdm import tqdm

            self._bar = tqdm(
                total=total_bytes,
                unit="B",
                unit_scale=True,
                unit_divisor=1000,
                desc=desc,
                file=self._stream,
                dynamic_ncols=True,
                mininterval=0.5,
                smoothing=0.1,
            )

    @property
    def elapsed(self) -> float:
        return time.perf_counter() - self._start

    def update(self, nbytes: int, documents: int, tokens: int) -> None:
        self.nbytes += nbytes
        self.documents += documents
        self.tokens += tokens
        if self._bar is not None:
            with self._lock:
                seconds = max(self.elapsed, 1e-9)
                self._bar.set_postfix_str(
                    f"{self.documents / seconds:,.0f} docs/s, {self.tokens / seconds / 1e6:,.2f}M tok/s", refresh=False
                )
                self._bar.update(nbytes)

    def note(self, message: str) -> None:
        """A line on standard error that does not break the bar (safe from any thread)."""
        with self._lock:
            if self._bar is not None:
                self._bar.write(message, file=self._stream)
            else:
                print(message, file=self._stream, flush=True)

    def close(self) -> None:
        with self._lock:
            if self._bar is not None:
                self._bar.close()
                self._bar = None


def progress_wanted(stream: Optional[TextIO] = None) -> bool:
    stream = stream if stream is not None else sys.stderr
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False
