"""RotaryEmbedding pickles (for DataLoader workers, Ray, multiprocessing) and comes back giving
identical outputs; DecodeStream steps in amortised O(new bytes) and gives exactly what it gave
when it re-decoded every pending id (compared with that straightforward reference and with HF
`tokenizers`' DecodeStream)."""

from __future__ import annotations

import copy
import pickle
from typing import List, Optional

import numpy as np
import pytest
from tokenizers import Tokenizer as HfTokenizer
from tokenizers.decoders import DecodeStream as HfDecodeStream

import tokembed
from tokembed import RotaryEmbedding
from tokembed.tokenizer import DecodeStream
from conftest import BERT_JSON, CORPORA, DATA, corpus_lines

ROPES = [
    dict(head_dim=64),
    dict(head_dim=64, theta=500000.0, layout="interleaved"),
    dict(head_dim=32, scaling={"rope_type": "linear", "factor": 4.0}),
    dict(head_dim=32, scaling={"type": "linear", "factor": 2.0, "rope_theta": 1e6}),
    dict(head_dim=64, scaling={"rope_type": "dynamic", "factor": 2.0}, max_position_embeddings=64),
    dict(head_dim=64, scaling={"rope_type": "yarn", "factor": 4.0, "original_max_position_embeddings": 32,
                               "beta_fast": 16, "beta_slow": 2, "mscale": 0.9, "mscale_all_dim": 0.8}),
    dict(head_dim=64, scaling={"rope_type": "yarn", "original_max_position_embeddings": 16},
         max_position_embeddings=128, layout="interleaved"),
    dict(head_dim=128, theta=500000.0, layout="interleaved",
         scaling={"rope_type": "llama3", "factor": 8.0, "low_freq_factor": 1.0, "high_freq_factor": 4.0,
                  "original_max_position_embeddings": 64}),
    dict(head_dim=80, partial_rotary_factor=0.4, theta=np.float32(25000.0)),
    dict(head_dim=64, scaling={"rope_type": "default", "partial_rotary_factor": 0.5, "rope_theta": np.float64(1e4)}),
]


@pytest.mark.parametrize("kwargs", ROPES, ids=[f"rope{i}" for i in range(len(ROPES))])
def test_rotary_embedding_pickles_and_gives_identical_outputs(kwargs):
    rope = RotaryEmbedding(**kwargs)
    rng = np.random.default_rng(0)
    x = rng.standard_normal((2, 40, 3, rope.head_dim)).astype(np.float32)
    x64 = x.astype(np.float64)
    positions = np.arange(40) * 3 + 5
    copies = [pickle.loads(pickle.dumps(rope, protocol=p)) for p in range(pickle.HIGHEST_PROTOCOL + 1)]
    copies += [copy.deepcopy(rope), copy.copy(rope), pickle.loads(pickle.dumps(copies[-1]))]
    for other in copies:
        assert type(other) is RotaryEmbedding and repr(other) == repr(rope)
        for name in ("head_dim", "rotary_dim", "theta", "layout", "partial_rotary_factor",
                     "max_position_embeddings", "rope_type", "attention_scaling"):
            assert getattr(other, name) == getattr(rope, name), name
        assert other.inv_freq.tobytes() == rope.inv_freq.tobytes() and not other.inv_freq.flags.writeable
        for seq_len in (None, 100, 1000):
            a, b = rope.frequencies(seq_len), other.frequencies(seq_len)
            assert a[0].tobytes() == b[0].tobytes() and a[1] == b[1]
            for u, v in zip(rope.cos_sin(positions, seq_len=seq_len), other.cos_sin(positions, seq_len=seq_len)):
                assert u.tobytes() == v.tobytes()
        assert other.apply(x, positions).tobytes() == rope.apply(x, positions).tobytes()
        assert other.apply(x64, positions, seq_len=500).tobytes() == rope.apply(x64, positions, seq_len=500).tobytes()


def test_rotary_embedding_from_hf_config_pickles():
    config = {"hidden_size": 256, "num_attention_heads": 4, "rope_theta": 1e6, "max_position_embeddings": 4096,
              "partial_rotary_factor": 0.5, "rope_scaling": {"type": "dynamic", "factor": 3.0}}
    rope = RotaryEmbedding.from_hf_config(config, layout="interleaved")
    again = pickle.loads(pickle.dumps(rope))
    x = np.random.default_rng(1).standard_normal((1, 9, 2, 64))
    positions = np.arange(5000, 5009)
    assert again.apply(x, positions).tobytes() == rope.apply(x, positions).tobytes()


# ----- DecodeStream ---------------------------------------------------------------------------


class ReferenceDecodeStream:
    """DecodeStream as it was: decodes the context and every pending id at each step."""

    CONTEXT = 4

    def __init__(self, tokenizer, skip_special_tokens=True):
        self._tokenizer = tokenizer
        self._skip = skip_special_tokens
        self._ids: List[int] = []
        self._emitted = ""

    def step(self, id: int) -> Optional[str]:
        self._ids.append(int(id))
        text = self._tokenizer.decode(self._ids, self._skip)
        if len(text) <= len(self._emitted) or text.endswith("\ufffd"):
            return None
        return self._advance(text)

    def flush(self) -> str:
        text = self._tokenizer.decode(self._ids, self._skip)
        return self._advance(text) if len(text) > len(self._emitted) else ""

    def _advance(self, text: str) -> str:
        assert text.startswith(self._emitted)
        new_text = text[len(self._emitted):]
        self._ids = self._ids[-self.CONTEXT:]
        self._emitted = self._tokenizer.decode(self._ids, self._skip)
        return new_text


