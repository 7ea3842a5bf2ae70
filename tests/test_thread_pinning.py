"""The pool pins one worker per CPU when it has a thread for each CPU its creator may use, and
leaves the workers to the scheduler otherwise or when TOKEMBED_PIN_THREADS=0 (see
rust/core/src/utils/affinity.rs for why and the measurement). Each case runs in a new process,
restricted to at most two CPUs, so the pool is built fresh under the conditions of the case."""

import json
import os
import subprocess
import sys
import textwrap

import pytest

CHILD = """
import json, os, sys
cpus = sorted(os.sched_getaffinity(0))[:2]
os.sched_setaffinity(0, cpus)
import tokembed
threads = len(cpus) + int(sys.argv[1])
tokembed.set_num_threads(threads)
tok = tokembed.Tokenizer.builtin("bert-base-uncased")
tok.encode_batch_flat(["some words to encode"] * 64)
workers = {}
for tid in os.listdir("/proc/self/task"):
    with open(f"/proc/self/task/{tid}/comm") as f:
        name = f.read().strip()
    if name.startswith("tokembed-"):
        workers[name] = sorted(os.sched_getaffinity(int(tid)))
print(json.dumps({"cpus": cpus, "threads": threads, "workers": workers}))
"""


def pool_affinities(extra_threads: int, env: dict) -> dict:
    done = subprocess.run([sys.executable, "-c", textwrap.dedent(CHILD), str(extra_threads)], capture_output=True,
                          text=True, timeout=120, env={**os.environ, **env})
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="thread affinity is read from /proc (Linux)")
def test_a_thread_per_cpu_pins_each_worker_to_its_own_cpu():
    seen = pool_affinities(0, {"TOKEMBED_PIN_THREADS": "1"})
    if seen["threads"] == 1:  # a one-CPU machine: one thread needs no pool, so nothing to pin
        assert seen["workers"] == {}
        return
    assert len(seen["workers"]) == seen["threads"]
    assert sorted(cpus[0] for cpus in seen["workers"].values()) == seen["cpus"]
    assert all(len(cpus) == 1 for cpus in seen["workers"].values())


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="thread affinity is read from /proc (Linux)")
@pytest.mark.parametrize("extra_threads, env", [(0, {"TOKEMBED_PIN_THREADS": "0"}), (1, {})])
def test_workers_are_left_to_the_scheduler_when_turned_off_or_outnumbering_the_cpus(extra_threads, env):
    seen = pool_affinities(extra_threads, env)
    if seen["threads"] == 1:
        assert seen["workers"] == {}
        return
    assert len(seen["workers"]) == seen["threads"]
    assert all(cpus == seen["cpus"] for cpus in seen["workers"].values())
