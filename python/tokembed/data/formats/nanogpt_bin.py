"""nanoGPT's raw ``.bin``: the ids of every document one after the other, nothing else.

nanoGPT reads it with ``np.memmap(path, dtype=np.uint16, mode="r")``; the file holds no type
and no document boundaries (documents are usually separated by an EOS token, see
``--append-eos``), so the reader takes the type from the metadata file written beside it.
"""

from __future__ import annotations

import os
from typing import Optional

import numpy as np

from .base import DTYPES, ShardWriter, close_quietly


class BinWriter(ShardWriter):
    format = "bin"
    suffixes = (".bin",)

    def __init__(self, prefix, dtype: str):
        super().__init__(prefix, dtype)
        self._file = open(self._outputs.temporary(self.paths[0]), "wb")

    def _write(self, ids: np.ndarray, offsets: np.ndarray) -> None:
        self._file.write(ids.data)

    def _finish(self) -> None:
        self._file.close()

    def _release(self) -> None:
        close_quietly(self._file)


def read_bin(path: "str | os.PathLike[str]", dtype: Optional[str] = None) -> np.memmap:
    """The ids of a raw ``.bin``, memory-mapped. ``dtype`` defaults to the one its metadata
    file records; a ``.bin`` without metadata needs it given (nanoGPT's is ``"uint16"``)."""
    path = os.fspath(path)
    if dtype is None:
        from ..metadata import check_file_sizes, read_metadata

        prefix = path[: -len(".bin")] if path.endswith(".bin") else path
        meta = read_metadata(prefix)
        if meta is None:
            raise ValueError(f"{path}: no metadata file beside it; give dtype= (nanoGPT's is uint16)")
        check_file_sizes(prefix, meta)
        dtype = meta["dtype"]
    if dtype not in DTYPES:
        raise ValueError(f"dtype must be one of {', '.join(DTYPES)}, got {dtype!r}")
    if os.path.getsize(path) == 0:
        return np.zeros(0, dtype=DTYPES[dtype])  # type: ignore[return-value]  # mmap cannot map 0 bytes
    return np.memmap(path, dtype=DTYPES[dtype], mode="r")
