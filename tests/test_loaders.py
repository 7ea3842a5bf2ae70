"""Loaders: `.tiktoken` files as tiktoken reads them (Whisper's multilingual file with its empty
token; duplicate ranks, a special id on a rank and missing single bytes refused with a message
that says where), and `Tokenizer.from_file` naming the kind of file it was given when that is not
a tokenizer.json (a SentencePiece model, a .tiktoken file, gzip, ...)."""

from __future__ import annotations

import base64
import gzip
import hashlib
import json
import shutil
from pathlib import Path

import pytest
import sentencepiece
import tiktoken
import tiktoken.load
import tokenizers

import tokembed
from conftest import BERT_JSON, BERT_VOCAB, CORPORA, DATA, corpus_lines

HERE = Path(__file__).parent
WHISPER = HERE / "data" / "multilingual.tiktoken"
WHISPER_SHA256 = "b34b360dbb493e781e479794586d661700670d65564001f23024971d1f2fa126"
GPT2_PATTERN = r"""'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+"""
SENTENCEPIECE = sorted((DATA / "tokenizers" / "sentencepiece").glob("*.model"))


def whisper_specials(n_vocab: int) -> dict:
    """The first of Whisper's special tokens, numbered from the ranks' count as Whisper does."""
    names = ["<|endoftext|>", "<|startoftranscript|>", "<|en|>", "<|zh|>", "<|de|>"]
    return {name: n_vocab + i for i, name in enumerate(names)}


@pytest.fixture(scope="module")
def whisper():
    assert hashlib.sha256(WHISPER.read_bytes()).hexdigest() == WHISPER_SHA256
    ranks = tiktoken.load.load_tiktoken_bpe(str(WHISPER))
    assert ranks[b""] == 50256  # the last line, "= 50256"
    specials = whisper_specials(len(ranks))
    tik = tiktoken.Encoding("multilingual", pat_str=GPT2_PATTERN, mergeable_ranks=ranks, special_tokens=specials)
    ours = tokembed.Tokenizer.from_tiktoken(WHISPER, "gpt2", specials)
    return ours, tik, specials


def corpus_texts(per_corpus: int = 150) -> list:
    texts = []
    for path in CORPORA:
        texts += [line for line in corpus_lines(path)[:per_corpus * 3] if line.strip()][:per_corpus]
    return texts


def test_whisper_multilingual_matches_tiktoken(whisper):
    ours, tik, specials = whisper
    texts = corpus_texts()
    texts += ["Привет, мир! 你好，世界。 こんにちは 🙂👍🏽", "<|endoftext|> x<|startoftranscript|><|en|>"]
    ids, offsets = ours.encode_batch_flat(texts, add_special_tokens=False, split_special_tokens=True)
    for i, text in enumerate(texts):
        want = tik.encode_ordinary(text)
        assert ids[offsets[i]:offsets[i + 1]].tolist() == want, text
        assert ours.decode(want) == tik.decode(want)
    for text in texts[-2:] + texts[:20]:
        want = tik.encode(text, allowed_special="all")
        assert ours.encode_batch_flat([text], add_special_tokens=False)[0].tolist() == want
        assert ours.decode(want, skip_special_tokens=False) == tik.decode(want)
    # The empty token decodes to nothing, in both.
    assert ours.decode_bytes([50256]) == tik.decode_bytes([50256]) == b""
    assert ours.decode([220, 50256, 220]) == tik.decode([220, 50256, 220])
    assert ours.vocab_size == tik.n_vocab == 50257 + len(specials)


def test_whisper_multilingual_round_trips_through_tokenizer_json(whisper, tmp_path):
    ours, tik, _ = whisper
    path = tmp_path / "tokenizer.json"
    ours.save(path)
    again = tokembed.Tokenizer.from_file(path)
    for text in corpus_texts(20) + ["<|endoftext|>!"]:
        assert again.encode_batch_flat([text], add_special_tokens=False)[0].tolist() == tik.encode(text, allowed_special="all")


