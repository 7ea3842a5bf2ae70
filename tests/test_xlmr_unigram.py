"""XLM-R's Unigram: 250,002 pieces with a precompiled (nmt_nfkc) normalizer, rebuilt from llama.cpp's
vocab file of nomic-embed-text-v2-moe (issue 13).

`tests/data/ggml-vocab-nomic-bert-moe.gguf.gz` (see tests/data/README.md) holds XLM-R's vocabulary in
HF's order, scores, piece types and precompiled charsmap. `gguf_vocab.build_xlmr` rebuilds from it, in a
temporary folder:

- a SentencePiece `.model` (XLM-R's `sentencepiece.bpe.model` with HF's ids): reference the
  `sentencepiece` library, ours `Tokenizer.from_sentencepiece`;
- the `tokenizer.json` transformers' XLMRobertaConverter writes: reference HF `tokenizers`, ours
  `Tokenizer.from_file`.

Ours is checked against the reference on every line of every shared corpus and of the Japanese novel
in tests/data/sentencepiece, whole documents, special tokens written into text, pairs, arbitrary id
lists and generated text: ids, decoded text and for the json offsets. The two references are also
checked against each other, every difference explained (see `reference_difference`).
"""

from __future__ import annotations

import json
import random
from dataclasses import dataclass
from pathlib import Path
from typing import List, Optional

import numpy as np
import pytest
import regex  # graphemes (\X); a dependency of tiktoken, in the test extra
import sentencepiece
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from tokenizers import Tokenizer as HFTokenizer

import tokembed
from conftest import CORPORA, corpus_lines
from gguf_vocab import GGUF_CONTROL, GGUF_UNKNOWN, TEST_DATA, XLMR_SIZE, build_xlmr, xlmr_tokenizer_json
from letter_runs import RUN_TEXT
from test_components_parity import ALPHABET, SPACES
from test_gguf_sentencepiece import first_difference, rows

JAPANESE = TEST_DATA / "sentencepiece" / "ja_wagahaiwa_nekodearu_200KB.txt"
SPECIALS = ["<s>", "<pad>", "</s>", "<unk>", "<mask>"]


@dataclass(repr=False)  # its repr would print the 250k-token metadata into every failure report
class XLMR:
    meta: dict
    model_path: Path
    json_path: Path
    sp: sentencepiece.SentencePieceProcessor
    hf: HFTokenizer
    hf_split: HFTokenizer  # the same file with encode_special_tokens on: special tokens in text are text
    ours_model: tokembed.Tokenizer  # from the .model
    ours_json: tokembed.Tokenizer  # from the tokenizer.json

    def __repr__(self) -> str:
        return f"XLMR({self.model_path.name}, {self.json_path.name})"


@pytest.fixture(scope="session")
def xlmr(tmp_path_factory) -> XLMR:
    model, json_path, meta = build_xlmr(tmp_path_factory.mktemp("xlmr"))
    hf, hf_split = HFTokenizer.from_file(str(json_path)), HFTokenizer.from_file(str(json_path))
    hf_split.encode_special_tokens = True
    return XLMR(meta, model, json_path, sentencepiece.SentencePieceProcessor(model_file=str(model)), hf, hf_split,
                tokembed.Tokenizer.from_sentencepiece(model), tokembed.Tokenizer.from_file(json_path))


def spm_form(normalized: str) -> str:
    """HF's normalized text as sentencepiece's normalizer writes it: outer spaces dropped, the dummy prefix,
    "▁" for " " (both collapse runs of spaces)."""
    core = normalized.strip(" ")
    return "▁" + core.replace(" ", "▁") if core else ""


