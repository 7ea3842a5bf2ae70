"""llama.cpp's vocabulary-only GGUF files and their test vectors, read without llama.cpp.

Shared by tests/test_bpe_families.py (byte-level BPE: Qwen2, GPT-NeoX),
tests/test_gguf_sentencepiece.py (SentencePiece family: Llama-2, Phi-3, Gemma 4) and, for XLM-R's
Unigram rebuilt from nomic-embed-text-v2-moe's GGUF, tests/test_xlmr_unigram.py and
benches/bench_sentencepiece.py. The files are in tests/data; see its README.md for their origin,
hashes and licences.
"""

from __future__ import annotations

import base64
import gzip
import hashlib
import json
import struct
from pathlib import Path
from typing import Tuple

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


# ----- XLM-R's Unigram (250k pieces, precompiled normalizer), from nomic-embed-text-v2-moe's GGUF ----------

XLMR_GGUF_GZ = TEST_DATA / "ggml-vocab-nomic-bert-moe.gguf.gz"
XLMR_SHA256 = {  # of the .gz in tests/data and of the GGUF it decompresses to
    "gz": "0bbfd489406b22db3c0b40325e3c748a972cf5e991c7b32272fb574b07f513ae",
    "gguf": "90a6746926454784a98389ad36a36d89bc9cfc81db9cb0f33c941bcc959fe5f9",
}
XLMR_SIZE = 250002  # XLM-R's vocabulary: <s> <pad> </s> <unk>, sentencepiece.bpe.model's pieces 3.., <mask>
XLMR_MASK = 250001


def xlmr_metadata(work: Path) -> dict:
    """The GGUF's metadata, checked by hash. llama.cpp's converter (_xlmroberta_set_vocab) read XLM-R's
    `sentencepiece.bpe.model` and realigned it as HF does: <s> <pad> </s> (control) <unk> (unknown), the
    model's pieces from its id 3 on (so id + 1, fairseq's offset), <mask> (control) at 250001, then 46
    `[PAD...]` rows (unused, score -10000) up to the embedding matrix's 250,048."""
    assert sha256(XLMR_GGUF_GZ) == XLMR_SHA256["gz"], f"{XLMR_GGUF_GZ.name} is not the file this was written for"
    gguf = work / "ggml-vocab-nomic-bert-moe.gguf"
    gguf.write_bytes(gzip.decompress(XLMR_GGUF_GZ.read_bytes()))
    assert sha256(gguf) == XLMR_SHA256["gguf"]
    meta = read_gguf_metadata(gguf)
    tokens, kinds = meta["tokenizer.ggml.tokens"], meta["tokenizer.ggml.token_type"]
    assert meta["tokenizer.ggml.model"] == "t5" and len(tokens) == 250048
    assert tokens[:4] == ["<s>", "<pad>", "</s>", "<unk>"] and tokens[XLMR_MASK] == "<mask>"
    assert kinds[:4] == [GGUF_CONTROL, GGUF_CONTROL, GGUF_CONTROL, GGUF_UNKNOWN] and kinds[XLMR_MASK] == GGUF_CONTROL
    assert set(kinds[4:XLMR_MASK]) == {GGUF_NORMAL} and set(kinds[XLMR_SIZE:]) == {GGUF_UNUSED}
    assert all(t.startswith("[PAD") for t in tokens[XLMR_SIZE:])
    ids = {k: meta[f"tokenizer.ggml.{k}_token_id"] for k in ("bos", "padding", "eos", "unknown", "mask")}
    assert ids == {"bos": 0, "padding": 1, "eos": 2, "unknown": 3, "mask": XLMR_MASK}
    assert meta["tokenizer.ggml.add_space_prefix"] and meta["tokenizer.ggml.remove_extra_whitespaces"]
    return meta


