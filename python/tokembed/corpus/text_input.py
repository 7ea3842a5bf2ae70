"""Plain text inputs: a document per line (the default), or the whole file as one document."""

from __future__ import annotations

from typing import Iterator, Optional, Tuple

import numpy as np

from .lines import line_chunks, open_binary
from .problems import InputLog
from .batches import Piece, RawLines
from .sources import InputFile


def read_text_lines(source: InputFile, chunk_bytes: int) -> Iterator[Piece]:
    """Chunks of lines as bytes: the encoder splits and decodes them (``encode_raw_lines``)."""
    for chunk in line_chunks(source, chunk_bytes):
        yield Piece([], chunk.nbytes, len(chunk.body), RawLines(chunk, source.path))


def encode_raw_lines(
    tok, raw: RawLines, log: InputLog, keep_empty: bool, add_special_tokens: bool, split_special_tokens: bool
) -> Tuple[np.ndarray, np.ndarray]:
    """``(ids, offsets)`` of the documents of ``raw`` (its lines, see ``tokembed_core::lines``),
    split, checked and encoded by the core without the GIL; bad lines are then reported (under
    ``strict`` the first one raises, and the batch is dropped)."""
    invalid = "skip" if log.errors == "skip" else "replace"
    ids, offsets, bad, empty = tok._core.encode_lines_flat(
        raw.chunk.body, bool(add_special_tokens), bool(split_special_tokens), invalid, bool(keep_empty)
    )
    for line, byte, reason in bad:
        log.invalid_utf8(raw.where, raw.chunk.first_line + line, f"{reason} at byte {byte} of the line")
    log.skipped_empty(raw.where, empty)
    return ids, offsets


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
            log.skipped_empty(source.path, 1)
        yield Piece([], nbytes, 0)
    else:
        yield Piece([text], nbytes, len(data))
