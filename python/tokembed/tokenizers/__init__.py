"""Tokenizers: the files people already have (HF ``tokenizer.json``, ``vocab.txt``, ``.tiktoken``,
GPT-2 ``vocab.json`` + ``merges.txt``) loaded into the Rust core, text encoded to NumPy arrays and
ids decoded back to text.

- ``tokenizer.py``: ``Tokenizer``, the calls users make (load, configure, encode, decode).
- ``decode_stream.py``: ``DecodeStream``, text from ids arriving one at a time.
- ``encoding.py``: what encoding returns (``Encoding``, ``BatchEncoding``).
- ``options.py``: per-call truncation and padding arguments to ``tokenizer.json`` parameters.
- ``builtin.py``: the tokenizer files shipped in ``assets/``.
"""

from .encoding import BatchEncoding, Encoding
from .tokenizer import DecodeStream, Tokenizer

__all__ = ["BatchEncoding", "DecodeStream", "Encoding", "Tokenizer"]
