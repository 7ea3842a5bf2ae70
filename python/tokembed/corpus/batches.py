"""Documents in batches of a few megabytes: big enough that encoding a batch keeps every thread
busy and per-call costs vanish, small enough that memory stays flat whatever the corpus size."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Iterable, Iterator, List, Optional

from .lines import LineChunk


@dataclass
class RawLines:
    """Lines not yet decoded, a document per line: the encoder splits, checks and (for JSON
    Lines) parses them itself (``text_input.encode_raw_lines``, ``jsonl_input.encode_raw_jsonl``),
    without the interpreter's help."""

    chunk: LineChunk
    where: str  # the file, for reports
    json_key: Optional[str] = None  # JSON Lines: the document is the string under this key


@dataclass
class Piece:
    """Documents a reader produced (as str, or as raw lines), and how many input bytes (as
    stored) they took."""

    texts: List[str]
    nbytes: int  # input bytes as stored (compressed for .gz), for progress
    size: int  # bytes of text (decompressed), for sizing batches
    raw: Optional[RawLines] = None
    source: int = 0  # which input (its index in the run's list of files)


@dataclass
class Batch:
    texts: List[str] = field(default_factory=list)
    nbytes: int = 0  # input bytes, for progress
    text_bytes: int = 0  # about how much text (characters), for sizing batches
    raw: Optional[RawLines] = None  # instead of texts
    # Which input each document came from, as runs of ``[input index, documents]`` in order
    # (a batch may gather the documents of several small files); for raw lines, one run whose
    # count the encoder learns.
    runs: List[List[int]] = field(default_factory=list)

    def add_run(self, source: int, documents: int) -> None:
        if self.runs and self.runs[-1][0] == source:
            self.runs[-1][1] += documents
        else:
            self.runs.append([source, documents])


def batches(pieces: Iterable[Piece], batch_bytes: int, first_batch_bytes: int = 256 << 10) -> Iterator[Batch]:
    """Pieces gathered into batches of about ``batch_bytes`` (a piece is never split: readers
    make them about the size asked for already, except single documents). The first batches
    are smaller, doubling up to ``batch_bytes``, so that encoding starts early. A piece of raw
    lines is a batch of its own (its reader sized it), after the documents gathered before it."""
    current = Batch()
    target = min(first_batch_bytes, batch_bytes)
    for piece in pieces:
        size = piece.size
        if piece.raw is not None:
            if current.texts or current.nbytes:
                yield current
                current = Batch()
            yield Batch(nbytes=piece.nbytes, text_bytes=size, raw=piece.raw, runs=[[piece.source, -1]])
            continue
        if not current.texts and size >= target:
            # Already big enough: no copying.
            yield Batch(piece.texts, piece.nbytes, size, runs=[[piece.source, len(piece.texts)]])
            target = min(2 * target, batch_bytes)
            continue
        current.add_run(piece.source, len(piece.texts))
        current.texts.extend(piece.texts)
        current.nbytes += piece.nbytes
        current.text_bytes += size
        if current.text_bytes >= target:
            yield current
            current = Batch()
            target = min(2 * target, batch_bytes)
    if current.texts or current.nbytes:
        yield current

