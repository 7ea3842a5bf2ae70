"""The reference Unigram trainer: ``sentencepiece``'s (``spm_train``), on lines from memory, with
the settings ``tokembed.train_unigram`` mirrors (identity normalization, unknown piece first)."""

from __future__ import annotations

import io

import sentencepiece as spm


def spm_train_unigram(lines, vocab_size, *, byte_fallback=False, character_coverage=0.9995, **extra) -> bytes:
    """The ``.model`` bytes spm_train writes for these lines."""
    out = io.BytesIO()
    spm.SentencePieceTrainer.train(
        sentence_iterator=iter(lines), model_writer=out, vocab_size=vocab_size, model_type="unigram",
        normalization_rule_name="identity", byte_fallback=byte_fallback, character_coverage=character_coverage,
        num_threads=2, minloglevel=2, **extra,
    )
    return out.getvalue()


def processor(model: bytes) -> spm.SentencePieceProcessor:
    return spm.SentencePieceProcessor(model_proto=model)


def tokens_per_byte(model: bytes, lines) -> float:
    lines = [line for line in lines if line]
    return sum(map(len, processor(model).encode(lines))) / sum(len(line.encode("utf-8")) for line in lines)


def pieces(model: bytes) -> set:
    sp = processor(model)
    return {sp.id_to_piece(i) for i in range(sp.get_piece_size())}
