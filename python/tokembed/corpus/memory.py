"""Giving freed memory back to the system now and then, so that peak memory stays flat however
large the corpus.

Every batch allocates and frees buffers of a few megabytes (the chunk read, its decoded text,
the ids). glibc's malloc raises its mmap threshold after the first such buffer is freed, so the
later ones come from the heap, where small long-lived allocations between them keep the freed
space from being returned: resident memory then grows with the number of batches (measured
without this: 160 MB of RSS for 10 MB of text, 300 MB for 100 MB, 460 MB for 200 MB).
``malloc_trim(0)`` returns the free pages inside the heap, but the next batches fault them
back in: after every batch it cost a quarter of the encoding time. So we trim only when the
resident size has grown by ``slack`` since the last trim.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import sys
from typing import Callable, Optional


def _malloc_trim() -> Optional[Callable[[int], int]]:
    if not sys.platform.startswith("linux"):
        return None
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        trim = libc.malloc_trim  # glibc only; musl has none
    except (OSError, AttributeError):
        return None
    trim.argtypes = [ctypes.c_size_t]
    trim.restype = ctypes.c_int
    return trim


_TRIM = _malloc_trim()
_PAGE = os.sysconf("SC_PAGE_SIZE") if hasattr(os, "sysconf") else 4096


def resident_bytes() -> Optional[int]:
    try:
        with open("/proc/self/statm", "rb") as f:
            return int(f.read().split()[1]) * _PAGE
    except (OSError, ValueError, IndexError):
        return None


def trim() -> None:
    """Gives the heap's free memory back to the system now (glibc), so that it stops counting as
    resident; nothing elsewhere."""
    if _TRIM is not None:
        _TRIM(0)


class MemoryKeeper:
    """Call ``after_batch()`` once per batch; it trims when resident memory has grown by more
    than ``slack`` bytes since the last trim (or the start)."""

    def __init__(self, slack: int = 24 << 20):
        self.slack = slack
        self.trims = 0
        self._base = resident_bytes() if _TRIM is not None else None

    def after_batch(self) -> None:
        if self._base is None:
            return
        now = resident_bytes()
        if now is None or now <= self._base + self.slack:
            return
        _TRIM(0)  # type: ignore[misc]
        arrow = sys.modules.get("pyarrow")
        if arrow is not None:  # the Parquet writer allocates from Arrow's own pool
            arrow.default_memory_pool().release_unused()
        self.trims += 1
        self._base = resident_bytes() or now
