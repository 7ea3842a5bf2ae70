"""HF `tokenizers`' `Encoding` over one of tokembed's: the same fields, as Python lists (built on
first use), and the same position helpers, `pad`, `truncate` and `merge`.

HF keeps, besides the per-token lists, a map from sequence index to the range of tokens it
covers (its "sequence ranges"). Everything about sequences is derived from that map:
`sequence_ids`, `n_sequences`, which positions `char_to_token` searches, and what padding
reports. It is empty for a single text no post-processor saw (every token, padding included,
then counts as sequence 0), is cleared by `truncate`, shifted by left padding, and joined by
`merge`. This class keeps the same map, so each of those calls gives what HF's gives.
"""

from __future__ import annotations

from typing import Dict, Iterable, List, Optional, Tuple

from ...tokenizers.encoding import Encoding as ArrayEncoding

Span = Tuple[int, int]

# The per-token lists, in the order HF stores them.
_LISTS = ("ids", "type_ids", "tokens", "word_ids", "offsets", "special_tokens_mask", "attention_mask")


class Encoding:
    __slots__ = ("_arrays", "_fields", "_ranges")

    def __init__(self) -> None:
        """An empty encoding, as HF's ``Encoding()``."""
        self._arrays: Optional[ArrayEncoding] = None
        self._fields: dict = {name: [] for name in _LISTS}
        self._fields["overflowing"] = []
        self._ranges: Dict[int, Span] = {}

    @classmethod
    def _wrap(cls, arrays: ArrayEncoding) -> "Encoding":
        """One of tokembed's encodings; its lists are built when first read."""
        e = cls.__new__(cls)
        e._arrays, e._fields = arrays, {}
        e._ranges = {s: (start, stop) for s, start, stop in arrays._sequence_ranges}
        return e

    def _field(self, name: str) -> list:
        found = self._fields.get(name)
        if found is None:
            a = self._arrays
            if name == "offsets":
                found = [tuple(o) for o in a.offsets.tolist()]
            elif name == "tokens":
                found = list(a.tokens)
            elif name == "word_ids":
                found = a.word_ids
            elif name == "overflowing":
                found = [Encoding._wrap(o) for o in a.overflowing]
            else:
                found = getattr(a, name).tolist()
            self._fields[name] = found
        return found

    def _sequence_ranges(self) -> Dict[int, Span]:
        return self._ranges

    def _range(self, sequence_index: int) -> Span:
        return self._sequence_ranges().get(sequence_index, (0, len(self)))

    def _own(self) -> None:
        """Every list built and the sequence ranges known: what a change in place needs."""
        for name in _LISTS + ("overflowing",):
            self._field(name)
        self._arrays = None

    def _copy(self) -> "Encoding":
        self._own()
        c = Encoding.__new__(Encoding)
        c._arrays = None
        c._fields = {name: list(self._fields[name]) for name in _LISTS}
        c._fields["overflowing"] = [o._copy() for o in self._fields["overflowing"]]
        c._ranges = dict(self._ranges)
        return c

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
        n = len(self)
        out: List[Optional[int]] = [None] * n
        for s in range(self.n_sequences):
            start, stop = self._range(s)
            out[start:stop] = [s] * (stop - start)
        return out

    @property
    def overflowing(self) -> List["Encoding"]:
        return list(self._field("overflowing"))

    @property
    def n_sequences(self) -> int:
        return len(self._ranges) or 1

    def set_sequence_id(self, sequence_id: int) -> None:
        """Marks every token as of sequence `sequence_id`."""
        _check_index(sequence_id, "sequence_id")
        self._own()
        self._ranges[sequence_id] = (0, len(self))

    def __len__(self) -> int:
        return len(self._field("ids"))

    def __repr__(self) -> str:
        return (
            f"Encoding(num_tokens={len(self)}, attributes=[ids, type_ids, tokens, offsets, attention_mask, "
            f"special_tokens_mask, overflowing])"
        )

    def __getstate__(self):
        self._own()
        return {"fields": self._fields, "ranges": self._ranges}

    def __setstate__(self, state) -> None:
        self._arrays, self._fields, self._ranges = None, state["fields"], state["ranges"]

    # ----- changing it in place, as HF does -----------------------------------------------------
    def pad(
        self, length: int, direction: str = "right", pad_id: int = 0, pad_type_id: int = 0, pad_token: str = "[PAD]"
    ) -> None:
        """Pads to `length` tokens (nothing if it is already that long), and the overflowing
        encodings too."""
        if direction not in ("left", "right"):
            raise ValueError(f"Unknown `direction`: `{direction}`. Use one of `left` or `right`")
        _check_index(length, "length")
        for o in self._field("overflowing"):
            o.pad(length, direction, pad_id, pad_type_id, pad_token)
        n = length - len(self)
        if n <= 0:
            return
        self._own()
        values = {
            "ids": pad_id, "type_ids": pad_type_id, "tokens": pad_token, "offsets": (0, 0), "attention_mask": 0,
            "special_tokens_mask": 1, "word_ids": None,
        }
        for name, value in values.items():
            field = self._fields[name]
            if direction == "right":
                field.extend([value] * n)
            else:
                field[:0] = [value] * n
        if direction == "left":
            self._ranges = {s: (start + n, stop + n) for s, (start, stop) in self._ranges.items()}

    def truncate(self, max_length: int, stride: int = 0, direction: str = "right") -> None:
        """Keeps `max_length` tokens and makes the rest overflowing windows of that length that
        overlap by `stride`, as HF does; like HF, the result forgets its sequence ranges (and
        the windows truncation made before)."""
        if direction not in ("left", "right"):
            raise ValueError(f"Invalid truncation direction value : {direction}")
        _check_index(max_length, "max_length")
        _check_index(stride, "stride")
        n = len(self)
        if max_length >= n:
            return
        self._own()
        if max_length == 0:
            # The whole encoding, as it is, becomes the one overflowing part of an empty one.
            whole = Encoding.__new__(Encoding)
            whole._arrays, whole._fields, whole._ranges = None, self._fields, self._ranges
            self._fields = {**{name: [] for name in _LISTS}, "overflowing": [whole]}
            self._ranges = {}
            return
        if stride >= max_length:
            raise ValueError(f"stride ({stride}) must be strictly less than max_length ({max_length})")
        windows = [self._window(start, stop) for start, stop in _windows(n, max_length, stride, direction)]
        self._fields = {**windows[0]._fields, "overflowing": windows[1:]}
        self._ranges = {}

    def _window(self, start: int, stop: int) -> "Encoding":
        w = Encoding.__new__(Encoding)
        w._arrays, w._ranges = None, {}
        w._fields = {name: self._fields[name][start:stop] for name in _LISTS}
        w._fields["overflowing"] = []
        return w

    @staticmethod
    def merge(encodings: Iterable["Encoding"], growing_offsets: bool = True) -> "Encoding":
        """The encodings one after the other, as HF merges them: sequence ranges shifted into
        place, offsets of each shifted past the end of the one before if `growing_offsets`, and
        the overflowing parts combined with the rest."""
        merged = Encoding()
        for e in encodings:
            if not isinstance(e, Encoding):
                raise TypeError(f"Encoding.merge takes Encodings, got {type(e).__name__}")
            merged._merge_with(e._copy(), growing_offsets)
        return merged

    def _merge_with(self, pair: "Encoding", growing_offsets: bool) -> None:
        self._own()
        pair._own()
        # Each overflowing part of either side, with the other side (HF's order).
        overflowing = []
        for mine in self._fields["overflowing"]:
            with_pair = mine._copy()
            with_pair._merge_with(pair._copy(), growing_offsets)
            overflowing.append(with_pair)
            for theirs in pair._fields["overflowing"]:
                both = mine._copy()
                both._merge_with(theirs._copy(), growing_offsets)
                overflowing.append(both)
        for theirs in pair._fields["overflowing"]:
            with_self = self._copy()
            with_self._merge_with(theirs._copy(), growing_offsets)
            overflowing.append(with_self)
        n = len(self)
        for s, (start, stop) in pair._ranges.items():
            self._ranges[s] = (n + start, n + stop)
        shift = self._fields["offsets"][-1][1] if growing_offsets and self._fields["offsets"] else 0
        for name in _LISTS:
            if name == "offsets":
                self._fields[name].extend((a + shift, b + shift) for a, b in pair._fields[name])
            else:
                self._fields[name].extend(pair._fields[name])
        self._fields["overflowing"] = overflowing

    # ----- positions, as HF finds them -----------------------------------------------------------
    def token_to_sequence(self, token_index: int) -> Optional[int]:
        _check_index(token_index, "token_index")
        if token_index > len(self):  # HF's bound: the index one past the end still answers
            return None
        ranges = self._sequence_ranges()
        if not ranges:
            return 0
        # Ranges overlap only after a second post-processing; HF then answers in its hash map's
        # order, which varies: here the lowest sequence.
        return min((s for s, (start, stop) in ranges.items() if start <= token_index < stop), default=None)

    def token_to_chars(self, token_index: int) -> Optional[Span]:
        if self.token_to_sequence(token_index) is None:
            return None
        return _at(self._field("offsets"), token_index)

    def token_to_word(self, token_index: int) -> Optional[int]:
        if self.token_to_sequence(token_index) is None:
            return None
        return _at(self._field("word_ids"), token_index)

    def word_to_tokens(self, word_index: int, sequence_index: int = 0) -> Optional[Span]:
        _check_index(word_index, "word_index")
        _check_index(sequence_index, "sequence_index")
        start, stop = self._range(sequence_index)
        first = last = None
        # As HF: words are searched in order, up to the first one past `word_index`.
        for i, w in enumerate(self._field("word_ids")[start:stop]):
            if w is not None and w > word_index:
                break
            if w == word_index:
                if first is None:
                    first = i
                last = i + 1
        return None if first is None else (start + first, start + last)

    def word_to_chars(self, word_index: int, sequence_index: int = 0) -> Optional[Span]:
        tokens = self.word_to_tokens(word_index, sequence_index)
        if tokens is None or tokens[1] == 0:
            return None
        offsets = self._field("offsets")
        return offsets[tokens[0]][0], offsets[tokens[1] - 1][1]

    def char_to_token(self, char_pos: int, sequence_index: int = 0) -> Optional[int]:
        _check_index(char_pos, "char_pos")
        _check_index(sequence_index, "sequence_index")
        start, stop = self._range(sequence_index)
        for i, (a, b) in enumerate(self._field("offsets")[start:stop]):
            if a <= char_pos < b:
                return start + i
        return None

    def char_to_word(self, char_pos: int, sequence_index: int = 0) -> Optional[int]:
        token = self.char_to_token(char_pos, sequence_index)
        return None if token is None else self.token_to_word(token)


def _windows(n: int, max_length: int, stride: int, direction: str) -> List[Span]:
    """The (start, stop) of each window HF's truncation cuts from `n` tokens, kept one first."""
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
    return spans


def _check_index(value: int, name: str) -> None:
    # HF takes these as unsigned integers: a negative one is an OverflowError there too.
    if value < 0:
        raise OverflowError(f"{name} must not be negative, got {value}")


def _at(values: list, index: int):
    return values[index] if 0 <= index < len(values) else None
