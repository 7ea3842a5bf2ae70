"""Drop-in replacements for other libraries' APIs, backed by tokembed's core.

- ``tokembed.compat.tiktoken``: tiktoken's ``get_encoding`` / ``Encoding`` API
  (``import tokembed.compat.tiktoken as tiktoken``).

These layers return what the originals return (Python lists of ints); the NumPy calls of
``tokembed.Tokenizer`` remain the fast path.
"""
