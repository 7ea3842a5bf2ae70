"""Embeddings over NumPy arrays, computed by the Rust core (these modules only shape arguments).

- ``table.py``: ``EmbeddingTable``, a ``(vocab_size, dim)`` table: lookup, training, vectors back
  to ids.
- ``input_embedder.py``: ``InputEmbedder``, a transformer's input embedding (token + segment +
  position, LayerNorm) in one pass.
- ``positional.py``: sinusoidal tables, position ids, ALiBi, T5 buckets.
- ``rotary.py``: ``RotaryEmbedding`` (RoPE).

Array policy of the tables and the input embedder:

- ``weights``: an array is used as given, without a copy, when C-contiguous and in the
  machine's byte order; other layouts and byte-swapped arrays (``">f2"``) are copied once at
  construction, to native order (``.weights`` is then the copy). Arrays of other dtypes
  (float64, ints) are refused: convert them yourself, so that a converted copy of a large
  table is never made behind your back. Nested lists are converted to float32.
- ``ids``: any integer dtype, byte order and shape; non-contiguous or byte-swapped ids are
  copied (they are small).
  Floats and bools are refused. Every id is checked: an id out of range raises ``IndexError``
  naming the id and its index, e.g. ``ids[3, 17]``.
- ``out=``: must be a C-contiguous, writeable array of exactly the result's shape and dtype,
  in the machine's byte order, not overlapping the inputs; anything else is refused (writing
  into a silent copy would lose the result).
- ``grad_output``, vectors, LayerNorm parameters: any float dtype and byte order, converted to
  C-contiguous native float32 (a copy only when they are not already).
- A ``dtype=`` argument names a format; arrays returned are always in native byte order.
- NaN and infinity in weights are not checked: they are copied (lookup) or propagate
  (LayerNorm rows containing them become NaN; ``nearest`` ranks NaN scores last).
"""

from .positional import (
    alibi_bias,
    alibi_slopes,
    position_ids,
    sinusoidal_table,
    t5_relative_position_bucket,
)
from .rotary import RotaryEmbedding
from .table import EmbeddingTable
from .input_embedder import InputEmbedder

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
