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
3. Where the JSON Lines gap goes, 1 and 2 workers: against `encode_batch_flat` on the documents,
   the core's JSONL call on the whole file in memory, on the reader's blocks already in memory,
   on blocks read from the file one after another, with each block's ids also written (uint16),
   and the command (a reader and a writer thread beside the encoder). Ratios of alternating
   runs, medians.
4. With ``--ray``: the same job on Ray (``tokembed encode --ray``, an input file per task) against
   the single-process command, both in new processes on the same files (the shared corpora four
   times over, ~80 MB, in 8 files; ``--shard-size 64MB``): on a Ray instance started beforehand
   (``ray start --head``, as a cluster would be) and on one the command starts itself. Wall
   seconds, MB/s of text and the ratio to the single process; alternating runs, medians.
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

import numpy as np

import tokembed
from tokembed.corpus.lines import line_chunks
from tokembed.corpus.pipeline import BATCH_BYTES
from tokembed.corpus.sources import expand_inputs
from tokembed.preprocess import encode_files
from common import DATA, documents, megabytes, print_table

CORPUS = DATA / "corpora" / "en_python_docs_10MB.txt"
RAY = os.path.join(os.path.dirname(sys.executable), "ray")  # the `ray` command pip put beside Python


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


def jsonl_cost_rows(repeats: int, out: Path):
    tok = tokembed.Tokenizer.builtin("gpt2")
    path, docs = jsonl_corpus(out)
    source = expand_inputs([str(path)], "auto")[0]
    whole = path.read_bytes()
    blocks = [bytes(c.body) for c in line_chunks(source, BATCH_BYTES)]

    def core(block):
        return tok._core.encode_jsonl_flat(block, "text", True, False, False, 1)

    def read_and_encode():
        for chunk in line_chunks(source, BATCH_BYTES):
            core(chunk.body)

    def read_encode_write():
        with open(out / "ids.bin", "wb") as f:
            for chunk in line_chunks(source, BATCH_BYTES):
                f.write(core(chunk.body)[0].astype(np.uint16).data)

    def command():
        return encode_files([str(path)], out / "cost", tok, workers=workers, overwrite=True, progress=False).seconds

    steps = {
        "the core's JSONL call, the whole file in memory": lambda: core(whole),
        "the same on the reader's blocks, in memory": lambda: [core(b) for b in blocks],
        "blocks read from the file, one after another": read_and_encode,
        "and each block's ids written (uint16)": read_encode_write,
        "tokembed encode (reader and writer threads)": command,
    }
    rows = []
    for workers in (1, 2):
        tokembed.set_num_threads(workers)
        ratios = {label: [] for label in steps}
        for _ in range(repeats):
            for label, step in steps.items():
                start = time.perf_counter()
                tok.encode_batch_flat(docs)
                library = time.perf_counter() - start
                start = time.perf_counter()
                seconds = step()
                ratios[label].append(library / (seconds if isinstance(seconds, float) else time.perf_counter() - start))
        rows += [[label, workers, f"{statistics.median(r):.2f}"] for label, r in ratios.items()]
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


def split_corpora(out: Path, copies: int = 4, files: int = 8):
    """The shared corpora, ``copies`` times over (~80 MB), cut into ``files`` files of as many
    lines each, and their total size."""
    folder = out / "split"
    folder.mkdir()
    lines = [line for path in sorted((DATA / "corpora").glob("*.txt")) for line in path.read_bytes().split(b"\n")]
    lines *= copies
    per_file = -(-len(lines) // files)
    paths = []
    for k in range(files):
        part = folder / f"part-{k:03d}.txt"
        part.write_bytes(b"\n".join(lines[k * per_file:(k + 1) * per_file]) + b"\n")
        paths.append(str(part))
    return paths, sum(os.path.getsize(p) for p in paths)


def ray_rows(repeats: int, out: Path):
    env = dict(os.environ, RAY_AUTH_MODE="disabled")
    paths, nbytes = split_corpora(out)
    common = [*paths, "--shard-size", "64MB", "--overwrite", "-q"]
    subprocess.run([RAY, "stop", "--force"], env=env, capture_output=True)
    subprocess.run([RAY, "start", "--head", "--port=6390", "--num-cpus=2", "--include-dashboard=false",
                    "--disable-usage-stats"], env=env, check=True, capture_output=True)
    runs = {"single process": [], "Ray, cluster running": [], "Ray, started by the command": []}
    try:
        for _ in range(repeats):
            for label, extra in (("single process", []), ("Ray, cluster running", ["--ray", "127.0.0.1:6390"])):
                start = time.perf_counter()
                subprocess.run([sys.executable, "-m", "tokembed", "encode", *common, "-o", str(out / "r" / "t"), *extra],
                               env=env, check=True)
                runs[label].append(time.perf_counter() - start)
    finally:
        subprocess.run([RAY, "stop", "--force"], env=env, capture_output=True)
    for _ in range(repeats):
        start = time.perf_counter()
        subprocess.run([sys.executable, "-m", "tokembed", "encode", *common, "-o", str(out / "r" / "t"), "--ray"],
                       env=env, check=True)
        runs["Ray, started by the command"].append(time.perf_counter() - start)
        subprocess.run([RAY, "stop", "--force"], env=env, capture_output=True)
    base = statistics.median(runs["single process"])
    rows = []
    for label, seconds in runs.items():
        s = statistics.median(seconds)
        rows.append([label, f"{len(paths)} files, {nbytes / 1e6:.0f} MB", f"{s:.2f}", f"{nbytes / 1e6 / s:.1f}",
                     f"{base / s:.2f}"])
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--memory-repeats", type=int, default=3)
    parser.add_argument("--formats", default="bin,npy,megatron,parquet")
    parser.add_argument("--ray", action="store_true", help="also the Ray path against the single process")
    parser.add_argument("--only-ray", action="store_true", help="only the Ray path")
    args = parser.parse_args()
    with open("/proc/loadavg") as f:
        print(f"load average before: {f.read().split()[:3]}")
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp)
        if not args.only_ray:
            print(f"\n`tokembed encode` vs `encode_batch_flat`, {CORPUS.name}, gpt2, medians of {args.repeats}\n")
            print_table(["input", "workers", "encode_batch_flat MB/s", "tokembed encode MB/s", "ratio", "ratio range"],
                        rate_rows(args.repeats, out))
            print(f"\nwhere the JSON Lines gap goes: ratio to encode_batch_flat, medians of {args.repeats}\n")
            print_table(["step", "workers", "ratio"], jsonl_cost_rows(args.repeats, out))
            print(f"\nthe whole command (new process), default workers, medians of {args.memory_repeats}\n")
            print_table(["format", "corpus", "seconds", "MB/s", "peak RSS MB"],
                        memory_rows(args.memory_repeats, args.formats.split(","), out))
        if args.ray or args.only_ray:
            print(f"\n`tokembed encode --ray` vs the single process (new processes, 2 CPUs), medians of "
                  f"{args.memory_repeats}\n")
            print_table(["run", "corpus", "wall s", "MB/s", "speed vs single process"],
                        ray_rows(args.memory_repeats, out))
    with open("/proc/loadavg") as f:
        print(f"\nload average after: {f.read().split()[:3]}")


if __name__ == "__main__":
    main()