def reference_difference(x: XLMR, text: str, sp_ids: List[int], hf_ids: List[int]) -> Optional[str]:
    """Why HF's ids for `text` (the json, no template, special tokens as text) differ from sentencepiece's
    (the .model), or None if they are the same. Known reasons:

    - the normalizers: HF's Precompiled takes the text a grapheme at a time, a grapheme of 6 UTF-8 bytes
      or more one character at a time ("ｶﾞ" stays "カ" + U+3099, Hangul jamo stay apart, where
      sentencepiece's longest match composes them), a shorter one by the first charsmap entry that
      prefixes it, dropping the rest ("ó" + U+0301 loses its second accent);
    - special tokens written in the text: HF's Unigram lattice holds <s>, <pad>, </s>, <unk>, <mask> as
      pieces scored 0 (the converter's vocab), so even with encode_special_tokens HF takes them, where
      sentencepiece never matches a control piece;
    - trailing white space: the converter's normalizer (Precompiled, Replace(" {2,}", " ")) keeps a final
      space, which Metaspace makes a last "▁" piece; sentencepiece's remove_extra_whitespaces drops it
      (transformers' later SpmConverter adds Strip(right) for this);
    - ties: both split the normalized text into the same pieces in another order, so the same total score.
      sentencepiece keeps float32 path scores, HF float64 ones, where such sums tie exactly: rounding
      decides for sentencepiece, the order of the lattice for HF (runs like "=====", "0.3333").

    Returns a description, or fails naming the text."""
    if sp_ids == hf_ids:
        return None
    if x.sp.normalize(text) != spm_form(x.hf.normalizer.normalize_str(text)):
        assert any(len(g) > 1 for g in regex.findall(r"\X", text)), f"the normalizers disagree on {text!r}"
        return "normalization of a grapheme of several characters"
    if any(special in text for special in SPECIALS):
        return "special tokens in the text"
    reasons = []
    if x.hf.normalizer.normalize_str(text).endswith(" ") and hf_ids[-1:] == [x.sp.piece_to_id("▁")]:
        reasons.append("trailing white space")
        hf_ids = hf_ids[:-1]
    if sp_ids != hf_ids:
        assert sorted(sp_ids) == sorted(hf_ids), f"sentencepiece and HF disagree on {text!r}: {sp_ids} vs {hf_ids}"
        reasons.append("tie")
    return " and ".join(reasons)


# ----- the rebuilt files ----------------------------------------------------------------------------------


def test_the_rebuilds_are_xlmr(xlmr):
    """The .model holds the GGUF's first 250,002 pieces, scores and types as sentencepiece reads them, with
    XLM-R's special ids; the json is what HF itself writes for it (scores compared as float32: HF's JSON
    reader may change the last bit of a float64)."""
    sp, meta = xlmr.sp, xlmr.meta
    tokens, scores, kinds = (meta[f"tokenizer.ggml.{k}"][:XLMR_SIZE] for k in ("tokens", "scores", "token_type"))
    assert sp.get_piece_size() == XLMR_SIZE
    assert [sp.id_to_piece(i) for i in range(XLMR_SIZE)] == tokens
    assert np.array_equal(np.array([sp.get_score(i) for i in range(XLMR_SIZE)], np.float32), np.array(scores, np.float32))
    assert [i for i in range(XLMR_SIZE) if sp.is_control(i)] == [i for i, k in enumerate(kinds) if k == GGUF_CONTROL]
    assert [i for i in range(XLMR_SIZE) if sp.is_unknown(i)] == [i for i, k in enumerate(kinds) if k == GGUF_UNKNOWN]
    assert (sp.bos_id(), sp.pad_id(), sp.eos_id(), sp.unk_id()) == tuple(
        meta[f"tokenizer.ggml.{k}_token_id"] for k in ("bos", "padding", "eos", "unknown"))
    assert sp.piece_to_id("<mask>") == meta["tokenizer.ggml.mask_token_id"]

    written, rewritten = xlmr_tokenizer_json(meta), json.loads(xlmr.hf.to_str())
    for document in (written, rewritten):
        vocab = document["model"].pop("vocab")
        document["model"]["vocab"] = ([t for t, _ in vocab], np.array([s for _, s in vocab], np.float32).tolist())
    assert rewritten == written
    assert xlmr.hf.get_vocab_size() == XLMR_SIZE


def test_vocabulary(xlmr):
    for ours, size, piece in ((xlmr.ours_model, xlmr.sp.get_piece_size(), xlmr.sp.id_to_piece),
                              (xlmr.ours_json, xlmr.hf.get_vocab_size(), xlmr.hf.id_to_token)):
        assert ours.vocab_size == size
        assert [ours.id_to_token(i) for i in range(size)] == [piece(i) for i in range(size)]
        assert [ours.token_to_id(piece(i)) for i in range(0, size, 997)] == list(range(0, size, 997))


