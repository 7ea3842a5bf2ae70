"""``tokembed.train_unigram`` against ``sentencepiece``'s trainer (the reference the issue names:
tokens per byte on held-out text within 1%) and against the libraries that load its files:
``sentencepiece`` loads the ``.model`` and HF ``tokenizers`` the ``tokenizer.json``, and both
encode as tokembed does."""

from __future__ import annotations

import pickle
import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from tokenizers import Tokenizer as HFTokenizer

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from conftest import DATA, corpus_lines  # noqa: E402
from reference_spm_train import pieces, processor, spm_train_unigram, tokens_per_byte  # noqa: E402

import tokembed  # noqa: E402
from tokembed import _core  # noqa: E402
from tokembed.train import save_sentencepiece, sentencepiece_model  # noqa: E402


def split_held_out(name):
    """Every tenth line held out of training."""
    lines = corpus_lines(DATA / "corpora" / name)
    return [l for i, l in enumerate(lines) if i % 10], [l for i, l in enumerate(lines) if i % 10 == 0]


@pytest.mark.parametrize(
    "name, vocab_size, byte_fallback",
    [
        ("en_botchan.txt", 2_000, False),
        ("en_fortunes.txt", 8_000, False),
        ("de_manpages_3MB.txt", 8_000, False),
        ("code_python_stdlib_3MB.txt", 8_000, False),
        ("de_manpages_3MB.txt", 8_000, True),
    ],
)
def test_tokens_per_byte_on_held_out_text_within_one_percent_of_spm_train(name, vocab_size, byte_fallback):
    train, held = split_held_out(name)
    reference = spm_train_unigram(train, vocab_size, byte_fallback=byte_fallback)
    ours = sentencepiece_model(tokembed.train_unigram(train, vocab_size, byte_fallback=byte_fallback, progress=False))
    ratio = tokens_per_byte(ours, held) / tokens_per_byte(reference, held)
    assert abs(ratio - 1) < 0.01, ratio
    # The same algorithm, not only the same compression: nearly every piece is spm_train's.
    shared = len(pieces(ours) & pieces(reference))
    assert shared >= 0.99 * vocab_size, (shared, vocab_size)
    assert processor(ours).get_piece_size() == vocab_size


def test_ten_megabytes_at_32k_as_spm_train():
    lines = corpus_lines(DATA / "corpora" / "en_python_docs_10MB.txt")
    reference = spm_train_unigram(lines, 32_000)
    ours = sentencepiece_model(tokembed.train_unigram(lines, 32_000, progress=False))
    held = corpus_lines(DATA / "corpora" / "en_fortunes.txt")
    assert abs(tokens_per_byte(ours, held) / tokens_per_byte(reference, held) - 1) < 0.01
    assert len(pieces(ours) & pieces(reference)) >= 0.99 * 32_000


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    """A Unigram with byte fallback, its .model in sentencepiece and its tokenizer.json in HF."""
    train, _ = split_held_out("en_fortunes.txt")
    tok = tokembed.train_unigram(train, 4_000, byte_fallback=True, progress=False)
    folder = tmp_path_factory.mktemp("unigram")
    tok.save(folder / "tokenizer.json")
    save_sentencepiece(tok, folder / "tokenizer.model")
    return tok, folder


def test_the_model_and_json_encode_in_spm_and_hf_as_tokembed(trained):
    tok, folder = trained
    sp = processor((folder / "tokenizer.model").read_bytes())
    hf = HFTokenizer.from_file(str(folder / "tokenizer.json"))
    from_model = tokembed.Tokenizer.from_file(folder / "tokenizer.model")
    _, held = split_held_out("en_fortunes.txt")
    texts = held + corpus_lines(DATA / "corpora" / "de_manpages_3MB.txt")[:2_000] + ["日本語のテキスト 🙂 ünïcödé"]
    for text in texts:
        assert list(from_model.encode(text).ids) == sp.encode(text), text
        assert list(tok.encode(text).ids) == hf.encode(text).ids, text
    # Bytes stand in for characters outside the alphabet, and decode back.
    ids = sp.encode("漢字 🙂")
    assert any(sp.id_to_piece(i).startswith("<0x") for i in ids)
    assert from_model.decode(ids) == sp.decode(ids) == "漢字 🙂"
    assert tok.decode(list(tok.encode("漢字 🙂").ids)) == hf.decode(hf.encode("漢字 🙂").ids)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(text=st.text(st.sampled_from("ab cD\t\n é漢1!,.-'ÅÀ🙂") , max_size=60) | st.text(max_size=30))
def test_generated_texts_encode_as_spm_and_hf(trained, text):
    tok, folder = trained
    sp = processor((folder / "tokenizer.model").read_bytes())
    hf = HFTokenizer.from_file(str(folder / "tokenizer.json"))
    from_model = tokembed.Tokenizer.from_file(folder / "tokenizer.model")
    assert list(from_model.encode(text).ids) == sp.encode(text)
    assert list(tok.encode(text).ids) == hf.encode(text).ids


def test_special_pieces_come_first_and_are_never_learned_from_text():
    lines = corpus_lines(DATA / "corpora" / "en_botchan.txt")
    lines = [f"<s> {line} </s> <mask>" for line in lines]
    specials = ["<pad>", "<unk>", "<s>", "</s>", "<mask>"]
    tok = tokembed.train_unigram(lines, 1_500, special_tokens=specials, progress=False)
    vocab = tok.get_vocab()
    assert [vocab[s] for s in specials] == [0, 1, 2, 3, 4]
    # Marks in the text: no piece holds them or parts of them.
    assert not any(("<s" in t or "mask>" in t) for t, i in vocab.items() if i >= 5)
    sp = processor(sentencepiece_model(tok))
    assert (sp.unk_id(), sp.bos_id(), sp.eos_id(), sp.pad_id()) == (1, 2, 3, 0)
    assert sp.get_piece_size() == 1_500


