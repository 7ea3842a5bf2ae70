"""Padded batches for a model: tokembed `encode_batch` against HF `tokenizers`' `encode_batch`.

    python benches/bench_padded.py [--repeats 5] [--mb 0.5]

What a model's input pipeline asks for: ~4 KB documents of en_python_docs in, `(B, L)` NumPy
arrays out (ids, attention mask, type ids), single thread. Four calls per tokenizer:
- padded to the longest row, no truncation;
- the same with offsets (`return_offsets=True`);
- truncated to 128 tokens and padded to 128 (BERT's usual input);
- truncated to 512 and padded to 512.
HF (`TOKENIZERS_PARALLELISM=false`) is set to the same truncation and padding, and its
encodings are turned into the same NumPy arrays inside its timed call (as tokembed's call
returns them). `encode_batch_flat` (ids and row offsets, no padding) is timed beside them for
scale. Every library and call encodes fresh slices of the corpus it has not seen (new str
objects each time), in rotating order; MB/s are medians over `--repeats` slices; the ratio is
tokembed's over HF's on the same call. The ids of both are compared on every slice.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path
from typing import Callable, Dict, List, Optional, Tuple

os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

import numpy as np
from tokenizers import Tokenizer as HFTokenizer

import tokembed

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import DATA, cut_documents, fresh_copies, megabytes, print_table  # noqa: E402

CORPUS = DATA / "corpora" / "en_python_docs_10MB.txt"
FILES = {
    "bert-base-uncased": DATA / "tokenizers" / "bert-base-uncased" / "tokenizer.json",
    "gpt2": DATA / "tokenizers" / "gpt2" / "tokenizer.json",
    "cl100k_base": DATA / "tokenizers" / "cl100k_base" / "tokenizer.json",
    "Mistral v1 (legacy json)": DATA / "tokenizers" / "sentencepiece" / "mistral_v1.legacy.tokenizer.json",
}
# name -> (truncate to, pad to a fixed length, offsets)
CALLS: Dict[str, Tuple[Optional[int], bool, bool]] = {
    "longest, no truncation": (None, False, False),
    "longest, with offsets": (None, False, True),
    "truncated + padded to 128": (128, True, False),
    "truncated + padded to 512": (512, True, False),
}


def hf_call(path: Path, max_length: Optional[int], fixed: bool, offsets: bool) -> Callable[[List[str]], dict]:
    hf = HFTokenizer.from_file(str(path))
    hf.no_truncation()
    if max_length is not None:
        hf.enable_truncation(max_length)
    hf.enable_padding(pad_id=0, pad_token=hf.id_to_token(0), length=max_length if fixed else None)

    def call(docs: List[str]) -> dict:
        encodings = hf.encode_batch(docs)
        out = {
            "input_ids": np.array([e.ids for e in encodings], dtype=np.int64),
            "attention_mask": np.array([e.attention_mask for e in encodings], dtype=np.int64),
            "token_type_ids": np.array([e.type_ids for e in encodings], dtype=np.int64),
        }
        if offsets:
            out["offsets"] = np.array([e.offsets for e in encodings], dtype=np.int64)
        return out

    return call


def ours_call(path: Path, max_length: Optional[int], fixed: bool, offsets: bool) -> Callable[[List[str]], dict]:
    tok = tokembed.Tokenizer.from_file(path)
    tok.enable_padding(pad_id=0, pad_token=tok.id_to_token(0))
    truncation = max_length is not None

    def call(docs: List[str]) -> dict:
        return tok.encode_batch(docs, truncation=truncation, max_length=max_length,
                                padding="max_length" if fixed else "longest", return_offsets=offsets)

    return call


def kept_ids(arrays: dict) -> List[List[int]]:
    """Each row's ids where the attention mask is 1 (padding ids differ between libraries)."""
    return [row[mask == 1].tolist() for row, mask in zip(arrays["input_ids"], arrays["attention_mask"])]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--mb", type=float, default=0.5, help="MB per timed slice")
    args = parser.parse_args()
    tokembed.set_num_threads(1)
    text = CORPUS.read_text(encoding="utf-8")
    docs = cut_documents(text)
    per = max(1, int(len(docs) * args.mb * 1e6 / len(text.encode("utf-8"))))
    rows = []
    for name, path in FILES.items():
        flat_tok = tokembed.Tokenizer.from_file(path)
        for call_name, (max_length, fixed, offsets) in CALLS.items():
            libs = {
                "HF": hf_call(path, max_length, fixed, offsets),
                "tokembed": ours_call(path, max_length, fixed, offsets),
                "flat": lambda d: flat_tok.encode_batch_flat(d),
            }
            slices = [docs[k * per : (k + 1) * per] for k in range(args.repeats + 1)]
            for lib in libs.values():
                lib(fresh_copies(slices[0]))  # warm-up
            rates: Dict[str, List[float]] = {lib: [] for lib in libs}
            wrong = 0
            order = list(libs)
            for k, piece in enumerate(slices[1:], start=1):
                outputs = {}
                for lib in order[k % len(order) :] + order[: k % len(order)]:
                    own = fresh_copies(piece)
                    start = time.perf_counter()
                    outputs[lib] = libs[lib](own)
                    rates[lib].append(megabytes(piece) / (time.perf_counter() - start))
                same = kept_ids(outputs["tokembed"]) == kept_ids(outputs["HF"])
                if offsets:
                    same &= np.array_equal(outputs["tokembed"]["offsets"], outputs["HF"]["offsets"])
                wrong += not same
            hf, ours, flat = (statistics.median(rates[lib]) for lib in ("HF", "tokembed", "flat"))
            rows.append([name, call_name, f"{hf:.1f}", f"{ours:.1f}", f"{ours / hf:.1f}x", f"{flat:.1f}",
                         f"WRONG in {wrong}/{args.repeats} slices" if wrong else ""])
            print(f"  {name} / {call_name} done", file=sys.stderr)
    print(f"\n~4 KB documents of {CORPUS.name}, {args.mb} MB per slice, median of {args.repeats} (MB/s, 1 thread):\n")
    print_table(["tokenizer", "call", "HF encode_batch -> NumPy", "tokembed encode_batch", "tokembed ÷ HF",
                 "tokembed encode_batch_flat", "notes"], rows)


if __name__ == "__main__":
    main()
