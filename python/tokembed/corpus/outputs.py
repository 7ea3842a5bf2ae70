"""The output prefix of a shard while it is being written: one run at a time, and what earlier
runs left behind.

A run holds an exclusive ``flock`` on ``PREFIX.lock`` from its start to its last rename, so two
runs on one prefix cannot leave the ``.bin`` of one beside the ``.meta.json`` of the other: the
second one fails at once (``OutputLocked``) instead of waiting. The lock file is removed when
the run ends (a run killed with SIGKILL leaves it, unlocked: the next run takes it over).

Temporary files are named ``FINAL.tmp-<pid>`` (``data/formats/atomic.py``); a killed run
leaves them. ``remove_stale_temporaries`` removes those of the prefix whose process is gone.
"""

from __future__ import annotations

import os
import re
from contextlib import contextmanager
from typing import Callable, Iterator, List, Optional

from ..data.formats import WRITERS
from ..data.formats.atomic import TEMP_MARK
from ..data.manifest import SUFFIX as MANIFEST_SUFFIX
from ..data.metadata import SUFFIX as METADATA_SUFFIX

try:
    import fcntl
except ImportError:  # pragma: no cover - not on POSIX
    fcntl = None  # type: ignore[assignment]

LOCK_SUFFIX = ".lock"


class OutputLocked(BlockingIOError):
    """Another run is writing a shard at the same prefix."""

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else "output locked"


def output_suffixes() -> List[str]:
    """Every file name a shard of any format may have after its prefix (metadata included), and
    the manifest of a sharded output at that prefix."""
    suffixes: List[str] = []
    for writer in WRITERS.values():
        suffixes += [s for s in writer.suffixes if s not in suffixes]
    return suffixes + [METADATA_SUFFIX, MANIFEST_SUFFIX]


def known_outputs(prefix: str) -> List[str]:
    """The paths of every file tokembed may write at ``prefix`` (all formats, and the metadata)."""
    return [prefix + s for s in output_suffixes()]


def series_files(prefix: str, first: int = 0) -> List[str]:
    """The files of the shards ``PREFIX-<first>``, ``PREFIX-<first + 1>``, ... of a sharded
    output at ``prefix``, up to the first index that has none."""
    from ..data.manifest import shard_prefix

    found: List[str] = []
    index = first
    while True:
        present = [p for p in known_outputs(shard_prefix(prefix, index)) if os.path.exists(p)]
        if not present:
            return found
        found += present
        index += 1


@contextmanager
def locked_output(prefix: "str | os.PathLike[str]") -> Iterator[None]:
    """Holds ``PREFIX.lock`` for the block; raises ``OutputLocked`` at once if another process
    holds it. The folder of ``prefix`` must exist."""
    prefix = os.fspath(prefix)
    if fcntl is None:  # pragma: no cover
        yield
        return
    path = prefix + LOCK_SUFFIX
    while True:
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            raise OutputLocked(
                f"{prefix}: another run is writing this shard (it holds {path}); "
                f"wait for it to end, or choose another output"
            ) from None
        except BaseException:
            os.close(fd)
            raise
        # The run we waited for may have removed the file before we locked it: then the lock
        # is on a file nobody else will look at, and we start over.
        try:
            current = os.stat(path)
            mine = os.fstat(fd)
            same = (current.st_dev, current.st_ino) == (mine.st_dev, mine.st_ino)
        except FileNotFoundError:
            same = False
        if same:
            break
        os.close(fd)
    try:
        os.ftruncate(fd, 0)
        os.write(fd, f"{os.getpid()}\n".encode())  # for a person wondering who holds it
        yield
    finally:
        # Removed while still locked, so that no other run can lock it and then lose it.
        try:
            os.unlink(path)
        except FileNotFoundError:
            pass
        os.close(fd)


def _pid_alive(pid: int) -> bool:
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # someone else's process
    except OSError:
        return False
    return True


def stale_temporaries(prefix: "str | os.PathLike[str]") -> List[str]:
    """Temporary files of shards at ``prefix`` (``PREFIX.bin.tmp-<pid>``,
    ``PREFIX.idx.sizes.tmp-<pid>`` ...) whose process is no longer running. Call it with the
    prefix locked: our own pid's files are then left from an earlier process with that pid."""
    prefix = os.fspath(prefix)
    folder = os.path.dirname(prefix) or "."
    base = os.path.basename(prefix)
    finals = "|".join(re.escape(s) for s in output_suffixes())
    pattern = re.compile(rf"{re.escape(base)}(?:{finals})(?:\.[A-Za-z0-9_]+)?{re.escape(TEMP_MARK)}(\d+)")
    try:
        names = os.listdir(folder)
    except FileNotFoundError:
        return []
    found = []
    for name in sorted(names):
        match = pattern.fullmatch(name)
        if match is None:
            continue
        pid = int(match.group(1))
        if pid == os.getpid() or not _pid_alive(pid):
            found.append(os.path.join(os.path.dirname(prefix), name))
    return found


def remove_stale_temporaries(
    prefix: "str | os.PathLike[str]", report: Optional[Callable[[str], None]] = None
) -> List[str]:
    """Removes ``stale_temporaries(prefix)`` and says so through ``report``; returns them."""
    removed = []
    for path in stale_temporaries(prefix):
        try:
            os.unlink(path)
        except FileNotFoundError:
            continue
        removed.append(path)
    if removed and report is not None:
        report(
            f"tokembed: removed {len(removed)} temporary file{'s' if len(removed) > 1 else ''} left by "
            f"an interrupted run: {', '.join(removed)}"
        )
    return removed
