"""Waiting on a forked child with a bound, for tests that fork inside a child interpreter
(`sys.path` gets this folder; see test_hardening.py and test_stress.py)."""

from __future__ import annotations

import os
import time
from typing import Optional


def wait_or_kill(pid: int, seconds: float) -> Optional[int]:
    """The child's exit code, or None if it did not end within `seconds` (it is then killed)."""
    deadline = time.monotonic() + seconds
    while True:
        got, status = os.waitpid(pid, os.WNOHANG)
        if got:
            return os.waitstatus_to_exitcode(status)
        if time.monotonic() > deadline:
            os.kill(pid, 9)
            os.waitpid(pid, 0)
            return None
        time.sleep(0.002)
