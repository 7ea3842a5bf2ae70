"""What every shard writer does: take batches of documents, write them under temporary names,
and give the files their final names only when ``close`` (or ``finish`` then ``commit``)
completes."""

from __future__ import annotations

import os
from typing import ClassVar, Dict, Iterable, List, Optional, Tuple

import numpy as np

from .atomic import AtomicOutputs

# Little-endian on disk whatever the machine, as every reader of these formats expects.
DTYPES: Dict[str, np.dtype] = {
    "uint16": np.dtype("<u2"),
    "uint32": np.dtype("<u4"),
    "int32": np.dtype("<i4"),
}


class ShardWriter:
    """Base class: ``write(ids, offsets)`` per batch, then ``close()`` (or ``abort()``).
    ``close()`` is ``finish()`` (the temporary files complete) then ``commit()`` (the final
    names); between the two, ``file_bytes()`` gives the sizes for the metadata, which
    ``commit(metadata=...)`` puts in place last, with the same all-or-nothing renames.

    ``ids`` holds the tokens of a batch of documents and ``offsets`` (length ``B + 1``,
    starting at 0) says where each document starts, as ``Tokenizer.encode_batch_flat`` returns
    them. Used as a context manager, an exception inside the block aborts the writer and an
    orderly exit closes it.
    """

    format: ClassVar[str]
    suffixes: ClassVar[Tuple[str, ...]]  # the files a shard is made of, after the prefix
    dtypes: ClassVar[Tuple[str, ...]] = ("uint16", "uint32", "int32")

    def __init__(self, prefix: "str | os.PathLike[str]", dtype: str):
        if dtype not in self.dtypes:
            raise ValueError(
                f"the {self.format} format stores ids as {' or '.join(self.dtypes)}, not {dtype}"
            )
        self.prefix = os.fspath(prefix)
        self.dtype = DTYPES[dtype]
        self.documents = 0
        self.tokens = 0
        self._outputs = AtomicOutputs()
        self._closed = False
        self._finished = False
        self._ids_at_most: Optional[int] = None

    def expect_ids_at_most(self, max_id: int) -> None:
        """The caller's word that every id it writes is in ``0..=max_id`` (its tokenizer's largest
        id): when that fits the stored type, batches of unsigned ids are not scanned for wider
        ones (a pass over every id, a tenth of the writer's time)."""
        self._ids_at_most = int(max_id)

    @classmethod
    def auto_dtype(cls, max_id: int) -> str:
        """The narrowest stored type for ids up to ``max_id``."""
        return "uint16" if max_id <= 0xFFFF else "uint32"

    @classmethod
    def paths_for(cls, prefix: "str | os.PathLike[str]") -> List[str]:
        return [os.fspath(prefix) + s for s in cls.suffixes]

    @property
    def paths(self) -> List[str]:
        return self.paths_for(self.prefix)

    def write(self, ids: np.ndarray, offsets: np.ndarray) -> None:
        if self._closed or self._finished:
            raise ValueError("write to a finished shard writer")
        if len(offsets) < 1 or offsets[0] != 0 or offsets[-1] != len(ids):
            raise ValueError("offsets must start at 0 and end at len(ids)")
        stored = self._stored(ids)
        self._write(stored, np.asarray(offsets, dtype=np.int64))
        self.documents += len(offsets) - 1
        self.tokens += len(ids)

    def finish(self) -> None:
        """Completes the temporary files; nothing has its final name yet."""
        if self._closed:
            raise ValueError("finish of a closed shard writer")
        if self._finished:
            return
        try:
            self._finish()
        except BaseException:
            self.abort()
            raise
        self._finished = True

    def file_bytes(self) -> Dict[str, int]:
        """Size of each file of the shard (by base name), once ``finish`` is done."""
        if not self._finished:
            raise ValueError("file sizes are known after finish()")
        return {os.path.basename(final): os.path.getsize(tmp) for tmp, final in self._outputs.temporaries}

    def temporaries(self) -> List[Tuple[str, str]]:
        """``(temporary path, final path)`` of each file of the shard, once ``finish`` is done
        (e.g. to checksum them before they get their final names)."""
        if not self._finished:
            raise ValueError("the files are complete after finish()")
        return list(self._outputs.temporaries)

    def commit(self, metadata: Optional[Tuple[str, str]] = None, remove: Iterable[str] = ()) -> None:
        """Gives the files their final names, then ``metadata`` (``(path, text)``), last. Old
        files under those names, and the paths in ``remove``, are removed first. On any error,
        nothing new is left under a final name."""
        if self._closed:
            return
        try:
            self.finish()
            if metadata is not None:
                self._outputs.text(*metadata)
            self._outputs.commit(remove)
        except BaseException:
            self._outputs.abort()
            raise
        finally:
            self._closed = True

    def close(self) -> None:
        self.commit()

    def abort(self) -> None:
        if self._closed:
            return
        self._closed = True
        try:
            self._release()
        finally:
            self._outputs.abort()

    def __enter__(self) -> "ShardWriter":
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        if exc_type is None:
            self.close()
        else:
            self.abort()

    # ----- for subclasses ------------------------------------------------------------------
    def _stored(self, ids: np.ndarray) -> np.ndarray:
        ids = np.asarray(ids)
        if not np.issubdtype(ids.dtype, np.integer):
            raise TypeError(f"ids must be integers, got {ids.dtype}")
        vouched = self._ids_at_most is not None and self._ids_at_most <= np.iinfo(self.dtype).max
        if ids.size and not (vouched and ids.dtype.kind == "u"):
            # One pass over the batch: a wider id would be stored wrapped around, silently.
            if int(ids.max()) > np.iinfo(self.dtype).max:
                raise ValueError(f"token id {int(ids.max())} does not fit {self.dtype.name}")
            if ids.dtype.kind == "i" and int(ids.min()) < 0:
                raise ValueError(f"token id {int(ids.min())} is negative")
        return np.ascontiguousarray(ids, dtype=self.dtype)

    def _write(self, ids: np.ndarray, offsets: np.ndarray) -> None:
        raise NotImplementedError

    def _finish(self) -> None:
        """Flush and close the temporary files (they are renamed afterwards)."""
        raise NotImplementedError

    def _release(self) -> None:
        """Close open files without finishing them (before they are removed)."""
        raise NotImplementedError


def close_quietly(f: Optional[object]) -> None:
    if f is not None:
        try:
            f.close()  # type: ignore[attr-defined]
        except OSError:
            pass
