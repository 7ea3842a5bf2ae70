"""llama.cpp's vocabulary-only GGUF files and their test vectors, read without llama.cpp.

Shared by tests/test_bpe_families.py (byte-level BPE: Qwen2, GPT-NeoX) and
tests/test_gguf_sentencepiece.py (SentencePiece family: Llama-2, Phi-3, Gemma 4). The files are in
tests/data; see its README.md for their origin, hashes and licences.
"""

from __future__ import annotations

import hashlib
import struct
from pathlib import Path

TEST_DATA = Path(__file__).resolve().parent / "data"

# llama.cpp's token types (tokenizer.ggml.token_type), the same numbers as SentencePiece's
# ModelProto.SentencePiece.Type.
GGUF_NORMAL, GGUF_UNKNOWN, GGUF_CONTROL, GGUF_USER_DEFINED, GGUF_UNUSED, GGUF_BYTE = 1, 2, 3, 4, 5, 6


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def read_gguf_metadata(path: Path) -> dict:
    """The key/value metadata of a GGUF file (version 2 or 3, little-endian); tensors are not read."""
    data = path.read_bytes()
    pos = 0

    def take(fmt: str):
        nonlocal pos
        (value,) = struct.unpack_from("<" + fmt, data, pos)
        pos += struct.calcsize("<" + fmt)
        return value

    def string() -> str:
        nonlocal pos
        n = take("Q")
        pos += n
        return data[pos - n : pos].decode("utf-8")

    scalars = {0: "B", 1: "b", 2: "H", 3: "h", 4: "I", 5: "i", 6: "f", 7: "?", 10: "Q", 11: "q", 12: "d"}

    def value(kind: int):
        if kind in scalars:
            return take(scalars[kind])
        if kind == 8:
            return string()
        if kind == 9:
            item_kind, n = take("I"), take("Q")
            return [value(item_kind) for _ in range(n)]
        raise ValueError(f"{path.name}: unknown GGUF value type {kind}")

    assert data[:4] == b"GGUF", path
    pos = 4
    assert take("I") in (2, 3)
    take("Q")  # tensor count
    return {string(): value(take("I")) for _ in range(take("Q"))}


SEPARATOR = "\n__ggml_vocab_test__\n"


def llama_cpp_vectors(gguf: Path) -> list[tuple[str, list[int]]]:
    """llama.cpp's test vectors for a vocab: texts and their ids, without BOS.

    The `.inp` holds the texts, each followed by `SEPARATOR` (convert_hf_to_gguf_update.py writes it
    so; some files leave it out after the last text), the `.out` one line of ids per text. This is
    how llama.cpp's tests/test-tokenizer-0.cpp reads them."""
    raw = Path(f"{gguf}.inp").read_text(encoding="utf-8")
    texts = raw.split(SEPARATOR)
    if texts[-1] == "":
        texts.pop()
    outs = Path(f"{gguf}.out").read_text(encoding="utf-8").split("\n")
    assert outs[-1] == ""
    outs.pop()
    assert len(texts) == len(outs), (len(texts), len(outs))
    return [(t, [int(i) for i in o.split()]) for t, o in zip(texts, outs)]