def test_the_result_is_a_normal_tokenizer(trained):
    tok, folder = trained
    again = pickle.loads(pickle.dumps(tok))
    assert again.get_vocab() == tok.get_vocab()
    reloaded = tokembed.Tokenizer.from_file(folder / "tokenizer.json")
    assert sentencepiece_model(reloaded) == sentencepiece_model(tok) == (folder / "tokenizer.model").read_bytes()
    text = "The unseen sentence, with   extra  spaces. "
    assert list(again.encode(text).ids) == list(tok.encode(text).ids)
    assert tok.decode(list(tok.encode(text).ids)) == "The unseen sentence, with extra spaces."


def test_only_a_trained_unigram_becomes_a_model_file(tmp_path):
    bert = tokembed.Tokenizer.from_file(DATA / "tokenizers" / "bert-base-uncased" / "tokenizer.json")
    with pytest.raises(ValueError, match="not a Unigram tokenizer trained by tokembed"):
        sentencepiece_model(bert)
    unigram = tokembed.Tokenizer.from_file(DATA / "tokenizers" / "sentencepiece" / "botchan_en_unigram_1000.tokenizer.json")
    with pytest.raises(ValueError, match="normalizer or pre-tokenizer"):
        save_sentencepiece(unigram, tmp_path / "x.model")
    assert not (tmp_path / "x.model").exists()
    with pytest.raises(TypeError, match="tokembed.Tokenizer"):
        sentencepiece_model("tokenizer.json")


def test_vocabulary_size_limits_are_clear_errors():
    lines = corpus_lines(DATA / "corpora" / "en_botchan.txt")
    with pytest.raises(ValueError, match="smaller than the alphabet"):
        tokembed.train_unigram(lines, 20, progress=False)
    with pytest.raises(ValueError, match="too high for this text"):
        tokembed.train_unigram(lines, 200_000, progress=False)
    # spm_train refuses both too.
    with pytest.raises(RuntimeError):
        spm_train_unigram(lines, 200_000)


def test_bad_arguments_are_clear_errors():
    with pytest.raises(ValueError, match="vocab_size"):
        tokembed.train_unigram(["a b"], 0)
    with pytest.raises(ValueError, match="unk_token"):
        tokembed.train_unigram(["a b"], 300, unk_token="[UNK]")
    with pytest.raises(ValueError, match="twice"):
        tokembed.train_unigram(["a b"], 300, special_tokens=["<unk>", "<unk>"])
    with pytest.raises(ValueError, match="character_coverage"):
        tokembed.train_unigram(["a b"], 300, character_coverage=0.5)
    with pytest.raises(ValueError, match="shrinking_factor"):
        tokembed.train_unigram(["a b"], 300, shrinking_factor=1.0)
    with pytest.raises(TypeError, match="byte_fallback"):
        tokembed.train_unigram(["a b"], 300, byte_fallback=1)
    with pytest.raises(ValueError, match="max_piece_length"):
        tokembed.train_unigram(["a b"], 300, max_piece_length=0)
    with pytest.raises(ValueError, match="no text"):
        tokembed.train_unigram(["", "   "], 300)
    with pytest.raises(ValueError, match="byte piece"):
        tokembed.train_unigram(["a b"], 300, special_tokens=["<unk>", "<0x41>"], byte_fallback=True)
    counter = _core.WordCounter("gpt2")
    counter.feed(["a b"])
    with pytest.raises(ValueError, match="for_unigram"):
        counter.train_unigram(300, ["<unk>"], "<unk>", False, 0.9995, 1000, 0.75, 2, 16, True, True, False)


def test_documents_of_several_lines_train_as_their_lines(tmp_path):
    # (Without the file's byte order mark, which file reading drops, as `tokembed encode` does.)
    lines = [line.lstrip("\ufeff") for line in corpus_lines(DATA / "corpora" / "en_botchan.txt") if line]
    documents = ["\n".join(lines[i : i + 7]) for i in range(0, len(lines), 7)]
    expected = tokembed.train_unigram(lines, 1_500, progress=False).to_str()
    assert tokembed.train_unigram(documents, 1_500, progress=False).to_str() == expected
    path = tmp_path / "botchan.txt"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    assert tokembed.train_unigram(path, 1_500, progress=False).to_str() == expected


def test_words_longer_than_spm_trains_on_are_left_out():
    lines = corpus_lines(DATA / "corpora" / "en_botchan.txt")
    expected = tokembed.train_unigram(lines, 1_500, progress=False).to_str()
    assert tokembed.train_unigram(lines + ["x" * 5_000 + " " + "y" * 4_193], 1_500, progress=False).to_str() == expected
    with pytest.raises(ValueError, match="no text"):
        tokembed.train_unigram(["z" * 10_000], 300, progress=False)


def test_progress_bar_and_interruption(capsys):
    lines = corpus_lines(DATA / "corpora" / "en_fortunes.txt")
    tokembed.train_unigram(lines, 3_000, progress=True)
    err = capsys.readouterr().err
    assert "count words" in err and "pieces pruned" in err
    seen = []

    def stop(done, total):
        seen.append((done, total))
        raise KeyboardInterrupt

    counter = _core.WordCounter.for_unigram(["<unk>"])
    counter.feed(lines)
    with pytest.raises(KeyboardInterrupt):
        counter.train_unigram(3_000, ["<unk>"], "<unk>", False, 0.9995, 1_000_000, 0.75, 2, 16, True, True, False, stop)
    assert len(seen) == 1
