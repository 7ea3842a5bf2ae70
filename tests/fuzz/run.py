"""The fuzzer: hostile files and arguments, each case in a supervised worker process.

    python tests/fuzz/run.py --seconds 600                 # all targets, 10 minutes in all
    python tests/fuzz/run.py --targets api --seconds 60 --seed 7
    python tests/fuzz/run.py --case tokenizer_json:0:1234  # replay one case

A case is a seed for `random.Random`, so any finding is replayed from its `target:seed:index`.
Expected outcomes: the call returns, or raises an ordinary `Exception`. Findings:
- crash: the worker died (abort, segfault; a Rust allocation failure aborts),
- hang: a case ran longer than --hang seconds,
- panic: a `BaseException` that is not an `Exception` (pyo3's PanicException), an "internal
  error" RuntimeError, or panic text on stderr.
The worker's address space is capped (--memory-gb), so a size that slips past our checks and
reaches Rust's infallible allocator aborts here instead of swapping the machine.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import select
import subprocess
import sys
import tempfile
import time
import traceback
from pathlib import Path

HERE = Path(__file__).resolve().parent
PANIC_TEXT = ("panicked at", "RUST_BACKTRACE", "PanicException", "internal error")


def worker(target: str, seed: int, start: int, memory_gb: float) -> None:
    """Runs cases start, start+1, ... forever; the supervisor stops it. One line per event."""
    if memory_gb > 0:
        limit = int(memory_gb * 2**30)
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    stderr_log = tempfile.TemporaryFile()
    os.dup2(stderr_log.fileno(), 2)
    sys.path.insert(0, str(HERE))
    from targets import TARGETS

    run = TARGETS[target]
    tmp = Path(tempfile.mkdtemp(prefix="tokembed-fuzz-"))
    seen_stderr = 0
    index = start
    while True:
        print(f"case {index}", flush=True)
        rng = random.Random(f"{target}:{seed}:{index}")
        finding = None
        try:
            run(rng, tmp)
        except Exception as e:
            if isinstance(e, RuntimeError) and "internal error" in str(e):
                finding = f"RuntimeError: {e}"
        except KeyboardInterrupt:
            raise
        except BaseException as e:  # PanicException and other non-Exception escapes
            finding = "".join(traceback.format_exception_only(type(e), e)).strip()
        size = os.fstat(2).st_size
        if size > seen_stderr:
            os.lseek(2, seen_stderr, os.SEEK_SET)
            text = os.read(2, size - seen_stderr).decode("utf-8", "replace")
            seen_stderr = size
            if any(p in text for p in PANIC_TEXT):
                finding = (finding or "") + " stderr: " + text[:500]
        if finding:
            print("finding " + json.dumps({"case": f"{target}:{seed}:{index}", "what": "panic", "detail": finding[:800]}),
                  flush=True)
        index += 1


def supervise(target: str, seed: int, seconds: float, hang: float, memory_gb: float) -> tuple[int, list]:
    """Runs the target's cases for `seconds`, restarting the worker after a crash or a hang."""
    findings, cases, index = [], 0, 0
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        proc = subprocess.Popen([sys.executable, __file__, "--worker", target, "--seed", str(seed), "--start",
                                 str(index), "--memory-gb", str(memory_gb)], stdout=subprocess.PIPE, text=True,
                                bufsize=1)
        current, started = None, time.monotonic()
        while True:
            now = time.monotonic()
            if now >= deadline:
                proc.kill()
                proc.wait()
                break
            ready, _, _ = select.select([proc.stdout], [], [], min(1.0, deadline - now))
            if not ready:
                if current is not None and time.monotonic() - started > hang:
                    proc.kill()
                    proc.wait()
                    findings.append({"case": f"{target}:{seed}:{current}", "what": "hang",
                                     "detail": f"no result after {hang:.0f} s"})
                    index = current + 1
                    break
                continue
            line = proc.stdout.readline()
            if not line:  # the worker died
                code = proc.wait()
                findings.append({"case": f"{target}:{seed}:{current}", "what": "crash", "detail": f"exit code {code}"})
                index = (current or 0) + 1
                break
            if line.startswith("case "):
                current, started = int(line.split()[1]), time.monotonic()
                cases += 1
            elif line.startswith("finding "):
                findings.append(json.loads(line[len("finding "):]))
    return cases, findings


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--targets", default="all", help="comma-separated: tokenizer_json,tiktoken,vocab_txt,api")
    parser.add_argument("--seconds", type=float, default=120.0, help="time budget for all targets together")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--hang", type=float, default=30.0, help="seconds after which a case counts as hung")
    parser.add_argument("--memory-gb", type=float, default=8.0, help="address-space cap of the worker (0: none)")
    parser.add_argument("--case", help="replay one case TARGET:SEED:INDEX in this process, with a traceback")
    parser.add_argument("--json", action="store_true", help="print the summary as JSON")
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    parser.add_argument("--start", type=int, default=0, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        worker(args.worker, args.seed, args.start, args.memory_gb)
        return 0
    if args.case:
        target, seed, index = args.case.split(":")
        sys.path.insert(0, str(HERE))
        from targets import TARGETS

        TARGETS[target](random.Random(f"{target}:{seed}:{index}"), Path(tempfile.mkdtemp(prefix="tokembed-fuzz-")))
        print("returned")
        return 0
    sys.path.insert(0, str(HERE))
    from targets import TARGETS

    names = list(TARGETS) if args.targets == "all" else args.targets.split(",")
    summary = {"cases": {}, "findings": []}
    for name in names:
        cases, findings = supervise(name, args.seed, args.seconds / len(names), args.hang, args.memory_gb)
        summary["cases"][name] = cases
        summary["findings"] += findings
    if args.json:
        print(json.dumps(summary))
    else:
        for name, cases in summary["cases"].items():
            print(f"{name}: {cases} cases")
        for f in summary["findings"]:
            print(f"FINDING {f['what']} in {f['case']}: {f['detail']}")
            print(f"  replay: python {Path(__file__).relative_to(Path.cwd()) if Path.cwd() in Path(__file__).parents else __file__} --case {f['case']}")
    return 1 if summary["findings"] else 0


if __name__ == "__main__":
    sys.exit(main())
