"""Embeddings over NumPy arrays, computed by the Rust core.

- ``table.py``: ``EmbeddingTable``, a ``(vocab_size, dim)`` table: lookup, training, vectors back
  to ids.
- ``input_embedder.py``: ``InputEmbedder``, a transformer's input embedding (token + segment +
  position, LayerNorm) in one pass.
- ``positional.py``: sinusoidal tables, position ids, ALiBi, T5 buckets.
- ``rotary.py``: ``RotaryEmbedding`` (RoPE).
"""

from .positional import (
    alibi_bias,
    alibi_slopes,
    position_ids,
    sinusoidal_table,
    t5_relative_position_bucket,
)
from .positional import RotaryEmbedding
from .table import EmbeddingTable, InputEmbedder

__all__ = [
    "EmbeddingTable",
    "InputEmbedder",
    "RotaryEmbedding",
    "alibi_bias",
    "alibi_slopes",
    "position_ids",
    "sinusoidal_table",
    "t5_relative_position_bucket",
]
