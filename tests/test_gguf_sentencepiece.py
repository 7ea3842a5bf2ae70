"""The SentencePiece family on llama.cpp's GGUF vocab files: Llama-2, Phi-3 and Gemma 4 (issue 13).

llama.cpp ships vocabulary-only GGUF files with test vectors (tests/data, see its README.md). From
each file's tokenizer fields this test rebuilds what the original model ships, checks the rebuild
against the vectors with the reference library, then checks tokembed against the reference on the
vectors, every line of every shared corpus, whole documents, special tokens written into text,
generated text and arbitrary id lists (ids, decoding, and for the json offsets):

- `ggml-vocab-llama-spm.gguf` (Llama-2) and `ggml-vocab-phi-3.gguf` (Phi-3-mini; Llama-2's pieces
  plus 11 added tokens): tokenizer.ggml.model "llama", i.e. a SentencePiece BPE with byte fallback
  (pieces, scores, types; no merges). Rebuilt twice: as a SentencePiece `.model` (reference: the
  `sentencepiece` library; ours: `Tokenizer.from_sentencepiece`) and as the `tokenizer.json`
  transformers' LlamaConverter writes for legacy Llama (reference: HF `tokenizers`; ours:
  `Tokenizer.from_file`).
- `ggml-vocab-gemma-4.gguf.gz` (Gemma 4, gzip-compressed here): tokenizer.ggml.model "gemma4", a BPE
  with byte fallback over raw UTF-8 with 514,906 merges and 262,144 tokens. Rebuilt as a Gemma-style
  `tokenizer.json` (Replace " " -> "▁", Split on " " merged with previous, BPE with byte fallback).

The vectors are texts and ids without BOS (llama.cpp's test-tokenizer-0 encodes them with
add_special=false; the Llama/Phi ones were made by HF `transformers` with add_special_tokens=False).
"""

from __future__ import annotations

import functools
import gzip
import json
import random
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, List, Optional

import numpy as np
import pytest
import sentencepiece
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sentencepiece import sentencepiece_model_pb2 as sp_pb2
from tokenizers import Tokenizer as HFTokenizer

import tokembed
from conftest import CORPORA, corpus_lines
from gguf_vocab import (GGUF_BYTE, GGUF_CONTROL, GGUF_NORMAL, GGUF_UNKNOWN, GGUF_USER_DEFINED, TEST_DATA,
                        llama_cpp_vectors, read_gguf_metadata, sha256)
from test_components_parity import ALPHABET

SHA256 = {
    "ggml-vocab-llama-spm.gguf": "16c3724582d59aa8bf84711894e833f916ee46a31d80e21312759c48bf8d0e69",
    "ggml-vocab-llama-spm.gguf.inp": "be0a11f7071f0c67d3053a2d377d8f35f0dbcb77ff11a60300fb57d36b477cf0",
    "ggml-vocab-llama-spm.gguf.out": "ad6905c925c49c022974fe67e030382e8a4f56eb4489a0b9481dcedb1ec73b29",
    "ggml-vocab-phi-3.gguf": "967d7190d11c4842eab697079d98d56c2116e10eb617be355a2733bfc132e326",
    "ggml-vocab-phi-3.gguf.inp": "be0a11f7071f0c67d3053a2d377d8f35f0dbcb77ff11a60300fb57d36b477cf0",
    "ggml-vocab-phi-3.gguf.out": "ad6905c925c49c022974fe67e030382e8a4f56eb4489a0b9481dcedb1ec73b29",
    "ggml-vocab-gemma-4.gguf.gz": "6f1964ef4591266ece0e93e105b7e201654bbc8dcc8972436c5cb779f6cb1ee4",
    "ggml-vocab-gemma-4.gguf.inp": "0528aa007b06965f980181d252b5dff7bb170a77af6157bd48bba56885374448",
    "ggml-vocab-gemma-4.gguf.out": "ba8c596bcd05e97e62566fa994b42eeaeffd6a4e4b4a4abe7b5b689aa6b43bf3",
}
GEMMA4_GGUF_SHA256 = "58b1ba0b57f3b4d7c468ba4ffd91ad85190346a3d7ad7e71d1cabaae8a14bb65"  # decompressed
VOCABS = ["llama-spm", "phi-3", "gemma-4"]
VARIANTS = ["llama-spm.model", "llama-spm.json", "phi-3.model", "phi-3.json", "gemma-4.json"]


