"""tokembed's first calls after a load, alone: the first-call rows of `bench_peers.py` in seconds.

    python benches/bench_first_call.py o200k_base [threads] [processes]

Each process loads the tokenizer, then encodes five fresh ~1 MB batches of ~4 KB documents of
en_python_docs (`encode_batch_flat`), as `bench_peers.py`'s first-call child does, and prints the
load time, each call's milliseconds and the first call over the fifth. `bench_peers.py` is the
measurement of record (every peer beside tokembed).
"""

import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))


def one_process(name: str, threads: int) -> None:
    import bench_peers as bp
    from common import cut_documents

    import tokembed

    tokembed.set_num_threads(threads)
    fam = bp.family(name)
    batches = bp.split_even(cut_documents(bp.read_corpus("en_python_docs_10MB.txt", 5 * 1_000_000 + 10_000)), 5)
    lib = bp.LIBS["tokembed"]
    start = time.perf_counter()
    handle = lib.load(fam)[0]
    load = time.perf_counter() - start
    walls = []
    for batch in batches:
        start = time.perf_counter()
        lib.encode(handle, batch, threads)
        walls.append(time.perf_counter() - start)
    calls = " ".join(f"{w * 1e3:.1f}" for w in walls)
    print(f"{name} {threads} thread(s): load {load:.3f} s, calls {calls} ms, first / fifth {walls[0] / walls[4]:.2f}")


def main() -> None:
    if sys.argv[1] == "--child":
        one_process(sys.argv[2], int(sys.argv[3]))
        return
    name = sys.argv[1]
    threads = sys.argv[2] if len(sys.argv) > 2 else "1"
    for _ in range(int(sys.argv[3]) if len(sys.argv) > 3 else 3):
        subprocess.run([sys.executable, __file__, "--child", name, threads], check=True)


if __name__ == "__main__":
    main()
