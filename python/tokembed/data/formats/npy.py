"""Real ``.npy`` files: ``PREFIX.npy`` holds every id, ``PREFIX.offsets.npy`` (int64, one more
than the documents) says where each document starts, so document ``i`` is
``ids[offsets[i]:offsets[i + 1]]``. ``np.load(path, mmap_mode="r")`` opens both.

Written as a stream: the header (NPY format 1.0) is reserved at a fixed size first and filled in
with the final length at the end, so the ids never have to be held in memory.
"""

from __future__ import annotations

import os
import struct
from typing import BinaryIO, Tuple

import numpy as np

from .base import ShardWriter, close_quietly

_MAGIC = b"\x93NUMPY\x01\x00"
# Room for any 1-D shape; a multiple of 64 so the data that follows is aligned as NumPy likes.
_HEADER_BYTES = 128


def npy_header(dtype: np.dtype, length: int) -> bytes:
    text = "{'descr': %r, 'fortran_order': False, 'shape': (%d,), }" % (np.dtype(dtype).str, length)
    room = _HEADER_BYTES - len(_MAGIC) - 2
    if len(text) + 1 > room:
        raise ValueError(f"npy header for length {length} does not fit")
    body = text.ljust(room - 1).encode("latin-1") + b"\n"
    return _MAGIC + struct.pack("<H", len(body)) + body


class _NpyStream:
    """A 1-D ``.npy`` written piece by piece."""

    def __init__(self, path: str, dtype: np.dtype):
        self.dtype = np.dtype(dtype)
        self.length = 0
        self._file: BinaryIO = open(path, "wb")
        self._file.write(npy_header(self.dtype, 0))

    def append(self, values: np.ndarray) -> None:
        values = np.ascontiguousarray(values, dtype=self.dtype)
        self._file.write(values.data)
        self.length += len(values)

    def finish(self) -> None:
        self._file.seek(0)
        self._file.write(npy_header(self.dtype, self.length))
        self._file.close()

    def release(self) -> None:
        close_quietly(self._file)


class NpyWriter(ShardWriter):
    format = "npy"
    suffixes = (".npy", ".offsets.npy")

    def __init__(self, prefix, dtype: str):
        super().__init__(prefix, dtype)
        ids_path, offsets_path = self.paths
        self._ids = _NpyStream(self._outputs.temporary(ids_path), self.dtype)
        self._offsets = _NpyStream(self._outputs.temporary(offsets_path), np.dtype("<i8"))
        self._offsets.append(np.zeros(1, dtype=np.int64))

    def _write(self, ids: np.ndarray, offsets: np.ndarray) -> None:
        self._offsets.append(offsets[1:] + self._ids.length)
        self._ids.append(ids)

    def _finish(self) -> None:
        self._ids.finish()
        self._offsets.finish()

    def _release(self) -> None:
        self._ids.release()
        self._offsets.release()


def read_npy(prefix: "str | os.PathLike[str]") -> Tuple[np.ndarray, np.ndarray]:
    """``(ids, offsets)`` of an npy shard, both memory-mapped."""
    prefix = os.fspath(prefix)
    ids = np.load(prefix + ".npy", mmap_mode="r")
    offsets = np.load(prefix + ".offsets.npy", mmap_mode="r")
    return ids, offsets
