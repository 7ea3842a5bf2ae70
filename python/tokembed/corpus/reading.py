"""All the documents of all the inputs, in order, as pieces from the reader of each kind."""

from __future__ import annotations

from typing import Iterator, Sequence

from .batches import Piece
from .jsonl_input import read_jsonl
from .parquet_input import read_parquet_column
from .problems import InputLog
from .sources import InputFile
from .text_input import read_text_lines, read_text_whole


def read_documents(
    files: Sequence[InputFile],
    log: InputLog,
    *,
    chunk_bytes: int,
    json_key: str = "text",
    document_per_file: bool = False,
    keep_empty: bool = False,
) -> Iterator[Piece]:
    """Every piece of every file, each marked with the index of its file in ``files``."""
    for index, source in enumerate(files):
        for piece in _pieces_of(source, log, chunk_bytes, json_key, document_per_file, keep_empty):
            piece.source = index
            yield piece


def _pieces_of(
    source: InputFile, log: InputLog, chunk_bytes: int, json_key: str, document_per_file: bool, keep_empty: bool
) -> Iterator[Piece]:
    if source.kind == "text":
        if document_per_file:
            return read_text_whole(source, log, keep_empty)
        return read_text_lines(source, chunk_bytes)
    if source.kind == "jsonl":
        return read_jsonl(source, chunk_bytes, json_key)
    if source.kind == "parquet":
        return read_parquet_column(source, chunk_bytes, json_key, log, keep_empty)
    raise ValueError(f"{source.path}: unknown input kind {source.kind!r}")
