"""Shared fixtures: the real data in ../shared/data and reference tokenizers."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import tokembed

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


def load_npz(path: Path) -> dict:
    """Every array of an ``.npz`` file (the golden outputs), read once."""
    with np.load(path) as archive:
        return {name: archive[name] for name in archive.files}


@pytest.fixture
def restore_threads():
    """Puts the thread count back after a test that changes it."""
    before = tokembed.get_num_threads()
    yield
    tokembed.set_num_threads(before)
