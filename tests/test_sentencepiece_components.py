"""Parity, component by component, of the pipeline pieces a SentencePiece-family tokenizer.json holds.

test_sentencepiece_json.py checks the five real files as they are; this file takes two of them
apart. Each variant starts from a real tokenizer, the botchan Unigram (Precompiled -> Strip ->
Replace normalizers, Metaspace pre-tokenizer and decoder, 1000 pieces) or Mistral v1 legacy (BPE
with byte fallback, Prepend + Replace normalizers, no pre-tokenizer, Replace/ByteFallback/Fuse/
Strip decoders, 32000 pieces), swaps one component, or a few, through the HF Python API
(normalizer, pre-tokenizer, decoder, model) and loads the very JSON HF writes into tokembed. Both
then run on real corpus lines of the five shared corpora and on generated text (rich in "▁",
"<s>", runs of spaces, newlines), and every field is compared with HF: ids, tokens, offsets, type
ids, masks and the decoded text. Decoders see every token, so they are also given arbitrary id
lists (byte pieces, specials, "▁" included). Last, the file tokembed writes must load back in HF
with the same results, and a configuration HF refuses must be refused by tokembed with a
`TokenizerError` that says why.
"""

from __future__ import annotations

import base64
import collections
import functools
import json
import re
from pathlib import Path
from typing import Callable, Dict, List, Tuple

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from tokenizers import Regex
from tokenizers import Tokenizer as HFTokenizer
from tokenizers import decoders, models, normalizers, pre_tokenizers

import tokembed
from test_components_parity import ALPHABET, assert_same, assert_same_on_corpus, first_difference

DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"
SP_DIR = DATA / "tokenizers" / "sentencepiece"
CORPORA = ["de_manpages_3MB.txt", "en_fortunes.txt", "code_python_stdlib_3MB.txt", "en_python_docs_10MB.txt",
           "en_botchan.txt"]
LINES_PER_CORPUS = 60  # 300 lines in all; Mistral variants read every third of them
UNIGRAM = "botchan_en_unigram_1000.tokenizer.json"
MISTRAL = "mistral_v1.legacy.tokenizer.json"
GENERATED_UNIGRAM = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
GENERATED_MISTRAL = settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
GENERATED_IDS = settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@pytest.fixture(scope="session")
def shared_data() -> Path:
    assert SP_DIR.is_dir(), f"reference data not found at {SP_DIR}"
    return DATA


# ----- data -------------------------------------------------------------------------------------

@functools.lru_cache(maxsize=None)
def base_json(name: str) -> str:
    return (SP_DIR / name).read_text(encoding="utf-8")


@functools.lru_cache(maxsize=None)
def base_dict(name: str) -> dict:
    return json.loads(base_json(name))


@functools.lru_cache(maxsize=None)
def charsmap() -> bytes:
    """SentencePiece's precompiled NFKC rules, as the botchan Unigram file carries them."""
    return base64.b64decode(base_dict(UNIGRAM)["normalizer"]["normalizers"][0]["precompiled_charsmap"])