def xlmr_sentencepiece_model(meta: dict) -> bytes:
    """XLM-R's `sentencepiece.bpe.model` in HF's order: a Unigram ModelProto with the GGUF's first 250,002
    pieces, scores and types, unk 3, bos 0, eos 2, pad 1, the nmt_nfkc precompiled charsmap, a dummy
    prefix, extra white space removed. <mask> is CONTROL: the original model has no such piece, and a
    control piece is never matched in text, so the library tokenizes any text as it tokenizes it with the
    original model (ids shifted as HF's slow XLMRobertaTokenizer shifts them)."""
    from sentencepiece import sentencepiece_model_pb2 as sp_pb2

    tokens, scores, kinds = (meta[f"tokenizer.ggml.{k}"][:XLMR_SIZE] for k in ("tokens", "scores", "token_type"))
    proto = sp_pb2.ModelProto()
    for piece, score, kind in zip(tokens, scores, kinds):
        proto.pieces.add(piece=piece, score=score, type=kind)
    trainer = proto.trainer_spec
    trainer.model_type = sp_pb2.TrainerSpec.UNIGRAM
    trainer.vocab_size = XLMR_SIZE
    trainer.unk_id, trainer.bos_id, trainer.eos_id, trainer.pad_id = 3, 0, 2, 1
    trainer.unk_piece, trainer.bos_piece, trainer.eos_piece, trainer.pad_piece = "<unk>", "<s>", "</s>", "<pad>"
    normalizer = proto.normalizer_spec
    normalizer.name = "nmt_nfkc"
    normalizer.precompiled_charsmap = bytes(meta["tokenizer.ggml.precompiled_charsmap"])
    normalizer.add_dummy_prefix = meta["tokenizer.ggml.add_space_prefix"]
    normalizer.remove_extra_whitespaces = meta["tokenizer.ggml.remove_extra_whitespaces"]
    normalizer.escape_whitespaces = True
    return proto.SerializeToString()


def xlmr_tokenizer_json(meta: dict) -> dict:
    """The `tokenizer.json` transformers' XLMRobertaConverter writes (SpmConverter of transformers 4.x before
    its normalizer gained Strip(right)): Precompiled then Replace(" {2,}", " "), Metaspace("▁", always),
    Unigram over the 250,002 pieces (unk 3, no byte fallback), "<s> $A </s>" / "<s> $A </s> </s> $B </s>",
    decoder Metaspace, the five special tokens added (<mask> with lstrip, as XLMRobertaTokenizerFast)."""
    tokens, scores = meta["tokenizer.ggml.tokens"][:XLMR_SIZE], meta["tokenizer.ggml.scores"][:XLMR_SIZE]
    charsmap = base64.b64encode(bytes(meta["tokenizer.ggml.precompiled_charsmap"])).decode("ascii")

    def added(id: int, lstrip: bool = False) -> dict:
        return {"id": id, "content": tokens[id], "single_word": False, "lstrip": lstrip, "rstrip": False,
                "normalized": False, "special": True}

    def special(name: str, type_id: int = 0) -> dict:
        return {"SpecialToken": {"id": name, "type_id": type_id}}

    def sequence(name: str, type_id: int = 0) -> dict:
        return {"Sequence": {"id": name, "type_id": type_id}}

    metaspace = {"replacement": "▁", "prepend_scheme": "always", "split": True}
    return {
        "version": "1.0", "truncation": None, "padding": None,
        "added_tokens": [added(0), added(1), added(2), added(3), added(XLMR_MASK, lstrip=True)],
        "normalizer": {"type": "Sequence", "normalizers": [
            {"type": "Precompiled", "precompiled_charsmap": charsmap},
            {"type": "Replace", "pattern": {"Regex": " {2,}"}, "content": " "}]},
        "pre_tokenizer": {"type": "Metaspace", **metaspace},
        "post_processor": {
            "type": "TemplateProcessing",
            "single": [special("<s>"), sequence("A"), special("</s>")],
            "pair": [special("<s>"), sequence("A"), special("</s>"), special("</s>"), sequence("B"), special("</s>")],
            "special_tokens": {name: {"id": name, "ids": [id], "tokens": [name]} for name, id in (("<s>", 0), ("</s>", 2))},
        },
        "decoder": {"type": "Metaspace", **metaspace},
        "model": {"type": "Unigram", "unk_id": 3, "vocab": [[t, s] for t, s in zip(tokens, scores)], "byte_fallback": False},
    }


def build_xlmr(work: Path) -> Tuple[Path, Path, dict]:
    """Writes XLM-R's `.model` and `tokenizer.json`, rebuilt from the GGUF, into `work`: their paths and the
    GGUF's metadata."""
    meta = xlmr_metadata(work)
    model, document = work / "xlmr.model", work / "xlmr.tokenizer.json"
    model.write_bytes(xlmr_sentencepiece_model(meta))
    document.write_text(json.dumps(xlmr_tokenizer_json(meta), ensure_ascii=False), encoding="utf-8")
    return model, document, meta
