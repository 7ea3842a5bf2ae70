"""The drop-in layers against the libraries they replace, same documents, one process, one thread:
`tokembed.compat.tiktoken` against tiktoken, `tokembed.compat.tokenizers` against HF `tokenizers`.

    pip install -e ".[test,bench]"
    python benches/bench_compat.py [--repeats 5] [--mb 1] [--encodings r50k_base,cl100k_base,o200k_base]
                                   [--files bert-base-uncased,gpt2]

HF `tokenizers` part: `Tokenizer.from_file` of the shared `tokenizer.json` (padding and truncation
off), `encode_batch(docs)` and the `ids` list of every Encoding, which both build on demand
(TOKENIZERS_PARALLELISM=false: HF on one thread).

Calls (both return Python lists of lists of ints, as tiktoken does):
- `encode_ordinary_batch(docs)`;
- `encode_batch(docs)` with the default special-token check (every document searched for special
  tokens, none allowed), and `encode_batch(docs, allowed_special="all")`.
tiktoken runs with `num_threads=1`, tokembed with `tokembed.set_num_threads(1)`. tiktoken's
encodings are built from the same ranks tokembed ships (tests/compat/reference_tiktoken.py).

Inputs: ~4 KB documents of English prose (en_python_docs), German (de_manpages), Python code
(code_python_stdlib) and a multilingual mix (the Debian message catalogs of zh_CN, ru, ja, ar, hi
in turn), `--mb` MB per timed slice. Each input is cut into repeats + 1 disjoint slices: slice 0
warms both libraries up, slice k is timed in repeat k, the libraries taking turns in alternating
order, so neither times text it has encoded before. Reported: median MB/s (UTF-8 bytes) and the
median of per-repeat ratios. Every output is checked against tiktoken's, and a wrong one marked.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path
from typing import Callable, Dict, List

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "compat"))
from common import DATA, cut_documents, locale_messages, megabytes, print_table  # noqa: E402

os.environ["TOKENIZERS_PARALLELISM"] = "false"
import reference_tiktoken  # noqa: E402
import tokenizers  # noqa: E402

import tokembed  # noqa: E402
import tokembed.compat.tiktoken as compat  # noqa: E402
import tokembed.compat.tokenizers as compat_hf  # noqa: E402


def inputs(mb: float, slices: int) -> Dict[str, List[List[str]]]:
    """Each input as `slices` disjoint lists of ~4 KB documents of about `mb` MB each."""
    need = int(mb * 1e6 * slices)
    corpora = DATA / "corpora"
    texts = {
        "English": (corpora / "en_python_docs_10MB.txt").read_text(encoding="utf-8"),
        "German": (corpora / "de_manpages_3MB.txt").read_text(encoding="utf-8"),
        "code": (corpora / "code_python_stdlib_3MB.txt").read_text(encoding="utf-8"),
        "multilingual": "".join(locale_messages(lang, need // 5 + 1) for lang in ["zh_CN", "ru", "ja", "ar", "hi"]),
    }
    out = {}
    for name, text in texts.items():
        while len(text.encode()) < need:
            text += text
        docs = cut_documents(text)
        cut: List[List[str]] = [[] for _ in range(slices)]
        k, size = 0, 0.0
        for doc in docs:
            cut[k].append(doc)
            size += len(doc.encode()) / 1e6
            if size >= mb:
                k, size = k + 1, 0.0
                if k == slices:
                    break
        out[name] = cut
    return out


def timed(call: Callable[[], object]) -> tuple:
    start = time.perf_counter()
    result = call()
    return time.perf_counter() - start, result


def measure(ours, theirs, call, slices, repeats: int) -> list:
    """Median MB/s of both and the median ratio; `WRONG` if the outputs differ."""
    call(ours, slices[0]), call(theirs, slices[0])
    ratios, speeds, wrong = [], {"ours": [], "theirs": []}, False
    for k in range(1, repeats + 1):
        docs, mb = slices[k], megabytes(slices[k])
        order = [("ours", ours), ("theirs", theirs)]
        results = {}
        for who, lib in order if k % 2 else order[::-1]:
            seconds, results[who] = timed(lambda: call(lib, docs))
            speeds[who].append(mb / seconds)
        wrong |= results["ours"] != results["theirs"]
        ratios.append(speeds["ours"][-1] / speeds["theirs"][-1])
    return [
        f"{statistics.median(speeds['ours']):.1f}" + (" WRONG" if wrong else ""),
        f"{statistics.median(speeds['theirs']):.1f}",
        f"{statistics.median(ratios):.2f}x",
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--mb", type=float, default=1.0)
    parser.add_argument("--encodings", default="r50k_base,cl100k_base,o200k_base")
    parser.add_argument("--files", default="bert-base-uncased,gpt2")
    args = parser.parse_args()
    tokembed.set_num_threads(1)
    data = inputs(args.mb, args.repeats + 1)
    calls = {
        "encode_ordinary_batch": lambda enc, docs: enc.encode_ordinary_batch(docs, num_threads=1),
        "encode_batch": lambda enc, docs: enc.encode_batch(docs, num_threads=1),
        "encode_batch(all)": lambda enc, docs: enc.encode_batch(docs, num_threads=1, allowed_special="all"),
    }
    rows = []
    for name in args.encodings.split(","):
        ours, theirs = compat.get_encoding(name), reference_tiktoken.encoding(name)
        for label, slices in data.items():
            for call_name, call in calls.items():
                rows.append([name, label, call_name, *measure(ours, theirs, call, slices, args.repeats)])
                print(" | ".join(rows[-1]), file=sys.stderr)
    print_table(["encoding", "input", "call", "compat MB/s", "tiktoken MB/s", "ratio"], rows)

    def hf_batch(tok, docs):
        return [e.ids for e in tok.encode_batch(docs)]

    rows = []
    for name in args.files.split(","):
        path = str(DATA / "tokenizers" / name / "tokenizer.json")
        ours, theirs = compat_hf.Tokenizer.from_file(path), tokenizers.Tokenizer.from_file(path)
        for tok in (ours, theirs):
            tok.no_padding()
            tok.no_truncation()
        for label, slices in data.items():
            rows.append([name, label, "encode_batch + ids", *measure(ours, theirs, hf_batch, slices, args.repeats)])
            print(" | ".join(rows[-1]), file=sys.stderr)
    print()
    print_table(["tokenizer.json", "input", "call", "compat MB/s", "HF MB/s", "ratio"], rows)


if __name__ == "__main__":
    main()
