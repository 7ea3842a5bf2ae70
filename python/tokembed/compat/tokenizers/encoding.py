"""HF `tokenizers`' `Encoding` over one of tokembed's: the same fields, as Python lists (built on
first use), and the same position helpers."""

from __future__ import annotations

from typing import List, Optional, Tuple

from ...tokenizers.encoding import Encoding as ArrayEncoding

Span = Tuple[int, int]


class Encoding:
    __slots__ = ("_arrays", "_fields", "_n_sequences")

    def __init__(self, arrays: ArrayEncoding, n_sequences: int = 1):
        self._arrays = arrays
        self._fields: dict = {}
        self._n_sequences = n_sequences  # 2 for a pair, as HF counts it, even when one is empty

    def _field(self, name: str) -> list:
        found = self._fields.get(name)
        if found is None:
            a = self._arrays
            if name == "offsets":
                found = [tuple(o) for o in a.offsets.tolist()]
            elif name == "tokens":
                found = list(a.tokens)
            elif name in ("word_ids", "sequence_ids"):
                found = getattr(a, name)
            elif name == "overflowing":
                found = [Encoding(o, self._n_sequences) for o in a.overflowing]
            else:
                found = getattr(a, name).tolist()
            self._fields[name] = found
        return found

    # ----- fields, as HF returns them (a new list on each access) -------------------------------
    @property
    def ids(self) -> List[int]:
        return list(self._field("ids"))

    @property
    def type_ids(self) -> List[int]:
        return list(self._field("type_ids"))

    @property
    def attention_mask(self) -> List[int]:
        return list(self._field("attention_mask"))

    @property
    def special_tokens_mask(self) -> List[int]:
        return list(self._field("special_tokens_mask"))

    @property
    def offsets(self) -> List[Span]:
        return list(self._field("offsets"))

    @property
    def tokens(self) -> List[str]:
        return list(self._field("tokens"))

    @property
    def word_ids(self) -> List[Optional[int]]:
        return list(self._field("word_ids"))

    @property
    def words(self) -> List[Optional[int]]:
        """Deprecated in HF; the same as ``word_ids``."""
        return self.word_ids

    @property
    def sequence_ids(self) -> List[Optional[int]]:
        return list(self._field("sequence_ids"))

    @property
    def overflowing(self) -> List["Encoding"]:
        return list(self._field("overflowing"))

    @property
    def n_sequences(self) -> int:
        return self._n_sequences

    def __len__(self) -> int:
        return len(self._field("ids"))

    def __repr__(self) -> str:
        return (
            f"Encoding(num_tokens={len(self)}, attributes=[ids, type_ids, tokens, offsets, attention_mask, "
            f"special_tokens_mask, overflowing])"
        )

    # ----- changing it in place, as HF does -----------------------------------------------------
    def pad(
        self, length: int, direction: str = "right", pad_id: int = 0, pad_type_id: int = 0, pad_token: str = "[PAD]"
    ) -> None:
        """Pads to `length` tokens (nothing if it is already that long), and the overflowing
        encodings too."""
        self._pad(length, direction, pad_id, pad_type_id, pad_token, padding_sequence=None)

    def truncate(self, max_length: int, stride: int = 0, direction: str = "right") -> None:
        """Keeps `max_length` tokens and makes the rest overflowing windows of that length that
        overlap by `stride`, as HF does; like HF, the result forgets which sequence each token was
        of (every sequence id is 0, and windows truncation made before are dropped)."""
        if direction not in ("left", "right"):
            raise ValueError(f"Invalid truncation direction value : {direction}")
        n = len(self)
        if max_length >= n:
            return
        names = ("ids", "type_ids", "tokens", "offsets", "attention_mask", "special_tokens_mask", "word_ids")
        fields = {name: self._field(name) for name in names}
        if max_length == 0:
            # The whole encoding, as it is, becomes the one overflowing part.
            whole = Encoding.__new__(Encoding)
            whole._arrays, whole._n_sequences = None, self._n_sequences
            whole._fields = {**fields, "sequence_ids": self._field("sequence_ids"),
                             "overflowing": self._field("overflowing")}
            self._fields = {**{name: [] for name in names}, "sequence_ids": [], "overflowing": [whole]}
            self._n_sequences = 1
            return
        if stride >= max_length:
            raise ValueError(f"stride ({stride}) must be strictly less than max_length ({max_length})")
        step, spans = max_length - stride, []
        if direction == "right":
            start = 0
            while True:
                stop = min(start + max_length, n)
                spans.append((start, stop))
                if stop >= n:
                    break
                start += step
        else:
            stop = n
            while True:
                start = max(stop - max_length, 0)
                spans.append((start, stop))
                if start <= 0:
                    break
                stop -= step
        windows = []
        for start, stop in spans:
            window = Encoding.__new__(Encoding)
            window._arrays, window._n_sequences = None, 1
            window._fields = {name: values[start:stop] for name, values in fields.items()}
            window._fields["sequence_ids"] = [0] * (stop - start)
            window._fields["overflowing"] = []
            windows.append(window)
        first = windows[0]
        self._fields = {**first._fields, "overflowing": windows[1:]}
        self._n_sequences = 1

    def _pad(self, length, direction, pad_id, pad_type_id, pad_token, padding_sequence: Optional[int]) -> None:
        """`pad`, with the sequence id padding positions report: HF reports 0 for a lone
        sequence no post-processor saw (it has no sequence ranges), else None."""
        if direction not in ("left", "right"):
            raise ValueError(f"Invalid padding direction: {direction}")
        for o in self._field("overflowing"):
            o._pad(length, direction, pad_id, pad_type_id, pad_token, padding_sequence)
        n = length - len(self)
        if n <= 0:
            return
        values = {
            "ids": pad_id, "type_ids": pad_type_id, "tokens": pad_token, "offsets": (0, 0), "attention_mask": 0,
            "special_tokens_mask": 1, "word_ids": None, "sequence_ids": padding_sequence,
        }
        for name, value in values.items():
            field = self._field(name)
            if direction == "right":
                field.extend([value] * n)
            else:
                field[:0] = [value] * n

    # ----- positions --------------------------------------------------------------------------
    def token_to_sequence(self, token_index: int) -> Optional[int]:
        return _at(self._field("sequence_ids"), token_index)

    def token_to_chars(self, token_index: int) -> Optional[Span]:
        if _at(self.sequence_ids, token_index) is None:
            return None
        return self.offsets[token_index]

    def token_to_word(self, token_index: int) -> Optional[int]:
        if _at(self.sequence_ids, token_index) is None:
            return None
        return self.word_ids[token_index]

    def word_to_tokens(self, word_index: int, sequence_index: int = 0) -> Optional[Span]:
        found = [
            i for i, (w, s) in enumerate(zip(self.word_ids, self.sequence_ids)) if w == word_index and s == sequence_index
        ]
        return (found[0], found[-1] + 1) if found else None

    def word_to_chars(self, word_index: int, sequence_index: int = 0) -> Optional[Span]:
        tokens = self.word_to_tokens(word_index, sequence_index)
        if tokens is None:
            return None
        offsets = self.offsets
        return offsets[tokens[0]][0], offsets[tokens[1] - 1][1]

    def char_to_token(self, char_pos: int, sequence_index: int = 0) -> Optional[int]:
        for i, ((start, end), s) in enumerate(zip(self.offsets, self.sequence_ids)):
            if s == sequence_index and start <= char_pos < end:
                return i
        return None

    def char_to_word(self, char_pos: int, sequence_index: int = 0) -> Optional[int]:
        token = self.char_to_token(char_pos, sequence_index)
        return None if token is None else self.word_ids[token]


def _at(values: list, index: int):
    return values[index] if -len(values) <= index < len(values) else None