@pytest.fixture(scope="session")
def ggufs(tmp_path_factory) -> dict:
    """The GGUF file of each vocab, checked by hash; Gemma 4's decompressed (its vectors beside it)."""
    for name, digest in SHA256.items():
        assert sha256(TEST_DATA / name) == digest, f"{name} is not the file these tests were written for"
    work = tmp_path_factory.mktemp("gguf_sentencepiece")
    gemma = work / "ggml-vocab-gemma-4.gguf"
    gemma.write_bytes(gzip.decompress((TEST_DATA / "ggml-vocab-gemma-4.gguf.gz").read_bytes()))
    assert sha256(gemma) == GEMMA4_GGUF_SHA256
    for suffix in (".inp", ".out"):
        Path(f"{gemma}{suffix}").write_bytes((TEST_DATA / f"ggml-vocab-gemma-4.gguf{suffix}").read_bytes())
    paths = {name: TEST_DATA / f"ggml-vocab-{name}.gguf" for name in VOCABS[:2]}
    return {**paths, "gemma-4": gemma, "work": work}


# ----- rebuilding what the models ship -------------------------------------------------------------------


def base_size(kinds: List[int]) -> int:
    """Tokens up to the last normal one are the SentencePiece model's pieces; after them come the added
    tokens (Phi-3's <|endoftext|>, <|user|>, ...) and llama.cpp's `[PAD<id>]` padding."""
    return 1 + max(i for i, k in enumerate(kinds) if k == GGUF_NORMAL)


def is_padding(tokens: List[str], i: int) -> bool:
    return tokens[i] == f"[PAD{i}]"


def sentencepiece_model(meta: dict) -> bytes:
    """A SentencePiece ModelProto: BPE with byte fallback, identity normalization, a dummy prefix as
    tokenizer.ggml.add_space_prefix says (llama.cpp's default for "llama" is true), extra white space
    kept. Piece types are the GGUF's (the same numbers); the unknown token id is the UNKNOWN piece
    (Phi-3's GGUF types <unk> CONTROL, from its added-token flags). Padding is left out."""
    tokens, scores, kinds = (meta[f"tokenizer.ggml.{k}"] for k in ("tokens", "scores", "token_type"))
    unk, bos, eos = (meta[f"tokenizer.ggml.{k}_token_id"] for k in ("unknown", "bos", "eos"))
    proto = sp_pb2.ModelProto()
    for i, (piece, score, kind) in enumerate(zip(tokens, scores, kinds)):
        if is_padding(tokens, i):
            assert i >= base_size(kinds)
            continue
        proto.pieces.add(piece=piece, score=score, type=GGUF_UNKNOWN if i == unk else kind)
    trainer = proto.trainer_spec
    trainer.model_type = sp_pb2.TrainerSpec.BPE
    trainer.vocab_size = len(proto.pieces)
    trainer.byte_fallback = GGUF_BYTE in kinds
    trainer.unk_id, trainer.bos_id, trainer.eos_id, trainer.pad_id = unk, bos, eos, -1
    trainer.unk_piece, trainer.bos_piece, trainer.eos_piece = tokens[unk], tokens[bos], tokens[eos]
    normalizer = proto.normalizer_spec
    normalizer.name = "identity"
    normalizer.add_dummy_prefix = meta.get("tokenizer.ggml.add_space_prefix", True)
    normalizer.remove_extra_whitespaces = False
    normalizer.escape_whitespaces = True
    return proto.SerializeToString()


