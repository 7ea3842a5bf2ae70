"""The real tiktoken's encodings, built by its own definitions (tiktoken_ext.openai_public) with
the ranks read from tokembed's built-in files instead of downloaded. Each file read is checked
against the SHA-256 tiktoken expects of it, so the built-ins (and p50k_base, which tokembed
derives from GPT-2's ranks) are the very ranks tiktoken uses."""

from __future__ import annotations

import base64
import hashlib
from typing import Dict

import tiktoken
import tiktoken.load
import tiktoken_ext.openai_public as openai_public

from tokembed.compat.tiktoken.registry import p50k_extra_ranks
from tokembed.tokenizers import builtin
from tokembed.tokenizers.loading import _read_text


def _ranks_file(basename: str) -> bytes:
    if basename in ("r50k_base.tiktoken", "p50k_base.tiktoken"):
        text = _read_text(builtin.path("gpt2"))
        if basename == "p50k_base.tiktoken":
            extra = sorted(p50k_extra_ranks().items(), key=lambda kv: kv[1])
            text += "".join(f"{base64.b64encode(token).decode()} {rank}\n" for token, rank in extra)
        return text.encode()
    return _read_text(builtin.path(basename.removesuffix(".tiktoken"))).encode()


def _load(url: str, expected_hash: str | None = None) -> Dict[bytes, int]:
    data = _ranks_file(url.rsplit("/", 1)[-1])
    assert hashlib.sha256(data).hexdigest() == expected_hash, f"{url}: not the ranks tiktoken expects"
    return {base64.b64decode(token): int(rank) for token, rank in (line.split() for line in data.splitlines() if line)}


def _gpt2_data_gym(**_kwargs) -> Dict[bytes, int]:
    # tiktoken's "gpt2" reads GPT-2's original vocab.bpe/encoder.json; they hold r50k_base's ranks.
    return _load("r50k_base.tiktoken", "306cd27f03c1a714eca7108e03d66b7dc042abe8c258b44c199a7ed9838dd930")


_CACHE: Dict[str, tiktoken.Encoding] = {}


def encoding(name: str) -> tiktoken.Encoding:
    """tiktoken's encoding of that name (every name tiktoken registers)."""
    if name not in _CACHE:
        saved = openai_public.load_tiktoken_bpe, openai_public.data_gym_to_mergeable_bpe_ranks
        openai_public.load_tiktoken_bpe, openai_public.data_gym_to_mergeable_bpe_ranks = _load, _gpt2_data_gym
        try:
            _CACHE[name] = tiktoken.Encoding(**openai_public.ENCODING_CONSTRUCTORS[name]())
        finally:
            openai_public.load_tiktoken_bpe, openai_public.data_gym_to_mergeable_bpe_ranks = saved
    return _CACHE[name]
