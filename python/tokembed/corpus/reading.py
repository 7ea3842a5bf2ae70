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
    for source in files:
        if source.kind == "text":
            if document_per_file:
                yield from read_text_whole(source, log, keep_empty)
            else:
                yield from read_text_lines(source, chunk_bytes)
        elif source.kind == "jsonl":
            yield from read_jsonl(source, chunk_bytes, json_key)
        elif source.kind == "parquet":
            yield from read_parquet_column(source, chunk_bytes, json_key, log, keep_empty)
        else:
            raise ValueError(f"{source.path}: unknown input kind {source.kind!r}")
