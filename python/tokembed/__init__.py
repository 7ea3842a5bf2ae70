"""tokembed: text to transformer inputs, exactly and fast.

Tokenizers that load the files people already have (HF ``tokenizer.json``, ``vocab.txt``) and
give the ids of HF ``tokenizers``, with batches returned as NumPy arrays.
"""

from ._core import TokenizerError, get_num_threads, set_num_threads
from .embedding import EmbeddingTable, InputEmbedder
from .encoding import BatchEncoding, Encoding
from .positional import (
    RotaryEmbedding,
    alibi_bias,
    alibi_slopes,
    position_ids,
    sinusoidal_table,
    t5_relative_position_bucket,
)
from .tokenizer import DecodeStream, Tokenizer

__version__ = "0.1.0"

__all__ = [
    "BatchEncoding",
    "DecodeStream",
    "EmbeddingTable",
    "Encoding",
    "InputEmbedder",
    "RotaryEmbedding",
    "Tokenizer",
    "TokenizerError",
    "alibi_bias",
    "alibi_slopes",
    "get_num_threads",
    "position_ids",
    "set_num_threads",
    "sinusoidal_table",
    "t5_relative_position_bucket",
    "__version__",
]
