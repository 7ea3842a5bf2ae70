"""Megatron-LM's ``PREFIX.bin`` / ``PREFIX.idx``, as its ``MMapIndexedDataset`` (Megatron-Core
``IndexedDataset``) reads them.

``.bin``: the ids of every sequence one after the other. ``.idx``, all little-endian:

=========================  ============================================================
``MMIDIDX\\x00\\x00``       9 bytes of magic
version                    u64, always 1
dtype code                 u8: 8 for uint16, 4 for int32 (Megatron has no code for uint32)
sequence count ``S``       u64
document count ``D + 1``   u64: the length of the document index below
sizes                      ``S`` × int32, tokens per sequence
pointers                   ``S`` × int64, byte offset of each sequence in the ``.bin``
document index             ``D + 1`` × int64: document ``j`` is sequences
                           ``index[j]:index[j + 1]``, and ``index[0] == 0``
=========================  ============================================================

We write one sequence per document, so the document index is ``0, 1, …, D``. The sizes are
spilled to a scratch file while the ``.bin`` streams, since the ``.idx`` needs the counts first.
"""

from __future__ import annotations

import os
import shutil
import struct
from typing import Tuple

import numpy as np

from .base import ShardWriter, close_quietly

MAGIC = b"MMIDIDX\x00\x00"
VERSION = 1
DTYPE_CODES = {np.dtype("<u2"): 8, np.dtype("<i4"): 4}
_DTYPE_OF_CODE = {1: "<u1", 2: "<i1", 3: "<i2", 4: "<i4", 5: "<i8", 6: "<f8", 7: "<f4", 8: "<u2"}
_CHUNK = 1 << 20  # index entries computed per step when writing the pointers


class MegatronWriter(ShardWriter):
    format = "megatron"
    suffixes = (".bin", ".idx")
    dtypes = ("uint16", "int32")

    @classmethod
    def auto_dtype(cls, max_id: int) -> str:
        return "uint16" if max_id <= 0xFFFF else "int32"

    def __init__(self, prefix, dtype: str):
        super().__init__(prefix, dtype)
        bin_path, idx_path = self.paths
        self._bin = open(self._outputs.temporary(bin_path), "wb")
        self._idx_path = self._outputs.temporary(idx_path)
        self._sizes_path = self._outputs.scratch(idx_path, "sizes")
        self._sizes = open(self._sizes_path, "wb")
        self._sequences = 0

    def _write(self, ids: np.ndarray, offsets: np.ndarray) -> None:
        sizes = np.diff(offsets)
        if sizes.size and sizes.max() > np.iinfo(np.int32).max:
            raise ValueError("a document of more than 2**31 - 1 tokens does not fit Megatron's int32 sizes")
        self._bin.write(ids.data)
        self._sizes.write(np.ascontiguousarray(sizes, dtype="<i4").data)
        self._sequences += len(sizes)

    def _finish(self) -> None:
        self._bin.close()
        self._sizes.close()
        count = self._sequences
        with open(self._idx_path, "wb") as idx:
            idx.write(MAGIC)
            idx.write(struct.pack("<Q", VERSION))
            idx.write(struct.pack("<B", DTYPE_CODES[self.dtype]))
            idx.write(struct.pack("<Q", count))
            idx.write(struct.pack("<Q", count + 1))
            with open(self._sizes_path, "rb") as sizes:
                shutil.copyfileobj(sizes, idx)
            self._write_pointers(idx)
            for start in range(0, count + 1, _CHUNK):
                idx.write(np.arange(start, min(start + _CHUNK, count + 1), dtype="<i8").data)

    def _write_pointers(self, idx) -> None:
        """Byte offsets of the sequences: a running sum of the sizes, chunk by chunk."""
        itemsize = self.dtype.itemsize
        position = 0
        with open(self._sizes_path, "rb") as f:
            while True:
                sizes = np.frombuffer(f.read(4 * _CHUNK), dtype="<i4")
                if not sizes.size:
                    break
                ends = np.cumsum(sizes, dtype=np.int64) * itemsize + position
                starts = np.empty_like(ends)
                starts[0] = position
                starts[1:] = ends[:-1]
                idx.write(starts.astype("<i8", copy=False).data)
                position = int(ends[-1])

    def _release(self) -> None:
        close_quietly(self._bin)
        close_quietly(self._sizes)


class MegatronIndexedDataset:
    """A Megatron ``.bin``/``.idx`` pair, memory-mapped. ``len()`` is the number of sequences
    and ``ds[i]`` the ids of sequence ``i``; ``sizes``, ``pointers`` and ``document_indices``
    are the arrays of the index."""

    def __init__(self, prefix: "str | os.PathLike[str]"):
        prefix = os.fspath(prefix)
        idx_path = prefix + ".idx"
        with open(idx_path, "rb") as f:
            header = f.read(len(MAGIC) + 8 + 1 + 8 + 8)
        if len(header) < 34 or header[:9] != MAGIC:
            raise ValueError(f"{idx_path}: not a Megatron index (bad magic)")
        version, code, sequences, documents = struct.unpack("<QBQQ", header[9:])
        if version != VERSION:
            raise ValueError(f"{idx_path}: index version {version}, expected {VERSION}")
        if code not in _DTYPE_OF_CODE:
            raise ValueError(f"{idx_path}: unknown dtype code {code}")
        self.dtype = np.dtype(_DTYPE_OF_CODE[code])
        index = np.memmap(idx_path, dtype=np.uint8, mode="r")
        at = len(header)
        self.sizes = np.frombuffer(index, dtype="<i4", count=sequences, offset=at)
        at += 4 * sequences
        self.pointers = np.frombuffer(index, dtype="<i8", count=sequences, offset=at)
        at += 8 * sequences
        self.document_indices = np.frombuffer(index, dtype="<i8", count=documents, offset=at)
        bin_path = prefix + ".bin"
        if os.path.getsize(bin_path) == 0:
            self._data = np.zeros(0, dtype=np.uint8)
        else:
            self._data = np.memmap(bin_path, dtype=np.uint8, mode="r")

    def __len__(self) -> int:
        return len(self.sizes)

    def __getitem__(self, i: int) -> np.ndarray:
        i = int(i)
        if not -len(self) <= i < len(self):
            raise IndexError(f"sequence {i} out of range for {len(self)} sequences")
        return np.frombuffer(self._data, dtype=self.dtype, count=int(self.sizes[i]), offset=int(self.pointers[i]))

    def ids(self) -> np.ndarray:
        """Every id of the ``.bin``, in order (a view of the memory map)."""
        return np.frombuffer(self._data, dtype=self.dtype)

    def document_offsets(self) -> np.ndarray:
        """Token offsets of the documents (length ``D + 1``), for sequences stored back to back
        as Megatron's builder writes them."""
        token_starts = np.zeros(len(self.sizes) + 1, dtype=np.int64)
        np.cumsum(self.sizes, out=token_starts[1:])
        return token_starts[np.asarray(self.document_indices)]


def read_megatron(prefix: "str | os.PathLike[str]") -> Tuple[np.ndarray, np.ndarray]:
    """``(ids, document offsets)`` of a Megatron pair; the ids are memory-mapped."""
    ds = MegatronIndexedDataset(prefix)
    return ds.ids(), ds.document_offsets()
