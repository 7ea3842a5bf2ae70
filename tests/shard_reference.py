"""Independent readers of the shard formats, written from the format descriptions (NumPy's own
``.npy`` reader, pyarrow for Parquet, and a hand-written reader of Megatron's index), and the
expected documents of a corpus: no code of tokembed.data is used here."""

from __future__ import annotations

import json
import struct
from pathlib import Path
from typing import Dict, List, Optional, Tuple

import numpy as np

# Megatron-LM indexed_dataset.py: DType codes (uint8=1, int8=2, int16=3, int32=4, int64=5,
# float64=6, float32=7, uint16=8); header b"MMIDIDX\x00\x00", u64 version 1, u8 code,
# u64 sequence count, u64 document count; then int32 sizes, int64 byte pointers, int64
# document indices (starting with 0, one more than the documents).
MEGATRON_CODES = {1: "<u1", 2: "<i1", 3: "<i2", 4: "<i4", 5: "<i8", 6: "<f8", 7: "<f4", 8: "<u2"}


def corpus_documents(path: Path) -> List[str]:
    """A document per line: '\\n' ends a line, a '\\r' before it is not part of the document,
    empty lines are not documents; a byte order mark that starts the file is not text (Python's
    utf-8-sig; en_botchan.txt has one)."""
    lines = path.read_bytes().decode("utf-8-sig").split("\n")
    return [line[:-1] if line.endswith("\r") else line for line in lines if line not in ("", "\r")]


def flat_documents(ids: np.ndarray, offsets: np.ndarray) -> List[np.ndarray]:
    return [ids[offsets[i] : offsets[i + 1]] for i in range(len(offsets) - 1)]


def read_megatron_independently(prefix: str) -> Tuple[str, List[np.ndarray], np.ndarray]:
    """(dtype, sequences, document index), checking every invariant of the format."""
    idx = Path(prefix + ".idx").read_bytes()
    assert idx[:9] == b"MMIDIDX\x00\x00"
    (version,) = struct.unpack_from("<Q", idx, 9)
    assert version == 1
    (code,) = struct.unpack_from("<B", idx, 17)
    sequence_count, document_count = struct.unpack_from("<QQ", idx, 18)
    dtype = np.dtype(MEGATRON_CODES[code])
    at = 34
    sizes = np.frombuffer(idx, "<i4", sequence_count, at)
    at += 4 * sequence_count
    pointers = np.frombuffer(idx, "<i8", sequence_count, at)
    at += 8 * sequence_count
    doc_idx = np.frombuffer(idx, "<i8", document_count, at)
    at += 8 * document_count
    assert at == len(idx), "trailing bytes in the index"
    assert doc_idx[0] == 0 and doc_idx[-1] == sequence_count and np.all(np.diff(doc_idx) >= 0)
    data = Path(prefix + ".bin").read_bytes()
    sequences = []
    expected_pointer = 0
    for size, pointer in zip(sizes.tolist(), pointers.tolist()):
        assert pointer == expected_pointer  # back to back, as Megatron's builder writes them
        sequences.append(np.frombuffer(data, dtype, size, pointer) if size else np.zeros(0, dtype))
        expected_pointer += size * dtype.itemsize
    assert expected_pointer == len(data)
    return dtype.name, sequences, doc_idx


def read_documents_independently(
    prefix: str, fmt: str, dtype: Optional[str] = None
) -> Tuple[Optional[str], Optional[List[np.ndarray]], np.ndarray]:
    """(stored dtype, documents or None for raw bin, all ids) read without tokembed. The raw bin
    format's ``dtype`` is read from the shard's metadata file unless given (a shard of a
    sharded output has none: its manifest says it)."""
    if fmt == "bin":
        if dtype is None:
            meta: Dict = json.loads(Path(prefix + ".meta.json").read_text(encoding="utf-8"))
            dtype = meta["dtype"]
        ids = np.fromfile(prefix + ".bin", dtype=np.dtype(dtype).newbyteorder("<"))
        return dtype, None, ids
    if fmt == "npy":
        ids = np.load(prefix + ".npy")
        offsets = np.load(prefix + ".offsets.npy")
        assert offsets.dtype == np.int64 and offsets[0] == 0 and offsets[-1] == len(ids)
        return ids.dtype.name, flat_documents(ids, offsets), ids
    if fmt == "megatron":
        dtype, sequences, doc_idx = read_megatron_independently(prefix)
        docs = [np.concatenate(sequences[doc_idx[j] : doc_idx[j + 1]] or [np.zeros(0, dtype)]) for j in range(len(doc_idx) - 1)]
        return dtype, docs, np.concatenate(docs) if docs else np.zeros(0, dtype)
    if fmt == "parquet":
        import pyarrow as pa
        import pyarrow.parquet as pq

        table = pq.read_table(prefix + ".parquet")
        assert table.schema.names == ["ids"]
        value_type = table.schema.field("ids").type.value_type
        assert pa.types.is_list(table.schema.field("ids").type)
        docs = [np.array(row, dtype=value_type.to_pandas_dtype()) for row in table.column("ids").to_pylist()]
        return str(value_type), docs, np.concatenate(docs) if docs else np.zeros(0, np.uint32)
    raise ValueError(fmt)


def assert_listed_shards_whole(folder: Path) -> None:
    """Every shard that any manifest in ``folder`` lists has files of the recorded size and
    SHA-256 (what a run killed at any moment must leave)."""
    import hashlib

    for manifest_file in Path(folder).glob("*.manifest.json"):
        for shard in json.loads(manifest_file.read_text(encoding="utf-8"))["shards"]:
            for name, recorded in shard["files"].items():
                data = (Path(folder) / name).read_bytes()
                assert len(data) == recorded["bytes"], (manifest_file, name)
                assert hashlib.sha256(data).hexdigest() == recorded["sha256"], (manifest_file, name)


def runs_killed_at_random(command, out: Path, attempts: int, duration: float, rng, env=None) -> int:
    """Starts ``command(extra)`` ``attempts`` times (``--resume`` from the second on), each
    killed with SIGKILL after a random part of ``duration`` if still running; after each, every
    listed shard in ``out`` must be whole. Returns how many runs were killed."""
    import signal
    import subprocess
    import time

    kills = 0
    for attempt in range(attempts):
        proc = subprocess.Popen(command(["--resume"] if attempt else []), env=env,
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(rng.uniform(0.3, 0.9) * duration)
        if proc.poll() is None:
            proc.send_signal(signal.SIGKILL)
            kills += 1
        proc.wait()
        assert_listed_shards_whole(out)
    return kills