def merges_from_pieces(pieces: List[str], scores: List[float]) -> List[List[str]]:
    """transformers' SentencePieceExtractor (convert_slow_tokenizer.py): every split of a piece into
    two pieces of the vocab, those of one piece by the ids of (left, right), all by the merged piece's
    score, highest first (a stable sort: equal scores keep the vocab order)."""
    vocab = {piece: i for i, piece in enumerate(pieces)}
    merges = []
    for piece, score in zip(pieces, scores):
        local = [(piece[:k], piece[k:], score) for k in range(1, len(piece)) if piece[:k] in vocab and piece[k:] in vocab]
        merges += sorted(local, key=lambda m: (vocab[m[0]], vocab[m[1]]))
    merges.sort(key=lambda m: m[2], reverse=True)
    return [[left, right] for left, right, _ in merges]


def added_token(id: int, content: str, special: bool) -> dict:
    return {"id": id, "content": content, "single_word": False, "lstrip": False, "rstrip": False,
            "normalized": False, "special": special}


def bos_template(meta: dict) -> Optional[dict]:
    """The post-processor transformers writes: BOS before each sequence when add_bos_token."""
    if not meta.get("tokenizer.ggml.add_bos_token"):
        return None
    bos = meta["tokenizer.ggml.bos_token_id"]
    name = meta["tokenizer.ggml.tokens"][bos]

    def seq(s, type_id):
        return [{"SpecialToken": {"id": name, "type_id": type_id}}, {"Sequence": {"id": s, "type_id": type_id}}]

    return {"type": "TemplateProcessing", "single": seq("A", 0), "pair": seq("A", 0) + seq("B", 1),
            "special_tokens": {name: {"id": name, "ids": [bos], "tokens": [name]}}}


def replace(old: str, new: str) -> dict:
    return {"type": "Replace", "pattern": {"String": old}, "content": new}


def bpe(vocab: dict, merges: list, unk: str) -> dict:
    return {"type": "BPE", "dropout": None, "unk_token": unk, "continuing_subword_prefix": None,
            "end_of_word_suffix": None, "fuse_unk": True, "byte_fallback": True, "ignore_merges": False,
            "vocab": vocab, "merges": merges}


def llama_tokenizer_json(meta: dict) -> dict:
    """transformers' LlamaConverter, legacy: Prepend("▁") and Replace(" ", "▁"), no pre-tokenizer, BPE
    with byte fallback and fuse_unk over the SentencePiece pieces (the control/unknown ones scored 0
    as its vocab() does) with merges derived from them. Added tokens: the unknown and control ones
    special, user-defined ones not (Phi-3's </s>): llama.cpp's converter typed HF's added tokens so."""
    tokens, scores, kinds = (meta[f"tokenizer.ggml.{k}"] for k in ("tokens", "scores", "token_type"))
    unk, n = meta["tokenizer.ggml.unknown_token_id"], base_size(kinds)
    scores = [0.0 if kinds[i] in (GGUF_CONTROL, GGUF_UNKNOWN, GGUF_USER_DEFINED) else scores[i] for i in range(n)]
    added = [added_token(i, t, kinds[i] != GGUF_USER_DEFINED) for i, t in enumerate(tokens)
             if (i == unk or kinds[i] in (GGUF_CONTROL, GGUF_USER_DEFINED)) and not is_padding(tokens, i)]
    decoder = [replace("▁", " "), {"type": "ByteFallback"}, {"type": "Fuse"},
               {"type": "Strip", "content": " ", "start": 1, "stop": 0}]
    return {"version": "1.0", "truncation": None, "padding": None, "added_tokens": added,
            "normalizer": {"type": "Sequence", "normalizers": [{"type": "Prepend", "prepend": "▁"}, replace(" ", "▁")]},
            "pre_tokenizer": None, "post_processor": bos_template(meta),
            "decoder": {"type": "Sequence", "decoders": decoder},
            "model": bpe({t: i for i, t in enumerate(tokens[:n])}, merges_from_pieces(tokens[:n], scores), tokens[unk])}


