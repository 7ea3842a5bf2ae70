"""Results of encoding: one text (`Encoding`) or a padded batch (`BatchEncoding`)."""

from __future__ import annotations

from typing import Any, Callable, List, Optional, Sequence

import numpy as np


class Encoding:
    """One encoded text or pair: NumPy arrays with one entry per token.

    ``offsets`` is an ``(n, 2)`` array of character offsets into the text the token came from
    (the pair's own text for tokens of the pair); special and padding tokens have ``(0, 0)``.
    """

    __slots__ = (
        "ids",
        "type_ids",
        "attention_mask",
        "special_tokens_mask",
        "offsets",
        "overflowing",
        "_to_tokens",
        "_token_texts",
        "_tokens",
        "_sequence_ids",
        "_word_ids",
        "_sequence_ranges",
    )

    def __init__(self, arrays: dict, to_tokens: Callable[[np.ndarray], List[str]]):
        self.ids: np.ndarray = arrays["ids"]
        self.type_ids: np.ndarray = arrays["type_ids"]
        self.attention_mask: np.ndarray = arrays["attention_mask"]
        self.special_tokens_mask: np.ndarray = arrays["special_tokens_mask"]
        self.offsets: np.ndarray = arrays["offsets"]
        self.overflowing: List[Encoding] = [Encoding(o, to_tokens) for o in arrays["overflowing"]]
        self._to_tokens = to_tokens
        # (position, string) of the tokens not named by the vocabulary (added tokens as matched,
        # template tokens as the post-processor names them).
        self._token_texts = arrays["token_texts"]
        self._tokens: List[str] | None = None
        self._sequence_ids: np.ndarray = arrays["sequence_ids"]
        self._word_ids: np.ndarray = arrays["word_ids"]
        # (sequence, start, stop) of the ranges of tokens HF keeps for each sequence.
        self._sequence_ranges: list = arrays.get("sequence_ranges", [])

    @property
    def tokens(self) -> List[str]:
        """Token strings, computed on first use."""
        if self._tokens is None:
            tokens = self._to_tokens(self.ids)
            for position, text in self._token_texts:
                tokens[position] = text
            self._tokens = tokens
        return self._tokens

    @property
    def sequence_ids(self) -> List[Optional[int]]:
        """For each token, 0 when it comes from the text, 1 from the pair, None for special
        tokens the post-processor added and for padding (HF's `sequence_ids`)."""
        return [None if s < 0 else s for s in self._sequence_ids.tolist()]

    @property
    def word_ids(self) -> List[Optional[int]]:
        """For each token, the index of the word it came from within its sequence (a piece of
        the pre-tokenizer, an added token found in the text, or a word of pre-tokenized input),
        None for special tokens the post-processor added and for padding (HF's `word_ids`)."""
        return [None if w < 0 else w for w in self._word_ids.tolist()]

    def __len__(self) -> int:
        return len(self.ids)

    def __repr__(self) -> str:
        return f"Encoding(num_tokens={len(self)}, overflowing={len(self.overflowing)})"


class BatchEncoding(dict):
    """A padded batch: a mapping of ``(batch, length)`` int64 arrays.

    Keys: ``input_ids``, ``attention_mask``, ``token_type_ids``, ``special_tokens_mask``, and,
    when asked for, ``offsets`` ``(batch, length, 2)``, ``word_ids`` ``(batch, length)`` (-1 for
    special tokens and padding) and ``overflow_to_sample_mapping`` ``(batch,)``. Keys can also be
    read as attributes, and the mapping can be passed to a model as keyword arguments. Asked
    for without padding (``padding=False``), each per-token field is a list of 1-D arrays.
    """

    def __getattr__(self, name: str) -> Any:
        try:
            return self[name]
        except KeyError:
            raise AttributeError(name) from None

    @property
    def shape(self) -> Sequence[int]:
        """``(batch, length)``; unpadded rows have no one length, so ``(batch,)``."""
        ids = self["input_ids"]
        return ids.shape if isinstance(ids, np.ndarray) else (len(ids),)

    def __repr__(self) -> str:
        def shape(v: Any) -> str:
            return str(v.shape) if isinstance(v, np.ndarray) else f"{len(v)} unpadded rows"

        fields = ", ".join(f"{k}: {shape(v)}" for k, v in self.items())
        return f"BatchEncoding({fields})"
