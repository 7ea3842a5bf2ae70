"""What to read: input arguments (paths, globs, ``-`` for standard input) expanded to files,
each with its kind (text, jsonl, parquet) and size."""

from __future__ import annotations

import glob
import os
from dataclasses import dataclass
from typing import List, Optional, Sequence

KINDS = ("text", "jsonl", "parquet")
STDIN = "-"

_SUFFIX_KINDS = {".txt": "text", ".jsonl": "jsonl", ".ndjson": "jsonl", ".parquet": "parquet"}


@dataclass(frozen=True)
class InputFile:
    path: str  # "-" for standard input
    kind: str
    size: Optional[int]  # bytes on disk (compressed for .gz); None for standard input

    @property
    def compressed(self) -> bool:
        return self.path.endswith(".gz")


def kind_of(path: str) -> Optional[str]:
    stem = path[:-3] if path.endswith(".gz") else path
    return _SUFFIX_KINDS.get(os.path.splitext(stem)[1].lower())


def expand_inputs(patterns: Sequence[str], input_format: str = "auto") -> List[InputFile]:
    """Files named by ``patterns`` in order (globs sorted, ``**`` allowed; a pattern that is
    the name of an existing file is that file, not a glob). Raises
    ``FileNotFoundError`` for a path or glob that names nothing, ``ValueError`` for a file whose
    kind its name does not tell (unless ``input_format`` says it)."""
    if input_format != "auto" and input_format not in KINDS:
        raise ValueError(f"input format must be auto or one of {', '.join(KINDS)}, got {input_format!r}")
    if not patterns:
        raise ValueError("no input given")
    files: List[InputFile] = []
    for pattern in patterns:
        if pattern == STDIN:
            if input_format == "parquet":
                raise ValueError("Parquet cannot be read from standard input")
            files.append(InputFile(STDIN, "text" if input_format == "auto" else input_format, None))
            continue
        # A file that exists is that file, whatever its name holds ('data[1].txt'); only a
        # name that is not a file is taken as a glob.
        if glob.has_magic(pattern) and not os.path.isfile(pattern):
            paths = sorted(p for p in glob.glob(pattern, recursive=True) if os.path.isfile(p))
            if not paths:
                raise FileNotFoundError(f"{pattern}: no file matches")
        else:
            if not os.path.exists(pattern):
                raise FileNotFoundError(f"{pattern}: no such file")
            if os.path.isdir(pattern):
                raise ValueError(f"{pattern} is a folder; give files or a glob such as '{pattern}/*.jsonl'")
            paths = [pattern]
        for path in paths:
            kind = kind_of(path) if input_format == "auto" else input_format
            if kind is None:
                raise ValueError(
                    f"{path}: cannot tell its kind from the name (.txt, .jsonl, .jsonl.gz, .parquet); "
                    f"say it with --input-format"
                )
            if kind == "parquet" and path.endswith(".gz"):
                raise ValueError(f"{path}: Parquet compresses inside the file; a .gz around it is not read")
            files.append(InputFile(path, kind, os.path.getsize(path)))
    return files
