"""Loading a tokenizer, its first call and its memory: what a user pays before the steady rate.

Each tokenizer runs in a new process (so nothing is loaded or cached yet), single thread:
load time, then five `encode_batch_flat` calls on 1 MB of fresh ~4 KB documents each (the first
against the fifth), the memory the tokenizer holds after loading, and the peak RSS of the process
after encoding the whole 10 MB corpus. Medians over `--repeats` processes.

    python benches/bench_load.py [--repeats 3] [--families gpt2,cl100k_base,o200k_base]

To compare two builds, run it with each on `PYTHONPATH`.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
from pathlib import Path

from common import DATA, print_table

ROOT = Path(__file__).resolve().parents[1]
CORPUS = DATA / "corpora" / "en_python_docs_10MB.txt"

CHILD = r"""
import json, resource, sys, time
import tokembed
from common import cut_documents
tokembed.set_num_threads(1)
family, corpus = sys.argv[1], sys.argv[2]
def rss_mb():
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * 4096 / 1e6
text = open(corpus, encoding="utf-8").read()
docs = cut_documents(text)
before = rss_mb()
t = time.perf_counter()
tok = tokembed.Tokenizer.builtin(family)
load = time.perf_counter() - t
held = rss_mb() - before
calls = []
for k in range(5):
    batch = cut_documents(text[k * 1_000_000:(k + 1) * 1_000_000])
    t = time.perf_counter()
    tok.encode_batch_flat(batch)
    calls.append(time.perf_counter() - t)
tok.encode_batch_flat(docs)
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1e3
print(json.dumps({"load": load, "first": calls[0], "fifth": calls[4], "held": held, "peak": peak}))
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--families", default="gpt2,cl100k_base,o200k_base")
    args = parser.parse_args()
    env = dict(os.environ, TOKEMBED_NUM_THREADS="1")
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(Path(__file__).parent), env.get("PYTHONPATH", "")]))
    rows = []
    for family in args.families.split(","):
        runs = []
        for _ in range(args.repeats):
            out = subprocess.run(
                [sys.executable, "-c", CHILD, family, str(CORPUS)],
                env=env, capture_output=True, text=True, check=True,
            )
            runs.append(json.loads(out.stdout.strip().splitlines()[-1]))
        median = {k: statistics.median(r[k] for r in runs) for k in runs[0]}
        rows.append([
            family, f"{median['load']:.3f}", f"{median['first'] * 1e3:.0f}", f"{median['fifth'] * 1e3:.0f}",
            f"{median['first'] / median['fifth']:.2f}", f"{median['held']:.0f}", f"{median['peak']:.0f}",
        ])
    print(f"tokembed {__import__('tokembed').__file__}, medians of {args.repeats} processes, 1 thread\n")
    print_table(["tokenizer", "load s", "first call ms", "fifth call ms", "first / fifth",
                 "tokenizer MB", "peak RSS MB (10 MB corpus)"], rows)


if __name__ == "__main__":
    main()
