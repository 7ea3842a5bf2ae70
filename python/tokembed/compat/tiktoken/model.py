"""Which encoding a model name uses (the table tiktoken 0.14 publishes)."""

from __future__ import annotations

from typing import Dict, Tuple

from .core import Encoding
from .registry import get_encoding

_R50K, _P50K, _CL100K, _O200K = "r50k_base", "p50k_base", "cl100k_base", "o200k_base"

# Names tiktoken recognises exactly, grouped by encoding.
_EXACT: Dict[str, Tuple[str, ...]] = {
    _O200K: ("o1", "o3", "o4-mini", "gpt-5", "gpt-4.1", "gpt-4o"),
    _CL100K: (
        "gpt-4", "gpt-3.5-turbo", "gpt-3.5", "gpt-35-turbo", "davinci-002", "babbage-002",
        "text-embedding-ada-002", "text-embedding-3-small", "text-embedding-3-large",
    ),
    _P50K: (
        "text-davinci-003", "text-davinci-002", "code-davinci-002", "code-davinci-001",
        "code-cushman-002", "code-cushman-001", "davinci-codex", "cushman-codex",
    ),
    "p50k_edit": ("text-davinci-edit-001", "code-davinci-edit-001"),
    _R50K: (
        "text-davinci-001", "text-curie-001", "text-babbage-001", "text-ada-001",
        "davinci", "curie", "babbage", "ada",
        "text-similarity-davinci-001", "text-similarity-curie-001", "text-similarity-babbage-001",
        "text-similarity-ada-001", "text-search-davinci-doc-001", "text-search-curie-doc-001",
        "text-search-babbage-doc-001", "text-search-ada-doc-001", "code-search-babbage-code-001",
        "code-search-ada-code-001",
    ),
    "gpt2": ("gpt2", "gpt-2"),
}

MODEL_TO_ENCODING: Dict[str, str] = {model: enc for enc, models in _EXACT.items() for model in models}

# Prefixes of versioned and fine-tuned names, tried in this order after the exact names.
MODEL_PREFIX_TO_ENCODING: Dict[str, str] = {
    "o1-": _O200K, "o3-": _O200K, "o4-mini-": _O200K, "gpt-5": _O200K, "gpt-4.5-": _O200K,
    "gpt-4.1-": _O200K, "chatgpt-4o-": _O200K, "gpt-4o-": _O200K, "gpt-4-": _CL100K,
    "gpt-3.5-turbo-": _CL100K, "gpt-35-turbo-": _CL100K, "gpt-oss-": "o200k_harmony",
    "ft:gpt-4o": _O200K, "ft:gpt-4": _CL100K, "ft:gpt-3.5-turbo": _CL100K,
    "ft:davinci-002": _CL100K, "ft:babbage-002": _CL100K,
}


def encoding_name_for_model(model_name: str) -> str:
    """The name of the encoding `model_name` uses; ``KeyError`` for a model it does not know."""
    if model_name in MODEL_TO_ENCODING:
        return MODEL_TO_ENCODING[model_name]
    for prefix, name in MODEL_PREFIX_TO_ENCODING.items():
        if model_name.startswith(prefix):
            return name
    raise KeyError(
        f"Could not automatically map {model_name} to a tokeniser. "
        "Please use `tiktoken.get_encoding` to explicitly get the tokeniser you expect."
    )


def encoding_for_model(model_name: str) -> Encoding:
    """The encoding `model_name` uses; ``KeyError`` for a model it does not know."""
    return get_encoding(encoding_name_for_model(model_name))