# llama.cpp's Gemma 4 converter retypes these from control to user-defined "so that the chat parser
# can read them" (conversion/gemma.py): in the original they are special tokens.
GEMMA4_VISIBLE = {"<|channel>", "<channel|>", "<|tool_call>", "<tool_call|>", "<|tool_response>", "<tool_response|>",
                  '<|"|>'}


def gemma_tokenizer_json(meta: dict) -> dict:
    """Gemma 3/4's `tokenizer.json`: Replace(" ", "▁"), Split(" ", merged_with_previous) (a no-op after
    the normalizer: the whole text is one word), BPE with byte fallback over the GGUF's vocab and merges
    (split at the first space after the first character, as llama.cpp does), decoder Replace,
    ByteFallback, Fuse. Control tokens are special added tokens. The GGUF types every other token of
    the original's vocab normal, so its <unusedN>, <table>, ... are plain vocab tokens here."""
    tokens, kinds = meta["tokenizer.ggml.tokens"], meta["tokenizer.ggml.token_type"]
    added = [added_token(i, t, True) for i, t in enumerate(tokens) if kinds[i] == GGUF_CONTROL
             or (kinds[i] == GGUF_USER_DEFINED and t in GEMMA4_VISIBLE)]
    assert sum(k == GGUF_USER_DEFINED for k in kinds) == len(GEMMA4_VISIBLE)
    merges = [[m[: m.index(" ", 1)], m[m.index(" ", 1) + 1 :]] for m in meta["tokenizer.ggml.merges"]]
    return {"version": "1.0", "truncation": None, "padding": None, "added_tokens": added,
            "normalizer": replace(" ", "▁"),
            "pre_tokenizer": {"type": "Split", "pattern": {"String": " "}, "behavior": "MergedWithPrevious",
                              "invert": False},
            "post_processor": bos_template(meta),
            "decoder": {"type": "Sequence", "decoders": [replace("▁", " "), {"type": "ByteFallback"}, {"type": "Fuse"}]},
            "model": bpe({t: i for i, t in enumerate(tokens)}, merges, tokens[meta["tokenizer.ggml.unknown_token_id"]])}


# ----- the rebuilt tokenizers -------------------------------------------------------------------------------


@dataclass
class Rebuilt:
    name: str  # vocab.format, e.g. "phi-3.model"
    meta: dict
    vectors: list
    path: Path
    ours: tokembed.Tokenizer
    encode: Callable[[List[str]], List[List[int]]]  # the reference, ids as the model adds them (BOS for json)
    decode: Callable[[List[List[int]]], List[str]]  # the reference, special tokens skipped
    reference: object  # SentencePieceProcessor or HF Tokenizer
    hf_split: Optional[HFTokenizer] = None  # json: the file with encode_special_tokens on

    @property
    def is_json(self) -> bool:
        return self.name.endswith(".json")

    @property
    def bos(self) -> List[int]:
        return [self.meta["tokenizer.ggml.bos_token_id"]] if self.is_json else []


@functools.lru_cache(maxsize=None)
def _metadata(path: Path) -> dict:
    return read_gguf_metadata(path)


@pytest.fixture(scope="session")
def built() -> dict:
    return {}


def rebuilt(built: dict, ggufs: dict, name: str) -> Rebuilt:
    if name in built:
        return built[name]
    vocab, kind = name.rsplit(".", 1)
    meta = _metadata(ggufs[vocab])
    path = ggufs["work"] / f"{vocab}.{'model' if kind == 'model' else 'tokenizer.json'}"
    if kind == "model":
        path.write_bytes(sentencepiece_model(meta))
        sp = sentencepiece.SentencePieceProcessor(model_file=str(path))
        ours = tokembed.Tokenizer.from_sentencepiece(path)
        result = Rebuilt(name, meta, llama_cpp_vectors(ggufs[vocab]), path, ours, sp.encode,
                         lambda seqs: [sp.decode(s) for s in seqs], sp)
    else:
        document = gemma_tokenizer_json(meta) if vocab == "gemma-4" else llama_tokenizer_json(meta)
        path.write_text(json.dumps(document, ensure_ascii=False), encoding="utf-8")
        hf, hf_split = HFTokenizer.from_file(str(path)), HFTokenizer.from_file(str(path))
        hf_split.encode_special_tokens = True
        result = Rebuilt(name, meta, llama_cpp_vectors(ggufs[vocab]), path, tokembed.Tokenizer.from_file(path),
                         lambda texts: [e.ids for e in hf.encode_batch(texts)], hf.decode_batch, hf, hf_split)
    built[name] = result
    return result


