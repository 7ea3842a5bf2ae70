"""``tokembed.train_wordpiece`` against HF ``tokenizers``' WordPieceTrainer. HF numbers the ``##``
characters in its hash order, which changes between runs and decides ties; given HF's order (read
from its result), the vocabulary and ids must be HF's exactly. Without it, a run is reproducible."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from tokenizers import BertWordPieceTokenizer
from tokenizers import Tokenizer as HFTokenizer

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from conftest import DATA, corpus_lines  # noqa: E402
from reference_hf_train import hf_train_wordpiece, prefixed_order  # noqa: E402

import tokembed  # noqa: E402
from tokembed.train import save_vocab  # noqa: E402


def as_hf(texts, vocab_size, **options):
    hf = hf_train_wordpiece(texts, vocab_size, **options)
    ours = tokembed.train_wordpiece(texts, vocab_size, continuing_order=prefixed_order(hf), progress=False, **options)
    return ours, hf


@pytest.mark.parametrize(
    "name, vocab_size, options",
    [
        ("en_botchan.txt", 3_000, {}),
        ("de_manpages_3MB.txt", 8_000, dict(limit_alphabet=200, lowercase=False)),
        ("code_python_stdlib_3MB.txt", 6_000, dict(min_frequency=5, special_tokens=["[UNK]", "[SEP]", "[CLS]"])),
        ("en_fortunes.txt", 4_000, dict(min_frequency=0, initial_alphabet=["é", "ß", "λ"])),
        ("en_python_docs_10MB.txt", 30_000, {}),
    ],
)
def test_vocabulary_and_ids_as_hf_given_its_order(name, vocab_size, options):
    texts = corpus_lines(DATA / "corpora" / name)
    ours, hf = as_hf(texts, vocab_size, **options)
    assert ours.get_vocab() == hf.get_vocab()


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    texts=st.lists(st.text(st.sampled_from("ab cD\tdé漢1!,.-'ÅÀ"), max_size=50) | st.text(max_size=20), min_size=1, max_size=30),
    vocab_size=st.integers(10, 200),
    min_frequency=st.integers(0, 3),
    lowercase=st.booleans(),
)
def test_generated_texts_as_hf_given_its_order(texts, vocab_size, min_frequency, lowercase):
    hf = hf_train_wordpiece(texts, vocab_size, min_frequency=min_frequency, lowercase=lowercase)
    try:
        ours = tokembed.train_wordpiece(
            texts, vocab_size, min_frequency=min_frequency, lowercase=lowercase,
            continuing_order=prefixed_order(hf), progress=False,
        )
    except ValueError as e:
        assert "no text to train on" in str(e)
        assert set(hf.get_vocab()) <= {"[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"}
        return
    assert ours.get_vocab() == hf.get_vocab()


def test_without_an_order_a_run_is_reproducible_and_close_to_hf():
    texts = corpus_lines(DATA / "corpora" / "de_manpages_3MB.txt")
    previous = tokembed.get_num_threads()
    try:
        tokembed.set_num_threads(1)
        one = tokembed.train_wordpiece(texts, 5_000, progress=False).get_vocab()
        tokembed.set_num_threads(2)
        two = tokembed.train_wordpiece(iter(texts), 5_000, progress=False).get_vocab()
    finally:
        tokembed.set_num_threads(previous)
    assert one == two
    # The ## characters come in code point order right after the alphabet.
    singles = [t for t in sorted(one, key=one.get) if t.startswith("##") and len(t) == 3]
    assert singles == sorted(singles)
    # HF's own runs differ from each other by a few dozen tokens here; so do we from one of them.
    hf = hf_train_wordpiece(texts, 5_000).get_vocab()
    assert len(one) == len(hf) and len(set(one) ^ set(hf)) < 0.02 * len(hf)


def test_trained_tokenizer_encodes_as_hf_loads_it_and_as_its_vocab_txt(tmp_path):
    text = (DATA / "corpora" / "en_botchan.txt").read_text(encoding="utf-8")
    train, held = text[: len(text) // 2].split("\n"), text[len(text) // 2 :].split("\n")
    ours = tokembed.train_wordpiece(train, 2_500, progress=False)
    hf = HFTokenizer.from_str(ours.to_str())
    save_vocab(ours, tmp_path / "vocab.txt")
    from_txt = BertWordPieceTokenizer(str(tmp_path / "vocab.txt"), lowercase=True)
    ours_txt = tokembed.Tokenizer.from_wordpiece_vocab(tmp_path / "vocab.txt")
    pairs = list(zip(held[:400], held[400:800]))
    for doc in held[:2000] + ["Unseen ünïcödé 漢字 words!!", ""]:
        want = hf.encode(doc).ids
        assert want[0] == ours.token_to_id("[CLS]") and want[-1] == ours.token_to_id("[SEP]")
        assert list(ours.encode(doc).ids) == want
        assert from_txt.encode(doc).ids == want
        assert list(ours_txt.encode(doc).ids) == want
    for a, b in pairs:
        assert list(ours.encode(a, b).ids) == hf.encode(a, b).ids


def test_bad_arguments_are_clear_errors():
    with pytest.raises(ValueError, match="continuing_subword_prefix"):
        tokembed.train_wordpiece(["a b"], 100, continuing_subword_prefix="")
    with pytest.raises(ValueError, match="limit_alphabet"):
        tokembed.train_wordpiece(["a b"], 100, limit_alphabet=-1)
    with pytest.raises(ValueError, match="initial_alphabet"):
        tokembed.train_wordpiece(["a b"], 100, initial_alphabet=["ab"])
    with pytest.raises(ValueError, match="continuing_order"):
        tokembed.train_wordpiece(["a b"], 100, continuing_order=["xy"])
    with pytest.raises(TypeError, match="strip_accents"):
        tokembed.train_wordpiece(["a b"], 100, strip_accents="yes")
    with pytest.raises(ValueError, match="vocab_size"):
        tokembed.train_wordpiece(["a b"], 0)
    with pytest.raises(ValueError, match="no text"):
        tokembed.train_wordpiece(["   ", ""], 100)
    with pytest.raises(TypeError):
        save_vocab("bert", "x.txt")
