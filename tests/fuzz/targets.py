"""What the fuzzer feeds: one function per target, `case(rng)`, that builds a hostile input from
the seeded generator and runs it through tokembed. Returning, or raising an ordinary
`Exception`, is the expected outcome; anything else is a finding (see `run.py`).
"""

from __future__ import annotations

import functools
import json
import pickle
import random
from pathlib import Path

import numpy as np

import tokembed
from mutate import (EXTREME_INTS, NASTY_STRINGS, dumps, mutate_bytes, mutate_json, mutate_lines,
                    mutate_tiktoken_line, mutate_vocab_line, shrink_json)

DATA = Path(__file__).resolve().parents[2].parent / "shared" / "data"
TOKENIZERS = DATA / "tokenizers"
JSON_SEEDS = [
    TOKENIZERS / "bert-base-uncased" / "tokenizer.json",
    TOKENIZERS / "gpt2" / "tokenizer.json",
    TOKENIZERS / "sentencepiece" / "botchan_en_bpe_1000.tokenizer.json",
    TOKENIZERS / "sentencepiece" / "botchan_en_unigram_1000.tokenizer.json",
    TOKENIZERS / "sentencepiece" / "mistral_v1.legacy.tokenizer.json",
]
TEXTS = [
    "Hello, world! Ünïcödé façade — 日本語のテキスト 🙂", "  leading and trailing  ", "", "a" * 300,
    "[CLS] [SEP] [PAD] <|endoftext|> <s></s>", "\u0120\u010a\t\r\n", "1234567890" * 20, "x\u0301\u0302",
    "def f(x):\n    return x ** 2  # code", "https://example.com/a?b=c&d=e",
]


@functools.lru_cache(maxsize=None)
def _json_seed(path: Path) -> dict:
    return shrink_json(json.loads(path.read_text(encoding="utf-8")))


@functools.lru_cache(maxsize=None)
def _lines(path: Path, limit: int) -> list:
    return path.read_text(encoding="utf-8").split("\n")[:limit]


@functools.lru_cache(maxsize=None)
def _builtin(name: str) -> tokembed.Tokenizer:
    return tokembed.Tokenizer.builtin(name)


def random_text(rng: random.Random) -> str:
    if rng.random() < 0.5:
        return rng.choice(TEXTS)
    alphabet = rng.choice(["ab ", "a\u0301 ", " \t\n", "日本 ", "\U0001F600\u200d ", "0123456789", "[]<>|#"])
    return "".join(rng.choice(alphabet) for _ in range(rng.randrange(0, 200)))


def exercise(tok: tokembed.Tokenizer, rng: random.Random) -> None:
    """Uses a tokenizer that loaded: every call must return or raise an ordinary exception."""
    texts = [random_text(rng) for _ in range(rng.randrange(1, 5))]
    calls = [
        lambda: tok.encode(texts[0], texts[-1] if rng.random() < 0.3 else None),
        lambda: tok.encode_batch_flat(texts),
        lambda: tok.count_tokens(texts),
        lambda: tok.encode_batch(texts, max_length=rng.choice([0, 1, 2, 8, 64]), truncation=rng.choice([True, False]),
                                 padding=rng.choice(["longest", "max_length"]), stride=rng.choice([0, 1, 4]),
                                 return_overflowing=rng.random() < 0.5, return_offsets=True),
        lambda: tok.decode(np.array([rng.randrange(0, 70000) for _ in range(rng.randrange(0, 9))])),
        lambda: tok.decode_batch(np.array([[rng.randrange(0, 70000) for _ in range(3)]])),
        lambda: [tok.decode_stream().step(rng.randrange(0, 70000)) for _ in range(3)],
        lambda: tokembed.Tokenizer.from_str(tok.to_str()).encode_batch_flat(texts),
        lambda: pickle.loads(pickle.dumps(tok)).encode_batch_flat(texts),
        lambda: tok.enable_padding(pad_id=rng.choice(EXTREME_INTS), length=rng.choice([None, 4, 2**40])),
        lambda: tok.enable_truncation(rng.choice(EXTREME_INTS), stride=rng.choice(EXTREME_INTS)),
        lambda: tok(texts),
        lambda: [tok.id_to_token(i) for i in (0, 1, -1, 2**40)] + [tok.token_to_id(t) for t in NASTY_STRINGS[:8]],
    ]
    for call in rng.sample(calls, rng.randrange(3, len(calls) + 1)):
        try:
            call()
        except Exception:
            pass  # an ordinary exception is a fine outcome; the caller checks for the others