@pytest.fixture(scope="session", params=VARIANTS)
def tok(request, built, ggufs) -> Rebuilt:
    return rebuilt(built, ggufs, request.param)


def rows(ids: np.ndarray, offsets: np.ndarray) -> List[List[int]]:
    flat, bounds = ids.tolist(), offsets.tolist()
    return [flat[bounds[i] : bounds[i + 1]] for i in range(len(bounds) - 1)]


def first_difference(got: list, expected: list, texts: List[str], what: str) -> None:
    assert len(got) == len(expected), what
    if got != expected:
        i = next(i for i, (g, e) in enumerate(zip(got, expected)) if g != e)
        assert got[i] == expected[i], f"{what}, line {i}: {texts[i]!r}"


# ----- what the files are --------------------------------------------------------------------------------------


def test_the_gguf_files_are_sentencepiece_vocabularies(ggufs):
    llama, phi3, gemma = (_metadata(ggufs[name]) for name in VOCABS)
    for meta, size in ((llama, 32000), (phi3, 32064)):
        assert meta["tokenizer.ggml.model"] == "llama" and meta["tokenizer.ggml.pre"] == "default"
        assert "tokenizer.ggml.merges" not in meta and len(meta["tokenizer.ggml.tokens"]) == size
        assert meta["tokenizer.ggml.token_type"][3:259] == [GGUF_BYTE] * 256
        assert meta["tokenizer.ggml.add_bos_token"] and "tokenizer.ggml.add_space_prefix" not in meta
    assert llama["tokenizer.ggml.tokens"][:32000] == phi3["tokenizer.ggml.tokens"][:32000]  # Phi-3 kept Llama's pieces
    assert base_size(phi3["tokenizer.ggml.token_type"]) == 32000
    assert phi3["tokenizer.ggml.tokens"][32000:32011:10] == ["<|endoftext|>", "<|user|>"]
    assert gemma["tokenizer.ggml.model"] == "gemma4" and "tokenizer.ggml.pre" not in gemma
    assert len(gemma["tokenizer.ggml.tokens"]) == 262144 and len(gemma["tokenizer.ggml.merges"]) == 514906
    assert gemma["tokenizer.ggml.tokens"][238:494] == [f"<0x{b:02X}>" for b in range(256)]
    assert gemma["tokenizer.ggml.add_space_prefix"] is False and gemma["tokenizer.ggml.add_bos_token"]


# ----- llama.cpp's vectors ------------------------------------------------------------------------------------


def test_vectors(tok):
    """The reference on the rebuilt file gives llama.cpp's ids and decodes them back to the text; so do we,
    with and without BOS."""
    texts = [t for t, _ in tok.vectors]
    expected = [ids for _, ids in tok.vectors]
    assert len(texts) == 46 and len(set(texts)) == 46
    assert [e[len(tok.bos) :] for e in tok.encode(texts)] == expected
    assert all(e[: len(tok.bos)] == tok.bos for e in tok.encode(texts))
    assert tok.decode(expected) == texts
    for text, ids in tok.vectors:
        assert tok.ours.encode(text, add_special_tokens=False).ids.tolist() == ids, text
        assert tok.ours.encode(text).ids.tolist() == tok.bos + ids, text
        assert tok.ours.decode(ids) == text
        if tok.is_json:
            both = tok.bos + ids
            assert tok.ours.decode(both, skip_special_tokens=False) == tok.reference.decode(both, skip_special_tokens=False)
    if not tok.is_json:
        with_bos = tokembed.Tokenizer.from_sentencepiece(tok.path, add_bos=True, add_eos=True)
        sp = sentencepiece.SentencePieceProcessor(model_file=str(tok.path), add_bos=True, add_eos=True)
        assert [with_bos.encode(t).ids.tolist() for t in texts] == sp.encode(texts)


