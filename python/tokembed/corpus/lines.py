"""Reading an input as chunks of whole lines, bytes only, with the line number each chunk starts
at (for reports) and how many bytes of the file it took (for progress: compressed bytes for
``.gz``, so that progress and ETA match the size on disk). A UTF-8 byte order mark at the start
of an input is not part of its text (as with Python's ``utf-8-sig``); a truncated or corrupt
``.gz`` is an error that names the file."""

from __future__ import annotations

import gzip
import os
import sys
import zlib
from contextlib import contextmanager
from dataclasses import dataclass
from typing import BinaryIO, Callable, Iterator, List, Optional, Tuple, Union

from .._core import count_newlines
from .sources import STDIN, InputFile


@dataclass
class LineChunk:
    # Whole lines joined by "\n", without the last one's "\n": usually a view of the block read,
    # cut at its last newline (the core reads views; a slice would copy megabytes per batch).
    body: Union[bytes, memoryview]
    first_line: int  # 1-based number of the first line
    nbytes: int  # bytes of the input consumed since the previous chunk

    def lines(self) -> List[bytes]:
        return bytes(self.body).split(b"\n")


class _CountingReader:
    """Standard input or a pipe, counting the bytes read (it has no ``tell``)."""

    def __init__(self, stream: BinaryIO):
        self._stream = stream
        self.position = 0

    def read(self, n: int) -> bytes:
        data = self._stream.read(n)
        self.position += len(data)
        return data


BOM = b"\xef\xbb\xbf"


def without_bom(read: Callable[[int], bytes]) -> Callable[[int], bytes]:
    """``read``, less a UTF-8 byte order mark at the very start."""
    head = b""
    while len(head) < len(BOM):
        more = read(len(BOM) - len(head))
        if not more:
            break
        head += more
    pending = head[len(BOM):] if head == BOM else head

    def read_rest(n: int) -> bytes:
        nonlocal pending
        if not pending:
            return read(n)
        data, pending = pending, b""
        if n is None or n < 0:
            return data + read(-1)
        if n > len(data):
            return data + read(n - len(data))  # reads of the size asked for, as without a mark
        data, pending = data[:n], data[n:]
        return data

    return read_rest


def _checked_gzip(read: Callable[[int], bytes], path: str) -> Callable[[int], bytes]:
    """``read`` of a ``GzipFile``, turning a truncated or corrupt stream into a ``ValueError``
    that names the file (gzip raises a bare ``EOFError`` or ``BadGzipFile``)."""

    def read_checked(n: int) -> bytes:
        try:
            return read(n)
        except EOFError:
            raise ValueError(f"{path}: the compressed file is truncated (it ends before its gzip stream does)") from None
        except (gzip.BadGzipFile, zlib.error) as e:
            raise ValueError(f"{path}: not a valid gzip file ({e})") from None

    return read_checked


@contextmanager
def open_binary(source: InputFile) -> Iterator[Tuple[Callable[[int], bytes], Callable[[], int]]]:
    """``(read, position)``: a read function of the decompressed bytes (less a leading UTF-8
    byte order mark) and the position reached in the file as stored."""
    if source.path == STDIN:
        yield _counted(sys.stdin.buffer)
        return
    with open(source.path, "rb") as raw:
        if source.compressed:
            with gzip.GzipFile(fileobj=raw, mode="rb") as gz:
                yield without_bom(_checked_gzip(gz.read, source.path)), raw.tell
        elif raw.seekable():
            yield without_bom(raw.read), raw.tell
        else:  # a pipe given by path (`<(zcat ...)`, a FIFO, /dev/stdin): it has no position
            yield _counted(raw)


def _counted(stream: BinaryIO) -> Tuple[Callable[[int], bytes], Callable[[], int]]:
    """``(read, position)`` of a stream that cannot tell where it is, counting what it reads."""
    reader = _CountingReader(stream)
    return without_bom(reader.read), (lambda: reader.position)


FIRST_CHUNK_BYTES = 256 << 10


def line_chunks(source: InputFile, chunk_bytes: int) -> Iterator[LineChunk]:
    """Chunks of about ``chunk_bytes`` of whole lines (the first ones smaller, doubling, so
    that the encoder has work early). The last line of the input counts even without a final
    newline; a final newline does not start another, empty line. A line longer than a chunk
    is gathered in parts and joined once, when it ends: linear in its length."""
    if source.path == STDIN or source.compressed:
        with open_binary(source) as (read, position):
            yield from _chunks(read, position, None, chunk_bytes)
        return
    with open(source.path, "rb") as raw:
        # A plain file is read again from the start of the line a block ended in, so that each
        # chunk is a view of the block read rather than a join of that line's start with the
        # next block (a copy of every chunk, a third of the reader's time). A pipe given by
        # path cannot go back, and joins.
        if raw.seekable():
            # The mark is skipped by position, not by `without_bom`, which holds back what it
            # read ahead and would hand it out again after a seek.
            if raw.read(len(BOM)) != BOM:
                raw.seek(0)
            yield from _chunks(raw.read, raw.tell, lambda n: raw.seek(-n, os.SEEK_CUR), chunk_bytes)
        else:
            yield from _chunks(*_counted(raw), None, chunk_bytes)


def _chunks(
    read: Callable[[int], bytes],
    position: Callable[[], int],
    rewind: Optional[Callable[[int], object]],
    chunk_bytes: int,
) -> Iterator[LineChunk]:
    line_no = 1
    consumed = 0
    parts: List[bytes] = []  # the start of a line not yet ended, as read
    size = min(FIRST_CHUNK_BYTES, chunk_bytes)
    while True:
        data = read(size)
        size = min(2 * size, chunk_bytes)
        if not data:
            break
        cut = data.rfind(b"\n")
        if cut < 0:
            parts.append(data)  # a line longer than the chunk: keep reading until it ends
            continue
        body: Union[bytes, memoryview]
        if parts:
            parts.append(data[:cut])
            body = b"".join(parts)
        else:
            body = memoryview(data)[:cut]
        rest = len(data) - cut - 1
        if rest and rewind is not None:
            rewind(rest)  # the next read starts with this line
            parts = []
        else:
            parts = [data[cut + 1 :]] if rest else []
        now = position()
        yield LineChunk(body, line_no, now - consumed)
        consumed = now
        line_no += count_newlines(body) + 1
    if parts:
        yield LineChunk(b"".join(parts), line_no, position() - consumed)
