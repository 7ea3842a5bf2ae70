"""HF `tokenizers`' `Tokenizer` on a tokembed ``Tokenizer``.

Truncation is tokembed's own (the same options); padding is applied here, to each encoding or
across a batch, exactly as HF pads (`Encoding.pad`), so batches are padded to their longest row.
"""

from __future__ import annotations

import json
import os
from typing import Any, Dict, Iterable, List, Optional, Sequence, Tuple, Union

import numpy as np

from ...tokenizers.encoding import Encoding as ArrayEncoding
from ...tokenizers.tokenizer import Tokenizer as ArrayTokenizer
from .encoding import Encoding

InputSequence = Union[str, Sequence[str]]

_SIDE = {"Right": "right", "Left": "left"}
_STRATEGY = {"LongestFirst": "longest_first", "OnlyFirst": "only_first", "OnlySecond": "only_second"}


class Tokenizer:
    def __init__(self, *args: Any, **kwargs: Any):
        raise TypeError(
            "tokembed.compat.tokenizers.Tokenizer loads files: use Tokenizer.from_file, from_str or from_buffer "
            "(building one from a model object is not supported)"
        )

    @classmethod
    def _wrap(cls, inner: ArrayTokenizer) -> "Tokenizer":
        tok = cls.__new__(cls)
        file_padding = inner.padding
        inner.no_padding()  # padding is applied here, per encoding or across a batch, as HF pads
        tok._inner = inner
        tok._padding: Optional[Dict[str, Any]] = None
        if file_padding is not None:
            strategy = file_padding.get("strategy")
            tok._padding = {
                "length": strategy["Fixed"] if isinstance(strategy, dict) else None,
                "pad_to_multiple_of": file_padding.get("pad_to_multiple_of"),
                "pad_id": file_padding.get("pad_id", 0),
                "pad_token": file_padding.get("pad_token", "[PAD]"),
                "pad_type_id": file_padding.get("pad_type_id", 0),
                "direction": _SIDE.get(file_padding.get("direction", "Right"), "right"),
            }
        tok.encode_special_tokens = False
        return tok

    # ----- loading and saving -------------------------------------------------------------------
    @classmethod
    def from_file(cls, path: str) -> "Tokenizer":
        return cls._wrap(ArrayTokenizer.from_file(path))

    @classmethod
    def from_str(cls, json: str) -> "Tokenizer":
        return cls._wrap(ArrayTokenizer.from_str(json))

    @classmethod
    def from_buffer(cls, buffer: bytes) -> "Tokenizer":
        return cls._wrap(ArrayTokenizer.from_str(bytes(buffer).decode("utf-8")))

    def to_str(self, pretty: bool = False) -> str:
        self._sync_padding()
        try:
            return self._inner.to_str(pretty)
        finally:
            self._inner.no_padding()

    def save(self, path: str, pretty: bool = True) -> None:
        self._sync_padding()
        try:
            self._inner.save(os.fspath(path), pretty)
        finally:
            self._inner.no_padding()

    def _sync_padding(self) -> None:
        """Puts this layer's padding into the inner tokenizer, for writing the file."""
        p = self._padding
        if p is not None:
            self._inner.enable_padding(
                direction=p["direction"], pad_id=p["pad_id"], pad_type_id=p["pad_type_id"], pad_token=p["pad_token"],
                length=p["length"], pad_to_multiple_of=p["pad_to_multiple_of"],
            )

    def __getstate__(self):
        return {"json": self.to_str(), "encode_special_tokens": self.encode_special_tokens}

    def __setstate__(self, state):
        self.__dict__ = Tokenizer.from_str(state["json"]).__dict__
        self.encode_special_tokens = state["encode_special_tokens"]

    # ----- settings -----------------------------------------------------------------------------
    @property
    def padding(self) -> Optional[Dict[str, Any]]:
        return None if self._padding is None else dict(self._padding)

    def enable_padding(
        self,
        direction: str = "right",
        pad_id: int = 0,
        pad_type_id: int = 0,
        pad_token: str = "[PAD]",
        length: Optional[int] = None,
        pad_to_multiple_of: Optional[int] = None,
    ) -> None:
        if direction not in ("left", "right"):
            raise ValueError(f"Unknown `direction`: `{direction}`. Use one of `left` or `right`")
        self._padding = {
            "length": length, "pad_to_multiple_of": pad_to_multiple_of, "pad_id": pad_id,
            "pad_token": pad_token, "pad_type_id": pad_type_id, "direction": direction,
        }

    def no_padding(self) -> None:
        self._padding = None

    @property
    def truncation(self) -> Optional[Dict[str, Any]]:
        t = self._inner.truncation
        if t is None:
            return None
        return {
            "max_length": t["max_length"], "stride": t.get("stride", 0),
            "strategy": _STRATEGY.get(t.get("strategy"), "longest_first"),
            "direction": _SIDE.get(t.get("direction", "Right"), "right"),
        }

    def enable_truncation(
        self, max_length: int, stride: int = 0, strategy: str = "longest_first", direction: str = "right"
    ) -> None:
        self._inner.enable_truncation(max_length, stride, strategy, direction)

    def no_truncation(self) -> None:
        self._inner.no_truncation()

    # ----- encoding -----------------------------------------------------------------------------
    def encode(
        self,
        sequence: InputSequence,
        pair: Optional[InputSequence] = None,
        is_pretokenized: bool = False,
        add_special_tokens: bool = True,
    ) -> Encoding:
        encoding = self._encode_one(sequence, pair, is_pretokenized, add_special_tokens)
        if self._padding is not None:
            self._pad_all([encoding])
        return encoding

    def encode_batch(
        self, input: Iterable[Any], is_pretokenized: bool = False, add_special_tokens: bool = True
    ) -> List[Encoding]:
        encodings = []
        for i, item in enumerate(input):
            sequence, pair = _split_input(item, is_pretokenized, f"input[{i}]")
            encodings.append(self._encode_one(sequence, pair, is_pretokenized, add_special_tokens))
        if self._padding is not None:
            self._pad_all(encodings)
        return encodings

    def encode_batch_fast(
        self, input: Iterable[Any], is_pretokenized: bool = False, add_special_tokens: bool = True
    ) -> List[Encoding]:
        """As HF's: ``encode_batch`` (HF skips the offsets here; these are computed anyway)."""
        return self.encode_batch(input, is_pretokenized, add_special_tokens)

    def _encode_one(self, sequence, pair, is_pretokenized: bool, add_special_tokens: bool) -> Encoding:
        arrays = self._inner.encode(
            sequence, pair, add_special_tokens=add_special_tokens,
            split_special_tokens=bool(self.encode_special_tokens), is_pretokenized=is_pretokenized,
        )
        return Encoding._wrap(arrays)

    def _pad_all(self, encodings: List[Encoding]) -> None:
        p = self._padding
        length = p["length"]
        if length is None:
            length = max((len(e) for e in encodings), default=0)
        multiple = p["pad_to_multiple_of"]
        if multiple and length % multiple:
            length += multiple - length % multiple
        for e in encodings:
            e.pad(length, p["direction"], p["pad_id"], p["pad_type_id"], p["pad_token"])

    def post_process(
        self, encoding: Encoding, pair: Optional[Encoding] = None, add_special_tokens: bool = True
    ) -> Encoding:
        """What ``encode`` does after tokenizing, applied to given encodings (as HF's): the
        tokenizer's truncation (leaving room for special tokens), its post-processor, then its
        padding."""
        for name, e in (("encoding", encoding), ("pair", pair)):
            if e is not None and not isinstance(e, Encoding):
                raise TypeError(f"post_process: {name} must be an Encoding, got {type(e).__name__}")
        inner = self._inner
        truncation = None if inner._truncation is None else json.dumps(inner._truncation)
        arrays = inner._core.post_process(
            self._fields_of(encoding), None if pair is None else self._fields_of(pair), bool(add_special_tokens),
            truncation,
        )
        out = Encoding._wrap(ArrayEncoding(arrays, inner._core.ids_to_tokens))
        if self._padding is not None:
            self._pad_all([out])
        return out

    def _fields_of(self, e: Encoding) -> dict:
        """An encoding as the lists the core's post-processing reads."""
        ids, tokens = e._field("ids"), e._field("tokens")
        named = self._inner._core.ids_to_tokens(np.asarray(ids, dtype=np.int64)) if ids else []
        return {
            "ids": ids, "type_ids": e._field("type_ids"), "offsets": e._field("offsets"),
            "special_tokens_mask": e._field("special_tokens_mask"), "attention_mask": e._field("attention_mask"),
            "word_ids": e._field("word_ids"),
            "token_texts": [(i, t) for i, (t, v) in enumerate(zip(tokens, named)) if t != v],
            "overflowing": [self._fields_of(o) for o in e._field("overflowing")],
            "sequence_ranges": [(s, a, b) for s, (a, b) in e._sequence_ranges().items()],
        }

    # ----- decoding -----------------------------------------------------------------------------
    def decode(self, ids: Sequence[int], skip_special_tokens: bool = True) -> str:
        return self._inner.decode(ids, skip_special_tokens=skip_special_tokens)

    def decode_batch(self, sequences: Sequence[Sequence[int]], skip_special_tokens: bool = True) -> List[str]:
        return self._inner.decode_batch([np.asarray(s, dtype=np.int64) for s in sequences], skip_special_tokens)

    # ----- vocabulary ---------------------------------------------------------------------------
    def token_to_id(self, token: str) -> Optional[int]:
        return self._inner.token_to_id(token)

    def id_to_token(self, id: int) -> Optional[str]:
        return self._inner.id_to_token(id)

    def get_vocab(self, with_added_tokens: bool = True) -> Dict[str, int]:
        return self._inner.get_vocab(with_added_tokens)

    def get_vocab_size(self, with_added_tokens: bool = True) -> int:
        return self._inner.get_vocab_size(with_added_tokens)

    def add_tokens(self, tokens: List[Any]) -> int:
        return self._inner.add_tokens(tokens)

    def add_special_tokens(self, tokens: List[Any]) -> int:
        return self._inner.add_special_tokens(tokens)

    def num_special_tokens_to_add(self, is_pair: bool) -> int:
        return self._inner.num_special_tokens_to_add(is_pair)


def _split_input(item: Any, is_pretokenized: bool, where: str) -> Tuple[Any, Any]:
    """One `encode_batch` input: a sequence, or a (sequence, pair) tuple or list, as HF takes them."""
    if is_pretokenized:
        if isinstance(item, tuple) and len(item) == 2 and not isinstance(item[0], str):
            return item[0], item[1]
        return item, None
    if isinstance(item, str):
        return item, None
    if isinstance(item, (tuple, list)) and len(item) == 2:
        return item[0], item[1]
    raise TypeError(f"{where}: expected a str or a (sequence, pair) tuple, got {type(item).__name__}")