# ----- every corpus line -------------------------------------------------------------------------------------


@pytest.mark.parametrize("corpus", CORPORA, ids=lambda p: p.name)
@pytest.mark.parametrize("vocab", VOCABS)
def test_corpus(built, ggufs, vocab, corpus):
    """Every line: ids against the reference (the .model against sentencepiece, the json against HF,
    BOS included), decoding every line's ids against the reference's decoding, and for the json the
    offsets of every 10th line. Llama-2 and Phi-3's two rebuilds also agree with each other."""
    lines = corpus_lines(corpus)
    found = {}
    for name in (f"{vocab}.model", f"{vocab}.json") if vocab != "gemma-4" else ("gemma-4.json",):
        tok = rebuilt(built, ggufs, name)
        expected = tok.encode(lines)
        first_difference(rows(*tok.ours.encode_batch_flat(lines)), expected, lines, f"{name} on {corpus.name}")
        assert tok.ours.decode_batch(expected) == tok.decode(expected), f"{name} decode on {corpus.name}"
        found[name] = [e[len(tok.bos) :] for e in expected]
        if tok.is_json:
            sample = lines[::10]
            theirs = tok.reference.encode_batch(sample)
            for text, e in zip(sample, theirs):
                assert [tuple(o) for o in tok.ours.encode(text).offsets.tolist()] == e.offsets, f"{name}: {text!r}"
    if len(found) == 2:
        first_difference(found[f"{vocab}.json"], found[f"{vocab}.model"], lines, f"{vocab}: json vs .model")


JAPANESE = TEST_DATA / "sentencepiece" / "ja_wagahaiwa_nekodearu_200KB.txt"


def test_whole_documents(tok):
    """The first 100 KB of each corpus as one text, and 50 KB of Japanese prose (mostly byte fallback
    for Llama-2's vocab): ids, decoding and for the json offsets."""
    documents = [c.read_text(encoding="utf-8")[:100_000] for c in CORPORA]
    documents.append(JAPANESE.read_text(encoding="utf-8")[:50_000])
    for document in documents:
        expected = tok.encode([document])[0]
        ours = tok.ours.encode(document)
        assert ours.ids.tolist() == expected, document[:80]
        assert tok.ours.decode(expected) == tok.decode([expected])[0] == document
        if tok.is_json:
            assert [tuple(o) for o in ours.offsets.tolist()] == tok.reference.encode(document).offsets


def test_decoding_any_ids(tok):
    """Arbitrary id lists (byte pieces, control and added tokens, cuts inside characters) decode as the
    reference decodes them."""
    rng = random.Random(13)
    size = tok.ours.vocab_size
    sequences = [[rng.choice((rng.randrange(size), rng.randrange(600), rng.randrange(size - 100, size)))
                  for _ in range(rng.randint(0, 12))] for _ in range(3000)]
    assert tok.ours.decode_batch(sequences) == tok.decode(sequences)
    if tok.is_json:
        assert tok.ours.decode_batch(sequences, skip_special_tokens=False) == tok.reference.decode_batch(
            sequences, skip_special_tokens=False)


# ----- special tokens -----------------------------------------------------------------------------------------