@functools.lru_cache(maxsize=None)
def corpus_lines(name: str) -> List[str]:
    """LINES_PER_CORPUS non-empty lines spread over the whole corpus."""
    lines = [line for line in (DATA / "corpora" / name).read_text(encoding="utf-8").split("\n") if line.strip()]
    return lines[:: max(1, len(lines) // LINES_PER_CORPUS)][:LINES_PER_CORPUS]


@functools.lru_cache(maxsize=None)
def corpus_texts() -> List[str]:
    """Lines of the five corpora interleaved, so that every slice of the list mixes them."""
    per_corpus = [corpus_lines(name) for name in CORPORA]
    return [lines[i] for i in range(LINES_PER_CORPUS) for lines in per_corpus if i < len(lines)]


def texts_for(base: str) -> List[str]:
    return corpus_texts()[::3] if base == MISTRAL else corpus_texts()


@functools.lru_cache(maxsize=None)
def botchan_words() -> List[str]:
    """The 3000 commonest white-space separated words of Botchan, for a WordLevel vocabulary."""
    counts = collections.Counter((DATA / "corpora" / "en_botchan.txt").read_text(encoding="utf-8").split())
    return [w for w, _ in counts.most_common(3000)]


# ----- variants: a real tokenizer with components swapped through the HF API --------------------

def fresh_hf(base: str) -> HFTokenizer:
    hf = HFTokenizer.from_str(base_json(base))
    hf.no_padding()
    hf.no_truncation()
    return hf


def precompiled() -> normalizers.Normalizer:
    return normalizers.Precompiled(charsmap())


def metaspace(scheme: str = "always", split: bool = True) -> pre_tokenizers.PreTokenizer:
    return pre_tokenizers.Metaspace(replacement="▁", prepend_scheme=scheme, split=split)


def llama_decoder() -> decoders.Decoder:
    return decoders.Sequence(
        [decoders.Replace("▁", " "), decoders.ByteFallback(), decoders.Fuse(), decoders.Strip(" ", 1, 0)]
    )


def setting(**components) -> Callable[[HFTokenizer], None]:
    """Set the given components (normalizer=..., pre_tokenizer=..., decoder=..., model=...);
    each value is a factory so that every variant gets objects of its own."""

    def apply(hf):
        for attribute, factory in components.items():
            setattr(hf, attribute, factory())

    return apply


none = lambda: None  # noqa: E731


def unigram_vocab() -> List[Tuple[str, float]]:
    return [(piece, score) for piece, score in base_dict(UNIGRAM)["model"]["vocab"]]


def unigram_with_byte_pieces() -> models.Model:
    """The botchan pieces plus the 256 <0xNN> pieces, with byte_fallback on: a character no piece
    covers becomes the pieces of its UTF-8 bytes instead of <unk>."""
    vocab = unigram_vocab()
    lowest = min(score for _, score in vocab)
    return models.Unigram(vocab + [(f"<0x{b:02X}>", lowest - 1.0) for b in range(256)], 0, True)


def word_level(prefix: str) -> Callable[[], models.Model]:
    def build():
        words = [prefix + w for w in botchan_words()]
        vocab = {"<unk>": 0, "<s>": 1, "</s>": 2}
        for w in words:
            vocab.setdefault(w, len(vocab))
        return models.WordLevel(vocab, "<unk>")

    return build


def mistral_bpe(fuse_unk: bool, byte_fallback: bool) -> Callable[[], models.Model]:
    def build():
        m = base_dict(MISTRAL)["model"]
        return models.BPE(
            m["vocab"], [tuple(x) for x in m["merges"]], unk_token="<unk>", fuse_unk=fuse_unk,
            byte_fallback=byte_fallback,
        )

    return build


def botchan_bpe(fuse_unk: bool) -> Callable[[], models.Model]:
    """The 1000-piece botchan BPE (its vocabulary and merges) with the unknown token: most
    non-English characters are unknown, so fusing matters on every line."""

    def build():
        m = json.loads((SP_DIR / "botchan_en_bpe_1000.tokenizer.json").read_text(encoding="utf-8"))["model"]
        return models.BPE(m["vocab"], [tuple(x) for x in m["merges"]], unk_token="<unk>", fuse_unk=fuse_unk)

    return build


NORMALIZERS: Dict[str, Tuple[str, Callable]] = {
    # the Unigram keeps its Metaspace(always) pre-tokenizer and decoder
    "Precompiled": (UNIGRAM, setting(normalizer=precompiled)),
    "Nmt": (UNIGRAM, setting(normalizer=normalizers.Nmt)),
    "Strip(left)": (UNIGRAM, setting(normalizer=lambda: normalizers.Strip(left=True, right=False))),
    "Strip(right)": (UNIGRAM, setting(normalizer=lambda: normalizers.Strip(left=False, right=True))),
    "Strip(both)": (UNIGRAM, setting(normalizer=lambda: normalizers.Strip(left=True, right=True))),
    "Prepend(▁)": (UNIGRAM, setting(normalizer=lambda: normalizers.Prepend("▁"))),
    "Replace(String ' ' -> ▁)": (UNIGRAM, setting(normalizer=lambda: normalizers.Replace(" ", "▁"))),
    "Replace(String 'th' -> '')": (UNIGRAM, setting(normalizer=lambda: normalizers.Replace("th", ""))),
    "Replace(Regex ' {2,}' -> ▁)": (UNIGRAM, setting(normalizer=lambda: normalizers.Replace(Regex(" {2,}"), "▁"))),
    r"Replace(Regex '\s+' -> ' ')": (UNIGRAM, setting(normalizer=lambda: normalizers.Replace(Regex(r"\s+"), " "))),
    "ByteLevel": (UNIGRAM, setting(normalizer=normalizers.ByteLevel)),
    "NFKC": (UNIGRAM, setting(normalizer=normalizers.NFKC)),
    "None": (UNIGRAM, setting(normalizer=none)),
    "Sequence(Nmt,NFKC)": (
        UNIGRAM, setting(normalizer=lambda: normalizers.Sequence([normalizers.Nmt(), normalizers.NFKC()]))
    ),
    "Sequence(Precompiled,Strip(right),Replace)": (
        UNIGRAM,
        setting(
            normalizer=lambda: normalizers.Sequence(
                [precompiled(), normalizers.Strip(left=False, right=True), normalizers.Replace(Regex(" {2,}"), "▁")]
            )
        ),
    ),
    "Sequence(Nmt,Precompiled,Strip(both),Replace)": (
        UNIGRAM,
        setting(
            normalizer=lambda: normalizers.Sequence(
                [normalizers.Nmt(), precompiled(), normalizers.Strip(), normalizers.Replace(Regex(" {2,}"), "▁")]
            )
        ),
    ),
    "Sequence(NFKC,Precompiled)": (
        UNIGRAM, setting(normalizer=lambda: normalizers.Sequence([normalizers.NFKC(), precompiled()]))
    ),
    "Sequence(Prepend,Replace)+no pre-tokenizer": (
        UNIGRAM,
        setting(
            normalizer=lambda: normalizers.Sequence([normalizers.Prepend("▁"), normalizers.Replace(" ", "▁")]),
            pre_tokenizer=none,
        ),
    ),
    # empty strings: HF's Prepend("") still rewrites the first character (its offsets become
    # (0, 0)), and a pattern that matches the empty string ("^") inserts its content there
    "Prepend('')": (UNIGRAM, setting(normalizer=lambda: normalizers.Prepend(""))),
    "Sequence(Replace(Regex '^' -> ▁),Replace(' ' -> ▁))+no pre-tokenizer": (
        UNIGRAM,
        setting(
            normalizer=lambda: normalizers.Sequence(
                [normalizers.Replace(Regex("^"), "▁"), normalizers.Replace(" ", "▁")]
            ),
            pre_tokenizer=none,
        ),
    ),
    # Mistral: the whole text is one word, so the normalizer decides every "▁"
    "Mistral Sequence(Precompiled,Prepend,Replace)": (
        MISTRAL,
        setting(
            normalizer=lambda: normalizers.Sequence(
                [precompiled(), normalizers.Prepend("▁"), normalizers.Replace(" ", "▁")]
            )
        ),
    ),
    "Mistral Sequence(Nmt,NFKC,Strip,Prepend,Replace)": (
        MISTRAL,
        setting(
            normalizer=lambda: normalizers.Sequence(
                [normalizers.Nmt(), normalizers.NFKC(), normalizers.Strip(), normalizers.Prepend("▁"),
                 normalizers.Replace(" ", "▁")]
            )
        ),
    ),
    "Mistral ByteLevel": (MISTRAL, setting(normalizer=normalizers.ByteLevel)),
    "Mistral None": (MISTRAL, setting(normalizer=none)),
}

PRE_TOKENIZERS: Dict[str, Tuple[str, Callable]] = {
    **{
        f"Metaspace({scheme},split={split})": (
            UNIGRAM, setting(pre_tokenizer=functools.partial(metaspace, scheme, split))
        )
        for scheme in ("always", "first", "never")
        for split in (True, False)
    },
    "Sequence(Metaspace(always),Digits(individual))": (
        UNIGRAM,
        setting(pre_tokenizer=lambda: pre_tokenizers.Sequence([metaspace("always"), pre_tokenizers.Digits(True)])),
    ),
    "Sequence(Metaspace(first),Punctuation)": (
        UNIGRAM,
        setting(pre_tokenizer=lambda: pre_tokenizers.Sequence([metaspace("first"), pre_tokenizers.Punctuation()])),
    ),
    "Sequence(Metaspace(always,split=False),WhitespaceSplit)": (
        UNIGRAM,
        setting(
            pre_tokenizer=lambda: pre_tokenizers.Sequence(
                [metaspace("always", False), pre_tokenizers.WhitespaceSplit()]
            )
        ),
    ),
    "Sequence(Metaspace(never),Punctuation(isolated),Digits(contiguous))": (
        UNIGRAM,
        setting(
            pre_tokenizer=lambda: pre_tokenizers.Sequence(
                [metaspace("never"), pre_tokenizers.Punctuation("isolated"), pre_tokenizers.Digits(False)]
            )
        ),
    ),
    "Sequence(Metaspace(first,split=False),Digits(individual),WhitespaceSplit)": (
        UNIGRAM,
        setting(
            pre_tokenizer=lambda: pre_tokenizers.Sequence(
                [metaspace("first", False), pre_tokenizers.Digits(True), pre_tokenizers.WhitespaceSplit()]
            )
        ),
    ),
    "WhitespaceSplit": (UNIGRAM, setting(pre_tokenizer=pre_tokenizers.WhitespaceSplit)),
    "None": (UNIGRAM, setting(pre_tokenizer=none)),
    # Mistral in its non-legacy form: no normalizer, Metaspace(first) (the metaspace file)
    "Mistral Metaspace(first,split=False)": (
        MISTRAL,
        setting(normalizer=none, pre_tokenizer=lambda: metaspace("first", False),
                decoder=lambda: decoders.Metaspace(prepend_scheme="first", split=False)),
    ),
    "Mistral Metaspace(always,split=True)": (
        MISTRAL, setting(normalizer=none, pre_tokenizer=lambda: metaspace("always", True))
    ),
    "Mistral Sequence(Metaspace(never),Digits(individual))": (
        MISTRAL,
        setting(pre_tokenizer=lambda: pre_tokenizers.Sequence([metaspace("never"), pre_tokenizers.Digits(True)])),
    ),
}

DECODER_CHOICES: Dict[str, Callable] = {
    **{
        f"Metaspace({scheme})": functools.partial(decoders.Metaspace, replacement="▁", prepend_scheme=scheme)
        for scheme in ("always", "first", "never")
    },
    "Sequence(Replace,ByteFallback,Fuse,Strip)": llama_decoder,
    "ByteFallback": decoders.ByteFallback,
    "Fuse": decoders.Fuse,
    "Strip(▁,1,0)": lambda: decoders.Strip("▁", 1, 0),
    "Strip(▁,2,1)": lambda: decoders.Strip("▁", 2, 1),
    "Strip(e,0,3)": lambda: decoders.Strip("e", 0, 3),
    "Replace(String ▁ -> ' ')": lambda: decoders.Replace("▁", " "),
    "Replace(Regex ▁+ -> ' ')": lambda: decoders.Replace(Regex("▁+"), " "),
    "Replace(Regex (\\w)▁ -> '$1 ')": lambda: decoders.Replace(Regex(r"(\w)▁"), "$1 "),
    "Replace(Regex x* -> '-')": lambda: decoders.Replace(Regex("x*"), "-"),  # matches the empty string
    "BPEDecoder(</w>)": lambda: decoders.BPEDecoder("</w>"),
    "BPEDecoder(▁)": lambda: decoders.BPEDecoder("▁"),
    "CTC()": decoders.CTC,
    "CTC(<unk>,▁,cleanup=False)": lambda: decoders.CTC(pad_token="<unk>", word_delimiter_token="▁", cleanup=False),
    "Sequence(ByteFallback,Fuse,Metaspace(first))": lambda: decoders.Sequence(
        [decoders.ByteFallback(), decoders.Fuse(), decoders.Metaspace(prepend_scheme="first")]
    ),
    "Sequence(Metaspace(always),Strip( ,0,1))": lambda: decoders.Sequence(
        [decoders.Metaspace(prepend_scheme="always"), decoders.Strip(" ", 0, 1)]
    ),
    "Sequence(Fuse,Replace(Regex ▁{2,}),Strip(▁,1,1))": lambda: decoders.Sequence(
        [decoders.Fuse(), decoders.Replace(Regex("▁{2,}"), "▁"), decoders.Strip("▁", 1, 1)]
    ),
    "None": none,
}
MISTRAL_DECODERS = [
    "Metaspace(always)", "Metaspace(never)", "Sequence(Replace,ByteFallback,Fuse,Strip)", "ByteFallback", "Fuse",
    "Strip(▁,2,1)", "CTC()", "Sequence(ByteFallback,Fuse,Metaspace(first))", "None",
]
DECODERS: Dict[str, Tuple[str, Callable]] = {
    **{name: (UNIGRAM, setting(decoder=factory)) for name, factory in DECODER_CHOICES.items()},
    **{f"Mistral {name}": (MISTRAL, setting(decoder=DECODER_CHOICES[name])) for name in MISTRAL_DECODERS},
}

MODELS: Dict[str, Tuple[str, Callable]] = {
    "Unigram(file)": (UNIGRAM, setting()),
    "Unigram(api)": (UNIGRAM, setting(model=lambda: models.Unigram(unigram_vocab(), 0, False))),
    "Unigram(byte_fallback,+256 byte pieces)": (
        UNIGRAM, setting(model=unigram_with_byte_pieces, decoder=llama_decoder)
    ),
    "Unigram(byte_fallback,+256 byte pieces,Metaspace decoder)": (UNIGRAM, setting(model=unigram_with_byte_pieces)),
    "Unigram(byte_fallback,no byte pieces)": (
        UNIGRAM, setting(model=lambda: models.Unigram(unigram_vocab(), 0, True))
    ),
    "WordLevel+WhitespaceSplit": (
        UNIGRAM,
        setting(model=word_level(""), normalizer=none, pre_tokenizer=pre_tokenizers.WhitespaceSplit, decoder=none),
    ),
    "WordLevel(▁words)+Metaspace": (UNIGRAM, setting(model=word_level("▁"))),
    "BPE(botchan,fuse_unk=True)": (UNIGRAM, setting(model=botchan_bpe(True))),
    "BPE(botchan,fuse_unk=False)": (UNIGRAM, setting(model=botchan_bpe(False))),
    "Mistral BPE(file: byte_fallback,fuse_unk)": (MISTRAL, setting()),
    "Mistral BPE(byte_fallback,fuse_unk=False)": (MISTRAL, setting(model=mistral_bpe(False, True))),
    "Mistral BPE(no byte_fallback,fuse_unk=True)": (MISTRAL, setting(model=mistral_bpe(True, False))),
    "Mistral BPE(no byte_fallback,fuse_unk=False)": (MISTRAL, setting(model=mistral_bpe(False, False))),
}

PIPELINES: Dict[str, Tuple[str, Callable]] = {
    "Nmt+NFKC+Strip | Metaspace(first,split=False)+Digits | ByteFallback,Fuse,Metaspace(first)": (
        UNIGRAM,
        setting(
            normalizer=lambda: normalizers.Sequence([normalizers.Nmt(), normalizers.NFKC(), normalizers.Strip()]),
            pre_tokenizer=lambda: pre_tokenizers.Sequence([metaspace("first", False), pre_tokenizers.Digits(True)]),
            decoder=DECODER_CHOICES["Sequence(ByteFallback,Fuse,Metaspace(first))"],
            model=unigram_with_byte_pieces,
        ),
    ),
    "Precompiled+Replace(\\s+) | Metaspace(never)+Punctuation | Replace,Strip": (
        UNIGRAM,
        setting(
            normalizer=lambda: normalizers.Sequence([precompiled(), normalizers.Replace(Regex(r"\s+"), " ")]),
            pre_tokenizer=lambda: pre_tokenizers.Sequence([metaspace("never"), pre_tokenizers.Punctuation()]),
            decoder=lambda: decoders.Sequence([decoders.Replace("▁", " "), decoders.Strip(" ", 1, 1)]),
        ),
    ),
    "Mistral Precompiled+Prepend+Replace | WhitespaceSplit | Metaspace(always)": (
        MISTRAL,
        setting(
            normalizer=lambda: normalizers.Sequence(
                [precompiled(), normalizers.Prepend("▁"), normalizers.Replace(" ", "▁")]
            ),
            pre_tokenizer=pre_tokenizers.WhitespaceSplit,
            decoder=lambda: decoders.Sequence([decoders.ByteFallback(), decoders.Metaspace()]),
        ),
    ),
}

VARIANTS: Dict[str, Tuple[str, Callable]] = {
    **{f"normalizer {k}": v for k, v in NORMALIZERS.items()},
    **{f"pre_tokenizer {k}": v for k, v in PRE_TOKENIZERS.items()},
    **{f"decoder {k}": v for k, v in DECODERS.items()},
    **{f"model {k}": v for k, v in MODELS.items()},
    **{f"pipeline {k}": v for k, v in PIPELINES.items()},
}
UNIGRAM_VARIANTS = [name for name, (base, _) in VARIANTS.items() if base == UNIGRAM]
MISTRAL_VARIANTS = [name for name, (base, _) in VARIANTS.items() if base == MISTRAL]
DECODING_VARIANTS = [name for name in VARIANTS if name.startswith(("decoder ", "model ", "pipeline "))]


# ----- HF's Strip decoder panics where the cuts meet ---------------------------------------------
# HF's Strip decoder (tokenizers 0.23, decoders/strip.rs) panics on a token made only of its
# character when the cuts overlap or `stop` exceeds the token's length: "▁" under Strip("▁", 2, 1),
# "e" under Strip("e", 0, 3), any empty token when stop > 0 ("slice index starts at 1 but ends at
# 0", "index out of bounds"). The tokens "▁" and "" are everywhere, so such a pipeline cannot
# decode most texts in HF. tokembed answers instead: up to `start` leading characters go, then up
# to `stop` trailing ones of what is left. For the variants below, the decoder chain is written in
# Python as well; it stands in for HF only where HF panics, and must equal HF everywhere else.

def strip_chain(content: str, start: int, stop: int) -> Callable[[List[str]], List[str]]:
    def chain(tokens: List[str]) -> List[str]:
        out = []
        for token in tokens:
            lead = 0
            while lead < min(start, len(token)) and token[lead] == content:
                lead += 1
            rest = token[lead:]
            trail = 0
            while trail < min(stop, len(rest)) and rest[len(rest) - 1 - trail] == content:
                trail += 1
            out.append(rest[: len(rest) - trail])
        return out

    return chain


def metaspace_chain(scheme: str) -> Callable[[List[str]], List[str]]:
    """HF's Metaspace decoder: "▁" becomes " ", except in the first token, where every "▁" goes
    (unless the scheme is never)."""

    def chain(tokens: List[str]) -> List[str]:
        return [t.replace("▁", "" if i == 0 and scheme != "never" else " ") for i, t in enumerate(tokens)]

    return chain


def then(*steps: Callable[[List[str]], List[str]]) -> Callable[[List[str]], List[str]]:
    def chain(tokens: List[str]) -> List[str]:
        for step in steps:
            tokens = step(tokens)
        return tokens

    return chain


STRIP_CHAINS: Dict[str, Callable[[List[str]], List[str]]] = {
    "decoder Strip(▁,2,1)": strip_chain("▁", 2, 1),
    "decoder Mistral Strip(▁,2,1)": strip_chain("▁", 2, 1),
    "decoder Strip(e,0,3)": strip_chain("e", 0, 3),
    "decoder Sequence(Metaspace(always),Strip( ,0,1))": then(metaspace_chain("always"), strip_chain(" ", 0, 1)),
    "decoder Sequence(Fuse,Replace(Regex ▁{2,}),Strip(▁,1,1))": then(
        lambda ts: ["".join(ts)], lambda ts: [re.sub("▁{2,}", "▁", t) for t in ts], strip_chain("▁", 1, 1)
    ),
    "pipeline Precompiled+Replace(\\s+) | Metaspace(never)+Punctuation | Replace,Strip": then(
        lambda ts: [t.replace("▁", " ") for t in ts], strip_chain(" ", 1, 1)
    ),
}


def is_panic(e: BaseException) -> bool:
    return type(e).__name__ == "PanicException"


class PanicFreeDecode:
    """An HF tokenizer whose decode falls back on the Python decoder chain where HF panics."""

    def __init__(self, hf: HFTokenizer, chain: Callable[[List[str]], List[str]]):
        self.hf, self.chain = hf, chain
        self.specials = {i for i, t in hf.get_added_tokens_decoder().items() if t.special}

    def __getattr__(self, attribute):
        return getattr(self.hf, attribute)

    def decode(self, ids, skip_special_tokens: bool = True) -> str:
        tokens = [self.hf.id_to_token(i) for i in ids if not (skip_special_tokens and i in self.specials)]
        model = "".join(self.chain([t for t in tokens if t is not None]))
        try:
            expected = self.hf.decode(ids, skip_special_tokens=skip_special_tokens)
        except BaseException as e:
            if not is_panic(e):
                raise
            return model
        assert model == expected, f"the Python decoder chain is wrong for {tokens}: {model!r} != HF {expected!r}"
        return expected


def guarded(name: str, hf: HFTokenizer):
    return PanicFreeDecode(hf, STRIP_CHAINS[name]) if name in STRIP_CHAINS else hf


@functools.lru_cache(maxsize=None)
def hf_json_for(name: str) -> str:
    base, apply = VARIANTS[name]
    hf = fresh_hf(base)
    apply(hf)
    return hf.to_str()


@functools.lru_cache(maxsize=None)
def pair_for(name: str) -> Tuple[HFTokenizer, tokembed.Tokenizer]:
    """(HF tokenizer, tokembed tokenizer) of a variant, both loaded from the JSON HF wrote."""
    text = hf_json_for(name)
    hf = HFTokenizer.from_str(text)
    return guarded(name, hf), tokembed.Tokenizer.from_str(text)


# ----- real text --------------------------------------------------------------------------------

@pytest.mark.parametrize("name", list(VARIANTS))
def test_variant_on_corpus(name, shared_data):
    hf, ours = pair_for(name)
    assert_same_on_corpus(hf, ours, texts_for(VARIANTS[name][0]))


@pytest.mark.parametrize("name", list(VARIANTS))
def test_variant_on_a_document(name, shared_data):
    """The lines joined into one text: newlines, long words (the legacy Mistral form makes the
    whole document one word) and offsets far from the start."""
    hf, ours = pair_for(name)
    assert_same(hf, ours, "\n".join(texts_for(VARIANTS[name][0])[:100]))


# ----- generated text ---------------------------------------------------------------------------

SP_FRAGMENTS = [
    "<s>", "</s>", "<unk>", "▁", "▁▁", " ▁", "▁ ", "  ", "   ", " ", "\n", "\n\n", "\r\n", "\t", "[INST]", "[/INST]",
    "<0x41>", "<0xE2>", "</w>", "|", "<pad>", "the", "The", "I", " said", "1234", "3.14", "don't", "…", "ﬁ", "Ａ",
    "\u3000", "\u00a0", "\u200b", "\ufeff", "é", "e\u0301", "日本", "😀", "\x00", "\x7f",
]
SP_TEXT = st.lists(
    st.one_of(st.text(alphabet=ALPHABET, max_size=10), st.sampled_from(SP_FRAGMENTS)), max_size=12
).map("".join)


@pytest.mark.parametrize("name", UNIGRAM_VARIANTS)
@GENERATED_UNIGRAM
@given(text=SP_TEXT, pair=SP_TEXT)
@example(text="  <s>Hello   world  </s>  ", pair="▁▁x ▁ y▁")
@example(text="\u3000ｶﾞ Ａ①ﬁ 12 345", pair="\r\n\x00\x7f\u200b\ufeff\t")
@example(text="", pair=" ")
def test_unigram_variant_on_generated_text(name, text, pair, shared_data):
    hf, ours = pair_for(name)
    assert_same(hf, ours, text)
    assert_same(hf, ours, text, pair)


@pytest.mark.parametrize("name", MISTRAL_VARIANTS)
@GENERATED_MISTRAL
@given(text=SP_TEXT, pair=SP_TEXT)
@example(text="<s>[INST] Hello  wörld [/INST]</s>", pair="  leading and trailing  ")
@example(text="日本語 😀👍🏽 e\u0301 ☃", pair="\r\n\x00\x7f\u200b\ufeff\t")
@example(text="", pair=" ")
def test_mistral_variant_on_generated_text(name, text, pair, shared_data):
    hf, ours = pair_for(name)
    assert_same(hf, ours, text)
    assert_same(hf, ours, text, pair)


# ----- decoding arbitrary ids -------------------------------------------------------------------

DECODE_PIECES = [
    "▁", "<unk>", "<s>", "</s>", "▁the", "s", ".", ",", "\r", "e", "▁I", "▁a", "t", "<0x20>", "<0x0A>", "<0xE2>",
    "<0x96>", "<0x81>", "<0xC3>", "<0xA9>", "<0xF0>", "<0x9F>", "<0x98>", "<0x80>", "<0xFF>", "<0x41>", "▁▁", "|",
]


@functools.lru_cache(maxsize=None)
def interesting_ids(name: str) -> List[int]:
    """Ids of the pieces decoders treat specially (spaces, bytes, specials) in this variant."""
    hf, _ = pair_for(name)
    ids = {i for piece in DECODE_PIECES if (i := hf.token_to_id(piece)) is not None}
    ids |= {i for b in range(256) if (i := hf.token_to_id(f"<0x{b:02X}>")) is not None}
    return sorted(ids)


@pytest.mark.parametrize("name", DECODING_VARIANTS)
@GENERATED_IDS
@given(data=st.data())
def test_decoder_on_generated_ids(name, data, shared_data):
    hf, ours = pair_for(name)
    vocab_size = hf.get_vocab_size(with_added_tokens=True)
    choices = st.integers(0, vocab_size - 1)
    if interesting_ids(name):
        choices = st.one_of(choices, st.sampled_from(interesting_ids(name)))
    ids = data.draw(st.lists(choices, max_size=40))
    for skip in (True, False):
        got = ours.decode(ids, skip_special_tokens=skip)
        expected = hf.decode(ids, skip_special_tokens=skip)
        assert got == expected, (
            f"decode(skip_special_tokens={skip}) of {ids} differs: "
            f"{first_difference(list(got), list(expected))}; ours {got!r}, HF {expected!r}"
        )


PANICKING_PIECES = {
    "decoder Strip(e,0,3)": ["e", "▁the", "e"],
    "decoder Sequence(Fuse,Replace(Regex ▁{2,}),Strip(▁,1,1))": ["▁", "▁"],  # fused, then "▁"
}


@pytest.mark.parametrize("name", list(STRIP_CHAINS))
def test_strip_decoder_answers_where_hf_panics(name, shared_data):
    """The pieces HF's Strip decoder panics on: tokembed strips what it can instead."""
    assert name in VARIANTS
    hf, ours = pair_for(name)
    pieces = PANICKING_PIECES.get(name, ["▁", "▁the", "▁", "▁"])
    ids = [hf.token_to_id(p) for p in pieces]
    with pytest.raises(BaseException) as info:
        hf.hf.decode(ids)
    assert is_panic(info.value), info.value
    for skip in (True, False):
        assert ours.decode(ids, skip_special_tokens=skip) == "".join(STRIP_CHAINS[name](pieces))


# ----- what we write loads back in HF -----------------------------------------------------------

ROUND_TRIP_TEXTS = [
    "<s> Hello  wörld ﬁ 日本 😀\n", "  leading and trailing  ", "▁▁x ▁ y▁", "[INST] 12 345 don't [/INST]</s>", "",
    "\u3000ｶﾞ Ａ①\t\r\n", "☃ snowman ☃☃",
]


@pytest.mark.parametrize("name", list(VARIANTS))
def test_saved_file_loads_in_hf_with_the_same_results(name, shared_data, tmp_path):
    hf, ours = pair_for(name)
    out = tmp_path / "tokenizer.json"
    ours.save(out)
    from_file = guarded(name, HFTokenizer.from_file(str(out)))
    from_str = guarded(name, HFTokenizer.from_str(ours.to_str()))
    texts = ROUND_TRIP_TEXTS + texts_for(VARIANTS[name][0])[:10]
    for text in texts:
        expected = hf.encode(text)
        for reloaded in (from_file, from_str):
            got = reloaded.encode(text)
            assert got.ids == expected.ids, f"{text!r}: {first_difference(got.ids, expected.ids)}"
            assert got.tokens == expected.tokens, f"{text!r}: {first_difference(got.tokens, expected.tokens)}"
            assert got.offsets == expected.offsets, f"{text!r}: {first_difference(got.offsets, expected.offsets)}"
            for skip in (True, False):
                assert reloaded.decode(expected.ids, skip_special_tokens=skip) == hf.decode(
                    expected.ids, skip_special_tokens=skip
                ), text
    again = tokembed.Tokenizer.from_str(ours.to_str())
    for text in texts:
        assert again.encode(text).ids.tolist() == hf.encode(text).ids, text


# ----- Replace patterns only Oniguruma reads ------------------------------------------------------
# HF compiles Replace patterns with Oniguruma, which has look-around and back-references.

ONIGURUMA_PATTERNS: Dict[str, Callable[[HFTokenizer], None]] = {
    "normalizer Replace(Regex look-behind and look-ahead)": setting(
        normalizer=lambda: normalizers.Sequence([precompiled(), normalizers.Replace(Regex(r"(?<=\S) {2,}(?=\S)"), " ")])
    ),
    "normalizer Replace(Regex back-reference)": setting(normalizer=lambda: normalizers.Replace(Regex(r"(\w)\1"), "=")),
    "decoder Replace(Regex look-ahead)": setting(decoder=lambda: decoders.Replace(Regex(r"▁(?=\p{P})"), "")),
}


@pytest.mark.parametrize("name", list(ONIGURUMA_PATTERNS))
def test_replace_with_an_oniguruma_pattern(name, shared_data):
    hf = fresh_hf(UNIGRAM)
    ONIGURUMA_PATTERNS[name](hf)
    ours = tokembed.Tokenizer.from_str(hf.to_str())
    for text in ROUND_TRIP_TEXTS + ["a  b   c", "aa bb  ccc , ! ▁.", "▁ ▁the . x"] + corpus_texts()[:30]:
        assert_same(hf, ours, text)


# ----- configurations HF refuses: tokembed refuses them too, and says why ------------------------

def metaspace_json(**fields) -> dict:
    return {"type": "Metaspace", "replacement": "▁", **fields}


REFUSED: Dict[str, Tuple[str, Callable[[dict], None]]] = {
    # add_prefix_space (the pre-0.19 field) false means "never": any other scheme contradicts it,
    # and so does the default scheme ("always") when none is written
    "Metaspace pre-tokenizer: add_prefix_space false, no prepend_scheme": (
        "pre_tokenizer: add_prefix_space does not match declared prepend_scheme",
        lambda d: d.update(pre_tokenizer=metaspace_json(add_prefix_space=False)),
    ),
    "Metaspace pre-tokenizer: add_prefix_space false, prepend_scheme first": (
        "pre_tokenizer: add_prefix_space does not match declared prepend_scheme",
        lambda d: d.update(pre_tokenizer=metaspace_json(add_prefix_space=False, prepend_scheme="first")),
    ),
    "Metaspace pre-tokenizer in a Sequence: add_prefix_space false, prepend_scheme always": (
        "pre_tokenizer: add_prefix_space does not match declared prepend_scheme",
        lambda d: d.update(
            pre_tokenizer={
                "type": "Sequence",
                "pretokenizers": [
                    metaspace_json(add_prefix_space=False, prepend_scheme="always"),
                    {"type": "Digits", "individual_digits": True},
                ],
            }
        ),
    ),
    "Metaspace decoder: add_prefix_space false, no prepend_scheme": (
        "decoder: add_prefix_space does not match declared prepend_scheme",
        lambda d: d.update(decoder=metaspace_json(add_prefix_space=False)),
    ),
    "Metaspace: replacement of two characters": (
        'pre_tokenizer: invalid value: string "▁▁", expected a character',
        lambda d: d.update(pre_tokenizer={"type": "Metaspace", "replacement": "▁▁", "prepend_scheme": "always"}),
    ),
    "Metaspace: unknown prepend_scheme": (
        "pre_tokenizer: unknown variant `sometimes`",
        lambda d: d.update(pre_tokenizer=metaspace_json(prepend_scheme="sometimes")),
    ),
    "Strip decoder: content of two characters": (
        'decoder: invalid value: string "▁▁", expected a character',
        lambda d: d.update(decoder={"type": "Strip", "content": "▁▁", "start": 1, "stop": 0}),
    ),
    "Strip decoder: negative start": (
        "decoder: invalid value: integer `-1`",
        lambda d: d.update(decoder={"type": "Strip", "content": "▁", "start": -1, "stop": 0}),
    ),
    "Replace normalizer: invalid regex": (
        'normalizer: invalid regex "(["',
        lambda d: d.update(normalizer={"type": "Replace", "pattern": {"Regex": "(["}, "content": "x"}),
    ),
    "Replace decoder: invalid regex": (
        'decoder: invalid regex "(["',
        lambda d: d.update(decoder={"type": "Replace", "pattern": {"Regex": "(["}, "content": " "}),
    ),
    # HF panics on these two (a PanicException, which is not an Exception): refused all the same
    "Precompiled: charsmap not base64": (
        "normalizer: precompiled_charsmap: not base64",
        lambda d: d.update(normalizer={"type": "Precompiled", "precompiled_charsmap": "!!notbase64"}),
    ),
    "Precompiled: charsmap too short": (
        "normalizer: precompiled_charsmap: shorter than 4 bytes",
        lambda d: d.update(normalizer={"type": "Precompiled", "precompiled_charsmap": "AAAA"}),
    ),
    "Unigram: unk_id beyond the vocabulary": (
        "model: unk_id: 5000 is beyond the 1000 pieces",
        lambda d: d["model"].update(unk_id=5000),
    ),
}


@pytest.mark.parametrize("case", list(REFUSED))
def test_configuration_hf_refuses_is_a_tokenizer_error(case, shared_data):
    expected, edit = REFUSED[case]
    d = json.loads(base_json(UNIGRAM))
    edit(d)
    text = json.dumps(d)
    with pytest.raises(BaseException):  # HF panics (PanicException) on a broken charsmap
        HFTokenizer.from_str(text)
    with pytest.raises(tokembed.TokenizerError) as info:
        tokembed.Tokenizer.from_str(text)
    assert str(info.value).startswith(expected), str(info.value)


ACCEPTED_LEGACY: Dict[str, dict] = {
    "add_prefix_space false, prepend_scheme never": metaspace_json(add_prefix_space=False, prepend_scheme="never"),
    "add_prefix_space true, no prepend_scheme": metaspace_json(add_prefix_space=True),
    "str_rep and add_prefix_space (tokenizers < 0.19)": metaspace_json(str_rep="▁", add_prefix_space=True),
    "no split (defaults to true)": metaspace_json(prepend_scheme="first"),
}


@pytest.mark.parametrize("case", list(ACCEPTED_LEGACY))
def test_legacy_metaspace_fields_read_as_hf_reads_them(case, shared_data):
    d = json.loads(base_json(UNIGRAM))
    d["pre_tokenizer"] = ACCEPTED_LEGACY[case]
    d["decoder"] = ACCEPTED_LEGACY[case]
    text = json.dumps(d)
    hf, ours = HFTokenizer.from_str(text), tokembed.Tokenizer.from_str(text)
    for line in ROUND_TRIP_TEXTS + corpus_texts()[:20]:
        assert_same(hf, ours, line)


# Encoding errors: a text that needs an unknown token the model cannot give. HF fails the
# encode call, and so must we (a ValueError naming the character or word), never a wrong id.
ENCODE_REFUSED: Dict[str, Tuple[str, str, Callable[[dict], None]]] = {
    "Unigram without unk_id": (
        "hello ☃ world",
        r"'☃'.*unk_id",
        lambda d: d["model"].update(unk_id=None),
    ),
    "WordLevel whose unk_token is not in the vocabulary": (
        "a b",
        r"not in the vocabulary.*<unk>",
        lambda d: d.update(
            model={"type": "WordLevel", "vocab": {"▁a": 0, "<s>": 1, "</s>": 2}, "unk_token": "<unk>"}
        ),
    ),
    "BPE whose unk_token is not in the vocabulary": (
        "a b",
        r"'b'.*<unk>.*not in the voc",
        lambda d: d.update(
            model={"type": "BPE", "vocab": {"a": 0, "<s>": 1, "</s>": 2, "▁": 3}, "merges": [], "unk_token": "<unk>"}
        ),
    ),
}


@pytest.mark.parametrize("case", list(ENCODE_REFUSED))
def test_text_needing_a_missing_unknown_token_is_an_error(case, shared_data):
    text, message, edit = ENCODE_REFUSED[case]
    d = json.loads(base_json(UNIGRAM))
    edit(d)
    hf, ours = HFTokenizer.from_str(json.dumps(d)), tokembed.Tokenizer.from_str(json.dumps(d))
    with pytest.raises(Exception):
        hf.encode(text)
    with pytest.raises(ValueError, match=message):
        ours.encode(text)
    with pytest.raises(ValueError, match=message):
        ours.encode_batch_flat(["a", text])
    # a text the vocabulary covers still encodes, the same as HF
    covered = "a" if "WordLevel" in case or "BPE" in case else "hello"
    assert_same(hf, ours, covered)


# ByteLevel as a pre-tokenizer maps every byte to a printable character whatever the model (HF
# applies it to a Unigram too: "▁" becomes "âĸģ"); a model other than BPE reads that mapped text.
@pytest.mark.parametrize(
    "pre_tokenizer",
    [
        lambda: pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=False),
        lambda: pre_tokenizers.Sequence(
            [metaspace("always"), pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=False)]
        ),
    ],
    ids=["ByteLevel", "Sequence(Metaspace,ByteLevel)"],
)
def test_byte_level_pre_tokenizer_with_unigram_reads_the_mapped_text(pre_tokenizer):
    hf = HFTokenizer.from_file(str(SP_DIR / "botchan_en_unigram_1000.tokenizer.json"))
    hf.pre_tokenizer = pre_tokenizer()
    ours = tokembed.Tokenizer.from_str(hf.to_str())
    texts = corpus_texts()
    assert_same_on_corpus(hf, ours, texts)
    assert_same(hf, ours, "Grüße, ½ ▁ 12345\n" + "\n".join(texts[:50]))
