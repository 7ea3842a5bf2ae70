"""tiktoken's public API on tokembed: ``import tokembed.compat.tiktoken as tiktoken``.

The encodings tiktoken registers are built in (no download): ``gpt2``, ``r50k_base``,
``p50k_base``, ``p50k_edit``, ``cl100k_base``, ``o200k_base`` and ``o200k_harmony``. An
``Encoding`` can also be made from ranks in memory, as with tiktoken. What differs from tiktoken
is listed in the README ("Switching from tiktoken").
"""

from .core import Encoding
from .model import encoding_for_model, encoding_name_for_model
from .registry import get_encoding, list_encoding_names

__version__ = "0.14.0"

__all__ = ["Encoding", "encoding_for_model", "encoding_name_for_model", "get_encoding", "list_encoding_names"]