def specials_of(tok: Rebuilt) -> List[str]:
    """Token contents worth writing into text: control, user-defined and unknown tokens, and for Gemma 4
    some of its plain vocab tokens that look like markup."""
    tokens, kinds = tok.meta["tokenizer.ggml.tokens"], tok.meta["tokenizer.ggml.token_type"]
    found = [t for i, t in enumerate(tokens) if kinds[i] in (GGUF_CONTROL, GGUF_USER_DEFINED, GGUF_UNKNOWN)
             and not is_padding(tokens, i)]
    return sorted(set(found + ["<s>", "</s>", "<unk>", "<table>", "<unused7>", "<0x41>", "[multimodal]"]))


def with_specials(lines: List[str], specials: List[str]) -> List[str]:
    out = []
    for k, line in enumerate(lines):
        a, b = specials[k % len(specials)], specials[(7 * k + 3) % len(specials)]
        middle = len(line) // 2
        out.append(a + line[:middle] + b + " " + line[middle:] + a + "\n" + b)
    return out


def test_special_tokens_in_text(tok):
    """Every 200th line of each corpus with special tokens written into it: ids as the reference (a
    .model matches user-defined pieces only, a json every added token, or none with
    split_special_tokens against HF's encode_special_tokens), and decoding with and without them."""
    lines = with_specials([line for c in CORPORA for line in corpus_lines(c)[::200]], specials_of(tok))
    expected = tok.encode(lines)
    first_difference(rows(*tok.ours.encode_batch_flat(lines)), expected, lines, f"{tok.name} with special tokens")
    assert tok.ours.decode_batch(expected) == tok.decode(expected)
    if tok.is_json:
        split = [e.ids for e in tok.hf_split.encode_batch(lines)]
        first_difference(rows(*tok.ours.encode_batch_flat(lines, split_special_tokens=True)), split, lines,
                         f"{tok.name} split_special_tokens")
        assert tok.ours.decode_batch(expected, skip_special_tokens=False) == tok.reference.decode_batch(
            expected, skip_special_tokens=False)
        assert sum(e != s for e, s in zip(expected, split)) > len(lines) // 3  # the tokens were matched


def test_vocabulary(tok):
    size = tok.reference.get_piece_size() if not tok.is_json else tok.reference.get_vocab_size()
    assert tok.ours.vocab_size == size
    piece = tok.reference.id_to_piece if not tok.is_json else tok.reference.id_to_token
    assert [tok.ours.id_to_token(i) for i in range(size)] == [piece(i) for i in range(size)]


# ----- generated text ----------------------------------------------------------------------------------------

FRAGMENTS = ["<s>", "</s>", "<unk>", "<|user|>", "<|end|>", "<|endoftext|>", "<bos>", "<eos>", "<|turn>", "<turn|>",
             "<|tool_call>", '<|"|>', "<table>", "<b>", "<unused0>", "[multimodal]", "<0x41>", "▁", "▁▁", " ", "  ",
             "   ", " " * 40, "\n", "\n\n", "\n" * 35, "\t", "\t\t", "\r\n", "\u3000", "\u00a0", "e\u0301", "ﬁ",
             "日本語", "😀👍🏽", ">▁</", "> </", "\x00", "\ufeff"]
TEXTS = st.lists(st.one_of(st.text(alphabet=ALPHABET, max_size=10), st.sampled_from(FRAGMENTS)), max_size=12).map("".join)


@pytest.mark.parametrize("name", VARIANTS)
@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(text=TEXTS)
def test_generated_text(built, ggufs, name, text):
    tok = rebuilt(built, ggufs, name)
    expected = tok.encode([text])[0]
    assert tok.ours.encode(text).ids.tolist() == expected
    assert tok.ours.decode(expected) == tok.decode([expected])[0]
    if tok.is_json:
        theirs = tok.reference.encode(text)
        assert [tuple(o) for o in tok.ours.encode(text).offsets.tolist()] == theirs.offsets
        assert tok.ours.encode(text, split_special_tokens=True).ids.tolist() == tok.hf_split.encode(text).ids
        cut = expected[1:-1]  # cuts may fall inside a character's bytes
        assert tok.ours.decode(cut, skip_special_tokens=False) == tok.reference.decode(cut, skip_special_tokens=False)
