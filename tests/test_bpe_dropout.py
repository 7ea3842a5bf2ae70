"""BPE-dropout against HF's: exact where HF is deterministic (p = 1 merges nothing, p = 0 is no
dropout), the same distribution where it draws (HF's generator is unseeded, so the mean number
of tokens over many draws is compared), and reproducible under a seed where HF is not.

Real files: GPT-2 (byte-level), Mistral v1 legacy (SentencePiece-style, byte fallback) and the
botchan BPE; real corpus lines.
"""

from __future__ import annotations

import json
import statistics
from pathlib import Path

import pytest
from tokenizers import Tokenizer as HFTokenizer

import tokembed
from test_components_parity import corpus_texts

DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"
FILES = {
    "gpt2": DATA / "tokenizers" / "gpt2" / "tokenizer.json",
    "mistral": DATA / "tokenizers" / "sentencepiece" / "mistral_v1.legacy.tokenizer.json",
    "botchan_bpe": DATA / "tokenizers" / "sentencepiece" / "botchan_en_bpe_1000.tokenizer.json",
}


@pytest.fixture(scope="session")
def shared_data() -> Path:
    assert all(f.is_file() for f in FILES.values()), f"reference data not found under {DATA}"
    return DATA


def lines(n: int = 240):
    return [line for line in corpus_texts() if line.strip()][::7][:n]


def with_dropout(name: str, p) -> str:
    d = json.loads(FILES[name].read_text(encoding="utf-8"))
    d["model"]["dropout"] = p
    return json.dumps(d)


@pytest.mark.parametrize("name", list(FILES))
def test_full_dropout_merges_nothing_as_hf(name, shared_data):
    text = with_dropout(name, 1.0)
    hf, ours = HFTokenizer.from_str(text), tokembed.Tokenizer.from_str(text)
    for line in lines():
        theirs, mine = hf.encode(line), ours.encode(line)
        assert mine.ids.tolist() == theirs.ids, line
        assert [tuple(o) for o in mine.offsets.tolist()] == theirs.offsets, line
    flat, offsets = ours.encode_batch_flat(lines())
    assert [flat[a:b].tolist() for a, b in zip(offsets[:-1], offsets[1:])] == [hf.encode(t).ids for t in lines()]


@pytest.mark.parametrize("name", list(FILES))
def test_zero_dropout_is_no_dropout(name, shared_data):
    plain = tokembed.Tokenizer.from_file(str(FILES[name]))
    zero = tokembed.Tokenizer.from_str(with_dropout(name, 0.0))
    for line in lines():
        assert zero.encode(line).ids.tolist() == plain.encode(line).ids.tolist(), line


@pytest.mark.parametrize("name", ["gpt2", "mistral"])
@pytest.mark.parametrize("p", [0.1, 0.5])
def test_dropout_draws_as_hf_on_average(name, p, shared_data):
    """Mean tokens per run over 12 runs: HF's spread of one run is ~0.5% here, so the means of
    the two must agree within 1.5% (a different skipping rule is off by 10% or more)."""
    texts = lines()
    hf = HFTokenizer.from_str(with_dropout(name, p))
    ours = tokembed.Tokenizer.from_file(str(FILES[name]))
    plain = sum(len(ours.encode(t).ids) for t in texts)
    theirs, mine = [], []
    for seed in range(12):
        ours.set_dropout(p, seed=seed)
        theirs.append(sum(len(hf.encode(t).ids) for t in texts))
        mine.append(sum(len(ours.encode(t).ids) for t in texts))
    assert statistics.mean(theirs) > plain, "dropout must lengthen the encodings"
    assert abs(statistics.mean(mine) - statistics.mean(theirs)) < 0.015 * statistics.mean(theirs), (mine, theirs)


@pytest.mark.parametrize("name", list(FILES))
def test_dropout_tokens_still_spell_the_text(name, shared_data):
    ours = tokembed.Tokenizer.from_file(str(FILES[name]))
    plain = tokembed.Tokenizer.from_file(str(FILES[name]))
    ours.set_dropout(0.3, seed=11)
    vocab = set(ours.get_vocab().values())
    for line in lines():
        enc = ours.encode(line, add_special_tokens=False)
        assert set(enc.ids.tolist()) <= vocab
        expected = plain.decode(plain.encode(line, add_special_tokens=False).ids)
        assert ours.decode(enc.ids) == expected, line


def test_a_seed_reproduces_the_draws_in_any_batch_and_thread_count(shared_data):
    ours = tokembed.Tokenizer.from_file(str(FILES["gpt2"]))
    ours.set_dropout(0.2, seed=5)
    texts = lines() + ["\n".join(lines())]  # one long text too
    single = [ours.encode(t, add_special_tokens=False).ids.tolist() for t in texts]
    before = tokembed.get_num_threads()
    try:
        for threads in (1, 2):
            tokembed.set_num_threads(threads)
            flat, offsets = ours.encode_batch_flat(texts[::-1], add_special_tokens=False)
            rows = [flat[a:b].tolist() for a, b in zip(offsets[:-1], offsets[1:])][::-1]
            assert rows == single, f"{threads} threads"
    finally:
        tokembed.set_num_threads(before)
    ours.set_dropout(0.2, seed=6)
    assert [ours.encode(t, add_special_tokens=False).ids.tolist() for t in texts] != single
    ours.set_dropout(None)
    plain = tokembed.Tokenizer.from_file(str(FILES["gpt2"]))
    assert ours.encode(texts[0]).ids.tolist() == plain.encode(texts[0]).ids.tolist()


def test_dropout_is_saved_for_hf_and_checked(shared_data):
    ours = tokembed.Tokenizer.from_file(str(FILES["mistral"]))
    ours.set_dropout(0.25, seed=1)
    assert json.loads(ours.to_str())["model"]["dropout"] == 0.25
    HFTokenizer.from_str(ours.to_str())  # HF loads what we write
    for bad in (1.5, -0.1):
        with pytest.raises(ValueError, match="dropout"):
            ours.set_dropout(bad)
        with pytest.raises(tokembed.TokenizerError, match=r"model: dropout: .* is not a probability"):
            tokembed.Tokenizer.from_str(with_dropout("mistral", bad))
    wordpiece = tokembed.Tokenizer.from_file(str(DATA / "tokenizers" / "bert-base-uncased" / "tokenizer.json"))
    with pytest.raises(ValueError, match="only a BPE model"):
        wordpiece.set_dropout(0.1)


def test_a_pickled_tokenizer_keeps_its_dropout_and_seed(shared_data):
    """Ray and multiprocessing workers get tokenizers by pickle: the seed must travel too."""
    import pickle

    ours = tokembed.Tokenizer.from_file(str(FILES["gpt2"]))
    ours.set_dropout(0.3, seed=42)
    copy = pickle.loads(pickle.dumps(ours))
    for line in lines(60):
        assert copy.encode(line).ids.tolist() == ours.encode(line).ids.tolist(), line
