"""JSON Lines inputs (``.jsonl``, ``.jsonl.gz``): one JSON object per line, the document under
``key``. Blank lines are ignored; a line that is not JSON, not an object with ``key``, or whose
value is not a string is reported with its file and line.

Buffers of lines go to the core's parser first (``encode_jsonl_flat``: serde_json, in parallel,
without the GIL); it takes only buffers in which every line is plain, and hands any other back
to ``parse_lines`` here, which knows how to report each problem."""

from __future__ import annotations

import json
import re
from typing import Iterator, List, Optional, Tuple

import numpy as np

from .lines import LineChunk, line_chunks
from .problems import MALFORMED_JSON, MISSING_KEY, NOT_TEXT, InputLog
from .batches import Piece, RawLines
from .sources import InputFile


# JSON may hold half of a surrogate pair ("\ud800"): a character no UTF-8 text can hold.
_LONE_SURROGATE = re.compile("[\ud800-\udfff]")


def parse_lines(chunk: LineChunk, where: str, key: str, log: InputLog, keep_empty: bool) -> List[str]:
    texts: List[str] = []
    append = texts.append
    loads = json.loads
    empty = 0
    for i, line in enumerate(chunk.lines()):
        try:
            record = loads(line)
        except ValueError as e:  # UnicodeDecodeError is a ValueError too
            record = _parse_bad_line(line, e, where, chunk.first_line + i, log)
            if record is None:
                continue
        except RecursionError:
            # Nested deeper than Python's json reads: read as the core reads every plain line.
            record = _deep_record(line, key, where, chunk.first_line + i, log)
            if record is None:
                continue
        # The usual case first, without a call: an object with a string under the key.
        text = record.get(key) if type(record) is dict else None
        if type(text) is not str:
            text = _text_of(record, key, where, chunk.first_line + i, log)
            if text is None:
                continue
        # Only an escape, or the UTF-8 form of a surrogate (json decodes bytes with
        # "surrogatepass"), can put a lone surrogate in the text.
        if b"\\u" in line or b"\xed" in line:
            text = _checked_surrogates(text, where, chunk.first_line + i, log)
            if text is None:
                continue
        if not text and not keep_empty:
            empty += 1
            continue
        append(text)
    log.skipped_empty(where, empty)
    return texts


def _parse_bad_line(line: bytes, error: ValueError, where: str, number: int, log: InputLog):
    """The record of a line ``json.loads`` refused, when the policy can save it; else None."""
    if not line or line.isspace():
        return None  # blank lines are allowed between records
    if isinstance(error, UnicodeDecodeError):
        if not log.invalid_utf8(where, number, error):
            return None
        try:
            return json.loads(line.decode("utf-8", "replace"))
        except ValueError as e:
            error = e
    log.problem(where, number, MALFORMED_JSON, f"malformed JSON ({error})", "skipped")
    return None


def _deep_record(line: bytes, key: str, where: str, number: int, log: InputLog):
    """``{key: text}`` of a line too deeply nested for Python's json, as the core's reader (which
    does not recurse) takes it, or None (reported) when the core does not read it either."""
    from .._core import jsonl_text

    text = jsonl_text(line, key)
    if text is None:
        log.problem(where, number, MALFORMED_JSON, "malformed JSON (nested too deeply for Python's json, and not a plain object with text under the key)", "skipped")
        return None
    return {key: text}


def _text_of(record: object, key: str, where: str, number: int, log: InputLog) -> Optional[str]:
    if not isinstance(record, dict) or key not in record:
        what = "an object" if isinstance(record, dict) else f"a JSON {type(record).__name__}"
        log.problem(where, number, MISSING_KEY, f"missing key {key!r} ({what})", "skipped")
        return None
    text = record[key]
    if not isinstance(text, str):
        log.problem(where, number, NOT_TEXT, f"{key!r} is a JSON {type(text).__name__}, not a string", "skipped")
        return None
    return text


def _checked_surrogates(text: str, where: str, number: int, log: InputLog) -> Optional[str]:
    found = _LONE_SURROGATE.search(text)
    if found is None:
        return text
    # The same policy as for invalid UTF-8 bytes.
    detail = f"lone surrogate \\u{ord(found.group()):04x} in JSON text"
    return _LONE_SURROGATE.sub("\ufffd", text) if log.invalid_utf8(where, number, detail) else None


def read_jsonl(source: InputFile, chunk_bytes: int, key: str) -> Iterator[Piece]:
    """Chunks of lines as bytes, for ``encode_raw_jsonl``."""
    for chunk in line_chunks(source, chunk_bytes):
        yield Piece([], chunk.nbytes, len(chunk.body), RawLines(chunk, source.path, key))


def encode_raw_jsonl(
    tok, raw: RawLines, log: InputLog, keep_empty: bool, add_special_tokens: bool, split_special_tokens: bool
) -> Tuple[np.ndarray, np.ndarray]:
    """``(ids, offsets)`` of the documents of a buffer of JSON Lines: parsed and encoded by the
    core when every line is plain, else parsed here line by line with reports."""
    assert raw.json_key is not None
    add, split = bool(add_special_tokens), bool(split_special_tokens)
    try:
        encoded = tok._core.encode_jsonl_flat(
            raw.chunk.body, raw.json_key, add, split, bool(keep_empty), raw.chunk.first_line
        )
    except ValueError as e:  # the core names the line; the file is ours to add
        raise ValueError(f"{raw.where}: {e}") from e
    if encoded is None:
        texts = parse_lines(raw.chunk, raw.where, raw.json_key, log, keep_empty)
        return tok.encode_batch_flat(texts, add, split)
    ids, offsets, empty = encoded
    log.skipped_empty(raw.where, empty)
    return ids, offsets
