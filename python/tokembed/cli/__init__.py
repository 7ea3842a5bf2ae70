"""The ``tokembed`` command line.

``tokembed encode INPUT... --output PREFIX`` tokenizes corpora into token shards (see
``encode.py``).

``tokembed train INPUT... --vocab-size N -o DIR`` trains a byte-level BPE on corpora (see
``train.py``).

``tokembed tokenize [TEXT ...]`` prints the tokens and ids of each text (or of each line of
``--file`` or of standard input), with the built-in ``bert-base-uncased`` unless
``--tokenizer`` names another built-in, a ``tokenizer.json``, a ``vocab.txt``, a folder, or a
``.tiktoken`` file with ``--pattern``.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Iterable, List, Optional

from .. import __version__
from ..tokenizers import builtin
from .._core import TokenizerError
from .encode import add_encode_parser, run_encode
from .train import add_train_parser, run_train
from ..tokenizers.tokenizer import Tokenizer


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="tokembed", description="Text to transformer inputs, exactly and fast.")
    p.add_argument("--version", action="version", version=f"tokembed {__version__}")
    sub = p.add_subparsers(dest="command", required=True)
    add_encode_parser(sub)
    add_train_parser(sub)
    t = sub.add_parser("tokenize", help="print the tokens and ids of texts")
    t.add_argument("texts", nargs="*", metavar="TEXT", help="texts to tokenize (default: lines of --file or stdin)")
    t.add_argument(
        "--tokenizer",
        default=builtin.DEFAULT,
        help=f"built-in name ({', '.join(builtin.names())}), tokenizer.json, vocab.txt, folder, or .tiktoken "
        f"with --pattern (default: {builtin.DEFAULT})",
    )
    t.add_argument("--pattern", metavar="NAME|REGEX", help="the split pattern of a .tiktoken --tokenizer")
    t.add_argument("--pair", help="second sequence, encoded with each text as a pair")
    t.add_argument("--file", help="read one text per line from this file")
    t.add_argument("--no-special-tokens", action="store_true", help="do not add [CLS]/[SEP] and the like")
    t.add_argument("--json", action="store_true", help="one JSON object per text (tokens, ids, type_ids, offsets)")
    return p


def _lines(stream: Iterable[str]) -> List[str]:
    return [line.rstrip("\r\n") for line in stream]


def _texts(args: argparse.Namespace) -> List[str]:
    if args.texts:
        return list(args.texts)
    if args.file:
        with open(args.file, encoding="utf-8") as f:
            return _lines(f)
    if sys.stdin is None or sys.stdin.isatty():
        raise SystemExit("tokembed tokenize: give TEXT arguments, --file, or text on standard input")
    return _lines(sys.stdin)


def _tokenize(args: argparse.Namespace) -> int:
    tok = Tokenizer.load(args.tokenizer, pattern=args.pattern)
    # The command shows whole texts: no truncation or padding from the file.
    tok.no_truncation()
    tok.no_padding()
    for text in _texts(args):
        enc = tok.encode(text, args.pair, add_special_tokens=not args.no_special_tokens)
        if args.json:
            record = {
                "text": text,
                "tokens": enc.tokens,
                "ids": enc.ids.tolist(),
                "type_ids": enc.type_ids.tolist(),
                "offsets": enc.offsets.tolist(),
            }
            print(json.dumps(record, ensure_ascii=False))
        else:
            print(" ".join(f"{t}:{i}" for t, i in zip(enc.tokens, enc.ids.tolist())))
    return 0


def main(argv: Optional[List[str]] = None) -> int:
    args = _parser().parse_args(argv)
    try:
        if args.command == "tokenize":
            return _tokenize(args)
        if args.command == "encode":
            return run_encode(args)
        if args.command == "train":
            return run_train(args)
    except BrokenPipeError:
        return 0
    except (OSError, ValueError, EOFError, ImportError, TokenizerError) as e:
        print(f"tokembed: error: {e}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("tokembed: interrupted", file=sys.stderr)
        return 130
    return 1