def ranks_file(tmp_path: Path, extra: list, drop: tuple = ()) -> Path:
    """Every single byte at its own rank (less `drop`), then `extra` (bytes, rank) lines."""
    lines = [f"{base64.b64encode(bytes([b])).decode()} {b}" for b in range(256) if b not in drop]
    lines += [f"{base64.b64encode(t).decode() or '='} {r}" for t, r in extra]
    path = tmp_path / "ranks.tiktoken"
    path.write_text("\n".join(lines) + "\n")
    return path


def tiktoken_of(path: Path, specials: dict) -> tiktoken.Encoding:
    return tiktoken.Encoding("t", pat_str=GPT2_PATTERN, mergeable_ranks=tiktoken.load.load_tiktoken_bpe(str(path)),
                             special_tokens=specials)


def test_a_small_file_with_an_empty_token_matches_tiktoken(tmp_path):
    path = ranks_file(tmp_path, [(b"he", 256), (b"ll", 257), (b"hell", 258), (b"", 259), (b" w", 260)])
    specials = {"<|end|>": 261}
    tik = tiktoken_of(path, specials)
    ours = tokembed.Tokenizer.from_tiktoken(path, "gpt2", specials)
    for text in ["hello world", "hell", " w w<|end|>", "\x00\xff é", ""]:
        want = tik.encode(text, allowed_special="all")
        assert ours.encode_batch_flat([text], add_special_tokens=False)[0].tolist() == want
        assert ours.decode(want, skip_special_tokens=False) == tik.decode(want)
    assert ours.decode_bytes([259, 256]) == tik.decode_bytes([259, 256]) == b"he"


def test_duplicate_ranks_are_refused_like_tiktoken_with_the_lines(tmp_path):
    path = ranks_file(tmp_path, [(b"ab", 256), (b"cd", 256)])
    with pytest.raises(BaseException, match="duplicate token indices"):
        tiktoken_of(path, {})  # tiktoken refuses them too (with a Rust panic)
    with pytest.raises(tokembed.TokenizerError, match=r"ranks\.tiktoken: line 258: rank 256 is already the rank of line 257"):
        tokembed.Tokenizer.from_tiktoken(path, "gpt2", {})


def test_a_token_listed_twice_is_refused_with_the_lines(tmp_path):
    # tiktoken keeps the later rank and leaves the earlier id without a token.
    path = ranks_file(tmp_path, [(b"ab", 256), (b"ab", 257)])
    with pytest.raises(tokembed.TokenizerError, match=r'line 258: token "ab" is already on line 257'):
        tokembed.Tokenizer.from_tiktoken(path, "gpt2", {})


def test_a_special_token_on_a_rank_is_refused(tmp_path):
    path = ranks_file(tmp_path, [(b"ab", 256)])
    # tiktoken accepts it, and then an id means two things: "a" and "<s>" both encode to 97.
    tik = tiktoken_of(path, {"<s>": 97})
    assert tik.encode("a<s>", allowed_special="all") == [97, 97]
    with pytest.raises(tokembed.TokenizerError, match=r'special token "<s>" has id 97, which is the rank of the token "a"'):
        tokembed.Tokenizer.from_tiktoken(path, "gpt2", {"<s>": 97})
    with pytest.raises(tokembed.TokenizerError, match=r'"<s>" and "<t>" both have id 300'):
        tokembed.Tokenizer.from_tiktoken(path, "gpt2", {"<s>": 300, "<t>": 300})


def test_ranks_missing_single_bytes_are_refused(tmp_path):
    path = ranks_file(tmp_path, [(b"ab", 256)], drop=(ord("z"), 0xFF))
    # tiktoken loads such a file and fails on the first text holding the byte.
    tik = tiktoken_of(path, {})
    assert tik.encode("ab") == [256]
    with pytest.raises(BaseException):
        tik.encode("zab")
    with pytest.raises(tokembed.TokenizerError, match=r"no token for the single bytes 0x7a, 0xff: every byte needs a rank"):
        tokembed.Tokenizer.from_tiktoken(path, "gpt2", {})