# ----- every line ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("corpus", CORPORA + [JAPANESE], ids=lambda p: p.name)
def test_corpus(xlmr, corpus):
    """Every line: the .model's ids against sentencepiece's and the json's (with <s> ... </s>) against HF's,
    each decoding against its reference's decoding, and the json's offsets on every 10th line. Then the
    two references against each other (HF without the template)."""
    lines = corpus_lines(corpus)
    expected_sp = xlmr.sp.encode(lines)
    first_difference(rows(*xlmr.ours_model.encode_batch_flat(lines)), expected_sp, lines, f".model on {corpus.name}")
    assert xlmr.ours_model.decode_batch(expected_sp) == xlmr.sp.decode(expected_sp), f".model decode on {corpus.name}"

    theirs = xlmr.hf.encode_batch(lines)
    expected_hf = [e.ids for e in theirs]
    first_difference(rows(*xlmr.ours_json.encode_batch_flat(lines)), expected_hf, lines, f"json on {corpus.name}")
    assert xlmr.ours_json.decode_batch(expected_hf) == xlmr.hf.decode_batch(expected_hf), f"json decode on {corpus.name}"
    for text, e in list(zip(lines, theirs))[::10]:
        assert [tuple(o) for o in xlmr.ours_json.encode(text).offsets.tolist()] == e.offsets, text

    for text, s, h in zip(lines, expected_sp, expected_hf):
        reference_difference(xlmr, text, s, h[1:-1])


@pytest.mark.parametrize("kind", ["model", "json"])
def test_whole_documents(xlmr, kind):
    """The first 100 KB of each corpus and 50 KB of the Japanese novel, each as one text: the best
    path's running score passes -100,000 many times, where sentencepiece (0.2.2 on) resets it. The
    .model also gets the whole novel twice without spaces, one word over 256 KB."""
    documents = [c.read_text(encoding="utf-8")[:100_000] for c in CORPORA]
    documents.append(JAPANESE.read_text(encoding="utf-8")[:50_000])
    if kind == "model":
        # One word of 390 KB (the novel twice, spaces taken out): settled as it is read.
        documents.append("".join((JAPANESE.read_text(encoding="utf-8") * 2).split()))
    for document in documents:
        if kind == "model":
            expected = xlmr.sp.encode(document)
            assert xlmr.ours_model.encode(document).ids.tolist() == expected, document[:80]
            # The ids-only path cuts the text into cached words: the same ids, resets included.
            assert xlmr.ours_model.encode_batch_flat([document])[0].tolist() == expected, document[:80]
            assert xlmr.ours_model.decode(expected) == xlmr.sp.decode(expected)
            continue
        theirs = xlmr.hf.encode(document)
        ours = xlmr.ours_json.encode(document)
        assert ours.ids.tolist() == theirs.ids, document[:80]
        assert [tuple(o) for o in ours.offsets.tolist()] == theirs.offsets
        assert xlmr.ours_json.decode(theirs.ids) == xlmr.hf.decode(theirs.ids)


@pytest.mark.parametrize("run", [1000, 4000])
def test_lines_after_a_long_unknown_run(xlmr, run):
    """Every 200th corpus line after `run` characters the vocabulary lacks (one <unk>, scored min - 10 per
    character), so the best path's running score is about -30 * run before the line starts. Unigram cuts
    of (almost) equal score are decided by float rounding, which depends on that running score: the
    .model against sentencepiece, the json against HF."""
    unknown = next(chr(c) for c in range(0x1F9FF, 0x1F000, -1) if xlmr.sp.encode(chr(c)) == [6, xlmr.sp.unk_id()])
    lines = [line for c in CORPORA for line in corpus_lines(c)[::200] if line.strip()]
    texts = [unknown * run + " " + line for line in lines]
    what = f"after {run} x U+{ord(unknown):X}"
    first_difference(rows(*xlmr.ours_model.encode_batch_flat(texts)), xlmr.sp.encode(texts), lines, f".model {what}")
    expected = [e.ids for e in xlmr.hf.encode_batch(texts)]
    first_difference(rows(*xlmr.ours_json.encode_batch_flat(texts)), expected, lines, f"json {what}")


