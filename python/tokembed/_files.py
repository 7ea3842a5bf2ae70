"""Writing a file so that it appears whole or not at all: under a temporary name beside it, then
renamed over it. A crash or a failed write (full disk, a folder in the way) leaves neither a
truncated file under the final name nor the temporary one."""

from __future__ import annotations

import os

TEMP_MARK = ".tmp-"


def temp_name(final: str) -> str:
    return f"{final}{TEMP_MARK}{os.getpid()}"


def remove_if_present(path: str) -> None:
    try:
        os.unlink(path)
    except FileNotFoundError:
        pass


def write_text_atomically(path: str, text: str, encoding: str = "utf-8") -> None:
    write_bytes_atomically(path, text.encode(encoding))


def write_bytes_atomically(path: str, data: bytes) -> None:
    tmp = temp_name(path)
    try:
        with open(tmp, "wb") as f:
            f.write(data)
        os.replace(tmp, path)
    except BaseException:
        remove_if_present(tmp)
        raise
