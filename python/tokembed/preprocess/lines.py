"""Reading an input as chunks of whole lines, bytes only, with the line number each chunk starts
at (for reports) and how many bytes of the file it took (for progress: compressed bytes for
``.gz``, so that progress and ETA match the size on disk)."""

from __future__ import annotations

import gzip
import sys
from contextlib import contextmanager
from dataclasses import dataclass
from typing import BinaryIO, Callable, Iterator, List, Tuple

from .sources import STDIN, InputFile


@dataclass
class LineChunk:
    body: bytes  # whole lines joined by "\n", without the last one's "\n"
    first_line: int  # 1-based number of the first line
    nbytes: int  # bytes of the input consumed since the previous chunk

    def lines(self) -> List[bytes]:
        return self.body.split(b"\n")


class _CountingReader:
    """Standard input, counting the bytes read (it has no ``tell``)."""

    def __init__(self, stream: BinaryIO):
        self._stream = stream
        self.position = 0

    def read(self, n: int) -> bytes:
        data = self._stream.read(n)
        self.position += len(data)
        return data


@contextmanager
def open_binary(source: InputFile) -> Iterator[Tuple[Callable[[int], bytes], Callable[[], int]]]:
    """``(read, position)``: a read function of the decompressed bytes and the position reached
    in the file as stored."""
    if source.path == STDIN:
        reader = _CountingReader(sys.stdin.buffer)
        yield reader.read, (lambda: reader.position)
        return
    with open(source.path, "rb") as raw:
        if source.compressed:
            with gzip.GzipFile(fileobj=raw, mode="rb") as gz:
                yield gz.read, raw.tell
        else:
            yield raw.read, raw.tell


FIRST_CHUNK_BYTES = 256 << 10


def line_chunks(source: InputFile, chunk_bytes: int) -> Iterator[LineChunk]:
    """Chunks of about ``chunk_bytes`` of whole lines (the first ones smaller, doubling, so
    that the encoder has work early). The last line of the input counts even without a final
    newline; a final newline does not start another, empty line."""
    with open_binary(source) as (read, position):
        line_no = 1
        consumed = 0
        rest = b""
        size = min(FIRST_CHUNK_BYTES, chunk_bytes)
        while True:
            data = read(size)
            size = min(2 * size, chunk_bytes)
            if not data:
                break
            if rest:
                data = rest + data
            cut = data.rfind(b"\n")
            if cut < 0:
                rest = data  # a line longer than the chunk: keep reading until it ends
                continue
            rest = data[cut + 1 :]
            body = data[:cut]
            now = position()
            yield LineChunk(body, line_no, now - consumed)
            consumed = now
            line_no += body.count(b"\n") + 1
        if rest:
            yield LineChunk(rest, line_no, position() - consumed)
