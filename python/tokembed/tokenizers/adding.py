"""Adding tokens to a loaded tokenizer, as HF `tokenizers` adds them (`add_tokens`,
`add_special_tokens`): the tokenizer's file gets the new entries and is loaded again."""

from __future__ import annotations

import json
from typing import Any, Dict, Iterable, List, Tuple

_FLAGS = ("single_word", "lstrip", "rstrip", "normalized", "special")


def token_entry(token: Any, special: bool, where: str) -> Dict[str, Any]:
    """An `added_tokens` entry (without its id) for a string or an object with HF `AddedToken`'s
    attributes. As HF: `normalized` defaults to the opposite of `special`."""
    if isinstance(token, str):
        return {"content": token, "single_word": False, "lstrip": False, "rstrip": False,
                "normalized": not special, "special": special}
    try:
        entry = {"content": token.content, **{flag: bool(getattr(token, flag)) for flag in _FLAGS}}
    except AttributeError:
        raise TypeError(f"{where} must be a str or an AddedToken, got {type(token).__name__}") from None
    if not isinstance(entry["content"], str):
        raise TypeError(f"{where}.content must be a str")
    if special:
        entry["special"] = True
    return entry


def with_tokens(file_text: str, tokens: Iterable[Any], special: bool, model_vocab: Dict[str, int]) -> Tuple[str, int]:
    """The tokenizer file with `tokens` added, and how many HF counts as added: an empty token,
    or one already added with the same flags, is ignored; one already added with other flags
    keeps its id and takes the new flags; a token of the model's vocabulary keeps the model's
    id; any other takes the next id (after the model's vocabulary and the added tokens)."""
    doc = json.loads(file_text)
    added: List[Dict[str, Any]] = doc.get("added_tokens") or []
    by_content = {entry["content"]: entry for entry in added}
    next_id = len(model_vocab)
    if added:
        top = max(entry["id"] for entry in added)
        if top >= len(model_vocab) or not model_vocab:
            next_id = top + 1
    count = 0
    for i, token in enumerate(tokens):
        entry = token_entry(token, special, f"tokens[{i}]")
        if not entry["content"]:
            continue
        old = by_content.get(entry["content"])
        if old is not None:
            if all(old[flag] == entry[flag] for flag in _FLAGS):
                continue
            old.update(entry)
        else:
            entry["id"] = model_vocab.get(entry["content"])
            if entry["id"] is None:
                entry["id"], next_id = next_id, next_id + 1
            added.append(entry)
            by_content[entry["content"]] = entry
        count += 1
    doc["added_tokens"] = sorted(added, key=lambda e: e["id"])
    return json.dumps(doc), count