# ----- special tokens, pairs, BOS/EOS, any ids ---------------------------------------------------------------


def with_specials(lines: List[str]) -> List[str]:
    out = []
    for k, line in enumerate(lines):
        a, b = SPECIALS[k % 5], SPECIALS[(3 * k + 2) % 5]
        middle = len(line) // 2
        out.append(a + line[:middle] + "  " + b + " " + line[middle:] + " " + a + "\n" + b)
    return out


def test_special_tokens_in_text(xlmr):
    """Every 100th corpus line with <s>, <pad>, </s>, <unk>, <mask> written into it (after spaces, which
    <mask>'s lstrip takes): the .model matches none (they are control pieces, as sentencepiece does), the
    json all five (as HF does), or none with split_special_tokens (HF's encode_special_tokens)."""
    lines = with_specials([line for c in CORPORA for line in corpus_lines(c)[::100]])
    expected = xlmr.sp.encode(lines)
    first_difference(rows(*xlmr.ours_model.encode_batch_flat(lines)), expected, lines, ".model with special tokens")
    assert xlmr.ours_model.decode_batch(expected) == xlmr.sp.decode(expected)

    theirs = xlmr.hf.encode_batch(lines)
    expected = [e.ids for e in theirs]
    first_difference(rows(*xlmr.ours_json.encode_batch_flat(lines)), expected, lines, "json with special tokens")
    split = [e.ids for e in xlmr.hf_split.encode_batch(lines)]
    first_difference(rows(*xlmr.ours_json.encode_batch_flat(lines, split_special_tokens=True)), split, lines,
                     "json split_special_tokens")
    assert sum(e != s for e, s in zip(expected, split)) == len(lines)  # every line had its tokens matched
    for text, e in zip(lines[::5], theirs[::5]):
        assert [tuple(o) for o in xlmr.ours_json.encode(text).offsets.tolist()] == e.offsets, text
    assert xlmr.ours_json.decode_batch(expected) == xlmr.hf.decode_batch(expected)
    assert xlmr.ours_json.decode_batch(expected, skip_special_tokens=False) == xlmr.hf.decode_batch(
        expected, skip_special_tokens=False)


def test_pairs_and_bos_eos(xlmr):
    """Pairs through the json's "<s> $A </s> </s> $B </s>" (ids, type ids, offsets), and the .model with
    add_bos/add_eos against sentencepiece's."""
    lines = [line for c in CORPORA for line in corpus_lines(c)[::500]]
    pairs = list(zip(lines, lines[1:] + lines[:1]))
    for a, b in pairs:
        theirs, ours = xlmr.hf.encode(a, b), xlmr.ours_json.encode(a, b)
        assert ours.ids.tolist() == theirs.ids, (a, b)
        assert ours.type_ids.tolist() == theirs.type_ids
        assert [tuple(o) for o in ours.offsets.tolist()] == theirs.offsets
    both = tokembed.Tokenizer.from_sentencepiece(xlmr.model_path, add_bos=True, add_eos=True)
    sp = sentencepiece.SentencePieceProcessor(model_file=str(xlmr.model_path), add_bos=True, add_eos=True)
    first_difference(rows(*both.encode_batch_flat(lines)), sp.encode(lines), lines, ".model with BOS and EOS")


def test_decoding_any_ids(xlmr):
    """Arbitrary id lists (the special ids, <mask>, any piece) decode as each reference decodes them."""
    rng = random.Random(13)
    sequences = [[rng.choice((rng.randrange(XLMR_SIZE), rng.randrange(300), rng.randrange(XLMR_SIZE - 3, XLMR_SIZE)))
                  for _ in range(rng.randint(0, 12))] for _ in range(3000)]
    assert xlmr.ours_model.decode_batch(sequences) == xlmr.sp.decode(sequences)
    for skip in (True, False):
        assert xlmr.ours_json.decode_batch(sequences, skip_special_tokens=skip) == xlmr.hf.decode_batch(
            sequences, skip_special_tokens=skip)


