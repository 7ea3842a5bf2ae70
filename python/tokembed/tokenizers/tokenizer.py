"""The `Tokenizer` class: settings, and the encode/decode calls users make (loading is in
`loading.py`).

The Rust core's tokenizer class is imported here and in `loading.py`, nowhere else."""

from __future__ import annotations

import hashlib
import json
import os
from typing import Any, Dict, Iterable, List, Optional, Sequence, Tuple, Union

import numpy as np

from .._files import write_text_atomically

from .. import _checks
from . import adding, options
from .._core import CoreTokenizer as _CoreTokenizer
from .decode_stream import DecodeStream
from .encoding import BatchEncoding, Encoding
from .loading import Loaders, PathLike

Ids = Union[Sequence[int], np.ndarray]


def _loads(text: Optional[str]) -> Optional[dict]:
    return None if text is None else json.loads(text)


# The names of end-of-text and beginning-of-text tokens in the usual LLM vocabularies, in the
# order they are looked for.
EOS_NAMES = ("<|endoftext|>", "<|end_of_text|>", "</s>", "<eos>", "<|eos|>", "<|im_end|>")
BOS_NAMES = ("<|begin_of_text|>", "<s>", "<bos>", "<|startoftext|>")


class Tokenizer(Loaders):
    """A tokenizer loaded from an HF ``tokenizer.json`` (or a BERT ``vocab.txt``).

    Truncation and padding start as the file configures them; ``enable_truncation``,
    ``enable_padding`` and their ``no_`` counterparts change them, and every batch call can
    override them; ``add_tokens``, ``add_special_tokens`` and ``set_dropout`` swap in a new core.
    Otherwise instances are immutable, thread-safe, and pickle as their JSON.
    """

    def __init__(self, core: _CoreTokenizer):
        if not isinstance(core, _CoreTokenizer):
            raise TypeError("use Tokenizer.from_file, from_str, from_pretrained, from_wordpiece_vocab or builtin")
        self._core = core
        self._truncation: Optional[dict] = _loads(core.file_truncation())
        self._padding: Optional[dict] = _loads(core.file_padding())
        # set_dropout's seed: the saved file carries the probability only.
        self._dropout_seed = 0
        # json_sha256's last answer, with the settings it was for; cleared when the core changes.
        self._digest: Optional[Tuple[str, str, str]] = None

    # ----- loading and saving -------------------------------------------------------------
    def to_str(self, pretty: bool = False) -> str:
        """The ``tokenizer.json`` text, with the current truncation and padding."""
        return self._core.to_str(pretty, json.dumps(self._truncation), json.dumps(self._padding))

    def save(self, path: PathLike, pretty: bool = True) -> None:
        """Writes a ``tokenizer.json`` that HF ``tokenizers`` (and tokembed) load back."""
        # Under a temporary name first: a failed write (full disk, a folder in the way) leaves
        # neither a truncated file nor the temporary one.
        write_text_atomically(os.fspath(path), self.to_str(pretty))

    def json_sha256(self) -> str:
        """SHA-256 of ``to_str()``: the same for the same vocabulary, rules and settings, whatever
        file they were loaded from (shard metadata and manifests record it). Remembered until
        the settings or the tokens change: serializing a 100k-token vocabulary takes ~50 ms,
        which every encode job (every Ray task) paid before."""
        truncation, padding = json.dumps(self._truncation), json.dumps(self._padding)
        known = self._digest
        if known is not None and known[0] == truncation and known[1] == padding:
            return known[2]
        digest = hashlib.sha256(self.to_str().encode("utf-8")).hexdigest()
        self._digest = (truncation, padding, digest)
        return digest

    def max_token_id(self) -> Optional[int]:
        """The largest id of any token (added tokens included), or None for an empty vocabulary:
        ``max(get_vocab().values())`` without building the dictionary."""
        return self._core.max_token_id()

    def __reduce__(self):
        return (_unpickle, (self.to_str(), self._dropout_seed))

    # ----- settings -----------------------------------------------------------------------
    @property
    def truncation(self) -> Optional[dict]:
        """Current truncation, in the ``tokenizer.json`` form, or None."""
        return None if self._truncation is None else dict(self._truncation)

    @property
    def padding(self) -> Optional[dict]:
        """Current padding, in the ``tokenizer.json`` form, or None."""
        return None if self._padding is None else dict(self._padding)

    def enable_truncation(
        self, max_length: int, stride: int = 0, strategy: str = "longest_first", direction: str = "right"
    ) -> None:
        self._truncation = options.truncation_params(strategy, max_length, stride, direction, None)

    def no_truncation(self) -> None:
        self._truncation = None

    def enable_padding(
        self,
        direction: str = "right",
        pad_id: Optional[int] = None,
        pad_type_id: int = 0,
        pad_token: Optional[str] = None,
        length: Optional[int] = None,
        pad_to_multiple_of: Optional[int] = None,
    ) -> None:
        pad = self._default_pad()
        if pad_token is not None:
            pad["pad_token"] = pad_token
            if pad_id is None:
                found = self.token_to_id(pad_token)
                if found is None:
                    raise ValueError(f"pad_token {pad_token!r} is not in the vocabulary; pass its pad_id too")
                pad["pad_id"] = found
        if pad_id is not None:
            pad_id = _checks.integer(pad_id, "pad_id", 0)
            if self.id_to_token(pad_id) is None:
                raise ValueError(f"pad_id {pad_id} is not a token id of this tokenizer")
            pad["pad_id"] = pad_id
        if pad.pop("no_pad_token", False) and pad_token is None and pad_id is None:
            raise ValueError(
                "this tokenizer has no padding token ('[PAD]' is not in its vocabulary and its file configures "
                "none); choose one: enable_padding(pad_token=...) (for GPT-style tokenizers often "
                "'<|endoftext|>'), or pad_id=..."
            )
        pad["pad_type_id"] = int(pad_type_id)
        pad["strategy"] = "BatchLongest" if length is None else {"Fixed": int(length)}
        pad["pad_to_multiple_of"] = pad_to_multiple_of
        pad["direction"] = options.side(direction, "direction")
        self._padding = pad

    def no_padding(self) -> None:
        self._padding = None

    def _default_pad(self) -> dict:
        if self._padding:
            return dict(self._padding)
        pad_id = self.token_to_id("[PAD]")
        pad = {
            "strategy": "BatchLongest",
            "direction": "Right",
            "pad_to_multiple_of": None,
            "pad_id": 0 if pad_id is None else pad_id,
            "pad_type_id": 0,
            "pad_token": "[PAD]",
        }
        if pad_id is None:
            # No padding token to use: rows that need padding are an error (the core says how to
            # choose one) rather than padded with id 0, a real token of most vocabularies.
            pad["no_pad_token"] = True
        return pad

    # ----- encoding -----------------------------------------------------------------------
    def encode(
        self,
        text: Union[str, Sequence[str]],
        pair: Union[None, str, Sequence[str]] = None,
        add_special_tokens: bool = True,
        split_special_tokens: bool = False,
        is_pretokenized: bool = False,
    ) -> Encoding:
        """Encodes one text (or a pair), with the tokenizer's truncation and padding.

        Special tokens written in the text (``[CLS]``, ``<|endoftext|>``) are recognised as
        such, as HF does; ``split_special_tokens=True`` encodes them as ordinary text, as
        tiktoken's ``encode_ordinary`` does. The batch calls take the same option.

        With ``is_pretokenized=True``, ``text`` (and ``pair``) are lists of words, as HF takes
        them: each word is encoded on its own, its tokens' offsets are within the word and their
        ``word_ids`` are its index."""
        if is_pretokenized:
            words = _checks.word_list(text, "text")
            pair_words = None if pair is None else _checks.word_list(pair, "pair")
            arrays = self._core.encode_pretokenized(
                words, pair_words, bool(add_special_tokens), _dumps(self._truncation), _dumps(self._padding),
                bool(split_special_tokens),
            )
        else:
            arrays = self._core.encode(
                text, pair, bool(add_special_tokens), _dumps(self._truncation), _dumps(self._padding),
                bool(split_special_tokens),
            )
        return Encoding(arrays, self._core.ids_to_tokens)

    def encode_batch(
        self,
        texts: Union[Iterable[str], Iterable[Sequence[str]]],
        pairs: Union[None, Iterable[str], Iterable[Sequence[str]]] = None,
        *,
        add_special_tokens: bool = True,
        max_length: Optional[int] = None,
        padding: Union[None, bool, str] = None,
        truncation: Union[None, bool, str] = None,
        stride: Optional[int] = None,
        return_overflowing: bool = False,
        return_offsets: bool = False,
        pad_to_multiple_of: Optional[int] = None,
        padding_side: Optional[str] = None,
        truncation_side: Optional[str] = None,
        split_special_tokens: bool = False,
        is_pretokenized: bool = False,
        return_word_ids: bool = False,
        return_offsets_mapping: bool = False,
        return_tensors: Optional[str] = None,
    ) -> BatchEncoding:
        """Encodes texts (or pairs) in parallel into a padded batch of ``(B, L)`` arrays.

        ``truncation``/``padding`` of ``None`` follow the tokenizer's settings (padding then
        defaults to the longest row); ``True``, a strategy name, ``"longest"`` or
        ``"max_length"`` override them, as do ``max_length``, ``stride``, the sides and
        ``pad_to_multiple_of``. With ``return_overflowing`` the windows cut off by truncation
        become extra rows, and ``overflow_to_sample_mapping`` says which input each row is from.

        With ``is_pretokenized=True`` each input (and pair) is a list of words, as HF takes them
        (transformers' ``is_split_into_words``): each word is encoded on its own. With
        ``return_word_ids=True`` the batch also has ``word_ids``, each token's word (its index in
        the input's list, or the pre-tokenizer's word for text), -1 for special tokens and padding.

        As in transformers: ``padding=False`` (or ``"do_not_pad"``) gives each field as a list of
        unpadded 1-D arrays, one per row; ``return_offsets_mapping=True`` adds the offsets under
        the name ``offset_mapping``; ``return_tensors`` may be ``None`` or ``"np"`` (the arrays
        are NumPy's either way).
        """
        ragged = options.is_no_padding(padding)
        options.check_return_tensors(return_tensors, ragged)
        if ragged:
            padding, padding_side, pad_to_multiple_of = "longest", "right", None
        return_offsets = return_offsets or return_offsets_mapping
        trunc = options.truncation_params(truncation, max_length, stride, truncation_side, self._truncation)
        pad = options.padding_params(
            padding, max_length, pad_to_multiple_of, padding_side, self._padding, trunc, self._default_pad()
        )
        if is_pretokenized:
            encode = self._core.encode_batch_pretokenized
            inputs = [_checks.word_list(row, f"texts[{i}]") for i, row in enumerate(_as_list(texts, "texts"))]
            pair_inputs = None
            if pairs is not None:
                pair_inputs = [_checks.word_list(row, f"pairs[{i}]") for i, row in enumerate(_as_list(pairs, "pairs"))]
        else:
            encode = self._core.encode_batch
            inputs = _as_list(texts, "texts")
            pair_inputs = None if pairs is None else _as_list(pairs, "pairs")
        arrays = encode(
            inputs,
            pair_inputs,
            bool(add_special_tokens),
            _dumps(trunc),
            json.dumps(pad),
            bool(return_overflowing),
            bool(return_offsets),
            bool(split_special_tokens),
            bool(return_word_ids),
        )
        if return_offsets_mapping:
            arrays["offset_mapping"] = arrays["offsets"]
        return BatchEncoding(options.unpadded(arrays) if ragged else arrays)

    def __call__(
        self, texts: Union[str, Iterable[str]], pairs: Union[None, str, Iterable[str]] = None, **kwargs
    ) -> BatchEncoding:
        """Same as ``encode_batch``; a single str (with ``is_pretokenized``, a single list of
        words) is a batch of one."""
        single = isinstance(texts, str)
        if kwargs.get("is_pretokenized") and isinstance(texts, Sequence) and texts:
            single = isinstance(texts[0], str)
        if single:
            texts = [texts]
            if pairs is not None and (isinstance(pairs, str) or kwargs.get("is_pretokenized")):
                pairs = [pairs]
        return self.encode_batch(texts, pairs, **kwargs)

    def encode_batch_flat(
        self, texts: Iterable[str], add_special_tokens: bool = True, split_special_tokens: bool = False
    ) -> Tuple[np.ndarray, np.ndarray]:
        """All ids in one ``uint32`` array, and ``int64`` row offsets of length ``B + 1``: the ids
        of text ``i`` are ``ids[offsets[i]:offsets[i + 1]]``. Never truncates or pads."""
        return self._core.encode_batch_flat(
            _as_list(texts, "texts"), bool(add_special_tokens), bool(split_special_tokens)
        )

    def count_tokens(
        self, texts: Iterable[str], add_special_tokens: bool = True, split_special_tokens: bool = False
    ) -> np.ndarray:
        """Number of tokens of each text, as ``encode_batch_flat`` would give them (``int64``)."""
        return self._core.count_tokens(_as_list(texts, "texts"), bool(add_special_tokens), bool(split_special_tokens))

    def tokenize(
        self, text: str, pair: Optional[str] = None, add_special_tokens: bool = False, split_special_tokens: bool = False
    ) -> List[str]:
        """Token strings of a text, without truncation or padding."""
        arrays = self._core.encode(text, pair, bool(add_special_tokens), None, None, bool(split_special_tokens))
        return Encoding(arrays, self._core.ids_to_tokens).tokens

    def encode_bytes(self, data: bytes, split: bool = True) -> np.ndarray:
        """Ids (``uint32``) of bytes that need not be UTF-8, special tokens read as text, for a
        byte-level BPE (GPT-2 style or a tiktoken encoding) with no normalizer: decoding them gives
        ``data`` back exactly. UTF-8 is encoded as text is. Otherwise the valid prefix is encoded,
        its last piece is taken back (with the white space before it) and encoded as one piece
        with the bytes that follow, as tiktoken's ``_encode_bytes`` does. ``split=False`` encodes
        all of ``data`` as one piece, with no split pattern (tiktoken's ``_encode_single_piece``)."""
        data = _checks.byte_string(data, "data")
        if split:
            return self._core.encode_bytes(data)
        return self._core.encode_piece_bytes(data)

    # ----- decoding -----------------------------------------------------------------------
    def decode(self, ids: Ids, skip_special_tokens: bool = True) -> str:
        """Text of a sequence of ids. An id outside the vocabulary raises ``IndexError``."""
        return self._core.decode(_checks.id_sequence(ids, "ids"), bool(skip_special_tokens))

    def decode_bytes(self, ids: Ids, skip_special_tokens: bool = True) -> bytes:
        """The bytes ids stand for, before any UTF-8 decoding: for byte-level tokenizers a
        sequence may end in the middle of a character, which ``decode`` would replace."""
        return self._core.decode_bytes(_checks.id_sequence(ids, "ids"), bool(skip_special_tokens))

    def decode_stream(self, skip_special_tokens: bool = True) -> "DecodeStream":
        """A decoder for generation loops: feed ids one at a time, get text as soon as it is
        complete (see ``DecodeStream``)."""
        return DecodeStream(self, skip_special_tokens)

    def batch_decode(self, sequences: Iterable[Ids], skip_special_tokens: bool = False) -> List[str]:
        """transformers' name for ``decode_batch``, with transformers' default: special tokens
        are kept unless ``skip_special_tokens=True``."""
        return self.decode_batch(sequences, skip_special_tokens=skip_special_tokens)

    def decode_batch(self, sequences: Iterable[Ids], skip_special_tokens: bool = True) -> List[str]:
        """Texts of many sequences (a list of id sequences or a 2-D array), in parallel."""
        if isinstance(sequences, np.ndarray) and sequences.ndim == 2:
            rows = [sequences[i] for i in range(sequences.shape[0])]
        else:
            rows = list(sequences)
        arrays = [_checks.id_sequence(r, f"sequences[{i}]") for i, r in enumerate(rows)]
        lengths = np.fromiter((len(a) for a in arrays), dtype=np.int64, count=len(arrays))
        offsets = np.zeros(len(arrays) + 1, dtype=np.int64)
        np.cumsum(lengths, out=offsets[1:])
        flat = np.concatenate(arrays) if arrays else np.zeros(0, dtype=np.int64)
        return self._core.decode_flat(flat, offsets, bool(skip_special_tokens))

    # ----- vocabulary ---------------------------------------------------------------------
    def token_to_id(self, token: str) -> Optional[int]:
        return self._core.token_to_id(token)

    def id_to_token(self, id: int) -> Optional[str]:
        return self._core.id_to_token(int(id))

    def convert_ids_to_tokens(self, ids: Union[int, Ids]) -> Union[Optional[str], List[Optional[str]]]:
        """transformers' name: the token of an id, or the tokens of a sequence of ids (None for an
        id that has no token)."""
        if isinstance(ids, (int, np.integer)) and not isinstance(ids, bool):
            return self.id_to_token(int(ids))
        return [self.id_to_token(int(i)) for i in _checks.id_sequence(ids, "ids")]

    def convert_tokens_to_ids(self, tokens: Union[str, Sequence[str]]) -> Union[Optional[int], List[Optional[int]]]:
        """transformers' name: the id of a token, or the ids of a list of tokens (None for a
        string that is no token; transformers gives the unknown token's id there)."""
        if isinstance(tokens, str):
            return self.token_to_id(tokens)
        return [self.token_to_id(t) for t in _checks.word_list(tokens, "tokens")]

    @property
    def pad_token_id(self) -> Optional[int]:
        """The id padding uses: the padding settings' (the file's or ``enable_padding``'s), else
        ``[PAD]``'s; None when there is none (batches that need padding then raise)."""
        pad = self._default_pad()
        return None if pad.get("no_pad_token") else int(pad["pad_id"])

    @property
    def eos_token_id(self) -> Optional[int]:
        """The end-of-text token's id: the first of ``<|endoftext|>``, ``<|end_of_text|>``,
        ``</s>``, ``<eos>``, ``<|eos|>``, ``<|im_end|>`` the vocabulary has (what ``tokembed encode
        --append-eos`` appends), else None."""
        return self._first_id(EOS_NAMES)

    @property
    def bos_token_id(self) -> Optional[int]:
        """The beginning-of-text token's id: the first of ``<|begin_of_text|>``, ``<s>``,
        ``<bos>``, ``<|startoftext|>`` the vocabulary has, else None (GPT-2 style vocabularies,
        whose one special token transformers takes for both ends, have ``eos_token_id`` only)."""
        return self._first_id(BOS_NAMES)

    def _first_id(self, names: Sequence[str]) -> Optional[int]:
        for name in names:
            found = self.token_to_id(name)
            if found is not None:
                return found
        return None

    def add_tokens(self, tokens: Iterable[Any]) -> int:
        """Adds tokens (strings, or HF ``AddedToken`` objects with their flags) as HF does, and
        returns how many HF counts as added: a token already in the model's vocabulary keeps its
        id, a new one takes the next id. Texts are then matched against them first. (A
        tokenizer from a SentencePiece ``.model`` has no file form to add to.)"""
        return self._add_tokens(tokens, special=False)

    def add_special_tokens(self, tokens: Union[Iterable[Any], Dict[str, Any]]) -> int:
        """``add_tokens`` for special tokens (``decode`` can skip them). A dict, as transformers
        takes (``{"pad_token": "[PAD]"}``), adds its values."""
        if isinstance(tokens, dict):
            tokens = list(tokens.values())
        return self._add_tokens(tokens, special=True)

    def _add_tokens(self, tokens: Iterable[Any], special: bool) -> int:
        if isinstance(tokens, str):
            tokens = [tokens]
        text, count = adding.with_tokens(
            self.to_str(), list(tokens), special, self._core.get_vocab(False)
        )
        if count:
            self._core = _unpickle(text, self._dropout_seed)._core
            self._digest = None
        return count

    def set_dropout(self, dropout: Optional[float], seed: int = 0) -> None:
        """BPE-dropout (Provilkov et al., 2020) for training: each merge is skipped with
        probability ``dropout`` (``None`` or 0: off, the default unless the file sets HF's
        ``dropout``). The draws are seeded: the same seed gives the same tokens for the same
        text, whatever the batch or thread count; pass another seed (per epoch, say) for others.
        Only BPE models have dropout."""
        if dropout is not None:
            dropout = float(dropout)
        seed = _checks.integer(seed, "seed", 0)
        self._core = self._core.with_dropout(dropout, seed)
        self._dropout_seed = seed
        self._digest = None

    def get_vocab(self, with_added_tokens: bool = True) -> Dict[str, int]:
        """Token string to id: the model's vocabulary, and (by default) the added tokens."""
        return self._core.get_vocab(bool(with_added_tokens))

    def get_vocab_size(self, with_added_tokens: bool = True) -> int:
        """Number of entries `get_vocab(with_added_tokens)` has (HF's `get_vocab_size`)."""
        return len(self._core.get_vocab(bool(with_added_tokens)))

    @property
    def vocab_size(self) -> int:
        """Number of distinct tokens, added tokens included."""
        return self._core.vocab_size()

    def __len__(self) -> int:
        return self.vocab_size

    def num_special_tokens_to_add(self, is_pair: bool = False) -> int:
        return self._core.num_special_tokens_to_add(bool(is_pair))

    def __repr__(self) -> str:
        return f"Tokenizer(vocab_size={self.vocab_size}, truncation={self._truncation}, padding={self._padding})"


def _dumps(params: Optional[dict]) -> Optional[str]:
    return None if params is None else json.dumps(params)


def _unpickle(text: str, dropout_seed: int) -> "Tokenizer":
    """A pickled Tokenizer: its file, and the seed of its BPE-dropout draws when it has dropout."""
    tok = Tokenizer.from_str(text)
    dropout = json.loads(text).get("model", {}).get("dropout")
    if dropout:
        tok.set_dropout(dropout, dropout_seed)
    return tok


def _as_list(texts, what: str) -> list:
    if isinstance(texts, str):
        raise TypeError(f"{what} must be a sequence of str, not a single str (wrap it in a list)")
    if isinstance(texts, (bytes, bytearray)):
        raise TypeError(f"{what} must be a sequence of str, got bytes")
    return texts if isinstance(texts, (list, tuple)) else list(texts)
