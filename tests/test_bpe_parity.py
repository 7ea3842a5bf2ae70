"""Byte-level BPE (GPT-2, cl100k_base) against tiktoken and HF `tokenizers` on every corpus line."""

from __future__ import annotations

import base64
import gzip

import pytest
import tiktoken
import tiktoken_ext.openai_public as openai_public
from tokenizers import Tokenizer as HFTokenizer

import tokembed
from conftest import CORPORA, DATA, corpus_lines

TOKENIZERS = DATA / "tokenizers"
RANKS = {"r50k_base": TOKENIZERS / "gpt2" / "gpt2.tiktoken", "cl100k_base": TOKENIZERS / "cl100k_base" / "cl100k_base.tiktoken",
         # The built-in o200k_base: bpe-openai's gzip of the file tiktoken expects (test_bpe_families
         # checks it against tiktoken's hash).
         "o200k_base": tokembed.tokenizers.builtin.path("o200k_base")}


def load_ranks(path) -> dict:
    """A `.tiktoken` file (gzip-compressed or not) as tiktoken's loader reads it: base64 token, rank."""
    data = gzip.decompress(path.read_bytes()) if path.suffix == ".gz" else path.read_bytes()
    return {base64.b64decode(token): int(rank) for token, rank in (line.split() for line in data.splitlines() if line)}


def tiktoken_encoding(name: str) -> tiktoken.Encoding:
    """tiktoken's own definition of the encoding (pattern, special tokens), with the ranks read
    from the local file instead of downloaded."""
    original = openai_public.load_tiktoken_bpe
    openai_public.load_tiktoken_bpe = lambda *_, **__: load_ranks(RANKS[name])
    try:
        return tiktoken.Encoding(**getattr(openai_public, name)())
    finally:
        openai_public.load_tiktoken_bpe = original


CASES = {
    "gpt2-tiktoken": (lambda: tokembed.Tokenizer.builtin("gpt2"), lambda: tiktoken_encoding("r50k_base")),
    "cl100k-tiktoken": (lambda: tokembed.Tokenizer.builtin("cl100k_base"), lambda: tiktoken_encoding("cl100k_base")),
    "gpt2-json": (lambda: tokembed.Tokenizer.from_file(TOKENIZERS / "gpt2" / "tokenizer.json"),
                  lambda: HFTokenizer.from_file(str(TOKENIZERS / "gpt2" / "tokenizer.json"))),
    "cl100k-json": (lambda: tokembed.Tokenizer.from_file(TOKENIZERS / "cl100k_base" / "tokenizer.json"),
                    lambda: HFTokenizer.from_file(str(TOKENIZERS / "cl100k_base" / "tokenizer.json"))),
}


def reference_ids(ref, lines):
    if isinstance(ref, tiktoken.Encoding):
        return ref.encode_batch(lines, allowed_special="all")
    return [e.ids for e in ref.encode_batch(lines)]


@pytest.fixture(scope="module", params=sorted(CASES))
def pair(request):
    ours, ref = CASES[request.param]
    return ours(), ref()


@pytest.mark.parametrize("corpus", CORPORA, ids=lambda p: p.name)
def test_every_corpus_line_matches(pair, corpus):
    ours, ref = pair
    lines = corpus_lines(corpus)
    lines = lines + ["<|endoftext|>" + lines[i] + "<|endoftext|>" for i in range(0, len(lines), 50)]
    expected = reference_ids(ref, lines)
    ids, offsets = ours.encode_batch_flat(lines)
    for i, e in enumerate(expected):
        assert ids[offsets[i] : offsets[i + 1]].tolist() == e, f"{corpus.name} line {i}: {lines[i]!r}"


@pytest.mark.parametrize("corpus", CORPORA, ids=lambda p: p.name)
def test_decode_matches(pair, corpus):
    ours, ref = pair
    lines = [line for line in corpus_lines(corpus)[:2000] if line]
    for ids in reference_ids(ref, lines):
        assert ours.decode(ids) == ref.decode(ids)


SPECIAL_TEXTS = ["<|endoftext|>", "a<|endoftext|>b", "x <|fim_prefix|> y <|endofprompt|>", "<|endoftext", "plain"]


@pytest.mark.parametrize("builtin, name", [("gpt2", "r50k_base"), ("cl100k_base", "cl100k_base")])
def test_split_special_tokens_is_encode_ordinary(builtin, name):
    ours = tokembed.Tokenizer.builtin(builtin)
    tik = tiktoken_encoding(name)
    lines = [line for line in corpus_lines(CORPORA[0])[:500]] + SPECIAL_TEXTS
    ids, offsets = ours.encode_batch_flat(lines, split_special_tokens=True)
    assert [ids[offsets[i] : offsets[i + 1]].tolist() for i in range(len(lines))] == tik.encode_ordinary_batch(lines)
    assert ours.count_tokens(lines, split_special_tokens=True).tolist() == [len(t) for t in tik.encode_ordinary_batch(lines)]
    for text in SPECIAL_TEXTS:
        assert ours.encode(text, split_special_tokens=True).ids.tolist() == tik.encode_ordinary(text)
        assert ours.encode(text).ids.tolist() == tik.encode(text, allowed_special="all")
        batch = ours.encode_batch([text], split_special_tokens=True, padding="longest")
        assert batch["input_ids"][0].tolist() == tik.encode_ordinary(text)


