"""Data utilities for training (the read side of preprocessing): token shards (``formats/``:
the writer and reader of each format, nanoGPT ``.bin``, ``.npy``, Megatron ``.bin``/``.idx`` and
Parquet; ``metadata.py``: the metadata file beside every shard; ``manifest.py``: the manifest of a
series of shards and ``ShardSet``; ``shards.py``: opening a shard of any format, or a series),
training windows, document packing, and a dataset a PyTorch ``DataLoader`` can use.
``tokembed encode`` and ``tokembed.ray`` write the shards (``tokembed.corpus``)."""

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
from .manifest import ShardSet, manifest_path, read_manifest
from .metadata import ShardMismatch, metadata_path, read_metadata
from .packing import pack_documents
from .shards import Shards, open_shards
from .windows import sliding_windows, window_count

# Raised while a shard is being written; named here too, where users import the rest. Imported
# last: the corpus package (the write side) itself imports the formats and metadata above.
from ..corpus.outputs import OutputLocked  # noqa: E402

__all__ = [
    "FORMATS",
    "MegatronIndexedDataset",
    "OutputLocked",
    "ShardMismatch",
    "ShardSet",
    "ShardWriter",
    "Shards",
    "TokenDataset",
    "choose_dtype",
    "manifest_path",
    "metadata_path",
    "open_shards",
    "open_writer",
    "pack_documents",
    "read_bin",
    "read_manifest",
    "read_megatron",
    "read_metadata",
    "read_npy",
    "read_parquet",
    "sliding_windows",
    "window_count",
]
