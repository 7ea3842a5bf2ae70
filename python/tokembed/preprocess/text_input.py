"""Plain text inputs: a document per line (the default), or the whole file as one document."""

from __future__ import annotations

from typing import Iterator, List, Optional

from .lines import LineChunk, line_chunks, open_binary
from .problems import InputLog
from .batches import Piece
from .sources import InputFile


# Text is decoded in blocks of about this size: a block of pure ASCII (most of them, in most
# corpora) decodes to compact one-byte strings, which are then fast to split; decoding a whole
# chunk at once would widen all of it for one accented letter (measured: 28 ms instead of 47
# for 10 MB of Python docs).
DECODE_BLOCK = 64 << 10


def decode_lines(chunk: LineChunk, where: str, log: InputLog, keep_empty: bool) -> List[str]:
    """The chunk's lines as str under the ``--errors`` policy. Valid UTF-8 (the usual case) is
    decoded a block of lines per call; only a block with an error is decoded line by line to
    find and report the bad lines."""
    body = chunk.body
    texts: List[str] = []
    start = 0
    while True:
        end = body.find(b"\n", start + DECODE_BLOCK)
        block = body[start:] if end < 0 else body[start:end]
        try:
            texts.extend(block.decode("utf-8").split("\n"))
        except UnicodeDecodeError:
            first_line = chunk.first_line + body.count(b"\n", 0, start)
            texts.extend(_decode_each_line(block, first_line, where, log))
        if end < 0:
            break
        start = end + 1
    if b"\r" in body:  # Windows line ends: the "\r" of "\r\n" is not part of the document
        texts = [t[:-1] if t.endswith("\r") else t for t in texts]
    if not keep_empty:
        kept = list(filter(None, texts))
        log.skipped_empty(len(texts) - len(kept))
        texts = kept
    return texts


def _decode_each_line(block: bytes, first_line: int, where: str, log: InputLog) -> List[str]:
    texts = []
    for i, raw in enumerate(block.split(b"\n")):
        try:
            texts.append(raw.decode("utf-8"))
        except UnicodeDecodeError as e:
            if log.invalid_utf8(where, first_line + i, e):
                texts.append(raw.decode("utf-8", "replace"))
    return texts


def read_text_lines(source: InputFile, chunk_bytes: int, log: InputLog, keep_empty: bool) -> Iterator[Piece]:
    for chunk in line_chunks(source, chunk_bytes):
        yield Piece(decode_lines(chunk, source.path, log, keep_empty), chunk.nbytes, len(chunk.body))


def read_text_whole(source: InputFile, log: InputLog, keep_empty: bool) -> Iterator[Piece]:
    """The whole file as one document (held in memory: meant for many files of modest size)."""
    with open_binary(source) as (read, position):
        data = read(-1)
        nbytes = position()
    text: Optional[str]
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as e:
        line = data.count(b"\n", 0, e.start) + 1
        column = e.start - (data.rfind(b"\n", 0, e.start) + 1)
        detail = f"{e.reason} at byte {column} of the line"
        text = data.decode("utf-8", "replace") if log.invalid_utf8(source.path, line, detail) else None
    if text is None or (not text and not keep_empty):
        if text is not None:
            log.skipped_empty(1)
        yield Piece([], nbytes, 0)
    else:
        yield Piece([text], nbytes, len(data))
