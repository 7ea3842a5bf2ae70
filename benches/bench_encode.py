"""`tokembed encode` (corpus → token shard) against the library's own encode rate, and its memory.

    python benches/bench_encode.py [--repeats 7] [--formats bin,npy,megatron,parquet]

1. Rate, on the 10 MB corpus, gpt2, 1 and 2 worker threads: `Tokenizer.encode_batch_flat` on the
   corpus's documents, all in one call, against `tokembed encode` of the file in the same
   process (`encode_files`, what the command runs: reading, decoding, encoding, writing, renames;
   its own clock, from the first read to the renamed files). Two inputs: the .txt file (a
   document per non-empty line) and the same text as JSON Lines (~4 KB documents, an id and the
   text, every other record with non-ASCII escaped). Runs alternate, medians of `--repeats`;
   "ratio" is encode's MB/s over the library's, both counted on the text's bytes: at 1.0
   reading, parsing and writing cost nothing.
2. The whole command as a user runs it (a new process: Python start, imports, tokenizer load,
   metadata), on the 10 MB corpus and on a 100 MB one made by repeating it 10 times: wall time,
   MB/s and the child's peak RSS (ru_maxrss from wait4), per format. Memory should not grow
   with the corpus: documents stream in batches of a few MB.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import tokembed
from tokembed.preprocess import encode_files
from common import DATA, documents, megabytes, print_table

CORPUS = DATA / "corpora" / "en_python_docs_10MB.txt"


def documents_as_encode_reads_them(path: Path):
    return [line for line in path.read_text(encoding="utf-8").split("\n") if line]


def jsonl_corpus(out: Path):
    """The corpus as JSON Lines of ~4 KB documents, and those documents."""
    docs = documents(CORPUS)
    path = out / "corpus.jsonl"
    with open(path, "w", encoding="utf-8") as f:
        for i, d in enumerate(docs):
            f.write(json.dumps({"id": i, "text": d}, ensure_ascii=i % 2 == 1) + "\n")
    return path, docs


def rate_rows(repeats: int, out: Path):
    tok = tokembed.Tokenizer.builtin("gpt2")
    jsonl_path, jsonl_docs = jsonl_corpus(out)
    inputs = [("txt", CORPUS, documents_as_encode_reads_them(CORPUS)), ("jsonl", jsonl_path, jsonl_docs)]
    rows = []
    for label, path, docs in inputs:
        mb = megabytes(docs)
        for workers in (1, 2):
            tokembed.set_num_threads(workers)
            tok.encode_batch_flat(docs)  # warm-up
            encode_files([str(path)], out / "warm", tok, workers=workers, overwrite=True, progress=False)
            library, command = [], []
            for _ in range(repeats):
                start = time.perf_counter()
                tok.encode_batch_flat(docs)
                library.append(time.perf_counter() - start)
                summary = encode_files([str(path)], out / "rate", tok, workers=workers, overwrite=True, progress=False)
                command.append(summary.seconds)
            lib_rate = mb / statistics.median(library)
            cmd_rate = mb / statistics.median(command)
            ratios = sorted(l / c for l, c in zip(library, command))
            rows.append([
                label,
                workers,
                f"{lib_rate:.1f}",
                f"{cmd_rate:.1f}",
                f"{cmd_rate / lib_rate:.2f}",
                f"{ratios[0]:.2f}-{ratios[-1]:.2f}",
            ])
    return rows


def run_command(args):
    """Wall seconds and peak RSS (MB) of one `tokembed encode` process."""
    start = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-m", "tokembed", "encode", *args], stderr=subprocess.PIPE)
    _, status, usage = os.wait4(proc.pid, 0)
    seconds = time.perf_counter() - start
    err = proc.stderr.read().decode()
    proc.stderr.close()
    if status != 0:
        raise SystemExit(f"tokembed encode failed: {err}")
    return seconds, usage.ru_maxrss / 1024  # Linux reports kilobytes


def memory_rows(repeats: int, formats, out: Path):
    big = out / "corpus_100MB.txt"
    data = CORPUS.read_bytes()
    with open(big, "wb") as f:
        for _ in range(10):
            f.write(data)
    rows = []
    for fmt in formats:
        for corpus in (CORPUS, big):
            runs = [run_command([str(corpus), "-o", str(out / f"m_{fmt}"), "--format", fmt, "--overwrite", "-q"])
                    for _ in range(repeats)]
            seconds = statistics.median(r[0] for r in runs)
            rss = max(r[1] for r in runs)
            mb = corpus.stat().st_size / 1e6
            rows.append([fmt, f"{mb:.0f} MB", f"{seconds:.2f}", f"{mb / seconds:.1f}", f"{rss:.0f}"])
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--memory-repeats", type=int, default=3)
    parser.add_argument("--formats", default="bin,npy,megatron,parquet")
    args = parser.parse_args()
    with open("/proc/loadavg") as f:
        print(f"load average before: {f.read().split()[:3]}")
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp)
        print(f"\n`tokembed encode` vs `encode_batch_flat`, {CORPUS.name}, gpt2, medians of {args.repeats}\n")
        print_table(["input", "workers", "encode_batch_flat MB/s", "tokembed encode MB/s", "ratio", "ratio range"],
                    rate_rows(args.repeats, out))
        print(f"\nthe whole command (new process), default workers, medians of {args.memory_repeats}\n")
        print_table(["format", "corpus", "seconds", "MB/s", "peak RSS MB"],
                    memory_rows(args.memory_repeats, args.formats.split(","), out))
    with open("/proc/loadavg") as f:
        print(f"\nload average after: {f.read().split()[:3]}")


if __name__ == "__main__":
    main()
