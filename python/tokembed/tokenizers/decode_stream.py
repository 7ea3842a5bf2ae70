"""``DecodeStream``: text from ids that arrive one at a time (a generation loop), returned as soon
as whole characters are known, adding up to what ``Tokenizer.decode`` gives for all the ids."""

from __future__ import annotations

import codecs
from collections import deque
from typing import TYPE_CHECKING, Deque, List, Optional

if TYPE_CHECKING:
    from .tokenizer import Tokenizer


class DecodeStream:
    """Text from ids arriving one at a time, as soon as whole characters are known.

    ``step(id)`` returns the new text, or ``None`` while the ids so far end inside a character
    (a byte-level token can hold part of one) or add no text. ``flush()`` returns what is still
    pending at the end. The pieces add up to ``decode`` of all the ids. The text returned is
    that of the pending ids decoded after a few ids of context (which tell the decoder a token
    is not the first). For a byte-level decoder, the pending bytes are read incrementally, so a
    step costs the bytes of its id even through a long run of invalid bytes; other decoders
    decode the context and the pending ids at each step.
    """

    CONTEXT = 4

    def __init__(self, tokenizer: Tokenizer, skip_special_tokens: bool = True):
        self._tokenizer = tokenizer
        self._skip = bool(skip_special_tokens)
        self._emitted = ""  # decode of the context, the text already returned after it
        self._incremental = bool(tokenizer._core.decodes_bytes())
        # Byte-level: the last ids (the next context), and the UTF-8 reading of the context's
        # and pending ids' bytes: complete text in pieces, plus bytes the decoder still holds.
        self._recent: Deque[int] = deque(maxlen=self.CONTEXT)
        self._utf8 = codecs.getincrementaldecoder("utf-8")("replace")
        self._pieces: List[str] = []
        self._length = 0
        # Other decoders: the context and the pending ids.
        self._ids: List[int] = []

    def step(self, id: int) -> Optional[str]:
        if not self._incremental:
            self._ids.append(int(id))
            text = self._tokenizer.decode(self._ids, self._skip)
            if len(text) <= len(self._emitted) or text.endswith("\ufffd"):
                return None
            return self._advance(text)
        data = self._tokenizer.decode_bytes([id], self._skip)  # an id out of range stops here
        self._recent.append(int(id))
        self._read(data)
        held = self._held()
        if self._length + len(held) <= len(self._emitted):
            return None
        if held or self._pieces[-1].endswith("\ufffd"):
            return None  # ends inside a character, or with an invalid one
        return self._advance("".join(self._pieces))

    def flush(self) -> str:
        """The pending text, even if it ends with an incomplete character (as U+FFFD)."""
        if self._incremental:
            text = "".join(self._pieces) + self._held()
        else:
            text = self._tokenizer.decode(self._ids, self._skip)
        return self._advance(text) if len(text) > len(self._emitted) else ""

    def _read(self, data: bytes) -> None:
        text = self._utf8.decode(data)
        if text:
            self._pieces.append(text)
            self._length += len(text)

    def _held(self) -> str:
        """What the bytes the UTF-8 decoder holds (an incomplete character) read as at the end."""
        state = self._utf8.getstate()
        if not state[0]:
            return ""
        held = self._utf8.decode(b"", final=True)
        self._utf8.setstate(state)
        return held

    def _advance(self, text: str) -> str:
        if not text.startswith(self._emitted):
            raise ValueError("the decoder changed text it had already produced; this tokenizer cannot stream")
        new_text = text[len(self._emitted) :]
        if self._incremental:
            context = list(self._recent)
            self._utf8.reset()
            self._pieces, self._length = [], 0
            self._read(self._tokenizer.decode_bytes(context, self._skip))
            self._emitted = self._tokenizer.decode(context, self._skip)
        else:
            self._ids = self._ids[-self.CONTEXT :]
            self._emitted = self._tokenizer.decode(self._ids, self._skip)
        return new_text
