"""What a trainer reads: texts from an iterable, or files read as ``tokembed encode`` reads them
(``.txt`` a document per line, ``.jsonl`` with a key, ``.parquet`` with a column, ``.gz``, globs),
fed to a word counter a batch of a few megabytes at a time, so memory holds the counts only."""

from __future__ import annotations

import glob
import os
from typing import Iterable, Iterator, List, Optional, Sequence

from ..corpus.batches import batches
from ..corpus.jsonl_input import parse_lines
from ..corpus.problems import InputLog
from ..corpus.progress import Progress
from ..corpus.reading import read_documents
from ..corpus.sources import expand_inputs

BATCH_BYTES = 2 << 20  # text per feed call: enough to keep every thread busy; the peak of reading
BATCH_TEXTS = 4096  # documents per feed call from an iterable (they may be long)


def file_patterns(inputs: object) -> Optional[List[str]]:
    """The paths or globs ``inputs`` names, or None when it holds texts. One ``str`` or path is a
    file or glob; a list or tuple is files when its items are paths (``os.PathLike``) or strings
    that all name existing files or matching globs, else texts."""
    if isinstance(inputs, (str, os.PathLike)):
        return [os.fspath(inputs)]
    if not isinstance(inputs, (list, tuple)) or not inputs:
        return None
    if all(isinstance(item, os.PathLike) for item in inputs):
        return [os.fspath(item) for item in inputs]
    if all(isinstance(item, str) and _names_files(item) for item in inputs):
        return list(inputs)
    return None


def _names_files(text: str) -> bool:
    if "\n" in text or len(text) > 4096:
        return False
    if os.path.isfile(text):
        return True
    return glob.has_magic(text) and any(os.path.isfile(p) for p in glob.iglob(text, recursive=True))


def feed_texts(counter, texts: Iterable[str], bar: Progress) -> None:
    """Feeds an iterable of str, a batch at a time."""
    if isinstance(texts, (bytes, bytearray)):
        raise TypeError("inputs must be texts (str) or file names, not bytes")
    batch: List[str] = []
    size = 0
    for i, text in enumerate(texts):
        if not isinstance(text, str):
            raise TypeError(f"inputs[{i}] must be str, got {type(text).__name__}")
        batch.append(text)
        size += len(text)
        if len(batch) >= BATCH_TEXTS or size >= BATCH_BYTES:
            counter.feed(batch)
            bar.update(size, len(batch), 0)
            batch, size = [], 0
    if batch:
        counter.feed(batch)
        bar.update(size, len(batch), 0)


def feed_files(
    counter, patterns: Sequence[str], bar_enabled: bool, *, json_key: str, errors: str, input_format: str
) -> InputLog:
    """Feeds every document of the files; bad lines are reported as ``file:line`` and counted in
    the returned log (``errors``: strict, replace or skip, as in ``tokembed encode``)."""
    files = expand_inputs(patterns, input_format)
    total = sum(f.size for f in files if f.size is not None)
    log = InputLog(errors)
    bar = Progress(total, bar_enabled)
    try:
        for batch in _batches(files, log, json_key):
            if batch.raw is None:
                counter.feed(batch.texts)
            elif batch.raw.json_key is None:
                invalid = "skip" if errors == "skip" else "replace"
                bad, empty = counter.feed_lines(batch.raw.chunk.body, invalid, False)
                for line, byte, reason in bad:
                    log.invalid_utf8(batch.raw.where, batch.raw.chunk.first_line + line, f"{reason} at byte {byte} of the line")
                log.skipped_empty(batch.raw.where, empty)
            else:
                counter.feed(parse_lines(batch.raw.chunk, batch.raw.where, batch.raw.json_key, log, False))
            bar.update(batch.nbytes, 0, 0)
    finally:
        bar.close()
    return log


def _batches(files, log: InputLog, json_key: str) -> Iterator:
    pieces = read_documents(files, log, chunk_bytes=BATCH_BYTES, json_key=json_key)
    return batches(pieces, BATCH_BYTES)
