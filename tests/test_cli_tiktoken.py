"""`--tokenizer` given a `.tiktoken` file with its `--pattern`, in `tokembed encode` and
`tokembed tokenize`; and `Tokenizer.load` of such a file."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest

import tokembed
from conftest import CORPORA, DATA, corpus_lines

GPT2_RANKS = DATA / "tokenizers" / "gpt2" / "gpt2.tiktoken"
CL100K_RANKS = DATA / "tokenizers" / "cl100k_base" / "cl100k_base.tiktoken"


def run(*args, cwd, stdin=None):
    return subprocess.run([sys.executable, "-m", "tokembed", *map(str, args)], cwd=cwd, input=stdin,
                          capture_output=True, text=True)


def test_encode_with_a_tiktoken_file_gives_the_builtin_ids(tmp_path):
    lines = [line for line in corpus_lines(CORPORA[0])[:300] if line]
    (tmp_path / "in.txt").write_text("\n".join(lines) + "\n", encoding="utf-8")
    # The file names no special tokens: the EOS appended is one of its own ids, here "\n" (198).
    done = run("encode", "in.txt", "-o", "out", "--tokenizer", GPT2_RANKS, "--pattern", "gpt2",
               "--append-eos", "--eos-id", "198", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    ids, offsets = tokembed.Tokenizer.builtin("gpt2").encode_batch_flat(lines, split_special_tokens=True)
    expected = np.insert(ids, offsets[1:], 198)
    assert np.fromfile(tmp_path / "out.bin", dtype=np.uint16).tolist() == expected.tolist()
    meta = json.loads((tmp_path / "out.meta.json").read_text())
    assert meta["tokenizer"]["name"] == f"{GPT2_RANKS.resolve()} (pattern gpt2)"


def test_tokenize_with_a_tiktoken_file(tmp_path):
    done = run("tokenize", "--tokenizer", CL100K_RANKS, "--pattern", "cl100k_base", "--json", "hello world",
               cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["ids"] == tokembed.Tokenizer.builtin("cl100k_base").encode("hello world").ids.tolist()


def test_a_tiktoken_file_needs_its_pattern(tmp_path):
    done = run("encode", "-", "-o", "out", "--tokenizer", GPT2_RANKS, cwd=tmp_path, stdin="hello\n")
    assert done.returncode != 0 and "needs its split pattern (--pattern)" in done.stderr
    with pytest.raises(ValueError, match="needs its split pattern"):
        tokembed.Tokenizer.load(GPT2_RANKS)
    with pytest.raises(ValueError, match="a pattern is for .tiktoken files"):
        tokembed.Tokenizer.load("gpt2", pattern="gpt2")
    tok = tokembed.Tokenizer.load(GPT2_RANKS, pattern="gpt2")
    assert tok.encode("hello world").ids.tolist() == [31373, 995]
