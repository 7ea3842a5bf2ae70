"""Long inputs cost linear time: MB/s of one document of 10 KB .. 10 MB, single thread.

    python benches/bench_long_inputs.py [--repeats 3]

Kinds: real text (with spaces), the same text with all whitespace removed (one huge word), a
run of one letter, and a run of punctuation (one token per character). For each kind the
spread is the fastest size's MB/s over the slowest's; linear cost keeps it near 1.

A second table encodes one document of en_python_docs with offsets (`encode`) under each
family, SentencePiece's Mistral `.model` and its `tokenizer.json` (no pre-tokenizer: the whole
document is one word to the model) among them.
"""

from __future__ import annotations

import argparse
import re

import tokembed
from common import DATA, median_seconds, print_table

CORPUS = DATA / "corpora" / "en_python_docs_10MB.txt"
SIZES = [10_000, 100_000, 1_000_000, 10_000_000]


def inputs(size: int):
    text = CORPUS.read_text(encoding="utf-8")
    text = (text * (size // len(text) + 1))[:size]
    squeezed = re.sub(r"\s+", "", text)
    squeezed = (squeezed * (size // max(len(squeezed), 1) + 1))[:size]
    return {
        "text with spaces": text,
        "text, whitespace removed": squeezed,
        "one letter repeated": "a" * size,
        "punctuation run": "!?" * (size // 2),
    }


OFFSETS_SIZES = [100_000, 1_000_000, 4_000_000]
SENTENCEPIECE = DATA / "tokenizers" / "sentencepiece"


def families():
    return {
        "gpt2": lambda: tokembed.Tokenizer.builtin("gpt2"),
        "o200k_base": lambda: tokembed.Tokenizer.builtin("o200k_base"),
        "bert-base-uncased": lambda: tokembed.Tokenizer.builtin("bert-base-uncased"),
        "Mistral .model": lambda: tokembed.Tokenizer.from_file(SENTENCEPIECE / "mistral_v1.model"),
        "Mistral .json (legacy)": lambda: tokembed.Tokenizer.from_file(SENTENCEPIECE / "mistral_v1.legacy.tokenizer.json"),
    }


def with_offsets(repeats: int) -> None:
    text = CORPUS.read_text(encoding="utf-8")
    rows = []
    for name, load in families().items():
        tok = load()
        rates = []
        for size in OFFSETS_SIZES:
            doc = text[:size]
            mb = len(doc.encode("utf-8")) / 1e6
            rates.append(mb / median_seconds(lambda doc=doc: tok.encode(doc), repeats))
        rows.append([name] + [f"{r:.1f}" for r in rates] + [f"{max(rates) / min(rates):.2f}"])
    print()
    print_table(["encode with offsets (MB/s)", "100 KB", "1 MB", "4 MB", "spread"], rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    tokembed.set_num_threads(1)
    tok = tokembed.Tokenizer.from_file(DATA / "tokenizers" / "bert-base-uncased" / "tokenizer.json")
    rates = {}
    for size in SIZES:
        for kind, doc in inputs(size).items():
            # Small inputs take microseconds: time enough calls per sample to rise above noise.
            calls = max(1, 2_000_000 // size)
            mb = calls * len(doc.encode("utf-8")) / 1e6

            def run(doc=doc, calls=calls):
                for _ in range(calls):
                    tok.encode_batch_flat([doc])

            rates.setdefault(kind, []).append(mb / median_seconds(run, args.repeats))
    rows = [[kind] + [f"{r:.1f}" for r in rs] + [f"{max(rs) / min(rs):.2f}"] for kind, rs in rates.items()]
    print_table(["input (MB/s)", "10 KB", "100 KB", "1 MB", "10 MB", "spread"], rows)
    with_offsets(args.repeats)


if __name__ == "__main__":
    main()
