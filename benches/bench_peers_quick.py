"""A quick side-by-side of tokembed and the fastest byte-level BPE peers on one corpus.

    python benches/bench_peers_quick.py o200k_base en_python_docs_10MB.txt 4
    python benches/bench_peers_quick.py bert-base-uncased de_manpages_3MB.txt 3 tokembed,splintr,tokie

One process pinned to one CPU with every pool at one thread; the corpus (its first `slices` MB,
or the multilingual mix for `mix`) is cut into ~4 KB documents and `slices` even slices: slice 0
warms every library up, slices 1.. are timed, each library in turn in a rotating order, so no
library times text it has encoded before. Prints median MB/s and tokembed's ratio to each.
`benches/bench_peers.py` is the measurement of record (every family, input and thread count,
ids checked against the reference); this takes a minute for one row of it.
"""

import os
import statistics
import sys
import time
from pathlib import Path

os.environ.setdefault("RAYON_NUM_THREADS", "1")
os.environ.setdefault("FASTOKENS_BPE_THREADS", "1")
os.environ.setdefault("TOKEMBED_NUM_THREADS", "1")
sys.path.insert(0, str(Path(__file__).resolve().parent))

import bench_peers as bp  # noqa: E402
from common import cut_documents, fresh_copies  # noqa: E402


def main() -> None:
    fam_name, corpus = sys.argv[1], sys.argv[2]
    slices = int(sys.argv[3]) if len(sys.argv) > 3 else 4
    libs = sys.argv[4].split(",") if len(sys.argv) > 4 else ["tokembed", "fastokens", "gigatoken"]
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})
    docs = bp.multilingual_mix(3_000_000)[0] if corpus == "mix" else cut_documents(bp.read_corpus(corpus, slices * 1_000_000))
    groups = bp.split_even(docs, slices)
    fam = bp.family(fam_name)
    handles = {}
    for name in libs:
        lib = bp.LIBS[name]
        handles[name] = (lib, lib.load(fam)[0])
        lib.encode(handles[name][1], groups[0], 1)
    rates = {name: [] for name in libs}
    for k in range(1, slices):
        mb = sum(len(d.encode("utf-8")) for d in groups[k]) / 1e6
        for name in libs[k % len(libs):] + libs[:k % len(libs)]:
            lib, handle = handles[name]
            own = fresh_copies(groups[k])
            start = time.perf_counter()
            lib.encode(handle, own, 1)
            rates[name].append(mb / (time.perf_counter() - start))
    ours = statistics.median(rates["tokembed"])
    for name in libs:
        rate = statistics.median(rates[name])
        print(f"{fam_name} {corpus} {name:10s} {rate:7.1f} MB/s  tokembed / {name} {ours / rate:.2f}x")


if __name__ == "__main__":
    main()