# ----- generated text ---------------------------------------------------------------------------------------

FRAGMENTS = SPECIALS + ["<MASK>", "< mask>", "▁", "▁▁", " ", "  ", "   ", " " * 30, "\n", "\n\n", "\n" * 20, "\t",
                        " \t \n ", "\r\n", "\u3000", "\u00a0", "\u200b", "\ufeff", "e\u0301", "\u0301\u0301", "ﬁ", "①",
                        "Ⅻ", "ｶﾞ", "\u1100\u1161", "o\u0301\u0301", "日本語", "中文字符", "한국어", "😀👍🏽", "👨\u200d👩\u200d👧", "\x00", "\x07", "\x1f",
                        "\x7f", "\u0085", "====", "0.3333333", "...", "ーー", "ーーーー"]
TEXTS = st.lists(st.one_of(st.text(alphabet=ALPHABET, max_size=10), st.sampled_from(FRAGMENTS + SPACES)),
                 max_size=14).map("".join)


@settings(max_examples=1000, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(text=TEXTS)
def test_generated_text(xlmr, text):
    expected_sp = xlmr.sp.encode(text)
    assert xlmr.ours_model.encode(text).ids.tolist() == expected_sp
    assert xlmr.ours_model.decode(expected_sp) == xlmr.sp.decode(expected_sp)

    theirs = xlmr.hf.encode(text)
    ours = xlmr.ours_json.encode(text)
    assert ours.ids.tolist() == theirs.ids
    assert [tuple(o) for o in ours.offsets.tolist()] == theirs.offsets
    split = xlmr.hf_split.encode(text, add_special_tokens=False).ids
    assert xlmr.ours_json.encode(text, add_special_tokens=False, split_special_tokens=True).ids.tolist() == split
    for skip in (True, False):
        assert xlmr.ours_json.decode(theirs.ids, skip_special_tokens=skip) == xlmr.hf.decode(
            theirs.ids, skip_special_tokens=skip)
    reference_difference(xlmr, text, expected_sp, split)


@settings(max_examples=500, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(text=RUN_TEXT)
@example(text="ии\u0306е\u0308 日本\u3099 абв")
def test_runs_of_letters_with_marks(xlmr, text):
    """Runs of Latin-1, Cyrillic, Hebrew, Arabic and CJK letters (which the `.model` normalizer
    passes but for the last of each run) broken by combining marks, kana, voicing marks, Greek:
    ids and decoded text as sentencepiece gives them, and as HF gives them for the
    `tokenizer.json`."""
    expected_sp = xlmr.sp.encode(text)
    assert xlmr.ours_model.encode(text).ids.tolist() == expected_sp
    assert xlmr.ours_model.decode(expected_sp) == xlmr.sp.decode(expected_sp)
    assert xlmr.ours_json.encode(text).ids.tolist() == xlmr.hf.encode(text).ids


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_glued_cjk_pieces_ids_only(xlmr, data):
    """The .model's ids-only batch path cuts text without spaces between two characters no piece
    has side by side and caches the parts: texts glued from XLM-R's own CJK pieces (overlapping
    across the glue), their characters and characters it lacks, against sentencepiece."""
    pieces = [xlmr.sp.id_to_piece(i) for i in range(0, xlmr.sp.get_piece_size(), 7)]
    cjk = sorted(p for p in pieces if len(p) >= 2 and all("\u3040" <= c <= "\u9fff" for c in p))
    chosen = random.Random(7).sample(cjk, 300)
    fragments = chosen + sorted({c for p in chosen for c in p}) + ["\ue000", "\ue000\ue001", "。", "，", " ", "x"]
    texts = data.draw(st.lists(st.lists(st.sampled_from(fragments), max_size=60).map("".join), min_size=1, max_size=6))
    flat, offsets = xlmr.ours_model.encode_batch_flat(texts)
    assert [flat[offsets[i] : offsets[i + 1]].tolist() for i in range(len(texts))] == xlmr.sp.encode(texts), texts
