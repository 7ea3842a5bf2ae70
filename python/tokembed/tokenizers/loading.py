"""Building a `Tokenizer` from the files (or ranks) people have: the class methods of
`Tokenizer`, kept here so that `tokenizer.py` holds the calls made on a loaded one."""

from __future__ import annotations

import gzip
import os
from pathlib import Path
from typing import TYPE_CHECKING, Dict, List, Mapping, Optional, Union

from . import builtin
from .._core import CoreTokenizer as _CoreTokenizer
from .._core import TokenizerError

if TYPE_CHECKING:
    from .tokenizer import Tokenizer

PathLike = Union[str, "os.PathLike[str]"]


def _read_text(path: PathLike) -> str:
    """A file's text; a name ending in ``.gz`` is read through gzip (the built-in o200k_base is)."""
    if os.fspath(path).endswith(".gz"):
        with gzip.open(path, "rt", encoding="utf-8") as f:
            return f.read()
    with open(path, "r", encoding="utf-8") as f:
        return f.read()


# The names model folders give their SentencePiece model (Llama/Mistral/Gemma, T5/ALBERT, XLM-R/mBART).
SENTENCEPIECE_FILES = ("tokenizer.model", "spiece.model", "sentencepiece.bpe.model")


class Loaders:
    """The ways to make a `Tokenizer` (each returns ``cls(core)``)."""

    @classmethod
    def from_str(cls, json_text: str) -> "Tokenizer":
        """Loads the text of a ``tokenizer.json``."""
        if not isinstance(json_text, str):
            raise TypeError(f"json_text must be str, got {type(json_text).__name__}")
        return cls(_CoreTokenizer.from_str(json_text))

    @classmethod
    def from_file(cls, path: PathLike) -> "Tokenizer":
        """Loads a ``tokenizer.json`` file, or a SentencePiece ``.model`` (as ``from_sentencepiece``
        with its defaults). Another kind of file (a ``.tiktoken`` file, a ``vocab.txt``, gzip, ...)
        is named in the error."""
        with open(path, "rb") as f:
            data = f.read()
        try:
            if _CoreTokenizer.looks_like_sentencepiece(data):
                return cls(_CoreTokenizer.from_sentencepiece(data, False, False))
            return cls(_CoreTokenizer.from_bytes(data))
        except TokenizerError as e:
            raise TokenizerError(f"{os.fspath(path)}: {e}") from None

    @classmethod
    def from_sentencepiece(cls, path: PathLike, add_bos: bool = False, add_eos: bool = False) -> "Tokenizer":
        """A SentencePiece ``.model`` file (``tokenizer.model``, ``spiece.model``, ...), encoding and
        decoding exactly as the ``sentencepiece`` library does; ``add_bos`` / ``add_eos`` put the
        model's bos / eos ids around each sequence, as that library's options of the same names.
        Such a tokenizer has no ``tokenizer.json`` form: ``save`` and ``to_str`` refuse it."""
        with open(path, "rb") as f:
            data = f.read()
        try:
            return cls(_CoreTokenizer.from_sentencepiece(data, bool(add_bos), bool(add_eos)))
        except TokenizerError as e:
            raise TokenizerError(f"{os.fspath(path)}: {e}") from None

    @classmethod
    def from_pretrained(cls, directory: PathLike) -> "Tokenizer":
        """Loads a model folder: its ``tokenizer.json``, else its ``vocab.txt``, else its SentencePiece
        model (``tokenizer.model``, ``spiece.model`` or ``sentencepiece.bpe.model``). Offline only."""
        d = Path(directory)
        if not d.is_dir():
            raise FileNotFoundError(
                f"{os.fspath(directory)!r} is not a local folder (tokembed never downloads; "
                f"for a built-in tokenizer use Tokenizer.builtin)"
            )
        if (d / "tokenizer.json").is_file():
            return cls.from_file(d / "tokenizer.json")
        if (d / "vocab.txt").is_file():
            return cls.from_wordpiece_vocab(d / "vocab.txt")
        for name in SENTENCEPIECE_FILES:
            if (d / name).is_file():
                return cls.from_sentencepiece(d / name)
        raise FileNotFoundError(
            f"{os.fspath(directory)!r} holds no tokenizer.json, vocab.txt or {', '.join(SENTENCEPIECE_FILES)}"
        )

    @classmethod
    def from_wordpiece_vocab(cls, vocab_txt: PathLike, lowercase: bool = True) -> "Tokenizer":
        """A BERT tokenizer from its ``vocab.txt``, as HF's ``BertWordPieceTokenizer`` builds it."""
        text = _read_text(vocab_txt)
        try:
            return cls(_CoreTokenizer.from_wordpiece_vocab(text, bool(lowercase)))
        except TokenizerError as e:
            raise TokenizerError(f"{os.fspath(vocab_txt)}: {e}") from None

    @classmethod
    def from_tiktoken(
        cls, path: PathLike, pattern: str, special_tokens: Optional[Dict[str, int]] = None
    ) -> "Tokenizer":
        """A tiktoken encoding from its ``.tiktoken`` ranks file. ``pattern`` is a known name
        (``"gpt2"``, ``"cl100k_base"``, ``"o200k_base"``, ``"llama3"``, ``"qwen2"``) or the
        regex itself; ``special_tokens`` maps special token strings to their ids."""
        text = _read_text(path)
        specials = sorted((special_tokens or {}).items(), key=lambda kv: kv[1])
        try:
            return cls(_CoreTokenizer.from_tiktoken(text, pattern, specials))
        except TokenizerError as e:
            raise TokenizerError(f"{os.fspath(path)}: {e}") from None

    @classmethod
    def from_tiktoken_ranks(
        cls, ranks: Mapping[bytes, int], pattern: str, special_tokens: Optional[Dict[str, int]] = None
    ) -> "Tokenizer":
        """A tiktoken encoding from ranks held in memory, as tiktoken's ``mergeable_ranks``
        (token bytes to rank; the ranks are the ids). ``pattern`` and ``special_tokens`` are as
        for ``from_tiktoken``. Every single byte needs a rank."""
        if not isinstance(ranks, dict):
            ranks = dict(ranks)
        specials = sorted((special_tokens or {}).items(), key=lambda kv: kv[1])
        return cls(_CoreTokenizer.from_tiktoken_ranks(ranks, pattern, specials))

    @classmethod
    def from_bpe_files(
        cls,
        vocab_json: PathLike,
        merges_txt: PathLike,
        special_tokens: Optional[Dict[str, int]] = None,
        add_prefix_space: bool = False,
        trim_offsets: bool = False,
    ) -> "Tokenizer":
        """A byte-level BPE from GPT-2 style ``vocab.json`` and ``merges.txt``, configured as HF's
        ``ByteLevelBPETokenizer`` configures it; ``special_tokens`` maps strings to ids."""
        specials = sorted((special_tokens or {}).items(), key=lambda kv: kv[1])
        try:
            core = _CoreTokenizer.from_byte_level_bpe(
                _read_text(vocab_json), _read_text(merges_txt), bool(add_prefix_space), bool(trim_offsets), specials
            )
        except TokenizerError as e:
            raise TokenizerError(f"{os.fspath(vocab_json)}, {os.fspath(merges_txt)}: {e}") from None
        return cls(core)

    @classmethod
    def builtin(cls, name: str = builtin.DEFAULT) -> "Tokenizer":
        """A tokenizer shipped with the package; ``tokembed.Tokenizer.builtin_names()`` lists them."""
        spec = builtin.spec(name)
        if spec.tiktoken:
            return cls.from_tiktoken(spec.path, spec.pattern, spec.special_tokens)
        return cls.from_file(spec.path)

    @staticmethod
    def builtin_names() -> List[str]:
        return builtin.names()

    @classmethod
    def load(cls, name_or_path: PathLike, pattern: Optional[str] = None) -> "Tokenizer":
        """A built-in name, a ``tokenizer.json``, a ``vocab.txt``, a model folder, or a
        ``.tiktoken`` file (also ``.tiktoken.gz``) with its split ``pattern`` (a known name such
        as ``"cl100k_base"``, or the regex; such a file names no special tokens)."""
        p = Path(name_or_path)
        is_ranks = p.name.endswith((".tiktoken", ".tiktoken.gz"))
        if pattern is not None and not (is_ranks and p.is_file()):
            raise ValueError(f"a pattern is for .tiktoken files; {os.fspath(name_or_path)!r} is not one")
        if p.is_dir():
            return cls.from_pretrained(p)
        if p.is_file():
            if is_ranks:
                if pattern is None:
                    raise ValueError(
                        f"{os.fspath(name_or_path)}: a .tiktoken file needs its split pattern (--pattern): a known "
                        "name (gpt2, cl100k_base, o200k_base, llama3, qwen2) or the regex"
                    )
                tok = cls.from_tiktoken(p, pattern)
                tok._loaded_from = f"{p.resolve()} (pattern {pattern})"
                return tok
            return cls.from_wordpiece_vocab(p) if p.suffix == ".txt" else cls.from_file(p)
        if str(name_or_path) in builtin.names():
            return cls.builtin(str(name_or_path))
        raise FileNotFoundError(
            f"{os.fspath(name_or_path)!r} is neither a file, a folder nor a built-in tokenizer "
            f"({', '.join(builtin.names())})"
        )