def run(stream, ids):
    return [stream.step(i) for i in ids] + [stream.flush()]


def byte_ids(tok: tokembed.Tokenizer, n: int, seed: int) -> List[int]:
    """Ids mixing single-byte tokens (lead, continuation and invalid bytes, so that texts end
    inside characters and hold invalid sequences), multi-byte tokens, whole words, an
    <|endoftext|>, and tokens of a real text."""
    rng = np.random.default_rng(seed)
    single = [tok.token_to_id(tokembed_byte_char(b)) for b in range(256)]
    assert None not in single
    words = tok.encode_batch_flat([" hello wörld 🙂 日本 ✓"], add_special_tokens=False)[0].tolist()
    real = tok.encode_batch_flat([corpus_lines(CORPORA[1])[7]], add_special_tokens=False)[0].tolist()
    eot = tok.token_to_id("<|endoftext|>")
    pools = [
        [single[b] for b in range(0x80, 0xC0)],  # continuation bytes
        [single[b] for b in (0xC3, 0xE2, 0xE6, 0xF0, 0xF4)],  # lead bytes
        [single[b] for b in (0xC0, 0xC1, 0xF5, 0xFF, 0xED)],  # never valid / surrogate lead
        [single[b] for b in range(0x20, 0x7F)],
        words, real, [eot],
    ]
    weights = np.array([6, 4, 2, 2, 2, 2, 1], dtype=float)
    out = []
    for _ in range(n):
        pool = pools[rng.choice(len(pools), p=weights / weights.sum())]
        out.append(int(pool[rng.integers(len(pool))]))
    return out


def tokembed_byte_char(b: int) -> str:
    """GPT-2's byte alphabet: the token string of a single byte."""
    printable = list(range(ord("!"), ord("~") + 1)) + list(range(ord("¡"), ord("¬") + 1)) + list(range(ord("®"), ord("ÿ") + 1))
    extra = [x for x in range(256) if x not in printable]
    return chr(b) if b in printable else chr(256 + extra.index(b))


@pytest.mark.parametrize("name", ["gpt2", "cl100k_base"])
@pytest.mark.parametrize("skip", [True, False])
def test_decode_stream_steps_are_exactly_the_reference_on_generated_ids(name, skip):
    tok = tokembed.Tokenizer.builtin(name)
    for seed in range(30):
        ids = byte_ids(tok, 300, seed)
        assert run(tok.decode_stream(skip), ids) == run(ReferenceDecodeStream(tok, skip), ids), seed


def test_decode_stream_matches_hf_decode_stream_on_valid_text():
    # HF's DecodeStream holds text back while it ends in U+FFFD, as ours does; on real text
    # (every character completed eventually) the pieces are the same.
    hf = HfTokenizer.from_file(str(DATA / "tokenizers" / "gpt2" / "tokenizer.json"))
    tok = tokembed.Tokenizer.from_file(DATA / "tokenizers" / "gpt2" / "tokenizer.json")
    texts = ["héllo wörld 🙂👍🏽 日本語のテキスト", "🙂" * 9, "Ünïcödé\n\ttabs"]
    texts += [line for line in corpus_lines(CORPORA[1])[:200] if line]
    for text in texts:
        ids = hf.encode(text, add_special_tokens=False).ids
        theirs = HfDecodeStream(skip_special_tokens=False)
        want = [theirs.step(hf, i) for i in ids]
        ours = tok.decode_stream(skip_special_tokens=False)
        got = [ours.step(i) for i in ids]
        assert got == want, text
        assert "".join(p for p in got if p) + ours.flush() == text


def test_decode_stream_wordpiece_is_unchanged():
    tok = tokembed.Tokenizer.from_file(BERT_JSON)
    for line in [line for line in corpus_lines(CORPORA[2])[:100] if line]:
        ids = tok.encode_batch_flat([line])[0].tolist()
        ids = ids[:3] + [0, 0, 101, 102] + ids[3:]
        for skip in (True, False):
            assert run(tok.decode_stream(skip), ids) == run(ReferenceDecodeStream(tok, skip), ids)


class CountingTokenizer:
    """A tokenizer whose decode calls count the ids they are given."""

    def __init__(self, tok):
        self._tok = tok
        self.ids_decoded = 0

    def decode(self, ids, skip_special_tokens=True):
        self.ids_decoded += len(ids)
        return self._tok.decode(ids, skip_special_tokens)

    def decode_bytes(self, ids, skip_special_tokens=True):
        self.ids_decoded += len(ids)
        return self._tok.decode_bytes(ids, skip_special_tokens)

    def __getattr__(self, name):
        return getattr(self._tok, name)


@pytest.mark.parametrize("n", [2000, 20000])
def test_decode_stream_of_invalid_bytes_is_linear(n):
    tok = tokembed.Tokenizer.builtin("gpt2")
    invalid = tok.token_to_id(tokembed_byte_char(0x80))  # a lone continuation byte: U+FFFD
    counting = CountingTokenizer(tok)
    stream = DecodeStream(counting)
    pieces = [stream.step(invalid) for _ in range(n)]
    assert pieces == [None] * n
    assert stream.step(tok.token_to_id("a")) == "\ufffd" * n + "a"
    assert stream.flush() == ""
    # Each step decodes a bounded number of ids (the reference decoded n * (n + 1) / 2).
    assert counting.ids_decoded <= 10 * (n + 1)
