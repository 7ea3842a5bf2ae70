"""tiktoken's ``Encoding`` on a tokembed ``Tokenizer``: same calls, same ids, same errors.

Batches go to the core in one call (its thread pool, ``tokembed.set_num_threads``); the
``num_threads`` arguments are accepted and ignored. Ids come back as Python lists, as tiktoken
returns them; ``encode_to_numpy`` and ``tokembed.Tokenizer.encode_batch_flat`` skip the lists.
"""

from __future__ import annotations

import functools
import re
from typing import AbstractSet, Callable, Collection, Dict, List, Literal, Optional, Sequence, Tuple, Union

import numpy as np

from ... import _core
from ...tokenizers.tokenizer import Tokenizer

AllowedSpecial = Union[Literal["all"], AbstractSet[str]]
DisallowedSpecial = Union[Literal["all"], Collection[str]]


class Encoding:
    def __init__(
        self,
        name: str,
        *,
        pat_str: str,
        mergeable_ranks: Dict[bytes, int],
        special_tokens: Dict[str, int],
        explicit_n_vocab: Optional[int] = None,
    ):
        """An encoding from ranks in memory, as tiktoken's: ``mergeable_ranks`` maps token bytes
        to ranks (which are the ids), ``special_tokens`` maps strings to ids, ``pat_str`` is the
        split regex. Unlike tiktoken, every single byte must have a rank (else some text could
        not be encoded), and bad ranks raise ``ValueError`` (tiktoken asserts)."""
        max_token_value = max(max(mergeable_ranks.values()), max(special_tokens.values(), default=0))
        if explicit_n_vocab:
            if len(mergeable_ranks) + len(special_tokens) != explicit_n_vocab:
                raise ValueError(
                    f"explicit_n_vocab is {explicit_n_vocab}, but there are {len(mergeable_ranks)} mergeable "
                    f"and {len(special_tokens)} special tokens"
                )
            if max_token_value != explicit_n_vocab - 1:
                raise ValueError(f"explicit_n_vocab is {explicit_n_vocab}, but the largest id is {max_token_value}")
        tokenizer = Tokenizer.from_tiktoken_ranks(mergeable_ranks, pat_str, one_name_per_id(special_tokens))
        self._setup(name, pat_str, special_tokens, tokenizer, max_token_value, lambda: mergeable_ranks)

    @classmethod
    def _from_tokenizer(
        cls,
        name: str,
        pat_str: str,
        special_tokens: Dict[str, int],
        tokenizer: Tokenizer,
        max_token_value: int,
        load_ranks: Callable[[], Dict[bytes, int]],
    ) -> "Encoding":
        """A registered encoding: its tokenizer is built, its ranks are read when first asked for."""
        enc = cls.__new__(cls)
        enc._setup(name, pat_str, special_tokens, tokenizer, max_token_value, load_ranks)
        return enc

    def _setup(self, name, pat_str, special_tokens, tokenizer, max_token_value, load_ranks) -> None:
        self.name = name
        self._pat_str = pat_str
        self._special_tokens = dict(special_tokens)
        self._special_token_values = set(special_tokens.values())
        self._tokenizer = tokenizer
        self.max_token_value = max_token_value
        self._load_ranks = load_ranks
        self._ranks: Optional[Dict[bytes, int]] = None
        self._token_bytes: Optional[Dict[int, bytes]] = None

    def __repr__(self) -> str:
        return f"<Encoding {self.name!r}>"

    # ----- tables read on demand (plain dicts: shared by threads, copied by fork) --------------
    @property
    def _mergeable_ranks(self) -> Dict[bytes, int]:
        if self._ranks is None:
            self._ranks = self._load_ranks()
        return self._ranks

    def _bytes_of(self) -> Dict[int, bytes]:
        """Each id's bytes, special tokens included (where two share an id, the first listed)."""
        if self._token_bytes is None:
            table = {rank: token for token, rank in self._mergeable_ranks.items()}
            for text, i in self._special_tokens.items():
                table.setdefault(i, text.encode("utf-8"))
            self._token_bytes = table
        return self._token_bytes

    # ----- encoding ---------------------------------------------------------------------------
    def encode_ordinary(self, text: str) -> List[int]:
        """Ids of `text`, special tokens encoded as ordinary text."""
        return self._ordinary_flat([text])[0].tolist()

    def encode(
        self,
        text: str,
        *,
        allowed_special: AllowedSpecial = frozenset(),
        disallowed_special: DisallowedSpecial = "all",
    ) -> List[int]:
        """Ids of `text`. Special tokens in ``allowed_special`` become their ids; text that is a
        special token in ``disallowed_special`` (by default, all not allowed) raises
        ``ValueError``; any other special token is ordinary text."""
        allowed = self._allowed(allowed_special, disallowed_special, [text])
        return self._flat([text], allowed)[0].tolist()

    def encode_to_numpy(
        self,
        text: str,
        *,
        allowed_special: AllowedSpecial = frozenset(),
        disallowed_special: DisallowedSpecial = "all",
    ) -> np.ndarray:
        """``encode`` as a ``uint32`` array, without the list."""
        allowed = self._allowed(allowed_special, disallowed_special, [text])
        return self._flat([text], allowed)[0]

    def encode_ordinary_batch(self, text: List[str], *, num_threads: int = 8) -> List[List[int]]:
        """``encode_ordinary`` of each text, encoded in parallel by the core."""
        return _lists(*self._ordinary_flat(list(text)))

    def encode_batch(
        self,
        text: List[str],
        *,
        num_threads: int = 8,
        allowed_special: AllowedSpecial = frozenset(),
        disallowed_special: DisallowedSpecial = "all",
    ) -> List[List[int]]:
        """``encode`` of each text, encoded in parallel by the core."""
        texts = list(text)
        allowed = self._allowed(allowed_special, disallowed_special, texts)
        return _lists(*self._flat(texts, allowed))

    def encode_single_token(self, text_or_bytes: Union[str, bytes]) -> int:
        """The id of a single token (special tokens included); ``KeyError`` if it is none."""
        if isinstance(text_or_bytes, str):
            text_or_bytes = text_or_bytes.encode("utf-8")
        rank = self._mergeable_ranks.get(text_or_bytes)
        if rank is not None:
            return rank
        try:
            special = self._special_tokens.get(text_or_bytes.decode("utf-8"))
        except UnicodeDecodeError:
            special = None
        if special is None:
            raise KeyError(text_or_bytes)
        return special

    # ----- decoding ---------------------------------------------------------------------------
    def decode_bytes(self, tokens: Sequence[int]) -> bytes:
        """The bytes of the tokens; ``KeyError`` for an id that is no token."""
        try:
            return self._tokenizer.decode_bytes(_id_array(tokens), skip_special_tokens=False)
        except (IndexError, ValueError, OverflowError):
            bad = next((t for t in tokens if int(t) not in self._bytes_of()), None)
            raise KeyError(f"Invalid token for decoding: {bad}") from None

    def decode(self, tokens: Sequence[int], errors: str = "replace") -> str:
        """The text of the tokens; bytes that are not UTF-8 are handled per ``errors``."""
        return self.decode_bytes(tokens).decode("utf-8", errors=errors)

    def decode_single_token_bytes(self, token: int) -> bytes:
        """The bytes of one token (special tokens included); ``KeyError`` if it is none."""
        try:
            return self._bytes_of()[token]
        except (KeyError, TypeError):
            raise KeyError(str(token)) from None

    def decode_tokens_bytes(self, tokens: Sequence[int]) -> List[bytes]:
        return [self.decode_single_token_bytes(t) for t in tokens]

    def decode_with_offsets(self, tokens: Sequence[int]) -> Tuple[str, List[int]]:
        """The text, and the index of the character each token starts in: a token that starts
        inside a character counts from that character. Raises if the bytes are not UTF-8."""
        pieces = self.decode_tokens_bytes(tokens)
        offsets, chars = [], 0
        for piece in pieces:
            continues = bool(piece) and 0x80 <= piece[0] < 0xC0
            offsets.append(max(0, chars - continues))
            chars += sum(1 for b in piece if not 0x80 <= b < 0xC0)
        return b"".join(pieces).decode("utf-8", errors="strict"), offsets

    def decode_batch(
        self, batch: Sequence[Sequence[int]], *, errors: str = "replace", num_threads: int = 8
    ) -> List[str]:
        return [self.decode(tokens, errors=errors) for tokens in batch]

    def decode_bytes_batch(self, batch: Sequence[Sequence[int]], *, num_threads: int = 8) -> List[bytes]:
        return [self.decode_bytes(tokens) for tokens in batch]

    # ----- vocabulary -------------------------------------------------------------------------
    def token_byte_values(self) -> List[bytes]:
        """The bytes of every mergeable token, sorted."""
        return sorted(self._mergeable_ranks)

    @property
    def eot_token(self) -> int:
        return self._special_tokens["<|endoftext|>"]

    @functools.cached_property
    def special_tokens_set(self) -> set:
        return set(self._special_tokens)

    def is_special_token(self, token: int) -> bool:
        assert isinstance(token, int)
        return token in self._special_token_values

    @property
    def n_vocab(self) -> int:
        """The largest id plus one (as tiktoken; prefer ``max_token_value + 1``)."""
        return self.max_token_value + 1

    # ----- private, as tiktoken has them --------------------------------------------------------
    def _encode_single_piece(self, text_or_bytes: Union[str, bytes]) -> List[int]:
        """Ids of the text or bytes taken as one piece (no split, no special tokens)."""
        if isinstance(text_or_bytes, str):
            text_or_bytes = text_or_bytes.encode("utf-8")
        return self._tokenizer.encode_bytes(text_or_bytes, split=False).tolist()

    def _encode_only_native_bpe(self, text: str) -> List[int]:
        return self.encode_ordinary(text)

    def _encode_bytes(self, text: bytes) -> List[int]:
        """Ids of bytes that need not be UTF-8 (see ``tokembed.Tokenizer.encode_bytes``)."""
        return self._tokenizer.encode_bytes(text).tolist()

    def __getstate__(self) -> object:
        from . import registry

        if self is registry.ENCODINGS.get(self.name):
            return self.name  # a registered encoding pickles by name, as in tiktoken
        return {
            "name": self.name,
            "pat_str": self._pat_str,
            "mergeable_ranks": self._mergeable_ranks,
            "special_tokens": self._special_tokens,
        }

    def __setstate__(self, value: object) -> None:
        from . import registry

        if isinstance(value, str):
            self.__dict__ = registry.get_encoding(value).__dict__
            return
        self.__init__(**value)

    # ----- the work -----------------------------------------------------------------------------
    def _allowed(self, allowed_special, disallowed_special, texts: List[str]) -> frozenset:
        """The allowed special tokens, after checking no text holds a disallowed one."""
        allowed = frozenset(self._special_tokens if allowed_special == "all" else allowed_special)
        if disallowed_special == "all":
            disallowed = frozenset(self._special_tokens) - allowed
        else:
            disallowed = frozenset(disallowed_special)
        if disallowed:
            finder = _special_regex(disallowed)
            for text in texts:
                match = finder.search(text)
                if match:
                    _raise_disallowed(match.group())
        return allowed

    def _ordinary_flat(self, texts: List[str]) -> Tuple[np.ndarray, np.ndarray]:
        """Ids of all texts, special tokens as text: one flat array and row offsets."""
        try:
            return self._tokenizer.encode_batch_flat(texts, add_special_tokens=False, split_special_tokens=True)
        except ValueError as e:
            if "lone surrogate" not in str(e):
                raise
        # As tiktoken: surrogate pairs become their character, a lone surrogate U+FFFD.
        texts = [_without_surrogates(t) for t in texts]
        return self._tokenizer.encode_batch_flat(texts, add_special_tokens=False, split_special_tokens=True)

    def _flat(self, texts: List[str], allowed: frozenset) -> Tuple[np.ndarray, np.ndarray]:
        """Ids of all texts with the `allowed` special tokens as their ids."""
        allowed = frozenset(allowed & self._special_tokens.keys())  # tiktoken ignores names it lacks
        if not allowed:
            return self._ordinary_flat(texts)
        splitter = _special_regex(allowed)
        # Each text cut at its special tokens: text, special, text, ..., text.
        parts = [splitter.split(t) for t in texts]
        if all(len(p) == 1 for p in parts):
            return self._ordinary_flat(texts)
        segments = [segment for p in parts for segment in p[0::2]]
        ids, offsets = self._ordinary_flat(segments)
        rows, lengths, k = [], [], 0
        for p in parts:
            row = []
            for j, part in enumerate(p):
                if j % 2 == 0:
                    row.append(ids[offsets[k] : offsets[k + 1]])
                    k += 1
                else:
                    row.append(np.array([self._special_tokens[part]], dtype=np.uint32))
            rows.append(np.concatenate(row))
            lengths.append(len(rows[-1]))
        out_offsets = np.zeros(len(rows) + 1, dtype=np.int64)
        np.cumsum(lengths, out=out_offsets[1:])
        flat = np.concatenate(rows) if rows else np.zeros(0, dtype=np.uint32)
        return flat, out_offsets