def tokenizer_json(rng: random.Random) -> None:
    doc = _json_seed(rng.choice(JSON_SEEDS))
    text = dumps(mutate_json(doc, rng), rng)
    if rng.random() < 0.15:
        text = mutate_bytes(text.encode(), rng).decode("utf-8", "replace")
    tok = tokembed.Tokenizer.from_str(text)
    exercise(tok, rng)


def mutated_lines_file(rng: random.Random, tmp: Path, source: Path, limit: int, line_mutator, name: str) -> Path:
    """The first `limit` lines of a real line-based file, mutated line-wise (and sometimes
    byte-wise), written to `tmp/name`."""
    data = "\n".join(mutate_lines(_lines(source, limit), rng, line_mutator)).encode()
    if rng.random() < 0.2:
        data = mutate_bytes(data, rng)
    path = tmp / name
    path.write_bytes(data)
    return path


def tiktoken_file(rng: random.Random, tmp: Path) -> None:
    path = mutated_lines_file(rng, tmp, TOKENIZERS / "gpt2" / "gpt2.tiktoken", 3000, mutate_tiktoken_line,
                              "fuzz.tiktoken")
    pattern = rng.choice(["gpt2", "cl100k_base", "o200k_base", r"\w+|\s+", "(a+)+$", "[", ""])
    specials = rng.choice([None, {"<|endoftext|>": 2999}, {"<|x|>": rng.choice(EXTREME_INTS)}, {"": 5}])
    exercise(tokembed.Tokenizer.from_tiktoken(path, pattern, specials), rng)


def vocab_txt(rng: random.Random, tmp: Path) -> None:
    path = mutated_lines_file(rng, tmp, TOKENIZERS / "bert-base-uncased" / "vocab.txt", 4000, mutate_vocab_line,
                              "vocab.txt")
    exercise(tokembed.Tokenizer.from_wordpiece_vocab(path, lowercase=rng.random() < 0.5), rng)


def hostile_int(rng: random.Random) -> object:
    """Sizes that are either cheap or impossible to allocate, never in between (a fuzzer that
    asks for 16 GB that the machine has would only measure swap)."""
    return rng.choice([0, 1, 2, 3, 7, 64, -1, -(2**31), 2**40, 2**62, 2**63 - 1, 2**64, 1.5, True, None, "3",
                       np.int64(5), np.uint64(2**63), float("nan")])


def hostile_array(rng: random.Random) -> object:
    dtype = rng.choice(["<i8", ">i8", "<i4", ">i4", "u1", "<u8", "i2", "<f4", ">f4", "<f2", ">f2", "<f8", "?", "O"])
    shape = rng.choice([(), (0,), (3,), (2, 3), (1, 0, 4), (4, 4), (2, 3, 4)])
    n = int(np.prod(shape)) if shape else 1
    values = [rng.choice([0, 1, 2, 3, -1, 100, 2**31, 2**40]) for _ in range(n)]
    try:
        arr = np.array(values, dtype=object).astype(dtype).reshape(shape)
    except (OverflowError, ValueError, TypeError):
        arr = np.zeros(shape, dtype=dtype)
    if rng.random() < 0.2 and arr.ndim >= 1 and arr.shape[0] > 1:
        arr = arr[::2]  # not contiguous
    if rng.random() < 0.1:
        return rng.choice([[1, 2], [[1], [2, 3]], "abc", None, 3, [], [2**70]])
    return arr


