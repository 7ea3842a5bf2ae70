"""Byte-level BPE (GPT-2, cl100k_base): tokembed against tiktoken and HF `tokenizers`.

    python benches/bench_bpe.py [--repeats 5]

Both corpora are cut into ~4 KB documents. tiktoken runs `encode_ordinary_batch` (one thread
with num_threads=1), HF `encode_batch` (TOKENIZERS_PARALLELISM switches its threads), tokembed
`encode_batch_flat`. Then the pathological inputs, 1 MB each, single thread: tokembed's MB/s
relative to its own rate on normal text (tiktoken's gpt2 pattern overflows its regex stack on
1 MB of spaces, which is reported, not hidden).
"""

from __future__ import annotations

import argparse
import base64
import os
import random

import tiktoken
import tiktoken.load
import tiktoken_ext.openai_public as openai_public
from tokenizers import Tokenizer as HFTokenizer

import tokembed
from common import DATA, documents, megabytes, median_seconds, print_table

TOK = DATA / "tokenizers"
CORPORA = [DATA / "corpora" / "en_python_docs_10MB.txt", DATA / "corpora" / "code_python_stdlib_3MB.txt"]
RANKS = {"r50k_base": TOK / "gpt2" / "gpt2.tiktoken", "cl100k_base": TOK / "cl100k_base" / "cl100k_base.tiktoken"}


def tiktoken_encoding(name: str) -> tiktoken.Encoding:
    original = openai_public.load_tiktoken_bpe
    openai_public.load_tiktoken_bpe = lambda *_, **__: tiktoken.load.load_tiktoken_bpe(str(RANKS[name]))
    try:
        return tiktoken.Encoding(**getattr(openai_public, name)())
    finally:
        openai_public.load_tiktoken_bpe = original


def pathological(size: int = 1_000_000) -> dict:
    rng = random.Random(0)
    return {
        "one letter repeated": "a" * size,
        "random base64": base64.b64encode(rng.randbytes(size * 3 // 4)).decode(),
        "digit run": "".join(rng.choice("0123456789") for _ in range(size)),
        "spaces": " " * size,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    rows = []
    normal_rate = {}
    for name, builtin, hf_file in [("gpt2", "gpt2", TOK / "gpt2" / "tokenizer.json"),
                                   ("cl100k", "cl100k_base", TOK / "cl100k_base" / "tokenizer.json")]:
        ours = tokembed.Tokenizer.builtin(builtin)
        tik = tiktoken_encoding("r50k_base" if name == "gpt2" else "cl100k_base")
        hf = HFTokenizer.from_file(str(hf_file))
        for corpus in CORPORA:
            docs = documents(corpus)
            mb = megabytes(docs)
            for threads in (1, 2):
                os.environ["TOKENIZERS_PARALLELISM"] = "false" if threads == 1 else "true"
                tokembed.set_num_threads(threads)
                t_ours = mb / median_seconds(lambda: ours.encode_batch_flat(docs), args.repeats)
                t_tik = mb / median_seconds(lambda: tik.encode_ordinary_batch(docs, num_threads=threads), args.repeats)
                t_hf = mb / median_seconds(lambda: hf.encode_batch(docs), args.repeats)
                if threads == 1:
                    normal_rate[name] = min(normal_rate.get(name, t_ours), t_ours)
                rows.append([name, corpus.name, threads, f"{t_ours:.1f}", f"{t_tik:.1f}", f"{t_hf:.1f}",
                             f"{t_ours / t_tik:.1f}x", f"{t_ours / t_hf:.1f}x"])
    print_table(["tokenizer", "corpus", "threads", "tokembed MB/s", "tiktoken MB/s", "HF MB/s",
                 "vs tiktoken", "vs HF"], rows)
    print()
    tokembed.set_num_threads(1)
    rows = []
    for name, builtin in [("gpt2", "gpt2"), ("cl100k", "cl100k_base")]:
        ours = tokembed.Tokenizer.builtin(builtin)
        for kind, text in pathological().items():
            mb = len(text) / 1e6
            rate = mb / median_seconds(lambda: ours.encode_batch_flat([text]), 3)
            rows.append([name, kind, f"{rate:.1f}", f"{rate / normal_rate[name]:.2f}"])
    print_table(["tokenizer", "1 MB input", "tokembed MB/s", "vs own normal text"], rows)


if __name__ == "__main__":
    main()