def test_split_special_tokens_matches_hf_encode_special_tokens():
    path = TOKENIZERS / "bert-base-uncased" / "tokenizer.json"
    hf = HFTokenizer.from_file(str(path))
    hf.no_padding()
    hf.encode_special_tokens = True
    ours = tokembed.Tokenizer.from_file(path)
    ours.no_padding()
    for text in ["[CLS] hello [SEP] world [MASK]", "[PAD][UNK]", "no specials"]:
        assert ours.encode(text, split_special_tokens=True).ids.tolist() == hf.encode(text).ids


@pytest.mark.parametrize("builtin, name", [("gpt2", "r50k_base"), ("cl100k_base", "cl100k_base")])
def test_decode_bytes_and_stream(builtin, name):
    ours = tokembed.Tokenizer.builtin(builtin)
    tik = tiktoken_encoding(name)
    texts = ["héllo wörld 🙂👍🏽 日本語のテキスト", "plain ascii", "Ünïcödé\n\ttabs", "🙂" * 7]
    texts += [line for line in corpus_lines(CORPORA[1])[:300] if line]
    for text in texts:
        ids = tik.encode_ordinary(text)
        assert ours.decode_bytes(ids) == tik.decode_bytes(ids)
        for cut in range(len(ids)):  # prefixes may end inside a character
            assert ours.decode_bytes(ids[:cut]) == tik.decode_bytes(ids[:cut])
            assert ours.decode(ids[:cut]) == tik.decode(ids[:cut])
        stream = ours.decode_stream()
        pieces = [stream.step(i) for i in ids]
        assert "".join(p for p in pieces if p) + stream.flush() == text
        assert all(p is None or "\ufffd" not in p for p in pieces)


def test_decode_stream_wordpiece_matches_decode():
    tok = tokembed.Tokenizer.builtin("bert-base-uncased")
    for line in [line for line in corpus_lines(CORPORA[2])[:300] if line]:
        ids = tok.encode_batch_flat([line])[0]
        stream = tok.decode_stream()
        pieces = [stream.step(i) for i in ids]
        assert "".join(p for p in pieces if p) + stream.flush() == tok.decode(ids)


@pytest.mark.parametrize("add_prefix_space, trim_offsets", [(False, False), (True, True)])
def test_vocab_json_and_merges_txt_match_hf(add_prefix_space, trim_offsets):
    from tokenizers.implementations import ByteLevelBPETokenizer

    vocab, merges = TOKENIZERS / "gpt2" / "vocab.json", TOKENIZERS / "gpt2" / "merges.txt"
    specials = {"<|endoftext|>": 50256}
    ours = tokembed.Tokenizer.from_bpe_files(vocab, merges, specials, add_prefix_space, trim_offsets)
    hf = ByteLevelBPETokenizer(str(vocab), str(merges), add_prefix_space=add_prefix_space, trim_offsets=trim_offsets)
    hf.add_special_tokens(["<|endoftext|>"])
    lines = [line for corpus in CORPORA for line in corpus_lines(corpus)[:1500]] + SPECIAL_TEXTS
    ids, offsets = ours.encode_batch_flat(lines)
    theirs = hf.encode_batch(lines)
    for i, (line, e) in enumerate(zip(lines, theirs)):
        assert ids[offsets[i] : offsets[i + 1]].tolist() == e.ids, line
    for line, e in list(zip(lines, theirs))[::10]:
        mine = ours.encode(line)
        assert [tuple(o) for o in mine.offsets.tolist()] == e.offsets, line
        assert ours.decode(e.ids) == hf.decode(e.ids)


@pytest.mark.parametrize("prefix, suffix", [("##", None), (None, "</w>"), ("##", "</w>")])
def test_byte_level_bpe_with_a_prefix_or_suffix_gives_hfs_ids(prefix, suffix):
    # HF trains byte-level BPE with a continuing-subword prefix or an end-of-word suffix when asked;
    # the symbols are then not a token's bytes, and the byte-level fast paths must not be taken
    # (they were, and every id was wrong).
    from tokenizers import Tokenizer as HFTok
    from tokenizers import models, pre_tokenizers, trainers

    texts = corpus_lines(DATA / "corpora" / "en_botchan.txt")
    decorations = {k: v for k, v in (("continuing_subword_prefix", prefix), ("end_of_word_suffix", suffix)) if v}
    hf = HFTok(models.BPE(**decorations))
    hf.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=True)
    hf.train_from_iterator(
        texts[:3000],
        trainers.BpeTrainer(vocab_size=2000, initial_alphabet=pre_tokenizers.ByteLevel.alphabet(), show_progress=False, **decorations),
    )
    ours = tokembed.Tokenizer.from_str(hf.to_str())
    docs = texts[3000:5000] + ["ünïcödé 漢字 \x00\x01 emoji 🤗", "   ", "x"]
    want = [hf.encode(d).ids for d in docs]
    assert [list(map(int, ours.encode(d, add_special_tokens=False).ids)) for d in docs] == want
    ids, offsets = ours.encode_batch_flat(docs, add_special_tokens=False)
    assert [ids[offsets[i] : offsets[i + 1]].tolist() for i in range(len(docs))] == want
