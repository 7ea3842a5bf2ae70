"""Parquet inputs: the documents are the string column ``key``, read a record batch at a time.
Reports name the row (1-based) as the line. Needs pyarrow (``tokembed[parquet]``)."""

from __future__ import annotations

from typing import Iterator, List

from .problems import MISSING_KEY, NOT_TEXT, InputLog
from .batches import Piece
from .sources import InputFile


def read_parquet_column(
    source: InputFile, batch_bytes: int, key: str, log: InputLog, keep_empty: bool
) -> Iterator[Piece]:
    try:
        import pyarrow as pa
        import pyarrow.parquet as pq
    except ImportError:  # pragma: no cover - depends on the environment
        raise ImportError("reading Parquet needs pyarrow: pip install 'tokembed[parquet]'") from None
    file = pq.ParquetFile(source.path)
    schema = file.schema_arrow
    if key not in schema.names:
        log.problem(source.path, 0, MISSING_KEY, f"no column {key!r} (columns: {', '.join(schema.names)})", "file skipped")
        yield Piece([], source.size or 0, 0)
        return
    column_type = schema.field(key).type
    is_text = pa.types.is_string(column_type) or pa.types.is_large_string(column_type)
    is_bytes = pa.types.is_binary(column_type) or pa.types.is_large_binary(column_type)
    if not (is_text or is_bytes):
        log.problem(source.path, 0, NOT_TEXT, f"column {key!r} is {column_type}, not text", "file skipped")
        yield Piece([], source.size or 0, 0)
        return
    rows = max(file.metadata.num_rows, 1)
    uncompressed = sum(file.metadata.row_group(i).total_byte_size for i in range(file.metadata.num_row_groups))
    batch_rows = int(min(1 << 16, max(64, batch_bytes * rows // max(uncompressed, 1))))
    row = 1
    size = source.size or 0
    done_bytes = 0
    for batch in file.iter_batches(batch_size=batch_rows, columns=[key]):
        column = batch.column(0)
        texts = _fast_texts(column, source.path, log, keep_empty) if is_text else None
        if texts is None:
            # Nulls, bytes, or invalid UTF-8 (not every Parquet writer checks it): row by row.
            if is_text:
                column = column.cast(pa.large_binary() if pa.types.is_large_string(column_type) else pa.binary())
            texts = _decode(column.to_pylist(), source.path, row, log, keep_empty)
        row += len(batch)
        reached = size * (row - 1) // rows
        yield Piece(texts, reached - done_bytes, sum(map(len, texts)))
        done_bytes = reached


def _fast_texts(column, where: str, log: InputLog, keep_empty: bool):
    """The column as str in one call, or None when it needs the row by row path."""
    if column.null_count:
        return None
    try:
        texts = column.to_pylist()
    except UnicodeDecodeError:
        return None
    if not keep_empty:
        kept = list(filter(None, texts))
        log.skipped_empty(where, len(texts) - len(kept))
        texts = kept
    return texts


def _decode(values: List, where: str, first_row: int, log: InputLog, keep_empty: bool) -> List[str]:
    texts: List[str] = []
    empty = 0
    for i, value in enumerate(values):
        if value is None:
            log.problem(where, first_row + i, MISSING_KEY, "null text", "skipped")
            continue
        try:
            text = value.decode("utf-8")
        except UnicodeDecodeError as e:
            if not log.invalid_utf8(where, first_row + i, e):
                continue
            text = value.decode("utf-8", "replace")
        if not text and not keep_empty:
            empty += 1
            continue
        texts.append(text)
    log.skipped_empty(where, empty)
    return texts
