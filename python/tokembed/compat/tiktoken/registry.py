"""The encodings tiktoken registers, built from the ranks shipped in the package."""

from __future__ import annotations

import os
import threading
from dataclasses import dataclass, field
from typing import Callable, Dict, List, Optional

from ...tokenizers import builtin
from ...tokenizers.tokenizer import Tokenizer
from .core import Encoding, one_name_per_id
from .load import load_tiktoken_bpe

ENDOFTEXT, ENDOFPROMPT = "<|endoftext|>", "<|endofprompt|>"
FIM = {"<|fim_prefix|>": 0, "<|fim_middle|>": 1, "<|fim_suffix|>": 2}

# tiktoken's split patterns (the core recognises each and runs its own scanner for it).
R50K_PAT = r"""'(?:[sdmt]|ll|ve|re)| ?\p{L}++| ?\p{N}++| ?[^\s\p{L}\p{N}]++|\s++$|\s+(?!\S)|\s"""
CL100K_PAT = (
    r"""'(?i:[sdmt]|ll|ve|re)|[^\r\n\p{L}\p{N}]?+\p{L}++|\p{N}{1,3}+| ?[^\s\p{L}\p{N}]++[\r\n]*+|\s++$|"""
    r"""\s*[\r\n]|\s+(?!\S)|\s"""
)
O200K_PAT = "|".join(
    [
        r"""[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]*[\p{Ll}\p{Lm}\p{Lo}\p{M}]+(?i:'s|'t|'re|'ve|'m|'ll|'d)?""",
        r"""[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]+[\p{Ll}\p{Lm}\p{Lo}\p{M}]*(?i:'s|'t|'re|'ve|'m|'ll|'d)?""",
        r"""\p{N}{1,3}""",
        r""" ?[^\s\p{L}\p{N}]+[\r\n/]*""",
        r"""\s*[\r\n]+""",
        r"""\s+(?!\S)""",
        r"""\s+""",
    ]
)


def p50k_extra_ranks() -> Dict[bytes, int]:
    """p50k_base is GPT-2's ranks plus the runs of 2 to 25 spaces at ranks 50257 to 50280;
    written out, that is byte for byte the file tiktoken expects (its SHA-256, checked by a test)."""
    return {b" " * n: 50257 + i for i, n in enumerate(range(2, 26))}


def _harmony_specials() -> Dict[str, int]:
    named = {
        "<|startoftext|>": 199998, ENDOFTEXT: 199999, "<|return|>": 200002, "<|constrain|>": 200003,
        "<|channel|>": 200005, "<|start|>": 200006, "<|end|>": 200007, "<|message|>": 200008,
        "<|call|>": 200012, ENDOFPROMPT: 200018,
    }
    # As tiktoken defines it, <|reserved_200018|> shares its id with <|endofprompt|>.
    taken = {i for token, i in named.items() if token != ENDOFPROMPT}
    reserved = {f"<|reserved_{i}|>": i for i in range(200000, 201088) if i not in taken}
    return {**named, **reserved}


@dataclass(frozen=True)
class _Definition:
    builtin: str  # the tokembed built-in whose ranks, split pattern and special tokens it starts from
    pat_str: str  # that pattern as tiktoken writes it (users read `_pat_str` to build encodings)
    more_special_tokens: Dict[str, int] = field(default_factory=dict)
    extra_ranks: Optional[Callable[[], Dict[bytes, int]]] = None

    def special_tokens(self) -> Dict[str, int]:
        return {**builtin.spec(self.builtin).special_tokens, **self.more_special_tokens}

    def max_token_value(self) -> int:
        # In every registered encoding the special tokens and extra ranks come after the file's ranks.
        extra = self.extra_ranks() if self.extra_ranks else {}
        return max(max(self.special_tokens().values()), max(extra.values(), default=0))


_DEFINITIONS: Dict[str, _Definition] = {
    "gpt2": _Definition("gpt2", R50K_PAT),
    "r50k_base": _Definition("gpt2", R50K_PAT),
    "p50k_base": _Definition("gpt2", R50K_PAT, extra_ranks=p50k_extra_ranks),
    "p50k_edit": _Definition("gpt2", R50K_PAT, {k: 50281 + v for k, v in FIM.items()}, p50k_extra_ranks),
    "cl100k_base": _Definition("cl100k_base", CL100K_PAT),
    "o200k_base": _Definition("o200k_base", O200K_PAT),
    "o200k_harmony": _Definition("o200k_base", O200K_PAT, _harmony_specials()),
}

_lock = threading.RLock()
ENCODINGS: Dict[str, Encoding] = {}


def _new_lock_in_child() -> None:
    # A child forked while another thread builds an encoding would inherit the lock held
    # forever; it gets a fresh one (what was built before the fork stays shared).
    global _lock
    _lock = threading.RLock()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_new_lock_in_child)


def _build(name: str) -> Encoding:
    d = _DEFINITIONS[name]
    path, pattern, specials = builtin.path(d.builtin), builtin.spec(d.builtin).pattern, d.special_tokens()
    if d.extra_ranks is None:
        tokenizer = Tokenizer.from_tiktoken(path, pattern, one_name_per_id(specials))
        # Read only if asked for (`_mergeable_ranks`, `token_byte_values` ...).
        return Encoding._from_tokenizer(
            name, d.pat_str, specials, tokenizer, d.max_token_value(), lambda: load_tiktoken_bpe(path)
        )
    ranks = {**load_tiktoken_bpe(path), **d.extra_ranks()}
    tokenizer = Tokenizer.from_tiktoken_ranks(ranks, pattern, one_name_per_id(specials))
    return Encoding._from_tokenizer(name, d.pat_str, specials, tokenizer, d.max_token_value(), lambda: ranks)


def get_encoding(encoding_name: str) -> Encoding:
    """The encoding of that name, built once per process and shared."""
    if not isinstance(encoding_name, str):
        raise ValueError(f"Expected a string in get_encoding, got {type(encoding_name)}")
    enc = ENCODINGS.get(encoding_name)
    if enc is not None:
        return enc
    with _lock:
        if encoding_name not in ENCODINGS:
            if encoding_name not in _DEFINITIONS:
                raise ValueError(
                    f"Unknown encoding {encoding_name}. tokembed.compat.tiktoken has: "
                    f"{', '.join(list_encoding_names())}"
                )
            ENCODINGS[encoding_name] = _build(encoding_name)
        return ENCODINGS[encoding_name]


def list_encoding_names() -> List[str]:
    return list(_DEFINITIONS)
