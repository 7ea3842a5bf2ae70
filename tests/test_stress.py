"""Threads, fork and memory under load (issue 10, must-show 3 and 4).

- 8 Python threads share one tokenizer while another thread keeps changing the thread count
  and a third forks children that encode: every result equals the serial one, no child hangs.
- Memory: encoding the same 1 MB text 2000 times, and 100k small batches, keep RSS flat.

Each scenario runs in a child interpreter with a timeout, so a hang fails the test instead of
stalling the suite.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

from conftest import DATA

TESTS = str(Path(__file__).resolve().parent)

CORPUS = DATA / "corpora" / "en_python_docs_10MB.txt"
BERT_JSON = DATA / "tokenizers" / "bert-base-uncased" / "tokenizer.json"


def run_child(code: str, timeout: float) -> dict:
    """The last line of the child's output, as JSON, with what it wrote on stderr under "stderr"
    (a forked grandchild that dies writes its last words there: the test shows them)."""
    done = subprocess.run([sys.executable, "-c", textwrap.dedent(code)], capture_output=True, text=True,
                          timeout=timeout)
    assert done.returncode == 0, done.stderr[-3000:]
    result = json.loads(done.stdout.strip().splitlines()[-1])
    result["stderr"] = done.stderr[-3000:]
    return result


STRESS = """
    import faulthandler, json, os, sys, threading, time
    # A child that aborts (glibc's heap checks, a Rust abort) writes the Python stack of every
    # thread to the shared stderr first: the place a rare crash happened, which a core file on a
    # CI machine would not show anyone.
    faulthandler.enable(all_threads=True)
    sys.path.insert(0, {tests!r})
    from forking import wait_or_kill
    import numpy as np
    import tokembed

    tok = tokembed.Tokenizer.builtin("gpt2") if {name!r} == "gpt2" else tokembed.Tokenizer.from_file({bert!r})
    text = open({corpus!r}, encoding="utf-8").read()[:3_000_000]
    lines = text.split("\\n")
    batches = [lines[i:i + 97] for i in range(0, 40 * 97, 97)]
    batches.append([text[:400_000]])                        # one long document: the block-wise path
    tokembed.set_num_threads(1)
    expected = [tok.encode_batch_flat(b) for b in batches]
    expected_padded = tok(batches[0][:16], padding="longest")["input_ids"] if {name!r} != "gpt2" else None

    stop = threading.Event()
    failures, calls, forks, hung, churns = [], [0], [0], [0], [0]

    def same(got, want):
        return np.array_equal(got[0], want[0]) and np.array_equal(got[1], want[1])

    def worker(seed):
        k = seed
        while not stop.is_set():
            k = (k * 7 + 3) % len(batches)
            got = tok.encode_batch_flat(batches[k])
            if not same(got, expected[k]):
                failures.append(("flat", k))
            if expected_padded is not None and k % 5 == 0:
                if not np.array_equal(tok(batches[0][:16], padding="longest")["input_ids"], expected_padded):
                    failures.append(("padded", k))
            counts = tok.count_tokens(batches[k])
            if not np.array_equal(counts, np.diff(expected[k][1])):
                failures.append(("count", k))
            calls[0] += 1

    def churn():
        n = 0
        while not stop.is_set():
            tokembed.set_num_threads(1 + n % 4)
            n += 1
            churns[0] += 1
            time.sleep(0.001)

    def forker():
        while not stop.is_set() and forks[0] < {children}:
            pid = os.fork()
            if pid == 0:
                k = forks[0] % len(batches)
                ok = same(tok.encode_batch_flat(batches[k]), expected[k])
                os._exit(0 if ok else 3)
            code = wait_or_kill(pid, 30)
            if code is None:
                hung[0] += 1
            elif code != 0:
                failures.append(("child", code))
            forks[0] += 1

    threads = [threading.Thread(target=worker, args=(s,)) for s in range(8)]
    threads += [threading.Thread(target=churn), threading.Thread(target=forker)]
    for t in threads:
        t.start()
    time.sleep({seconds})
    while forks[0] < {children} and not failures and hung[0] == 0 and time.monotonic() < 600:
        time.sleep(0.1)
    stop.set()
    for t in threads:
        t.join()
    print(json.dumps({{"failures": failures[:10], "calls": calls[0], "forks": forks[0], "hung": hung[0],
                      "churns": churns[0]}}))
"""


def test_threads_thread_count_changes_and_forks_together():
    for name in ("gpt2", "bert"):
        result = run_child(STRESS.format(name=name, bert=str(BERT_JSON), corpus=str(CORPUS), children=40, tests=TESTS,
                                         seconds=12), timeout=900)
        # A child's abort message (Rust panic, glibc, a Python fatal error) is in its stderr, which
        # a repr of the whole result cuts short: shown first.
        assert result["failures"] == [], (result["stderr"][-3000:], {k: v for k, v in result.items() if k != "stderr"})
        assert result["hung"] == 0, result
        assert result["forks"] >= 40, result
        assert result["calls"] >= 100 and result["churns"] >= 100, result


MEMORY = """
    import json, os, tokembed

    def rss_mb():
        with open("/proc/self/statm") as f:
            return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2 ** 20

    tok = tokembed.Tokenizer.builtin("gpt2")
    text = open({corpus!r}, encoding="utf-8").read()[:1_000_000]
    small = ["a small document", "and another one, a bit longer than the first"]
    samples = {{}}
    for i in range(2000):
        tok.encode_batch_flat([text])
        if i in (199, 1999):
            samples["big_%d" % (i + 1)] = rss_mb()
    for i in range(100_000):
        tok.encode_batch_flat(small)
        if i in (9_999, 99_999):
            samples["small_%d" % (i + 1)] = rss_mb()
    for i in range(300):
        tok.encode(text[: 100_000 + 1000 * (i % 7)])
        if i in (49, 299):
            samples["encode_%d" % (i + 1)] = rss_mb()
    print(json.dumps(samples))
"""


def test_rss_stays_flat_over_many_calls():
    rss = run_child(MEMORY.format(corpus=str(CORPUS)), timeout=900)
    # After warm-up, ten times more calls may not grow the process by more than a few MB: no
    # cache or buffer grows with the number of calls.
    assert rss["big_2000"] - rss["big_200"] < 24, rss
    assert rss["small_100000"] - rss["small_10000"] < 8, rss
    assert rss["encode_300"] - rss["encode_50"] < 16, rss
