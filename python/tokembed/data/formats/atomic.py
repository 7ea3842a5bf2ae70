"""Output files that only get their final names once every one of them is complete.

Each file is written under ``FINAL.tmp-<pid>``; ``commit`` first removes the older files of the
same set (the metadata file first: its presence marks a complete shard) and then renames the new
ones in, the metadata file last. A crash, a Ctrl-C or an exception before the commit leaves at
most ``.tmp-<pid>`` files, never a truncated file under a final name; an error during the commit
takes back the files it had renamed, so that nothing new is left under a final name.
"""

from __future__ import annotations

import os
from typing import Iterable, List, Tuple

from ..._files import TEMP_MARK, temp_name  # noqa: F401 (TEMP_MARK is read from here)
from ..._files import remove_if_present as _remove


class AtomicOutputs:
    def __init__(self) -> None:
        self._renames: List[Tuple[str, str]] = []  # (temporary, final), renamed in this order
        self._scratch: List[str] = []  # working files removed at the end, never renamed

    def temporary(self, final: str) -> str:
        """A temporary name for ``final``, renamed to it by ``commit``."""
        tmp = temp_name(final)
        self._renames.append((tmp, final))
        return tmp

    def text(self, final: str, text: str) -> None:
        """``text`` written now under a temporary name, renamed to ``final`` by ``commit``
        after the files registered before it."""
        tmp = self.temporary(final)
        with open(tmp, "w", encoding="utf-8") as f:
            f.write(text)

    def scratch(self, final: str, tag: str) -> str:
        """A working file beside ``final`` that never becomes an output."""
        path = f"{final}.{tag}{TEMP_MARK}{os.getpid()}"
        self._scratch.append(path)
        return path

    @property
    def finals(self) -> List[str]:
        return [final for _, final in self._renames]

    @property
    def temporaries(self) -> List[Tuple[str, str]]:
        return list(self._renames)

    def commit(self, remove: Iterable[str] = ()) -> None:
        """Removes the old files under the final names (the last registered, the metadata, first)
        and ``remove`` (files of an older shard that this one does not replace), then renames."""
        for final in [final for _, final in reversed(self._renames)] + list(remove):
            _remove(final)
        done: List[str] = []
        try:
            for tmp, final in self._renames:
                os.replace(tmp, final)
                done.append(final)
        except BaseException:
            for final in done:
                _remove(final)
            self.abort()
            raise
        for path in self._scratch:
            _remove(path)

    def abort(self) -> None:
        for tmp, _ in self._renames:
            _remove(tmp)
        for path in self._scratch:
            _remove(path)
