"""Output files that only get their final names once every one of them is complete.

Each file is written under ``FINAL.tmp-<pid>``; ``commit`` first removes any older files of the
same set and then renames the new ones in. A crash, a Ctrl-C or an exception before the commit
leaves at most ``.tmp-<pid>`` files, never a truncated file under a final name, and a crash
during the commit leaves a set with files missing rather than old and new files mixed.
"""

from __future__ import annotations

import os
from typing import List, Tuple


def temp_name(final: str) -> str:
    return f"{final}.tmp-{os.getpid()}"


class AtomicOutputs:
    def __init__(self) -> None:
        self._renames: List[Tuple[str, str]] = []  # (temporary, final), renamed in this order
        self._scratch: List[str] = []  # working files removed at the end, never renamed

    def temporary(self, final: str) -> str:
        """A temporary name for ``final``, renamed to it by ``commit``."""
        tmp = temp_name(final)
        self._renames.append((tmp, final))
        return tmp

    def scratch(self, final: str, tag: str) -> str:
        """A working file beside ``final`` that never becomes an output."""
        path = f"{final}.{tag}.tmp-{os.getpid()}"
        self._scratch.append(path)
        return path

    @property
    def finals(self) -> List[str]:
        return [final for _, final in self._renames]

    def commit(self) -> None:
        for _, final in self._renames:
            _remove(final)
        for tmp, final in self._renames:
            os.replace(tmp, final)
        for path in self._scratch:
            _remove(path)

    def abort(self) -> None:
        for tmp, _ in self._renames:
            _remove(tmp)
        for path in self._scratch:
            _remove(path)


def _remove(path: str) -> None:
    try:
        os.unlink(path)
    except FileNotFoundError:
        pass


def write_text_atomically(path: str, text: str) -> None:
    tmp = temp_name(path)
    try:
        with open(tmp, "w", encoding="utf-8") as f:
            f.write(text)
        os.replace(tmp, path)
    except BaseException:
        _remove(tmp)
        raise
