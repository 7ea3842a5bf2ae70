"""``tokembed train INPUT... --model bpe|wordpiece|unigram --vocab-size N -o DIR``: trains a
tokenizer on corpora read as ``tokembed encode`` reads them and writes its files into DIR (each
written atomically): ``tokenizer.json``, and ``tokenizer.tiktoken`` (tiktoken's ranks) for
byte-level BPE, ``vocab.txt`` for WordPiece, ``tokenizer.model`` (SentencePiece) for Unigram."""

from __future__ import annotations

import argparse
import os
import sys
import time

from .._core import WordCounter, set_num_threads
from ..corpus.problems import ERRORS
from ..corpus.progress import progress_wanted
from ..corpus.sources import KINDS
from ..tokenizers import Tokenizer
from ..train import bpe as bpe_training
from ..train.inputs import feed_files
from ..train.sentencepiece_files import save_sentencepiece
from ..train.tiktoken_files import save_tiktoken
from ..train import unigram as unigram_training
from ..train.vocab_files import save_vocab
from ..train import wordpiece as wordpiece_training
from ..train.wordpiece import BERT_SPECIAL_TOKENS


def add_train_parser(sub) -> None:
    t = sub.add_parser("train", help="train a tokenizer on corpora")
    t.add_argument("inputs", nargs="+", metavar="INPUT", help="files, globs, or - for standard input")
    t.add_argument("-o", "--output", required=True, metavar="DIR", help="folder for tokenizer.json (made if missing)")
    t.add_argument(
        "--model", choices=("bpe", "wordpiece", "unigram"), default="bpe",
        help="byte-level BPE (default), BERT-style WordPiece, or SentencePiece Unigram",
    )
    t.add_argument("--vocab-size", type=int, required=True, metavar="N", help="tokens in all, special tokens and bytes included")
    t.add_argument("--pattern", default="gpt2", metavar="NAME|REGEX", help="bpe: split pattern: gpt2 (default), cl100k_base, o200k_base, llama3, qwen2, or a regex")
    t.add_argument(
        "--special-token", action="append", metavar="TOKEN",
        help="a special token (the first ids, in order); repeat for more (default: none for bpe, BERT's five for "
        "wordpiece, <unk> <s> </s> for unigram)",
    )
    t.add_argument("--byte-fallback", action="store_true", help="unigram: add the 256 byte pieces <0x00>..<0xFF>")
    t.add_argument(
        "--character-coverage", type=float, default=0.9995, metavar="X",
        help="unigram: share of the characters the alphabet covers (default: 0.9995, as spm_train)",
    )
    t.add_argument("--cased", action="store_true", help="wordpiece: keep case and accents (default: lowercase, as bert-base-uncased)")
    t.add_argument("--limit-alphabet", type=int, metavar="N", help="wordpiece: keep the N most frequent characters")
    t.add_argument("--min-frequency", type=int, default=2, metavar="N", help="stop when no pair occurs N times (default: 2)")
    t.add_argument("--max-token-length", type=int, metavar="BYTES", help="longest token, in bytes (default: no limit)")
    t.add_argument("--json-key", default="text", metavar="KEY", help="JSONL key or Parquet column of the text (default: text)")
    t.add_argument("--input-format", choices=("auto",) + KINDS, default="auto", help="kind of the inputs (default: from the file names)")
    t.add_argument("--errors", choices=ERRORS, default="replace", help="invalid UTF-8: replace (default), skip the document, or stop; reported as file:line")
    t.add_argument("--workers", type=int, metavar="N", help="counting threads (default: one per core)")
    t.add_argument("--overwrite", action="store_true", help="replace files already in DIR")
    t.add_argument("-q", "--quiet", action="store_true", help="no progress bar and no summary")


# The second file of each model, and what writes it.
SECOND_FILES = {
    "bpe": ("tokenizer.tiktoken", save_tiktoken),
    "wordpiece": ("vocab.txt", save_vocab),
    "unigram": ("tokenizer.model", save_sentencepiece),
}
DEFAULT_SPECIAL_TOKENS = {
    "bpe": [],
    "wordpiece": list(BERT_SPECIAL_TOKENS),
    "unigram": list(unigram_training.SENTENCEPIECE_SPECIAL_PIECES),
}


def run_train(args: argparse.Namespace) -> int:
    if args.workers is not None:
        set_num_threads(args.workers)
    second_name, save_second = SECOND_FILES[args.model]
    names = ["tokenizer.json", second_name]
    if args.special_token is None:
        args.special_token = DEFAULT_SPECIAL_TOKENS[args.model]
    if os.path.isfile(args.output):
        raise ValueError(f"{args.output} is a file; --output names a folder")
    existing = [n for n in names if os.path.exists(os.path.join(args.output, n))]
    if existing and not args.overwrite:
        raise ValueError(f"{os.path.join(args.output, existing[0])} exists; pass --overwrite to replace it")
    train = trainer(args)
    show = not args.quiet and progress_wanted()
    start = time.perf_counter()
    counter = word_counter(args)
    log = feed_files(
        counter, args.inputs, show, json_key=args.json_key, errors=args.errors, input_format=args.input_format
    )
    counted = time.perf_counter()
    json_text = train(counter, show)
    tok = Tokenizer.from_str(json_text)
    os.makedirs(args.output, exist_ok=True)
    tok.save(os.path.join(args.output, names[0]))
    save_second(tok, os.path.join(args.output, names[1]))
    if not args.quiet:
        done = time.perf_counter()
        skipped = log.as_dict()
        print(
            f"tokembed train: {counter.documents:,} documents, {counter.text_bytes / 1e6:,.1f} MB, "
            f"{counter.distinct_words:,} distinct words counted in {counted - start:.1f} s; "
            f"{tok.vocab_size:,} tokens trained in {done - counted:.1f} s; wrote {', '.join(names)} in {args.output}"
            + (f"; left out or repaired: {skipped}" if skipped else ""),
            file=sys.stderr,
        )
    return 0


def trainer(args: argparse.Namespace):
    """The options checked (before any reading); a function ``(counter, show) -> tokenizer.json text``."""
    if args.model == "unigram":
        specials = args.special_token
        if not specials:
            raise ValueError("unigram needs an unknown piece: give --special-token (the first one is <unk> if present)")
        unk = "<unk>" if "<unk>" in specials else specials[0]
        options = unigram_training.check_options(
            args.vocab_size, specials, unk, args.byte_fallback, args.character_coverage, 16, 1_000_000, 0.75, 2,
            True, True, False,
        )
        return lambda counter, show: unigram_training.train(counter, options, show)
    options = (args.vocab_size, args.special_token, args.min_frequency, args.max_token_length)
    bpe_training.check_options(*options, args.pattern)
    if args.model == "wordpiece":
        if args.limit_alphabet is not None and args.limit_alphabet < 0:
            raise ValueError(f"--limit-alphabet must be at least 0, got {args.limit_alphabet}")
        return lambda counter, show: wordpiece_training.merge(counter, *options, show, args.limit_alphabet)
    return lambda counter, show: bpe_training.merge(counter, *options, show)


def word_counter(args: argparse.Namespace) -> WordCounter:
    if args.model == "wordpiece":
        return wordpiece_training.bert_word_counter(lowercase=not args.cased)
    if args.model == "unigram":
        return unigram_training.unigram_word_counter(args.special_token)
    return WordCounter(args.pattern)
