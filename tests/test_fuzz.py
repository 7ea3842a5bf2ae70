"""The fuzzer (tests/fuzz/run.py) on a fixed time budget: mutated tokenizer.json, .tiktoken and
vocab.txt files and hostile API arguments must each give a result or an ordinary exception, never
a crash, a hang or a panic. Set TOKEMBED_FUZZ_SECONDS to fuzz longer (CI: 60 s in all); run
`python tests/fuzz/run.py --seconds 3600` by hand for a long session, with another --seed.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

RUN = Path(__file__).resolve().parent / "fuzz" / "run.py"


def test_fuzzing_finds_no_crash_hang_or_panic():
    seconds = float(os.environ.get("TOKEMBED_FUZZ_SECONDS", "60"))
    seed = int(os.environ.get("TOKEMBED_FUZZ_SEED", "0"))
    done = subprocess.run([sys.executable, str(RUN), "--seconds", str(seconds), "--seed", str(seed), "--json"],
                          capture_output=True, text=True, timeout=seconds + 300)
    summary = json.loads(done.stdout.strip().splitlines()[-1])
    findings = "\n".join(f"{f['what']} in {f['case']} (replay: python {RUN} --case {f['case']}): {f['detail']}"
                         for f in summary["findings"][:20])
    assert summary["findings"] == [], findings
    assert done.returncode == 0, done.stderr[-2000:]
    # Every target really ran (a broken seed file or import would show as a handful of cases).
    assert all(n >= 200 for n in summary["cases"].values()), summary["cases"]


def test_coverage_guided_fuzzing_of_the_core_finds_no_crash():
    # cargo-fuzz (libFuzzer + AddressSanitizer, nightly toolchain) on the core's loaders
    # (tokenizer.json, .tiktoken, vocab.txt) and on arbitrary text through GPT-2 and BERT;
    # fuzz/run.sh installs cargo-fuzz when it is missing and fails on any crash, panic or leak.
    seconds = os.environ.get("TOKEMBED_CARGO_FUZZ_SECONDS", "12")
    script = Path(__file__).resolve().parents[1] / "fuzz" / "run.sh"
    done = subprocess.run(["bash", str(script), seconds], capture_output=True, text=True, timeout=3000)
    assert done.returncode == 0, (done.stdout + done.stderr)[-4000:]
    runs = [int(line.split()[-1]) for line in done.stdout.splitlines() if "number_of_executed_units" in line]
    assert len(runs) == 4 and all(n >= 100 for n in runs), done.stdout
