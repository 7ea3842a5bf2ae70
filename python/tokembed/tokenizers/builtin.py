"""Tokenizer files shipped inside the package, usable with no file to find first."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, List

_ASSETS = Path(__file__).parent / "assets"

DEFAULT = "bert-base-uncased"


@dataclass(frozen=True)
class Builtin:
    path: Path
    tiktoken: bool = False
    pattern: str = ""
    special_tokens: Dict[str, int] = field(default_factory=dict)


# tiktoken's special tokens for its encodings (facts from tiktoken's published definitions).
_BUILTINS = {
    "bert-base-uncased": Builtin(_ASSETS / "bert-base-uncased" / "tokenizer.json"),
    "gpt2": Builtin(_ASSETS / "gpt2" / "gpt2.tiktoken", True, "gpt2", {"<|endoftext|>": 50256}),
    "cl100k_base": Builtin(
        _ASSETS / "cl100k_base" / "cl100k_base.tiktoken",
        True,
        "cl100k_base",
        {
            "<|endoftext|>": 100257,
            "<|fim_prefix|>": 100258,
            "<|fim_middle|>": 100259,
            "<|fim_suffix|>": 100260,
            "<|endofprompt|>": 100276,
        },
    ),
    "o200k_base": Builtin(
        _ASSETS / "o200k_base" / "o200k_base.tiktoken.gz",
        True,
        "o200k_base",
        {"<|endoftext|>": 199999, "<|endofprompt|>": 200018},
    ),
}


def names() -> List[str]:
    return sorted(name for name, b in _BUILTINS.items() if b.path.is_file())


def spec(name: str) -> Builtin:
    b = _BUILTINS.get(name)
    if b is None or not b.path.is_file():
        raise ValueError(f"no built-in tokenizer named {name!r}; built-ins: {', '.join(names())}")
    return b


def path(name: str) -> Path:
    return spec(name).path

