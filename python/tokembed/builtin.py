"""Tokenizer files shipped inside the package, usable with no file to find first."""

from __future__ import annotations

from pathlib import Path
from typing import List

_DATA = Path(__file__).parent / "data"

DEFAULT = "bert-base-uncased"


def names() -> List[str]:
    return sorted(p.name for p in _DATA.iterdir() if (p / "tokenizer.json").is_file())


def path(name: str) -> Path:
    candidate = _DATA / name / "tokenizer.json"
    if "/" in name or "\\" in name or not candidate.is_file():
        raise ValueError(f"no built-in tokenizer named {name!r}; built-ins: {', '.join(names())}")
    return candidate
