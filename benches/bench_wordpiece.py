"""BERT WordPiece: tokembed against HF `tokenizers`, same documents, same process.

    python benches/bench_wordpiece.py [--repeats 5]

The 10 MB Python-docs corpus is cut into ~4 KB documents. Each method runs `--repeats` times
after a warm-up; the table shows the median MB/s and the ratio to the HF call doing the same
job with the same number of threads. HF's thread use is switched with TOKENIZERS_PARALLELISM,
which it reads on every call.
"""

from __future__ import annotations

import argparse
import os

import numpy as np
from tokenizers import Tokenizer as HFTokenizer

import tokembed
from common import DATA, documents, megabytes, median_seconds, print_table

BERT = DATA / "tokenizers" / "bert-base-uncased" / "tokenizer.json"
CORPUS = DATA / "corpora" / "en_python_docs_10MB.txt"


def hf_padded(hf: HFTokenizer, docs):
    encodings = hf.encode_batch(docs)
    return (
        np.array([e.ids for e in encodings], dtype=np.int64),
        np.array([e.attention_mask for e in encodings], dtype=np.int64),
        np.array([e.type_ids for e in encodings], dtype=np.int64),
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()

    docs = documents(CORPUS)
    mb = megabytes(docs)
    print(f"{len(docs)} documents, {mb:.1f} MB, median of {args.repeats} runs, {os.cpu_count()} CPUs\n")

    hf_plain = HFTokenizer.from_file(str(BERT))
    hf_plain.no_truncation()
    hf_plain.no_padding()
    hf_pad = HFTokenizer.from_file(str(BERT))
    hf_pad.no_truncation()
    hf_pad.enable_padding(pad_id=0, pad_token="[PAD]")
    ours = tokembed.Tokenizer.from_file(BERT)

    rows, rates = [], {}
    for threads in (1, 2):
        os.environ["TOKENIZERS_PARALLELISM"] = "false" if threads == 1 else "true"
        tokembed.set_num_threads(threads)
        jobs = [
            ("HF encode_batch (ids in Encoding objects)", "hf", lambda: hf_plain.encode_batch(docs)),
            ("tokembed encode_batch_flat", "hf", lambda: ours.encode_batch_flat(docs)),
            ("HF encode_batch padded -> NumPy", "hf_pad", lambda: hf_padded(hf_pad, docs)),
            ("tokembed encode_batch padded (B, L)", "hf_pad", lambda: ours.encode_batch(docs, truncation=False, padding="longest")),
        ]
        for name, reference, fn in jobs:
            rate = mb / median_seconds(fn, args.repeats)
            rates[(name, threads)] = rate
            ref_name = next(n for n, r, _ in jobs if r == reference and n.startswith("HF"))
            ratio = rate / rates[(ref_name, threads)]
            rows.append([name, threads, f"{rate:.1f}", f"{ratio:.1f}x"])
    print_table(["method", "threads", "MB/s", "vs HF"], rows)
    flat = "tokembed encode_batch_flat"
    padded = "tokembed encode_batch padded (B, L)"
    print(f"\ntokembed 2 threads / 1 thread: flat {rates[(flat, 2)] / rates[(flat, 1)]:.2f}x, "
          f"padded {rates[(padded, 2)] / rates[(padded, 1)]:.2f}x")


if __name__ == "__main__":
    main()
