"""Shared fixtures: the real data in ../shared/data and reference tokenizers."""

from __future__ import annotations

from pathlib import Path

import pytest

DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"
BERT_DIR = DATA / "tokenizers" / "bert-base-uncased"
BERT_JSON = BERT_DIR / "tokenizer.json"
BERT_VOCAB = BERT_DIR / "vocab.txt"
CORPORA = sorted((DATA / "corpora").glob("*.txt"))


def corpus_lines(path: Path) -> list[str]:
    return path.read_text(encoding="utf-8").split("\n")


@pytest.fixture(scope="session")
def data_dir() -> Path:
    assert DATA.is_dir(), f"reference data not found at {DATA}"
    return DATA