def one_name_per_id(special_tokens: Dict[str, int]) -> Dict[str, int]:
    """The special tokens the core decodes by: tiktoken lets two names share an id (o200k_harmony's
    <|endofprompt|> and <|reserved_200018|>), the core does not. The first listed is kept; the
    Python layer still encodes both names to that id."""
    kept: Dict[str, int] = {}
    seen = set()
    for name, i in special_tokens.items():
        if i not in seen:
            seen.add(i)
            kept[name] = i
    return kept


def _lists(ids: np.ndarray, offsets: np.ndarray) -> List[List[int]]:
    return _core.id_lists(ids, offsets)


def _id_array(tokens: Sequence[int]) -> np.ndarray:
    if isinstance(tokens, np.ndarray):
        return tokens.astype(np.int64, copy=False)
    return np.array(tokens, dtype=np.int64)


def _without_surrogates(text: str) -> str:
    try:
        text.encode("utf-8")
        return text
    except UnicodeEncodeError:
        return text.encode("utf-16", "surrogatepass").decode("utf-16", "replace")


@functools.lru_cache(maxsize=128)
def _special_regex(tokens: frozenset) -> "re.Pattern[str]":
    # Longest first, so that where one special token starts another the longer one is taken.
    alternatives = "|".join(re.escape(t) for t in sorted(tokens, key=lambda t: (-len(t), t)))
    return re.compile(f"({alternatives})")


def _raise_disallowed(token: str):
    raise ValueError(
        f"Encountered text corresponding to disallowed special token {token!r}.\n"
        f"To encode it as a special token, pass it in `allowed_special` (e.g. `allowed_special={{{token!r}}}`); "
        f"to encode it as normal text, remove it from `disallowed_special` "
        f"(e.g. `disallowed_special=(enc.special_tokens_set - {{{token!r}}})`), or pass `disallowed_special=()` "
        f"to disable the check for all special tokens."
    )