# ----- from_file on files that are not a tokenizer.json -----------------------------------------


@pytest.mark.parametrize("model", SENTENCEPIECE, ids=lambda p: p.name)
@pytest.mark.parametrize("name", ["tokenizer.model", "spiece.model", "sentencepiece.bpe.model"])
def test_a_sentencepiece_model_loads_from_a_file_or_a_folder(model, name, tmp_path):
    reference = sentencepiece.SentencePieceProcessor(model_file=str(model))
    text = "  Hello wörld,  this is 日本語. "
    expected = reference.encode(text)
    assert tokembed.Tokenizer.from_file(model).encode(text).ids.tolist() == expected
    folder = tmp_path / "model"
    folder.mkdir()
    shutil.copy(model, folder / name)
    assert tokembed.Tokenizer.from_pretrained(folder).encode(text).ids.tolist() == expected
    assert tokembed.Tokenizer.load(folder / name).encode(text).ids.tolist() == expected


def test_a_broken_sentencepiece_model_is_named(tmp_path):
    data = SENTENCEPIECE[0].read_bytes()
    path = tmp_path / "tokenizer.model"
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(tokembed.TokenizerError, match=r"SentencePiece model: not a valid ModelProto") as e:
        tokembed.Tokenizer.from_sentencepiece(path)
    assert str(path) in str(e.value)


def other_files(tmp_path: Path) -> list:
    gz = tmp_path / "tokenizer.json.gz"
    gz.write_bytes(gzip.compress(BERT_JSON.read_bytes()))
    empty = tmp_path / "empty.json"
    empty.write_bytes(b"")
    blank = tmp_path / "blank.json"
    blank.write_text("\n  \n")
    config = tmp_path / "tokenizer_config.json"
    config.write_text(json.dumps({"tokenizer_class": "BertTokenizer", "model_max_length": 512}))
    binary = tmp_path / "weights.bin"
    binary.write_bytes(bytes(range(256)) * 4)
    gpt2 = DATA / "tokenizers" / "gpt2"
    return [
        (gz, "gzip-compressed"),
        (empty, "the file is empty"),
        (blank, "only white space"),
        (gpt2 / "gpt2.tiktoken", r"looks like a \.tiktoken file .*Tokenizer\.from_tiktoken"),
        (WHISPER, r"looks like a \.tiktoken file"),
        (BERT_VOCAB, r"looks like a vocab\.txt .*from_wordpiece_vocab"),
        (gpt2 / "merges.txt", r"looks like a BPE merges\.txt .*from_bpe_files"),
        (gpt2 / "vocab.json", r"looks like a vocab\.json .*from_bpe_files"),
        (config, r"looks like a tokenizer_config\.json"),
        (binary, r"not UTF-8 text \(byte 0x80 at offset 128\)"),
    ]


def test_other_kinds_of_files_are_named(tmp_path):
    for path, message in other_files(tmp_path):
        with pytest.raises(tokembed.TokenizerError, match=message) as e:
            tokembed.Tokenizer.from_file(path)
        assert str(e.value).startswith(str(path)), e.value


def test_tokenizer_json_errors_are_unchanged(tmp_path):
    spec = json.loads(BERT_JSON.read_text())
    spec["model"] = {"type": "Unigram", "unk_id": 5, "vocab": [["a", 0.0]]}
    path = tmp_path / "tokenizer.json"
    path.write_text(json.dumps(spec))
    with pytest.raises(tokembed.TokenizerError, match="unk_id: 5 is beyond the 1 pieces"):
        tokembed.Tokenizer.from_file(path)
    path.write_text(BERT_JSON.read_text()[:5000])
    with pytest.raises(tokembed.TokenizerError, match="not valid JSON"):
        tokembed.Tokenizer.from_file(path)
    hf = tokenizers.Tokenizer.from_file(str(BERT_JSON))
    assert tokembed.Tokenizer.from_file(BERT_JSON).encode("hello").ids.tolist() == hf.encode("hello").ids