def api(rng: random.Random) -> None:
    """Embedding, positional and tokenizer calls with hostile arguments."""
    a, b, c = hostile_array(rng), hostile_int(rng), hostile_int(rng)
    table_weights = hostile_array(rng) if rng.random() < 0.3 else \
        np.random.default_rng(rng.randrange(1000)).standard_normal((rng.choice([1, 5, 50]), rng.choice([1, 4, 16]))) \
        .astype(rng.choice(["<f4", ">f4", "<f2", ">f2", "<f8"]))
    tok = _builtin(rng.choice(["bert-base-uncased", "gpt2"]))
    calls = [
        lambda: tokembed.EmbeddingTable(table_weights, padding_idx=rng.choice([None, 0, -1, 2**40])),
        lambda: tokembed.EmbeddingTable.random(b, c, seed=rng.choice([0, -1, 2**64])),
        lambda: tokembed.EmbeddingTable(table_weights).lookup(a),
        lambda: tokembed.EmbeddingTable(table_weights).lookup(hostile_array(rng), out=hostile_array(rng)),
        lambda: tokembed.EmbeddingTable(table_weights).backward(a, hostile_array(rng)),
        lambda: tokembed.EmbeddingTable(table_weights).backward_sparse(a, hostile_array(rng)),
        lambda: tokembed.EmbeddingTable(table_weights).sgd_step(a, hostile_array(rng), lr=rng.choice([0.1, float("nan")])),
        lambda: tokembed.EmbeddingTable(table_weights).nearest(hostile_array(rng), k=b),
        lambda: tokembed.EmbeddingTable(table_weights).logits(hostile_array(rng)),
        lambda: tokembed.InputEmbedder(tokembed.EmbeddingTable(table_weights), position="sinusoidal")(a),
        lambda: tokembed.sinusoidal_table(b, c),
        lambda: tokembed.position_ids(b, c, hostile_int(rng)),
        lambda: tokembed.alibi_slopes(b),
        lambda: tokembed.alibi_bias(b, c, hostile_int(rng)),
        lambda: tokembed.t5_relative_position_bucket(a, bidirectional=rng.random() < 0.5, num_buckets=b, max_distance=c),
        lambda: tokembed.RotaryEmbedding(b, theta=rng.choice([None, 0.0, -1.0, 1e308, float("inf")]),
                                         scaling=rng.choice([None, {}, {"rope_type": "yarn", "factor": b},
                                                             {"rope_type": "dynamic", "factor": 2.0},
                                                             {"rope_type": "llama3", "factor": c}]),
                                         max_position_embeddings=rng.choice([None, 2, 2**40])).apply(a, hostile_array(rng)),
        lambda: tokembed.RotaryEmbedding(8).cos_sin(a, seq_len=b),
        lambda: tok.encode_batch([random_text(rng)], max_length=b, padding=rng.choice(["longest", "max_length"]),
                                 truncation=rng.choice([True, False, "only_second"]), stride=c,
                                 pad_to_multiple_of=hostile_int(rng)),
        lambda: tok.decode(a),
        lambda: tok.decode_batch(a),
        lambda: tok.encode_batch_flat(rng.choice([["a", 3], "abc", [b"bytes"], ["\ud800"], [None], a])),
        lambda: tokembed.set_num_threads(rng.choice([1, 2, b])),
    ]
    for call in rng.sample(calls, rng.randrange(2, 8)):
        try:
            call()
        except Exception:
            pass
    tokembed.set_num_threads(2)


TARGETS = {
    "tokenizer_json": lambda rng, tmp: tokenizer_json(rng),
    "tiktoken": tiktoken_file,
    "vocab_txt": vocab_txt,
    "api": lambda rng, tmp: api(rng),
}
