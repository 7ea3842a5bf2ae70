"""Data utilities for training: token shards (writers and readers of nanoGPT ``.bin``, ``.npy``,
Megatron ``.bin``/``.idx`` and Parquet), training windows, document packing, and a dataset a
PyTorch ``DataLoader`` can use. ``tokembed encode`` (the command line) writes the shards."""

from .dataset import TokenDataset
from .formats import (
    FORMATS,
    MegatronIndexedDataset,
    ShardWriter,
    choose_dtype,
    open_writer,
    read_bin,
    read_megatron,
    read_npy,
    read_parquet,
)
from .metadata import ShardMismatch, metadata_path, read_metadata
from ..corpus.outputs import OutputLocked
from .packing import pack_documents
from .shards import Shards, open_shards
from .windows import sliding_windows, window_count

__all__ = [
    "FORMATS",
    "MegatronIndexedDataset",
    "OutputLocked",
    "ShardMismatch",
    "ShardWriter",
    "Shards",
    "TokenDataset",
    "choose_dtype",
    "metadata_path",
    "open_shards",
    "open_writer",
    "pack_documents",
    "read_bin",
    "read_megatron",
    "read_metadata",
    "read_npy",
    "read_parquet",
    "sliding_windows",
    "window_count",
]
