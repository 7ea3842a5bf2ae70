"""Plain text inputs: a document per line (the default), or the whole file as one document."""

from __future__ import annotations

from typing import Iterator, List, Optional

from .lines import LineChunk, line_chunks, open_binary
from .problems import InputLog
from .batches import Piece
from .sources import InputFile


def decode_lines(chunk: LineChunk, where: str, log: InputLog, keep_empty: bool) -> List[str]:
    """The chunk's lines as str under the ``--errors`` policy. Valid UTF-8 (the usual case) is
    decoded in one call for the whole chunk; only a chunk with an error is decoded line by line
    to find and report the bad lines."""
    body = chunk.body
    try:
        texts = body.decode("utf-8").split("\n")
    except UnicodeDecodeError:
        texts = []
        for i, raw in enumerate(chunk.lines()):
            try:
                texts.append(raw.decode("utf-8"))
            except UnicodeDecodeError as e:
                if log.invalid_utf8(where, chunk.first_line + i, e):
                    texts.append(raw.decode("utf-8", "replace"))
    if b"\r" in body:  # Windows line ends: the "\r" of "\r\n" is not part of the document
        texts = [t[:-1] if t.endswith("\r") else t for t in texts]
    if not keep_empty:
        kept = list(filter(None, texts))
        log.skipped_empty(len(texts) - len(kept))
        texts = kept
    return texts


def read_text_lines(source: InputFile, chunk_bytes: int, log: InputLog, keep_empty: bool) -> Iterator[Piece]:
    for chunk in line_chunks(source, chunk_bytes):
        yield Piece(decode_lines(chunk, source.path, log, keep_empty), chunk.nbytes)


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
        yield Piece([], nbytes)
    else:
        yield Piece([text], nbytes)
