"""Drop-in replacements for other libraries' APIs, backed by tokembed's core.

- ``tokembed.compat.tiktoken``: tiktoken's ``get_encoding`` / ``Encoding`` API
  (``import tokembed.compat.tiktoken as tiktoken``);
- ``tokembed.compat.tokenizers``: HF ``tokenizers``' ``Tokenizer`` / ``Encoding``
  (``from tokembed.compat.tokenizers import Tokenizer``).

These layers return what the originals return (Python lists); the NumPy calls of
``tokembed.Tokenizer`` remain the fast path.
"""
