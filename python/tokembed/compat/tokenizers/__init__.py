"""HF `tokenizers`' `Tokenizer` and `Encoding` on tokembed: ``from tokembed.compat.tokenizers
import Tokenizer``. Files load as tokembed loads them (every component it supports); calls return
what HF returns (``Encoding`` objects with Python lists). What is not here yet is listed in the
README ("Switching from HF tokenizers")."""

from .encoding import Encoding
from .tokenizer import Tokenizer

__all__ = ["Encoding", "Tokenizer"]
