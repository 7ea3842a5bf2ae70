"""What the encoder needs to know of a tokenizer: which it is (and how the metadata names it),
its end-of-sequence token, and its largest id (for the stored type). Its hash, recorded in the
metadata, is defined with the rest of the metadata (``data/metadata.py``)."""

from __future__ import annotations

import os
from typing import Optional, Tuple, Union

from ..tokenizers.tokenizer import Tokenizer

DEFAULT_TOKENIZER = "gpt2"



def resolve_tokenizer(spec: Union[str, "os.PathLike[str]", Tokenizer]) -> Tuple[Tokenizer, str]:
    """The tokenizer and how to name it in the metadata (a built-in name or an absolute path)."""
    if isinstance(spec, Tokenizer):
        return spec, getattr(spec, "_loaded_from", "<Tokenizer object>")
    tok = Tokenizer.load(spec)
    label = os.fspath(spec)
    if os.path.exists(label):
        label = os.path.abspath(label)
    return tok, label


def find_eos(tok: Tokenizer) -> Optional[Tuple[str, int]]:
    found = tok.eos_token_id
    return None if found is None else (tok.id_to_token(found), found)


def max_token_id(tok: Tokenizer) -> int:
    top = tok.max_token_id()
    return 0 if top is None else top


def eos_to_append(tok: Tokenizer, append_eos: bool, eos_id: Optional[int]) -> Optional[int]:
    """The id to put after every document: ``eos_id`` if given, else the tokenizer's own EOS;
    None when ``append_eos`` is off."""
    if eos_id is not None and not append_eos:
        raise ValueError("an EOS id is given but appending EOS is not asked for (--append-eos)")
    if not append_eos:
        return None
    if eos_id is not None:
        return checked_token_id(tok, eos_id, "EOS id (--eos-id)")
    found = find_eos(tok)
    if found is None:
        raise ValueError(
            "this tokenizer has no end-of-text token (<|endoftext|>, </s>, ...); give its id (--eos-id)"
        )
    return found[1]


def checked_token_id(tok: Tokenizer, token_id: int, what: str) -> int:
    """``token_id`` if the tokenizer has a token with that id, else a ``ValueError`` that says
    which ids it has."""
    token_id = int(token_id)
    top = max_token_id(tok)
    if not 0 <= token_id <= top or tok.id_to_token(token_id) is None:
        raise ValueError(
            f"the {what} {token_id} is not in the tokenizer's vocabulary (ids 0 to {top:,}, "
            f"{tok.vocab_size:,} tokens)"
        )
    return token_id
