"""``tokembed train``: the files it writes, read back, and its errors."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from tiktoken.load import load_tiktoken_bpe

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from conftest import DATA, corpus_lines  # noqa: E402

import tokembed  # noqa: E402
from tokembed.cli import main  # noqa: E402
from tokembed.train import tiktoken_ranks  # noqa: E402

CORPUS = DATA / "corpora" / "en_fortunes.txt"


def test_writes_the_tokenizer_train_bpe_gives_and_its_ranks(tmp_path, capsys):
    out = tmp_path / "tok"
    args = [str(CORPUS), "--vocab-size", "1200", "--pattern", "o200k_base", "--special-token", "<|endoftext|>", "-o", str(out)]
    assert main(["train", *args]) == 0
    assert "distinct words" in capsys.readouterr().err
    expected = tokembed.train_bpe(corpus_lines(CORPUS), 1200, pattern="o200k_base", special_tokens=["<|endoftext|>"], progress=False)
    written = tokembed.Tokenizer.from_file(out / "tokenizer.json")
    assert written.to_str() == expected.to_str()
    assert load_tiktoken_bpe(str(out / "tokenizer.tiktoken")) == tiktoken_ranks(expected)
    assert sorted(p.name for p in out.iterdir()) == ["tokenizer.json", "tokenizer.tiktoken"]
    # Files in the way are kept unless --overwrite.
    assert main(["train", *args, "-q"]) == 2
    assert "--overwrite" in capsys.readouterr().err
    assert main(["train", *args, "-q", "--overwrite", "--vocab-size", "600"]) == 0
    assert tokembed.Tokenizer.from_file(out / "tokenizer.json").vocab_size == 600


def test_bad_input_is_reported_with_file_and_line(tmp_path, capsys):
    bad = tmp_path / "bad.txt"
    bad.write_bytes(b"fine text here\n\xc3\x28 broken\n")
    assert main(["train", str(bad), "--vocab-size", "300", "-o", str(tmp_path / "a"), "--errors", "strict"]) == 2
    assert f"{bad}:2" in capsys.readouterr().err
    assert not (tmp_path / "a").exists()
    assert main(["train", str(bad), "--vocab-size", "300", "-o", str(tmp_path / "b")]) == 0
    err = capsys.readouterr().err
    assert f"{bad}:2: invalid UTF-8" in err and "replaced" in err
    assert main(["train", str(tmp_path / "none.txt"), "--vocab-size", "300", "-o", str(tmp_path / "c")]) == 2
    assert "no such file" in capsys.readouterr().err


def test_runs_as_a_command_from_standard_input(tmp_path):
    text = CORPUS.read_text(encoding="utf-8")
    done = subprocess.run(
        [sys.executable, "-m", "tokembed", "train", "-", "--vocab-size", "500", "-o", str(tmp_path), "-q"],
        input=text.encode(),
        capture_output=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    expected = tokembed.train_bpe([line for line in text.split("\n")], 500, progress=False)
    assert tokembed.Tokenizer.from_file(tmp_path / "tokenizer.json").to_str() == expected.to_str()


def test_rejects_a_file_as_output(tmp_path, capsys):
    target = tmp_path / "file"
    target.write_text("x")
    assert main(["train", str(CORPUS), "--vocab-size", "300", "-o", str(target)]) == 2
    assert "is a file" in capsys.readouterr().err


@pytest.mark.parametrize("bad", [["--vocab-size", "0"], ["--vocab-size", "300", "--pattern", "(x"]])
def test_bad_options_exit_with_a_message(tmp_path, capsys, bad):
    assert main(["train", str(CORPUS), "-o", str(tmp_path / "o"), *bad]) == 2
    assert "tokembed: error:" in capsys.readouterr().err


def test_wordpiece_writes_the_tokenizer_train_wordpiece_gives_and_its_vocab_txt(tmp_path):
    out = tmp_path / "wp"
    assert main(["train", str(CORPUS), "--model", "wordpiece", "--vocab-size", "2000", "--limit-alphabet", "300", "-o", str(out), "-q"]) == 0
    expected = tokembed.train_wordpiece(corpus_lines(CORPUS), 2000, limit_alphabet=300, progress=False)
    written = tokembed.Tokenizer.from_file(out / "tokenizer.json")
    assert written.get_vocab() == expected.get_vocab()
    by_id = sorted(expected.get_vocab().items(), key=lambda kv: kv[1])
    assert (out / "vocab.txt").read_text(encoding="utf-8").split("\n")[:-1] == [t for t, _ in by_id]
    assert [t for t, _ in by_id[:5]] == ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]
    cased = tmp_path / "cased"
    assert main(["train", str(CORPUS), "--model", "wordpiece", "--cased", "--vocab-size", "2000", "-o", str(cased), "-q"]) == 0
    assert tokembed.Tokenizer.from_file(cased / "tokenizer.json").get_vocab() == tokembed.train_wordpiece(
        corpus_lines(CORPUS), 2000, lowercase=False, progress=False
    ).get_vocab()


def test_unigram_writes_the_tokenizer_train_unigram_gives_and_its_sentencepiece_model(tmp_path):
    import sentencepiece as spm

    from tokembed.train import sentencepiece_model

    out = tmp_path / "uni"
    args = ["train", str(CORPUS), "--model", "unigram", "--vocab-size", "1500", "--byte-fallback", "-o", str(out), "-q"]
    assert main(args) == 0
    expected = tokembed.train_unigram(corpus_lines(CORPUS), 1500, byte_fallback=True, progress=False)
    written = tokembed.Tokenizer.from_file(out / "tokenizer.json")
    assert written.to_str() == expected.to_str()
    assert (out / "tokenizer.model").read_bytes() == sentencepiece_model(expected)
    sp = spm.SentencePieceProcessor(model_file=str(out / "tokenizer.model"))
    assert [sp.id_to_piece(i) for i in range(3)] == ["<unk>", "<s>", "</s>"] and sp.get_piece_size() == 1500
    # Special tokens given: the unknown one is <unk> when present, else the first.
    custom = tmp_path / "custom"
    args = ["train", str(CORPUS), "--model", "unigram", "--vocab-size", "1500", "--special-token", "[UNK]",
            "--special-token", "[CLS]", "-o", str(custom), "-q"]
    assert main(args) == 0
    sp = spm.SentencePieceProcessor(model_file=str(custom / "tokenizer.model"))
    assert (sp.unk_id(), sp.id_to_piece(0), sp.id_to_piece(1)) == (0, "[UNK]", "[CLS]")
    assert main(["train", str(CORPUS), "--model", "unigram", "--vocab-size", "1500", "--character-coverage", "0.5",
                 "-o", str(tmp_path / "bad"), "-q"]) == 2
