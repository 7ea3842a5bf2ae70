"""Bad input, reported as ``file:line: reason`` and counted, under the ``--errors`` policy.

``strict``: the first bad document stops the run (``BadInput``). ``replace`` (the default):
invalid UTF-8 becomes U+FFFD and the document is kept. ``skip``: a document with invalid UTF-8
is left out. Under ``replace`` and ``skip`` a line that is not JSON, or lacks the text key, is
left out; every such case is reported (the first ``max_reports`` of them) and counted.
"""

from __future__ import annotations

import sys
import threading
from collections import Counter
from typing import Callable, Dict, Optional

ERRORS = ("strict", "replace", "skip")

# Kinds of problem, as counted in the summary and the metadata.
INVALID_UTF8 = "invalid UTF-8"
MALFORMED_JSON = "malformed JSON"
MISSING_KEY = "missing key"
NOT_TEXT = "text not a string"
EMPTY = "empty documents"  # not a problem: left out unless --keep-empty, counted, never reported


class BadInput(ValueError):
    """Input that ``--errors strict`` does not accept; says file and line."""


class InputLog:
    """Counts what the readers left out or repaired, and reports each problem once."""

    def __init__(self, errors: str = "replace", report: Optional[Callable[[str], None]] = None, max_reports: int = 20):
        if errors not in ERRORS:
            raise ValueError(f"errors must be one of {', '.join(ERRORS)}, got {errors!r}")
        self.errors = errors
        self.counts: Counter = Counter()
        # The same counts for each input (by the path the reports name): a sharded run records
        # those of the inputs it has finished, so that a resumed run can carry them on.
        self.by_input: Dict[str, Counter] = {}
        self.max_reports = max_reports
        self._report = report or (lambda message: print(message, file=sys.stderr))
        self._reported = 0
        self._lock = threading.Lock()

    def problem(self, where: str, line: int, kind: str, reason: str, action: str) -> None:
        """A bad document at ``where:line``; ``action`` says what was done with it."""
        message = f"{where}:{line}: {reason}"
        if self.errors == "strict":
            raise BadInput(message)
        with self._lock:
            self._count(where, kind, 1)
            self._reported += 1
            if self._reported <= self.max_reports:
                self._report(f"tokembed: {message} ({action})")
            elif self._reported == self.max_reports + 1:
                self._report("tokembed: further problems are counted in the summary, not shown")

    def invalid_utf8(self, where: str, line: int, error: "UnicodeError | str") -> bool:
        """Reports invalid UTF-8 (a decode error, or what was wrong); True when the document is
        to be kept with U+FFFD in place of the bad bytes."""
        keep = self.errors == "replace"
        if isinstance(error, UnicodeDecodeError):
            error = f"{error.reason} at byte {error.start} of the line"
        self.problem(where, line, INVALID_UTF8, f"invalid UTF-8: {error}", "replaced with U+FFFD" if keep else "skipped")
        return keep

    def skipped_empty(self, where: str, count: int) -> None:
        if count:
            with self._lock:
                self._count(where, EMPTY, count)

    def _count(self, where: str, kind: str, count: int) -> None:
        self.counts[kind] += count
        self.by_input.setdefault(where, Counter())[kind] += count

    def carry(self, where: str, counts: Dict[str, int]) -> None:
        """Adds the counts an earlier run recorded for the input ``where`` (see ``--resume``)."""
        with self._lock:
            for kind, count in counts.items():
                self._count(where, kind, int(count))

    def of_input(self, where: str) -> Dict[str, int]:
        with self._lock:
            return dict(sorted(self.by_input.get(where, Counter()).items()))

    def as_dict(self) -> Dict[str, int]:
        return dict(sorted(self.counts.items()))
