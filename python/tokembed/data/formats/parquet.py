"""Parquet with one ``list<uint32>`` column of ids, a row per document (``pip install
tokembed[parquet]`` for pyarrow). Each written batch becomes a row group, so writing streams."""

from __future__ import annotations

import os
from typing import Tuple

import numpy as np

from .base import ShardWriter

COLUMN = "ids"


def _pyarrow():
    try:
        import pyarrow as pa
        import pyarrow.parquet as pq
    except ImportError:  # pragma: no cover - depends on the environment
        raise ImportError("the parquet format needs pyarrow: pip install 'tokembed[parquet]'") from None
    return pa, pq


def ids_list_array(ids: np.ndarray, offsets: np.ndarray):
    """A pyarrow ``list<...>`` array of the documents, sharing the ids' memory."""
    pa, _ = _pyarrow()
    if len(ids) > np.iinfo(np.int32).max:
        raise ValueError("a batch of more than 2**31 - 1 ids does not fit a list column; write smaller batches")
    return pa.ListArray.from_arrays(pa.array(np.asarray(offsets, dtype=np.int32)), pa.array(ids))


def flat_ids(lists) -> Tuple[np.ndarray, np.ndarray]:
    """``(ids, offsets)`` of a pyarrow list column (chunked or not): the inverse of
    ``ids_list_array``, the form ``encode_batch_flat`` returns and writers take."""
    if hasattr(lists, "combine_chunks"):
        lists = lists.combine_chunks()
    lengths = lists.value_lengths().to_numpy(zero_copy_only=False)
    offsets = np.zeros(len(lengths) + 1, dtype=np.int64)
    np.cumsum(lengths, out=offsets[1:])
    return lists.flatten().to_numpy(zero_copy_only=False), offsets


class ParquetWriter(ShardWriter):
    format = "parquet"
    suffixes = (".parquet",)
    dtypes = ("uint32", "uint16")

    @classmethod
    def auto_dtype(cls, max_id: int) -> str:
        # Parquet's encodings make the stored width matter little; list<uint32> is what
        # readers expect of token ids.
        return "uint32"

    def __init__(self, prefix, dtype: str):
        super().__init__(prefix, dtype)
        pa, pq = _pyarrow()
        self._schema = pa.schema([(COLUMN, pa.list_(pa.from_numpy_dtype(self.dtype)))])
        self._writer = pq.ParquetWriter(self._outputs.temporary(self.paths[0]), self._schema)

    def _write(self, ids: np.ndarray, offsets: np.ndarray) -> None:
        pa, _ = _pyarrow()
        table = pa.Table.from_arrays([ids_list_array(ids, offsets)], schema=self._schema)
        self._writer.write_table(table)

    def _finish(self) -> None:
        self._writer.close()

    def _release(self) -> None:
        try:
            self._writer.close()
        except Exception:
            pass


def read_parquet(path: "str | os.PathLike[str]", column: str = COLUMN) -> Tuple[np.ndarray, np.ndarray]:
    """``(ids, offsets)`` of a Parquet shard's list column, as NumPy arrays (read into memory:
    Parquet pages are compressed)."""
    _, pq = _pyarrow()
    table = pq.read_table(os.fspath(path), columns=[column])
    return flat_ids(table.column(column))
