"""tokembed: text to transformer inputs, exactly and fast.

Tokenizers that load the files people already have (HF ``tokenizer.json``, ``vocab.txt``) and
give the ids of HF ``tokenizers``, with batches returned as NumPy arrays.
"""

from ._core import TokenizerError, get_num_threads, set_num_threads
from .encoding import BatchEncoding, Encoding
from .tokenizer import DecodeStream, Tokenizer

__version__ = "0.1.0"

__all__ = [
    "BatchEncoding",
    "DecodeStream",
    "Encoding",
    "Tokenizer",
    "TokenizerError",
    "get_num_threads",
    "set_num_threads",
    "__version__",
]
