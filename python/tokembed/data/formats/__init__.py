"""Shard formats: one module per format, each with its writer and its reader.

=========  =========================================  ==========================================
format     files                                      read with
=========  =========================================  ==========================================
bin        ``PREFIX.bin``                             ``read_bin`` (nanoGPT: ``np.memmap``)
npy        ``PREFIX.npy``, ``PREFIX.offsets.npy``     ``read_npy`` (``np.load(mmap_mode="r")``)
megatron   ``PREFIX.bin``, ``PREFIX.idx``             ``MegatronIndexedDataset`` / Megatron-LM
parquet    ``PREFIX.parquet`` (``ids: list<uint32>``)  ``read_parquet`` / pyarrow
=========  =========================================  ==========================================
"""

from __future__ import annotations

from typing import Dict, Optional, Type

from .base import DTYPES, ShardWriter
from .megatron import MegatronIndexedDataset, MegatronWriter, read_megatron
from .nanogpt_bin import BinWriter, read_bin
from .npy import NpyWriter, read_npy
from .parquet import ParquetWriter, read_parquet

WRITERS: Dict[str, Type[ShardWriter]] = {
    w.format: w for w in (BinWriter, NpyWriter, MegatronWriter, ParquetWriter)
}
FORMATS = tuple(WRITERS)


def writer_class(format: str) -> Type[ShardWriter]:
    try:
        return WRITERS[format]
    except KeyError:
        raise ValueError(f"unknown shard format {format!r}; formats: {', '.join(FORMATS)}") from None


def choose_dtype(format: str, requested: str, max_id: int) -> str:
    """The stored id type: ``requested`` checked against the format and the largest id, or for
    ``"auto"`` the narrowest the format allows (uint16 when the vocabulary fits)."""
    cls = writer_class(format)
    if requested == "auto":
        return cls.auto_dtype(max_id)
    if requested not in DTYPES:
        raise ValueError(f"dtype must be auto, {', '.join(DTYPES)}; got {requested!r}")
    if requested not in cls.dtypes:
        hint = " (Megatron's index has no uint32 code; use int32)" if format == "megatron" else ""
        raise ValueError(f"the {format} format stores ids as {' or '.join(cls.dtypes)}, not {requested}{hint}")
    import numpy as np

    if max_id > np.iinfo(DTYPES[requested]).max:
        raise ValueError(f"ids go up to {max_id}, which does not fit {requested}")
    return requested


def open_writer(prefix, format: str, dtype: str, max_id: Optional[int] = None) -> ShardWriter:
    """A writer of ``format`` (see ``FORMATS``) storing ids as ``dtype`` (uint16, uint32, int32);
    ``max_id``, when given, is the largest id the caller will write (``expect_ids_at_most``)."""
    writer = writer_class(format)(prefix, dtype)
    if max_id is not None:
        writer.expect_ids_at_most(max_id)
    return writer


__all__ = [
    "FORMATS",
    "BinWriter",
    "MegatronIndexedDataset",
    "MegatronWriter",
    "NpyWriter",
    "ParquetWriter",
    "ShardWriter",
    "choose_dtype",
    "open_writer",
    "read_bin",
    "read_megatron",
    "read_npy",
    "read_parquet",
    "writer_class",
]
