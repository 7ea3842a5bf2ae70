"""Parity, component by component, of every pipeline piece a BERT-family tokenizer.json can hold.

Each variant starts from the real bert-base-uncased tokenizer, swaps one component through the
HF Python API (normalizer, pre-tokenizer, added tokens, post-processor, decoder), and loads the
very JSON HF writes into tokembed. Both are then run on real corpus lines and on generated text,
and every field of the result is compared with HF: ids, tokens, offsets, type ids, special
tokens mask, attention mask, and the decoded text with and without special tokens.
"""

from __future__ import annotations

import functools
import json
from pathlib import Path
from typing import Callable, Dict, List, Optional

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from tokenizers import AddedToken, Regex
from tokenizers import Tokenizer as HFTokenizer
from tokenizers import decoders, normalizers, pre_tokenizers, processors

import tokembed

DATA = Path(__file__).parents[1].parent / "shared" / "data"
CORPUS_LINES = 2000
GENERATED = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@pytest.fixture(scope="session")
def shared_data() -> Path:
    assert DATA.is_dir(), f"reference data not found at {DATA}"
    return DATA


@functools.lru_cache(maxsize=None)
def bert_json_text() -> str:
    return (DATA / "tokenizers" / "bert-base-uncased" / "tokenizer.json").read_text(encoding="utf-8")


@functools.lru_cache(maxsize=None)
def corpus(name: str) -> List[str]:
    with open(DATA / "corpora" / name, encoding="utf-8") as f:
        lines = [line.rstrip("\n") for _, line in zip(range(CORPUS_LINES), f)]
    return [line for line in lines if line.strip()]


def corpus_texts() -> List[str]:
    return corpus("de_manpages_3MB.txt") + corpus("en_fortunes.txt") + corpus("code_python_stdlib_3MB.txt")


@functools.lru_cache(maxsize=None)
def long_document() -> str:
    """About 200 KB of real text in one string: long inputs take other code paths (chunking)."""
    return "\n".join(corpus_texts())


# ----- variants: the real BERT tokenizer with one component changed through the HF API -----------

def fresh_hf() -> HFTokenizer:
    hf = HFTokenizer.from_str(bert_json_text())
    hf.no_padding()
    hf.no_truncation()
    return hf


def with_normalizer(n) -> Callable[[HFTokenizer], None]:
    def apply(hf):
        hf.normalizer = n

    return apply


def with_pre_tokenizer(p) -> Callable[[HFTokenizer], None]:
    def apply(hf):
        hf.pre_tokenizer = p

    return apply


def with_post_processor(p) -> Callable[[HFTokenizer], None]:
    def apply(hf):
        hf.post_processor = p

    return apply


def with_decoder(d) -> Callable[[HFTokenizer], None]:
    def apply(hf):
        hf.decoder = d

    return apply


BERT_NORMALIZERS: Dict[str, Callable] = {
    f"Bert(clean={c},chinese={h},strip={s},lower={low})": functools.partial(
        normalizers.BertNormalizer, clean_text=c, handle_chinese_chars=h, strip_accents=s, lowercase=low
    )
    for c in (True, False)
    for h in (True, False)
    for s in (True, False, None)
    for low in (True, False)
}

OTHER_NORMALIZERS: Dict[str, Callable] = {
    "NFC": normalizers.NFC,
    "NFD": normalizers.NFD,
    "NFKC": normalizers.NFKC,
    "NFKD": normalizers.NFKD,
    "Lowercase": normalizers.Lowercase,
    "StripAccents": normalizers.StripAccents,
    "NFD+StripAccents": lambda: normalizers.Sequence([normalizers.NFD(), normalizers.StripAccents()]),
    "NFKD+StripAccents+Lowercase": lambda: normalizers.Sequence(
        [normalizers.NFKD(), normalizers.StripAccents(), normalizers.Lowercase()]
    ),
    "Replace(String)": lambda: normalizers.Replace("e", "EE"),
    "Replace(String,multichar)": lambda: normalizers.Replace("th", "θ"),
    "Replace(String,to empty)": lambda: normalizers.Replace("a", ""),
    "Replace(Regex,spaces)": lambda: normalizers.Replace(Regex(r"\s+"), " "),
    "Replace(Regex,digits)": lambda: normalizers.Replace(Regex(r"\d"), "<d>"),
    "Replace(Regex,words)": lambda: normalizers.Replace(Regex(r"[A-Za-z]+"), "w"),
    "Sequence(Replace,Bert,NFC)": lambda: normalizers.Sequence(
        [normalizers.Replace("``", '"'), normalizers.BertNormalizer(), normalizers.NFC()]
    ),
    "Sequence(NFKC,Lowercase,Replace)": lambda: normalizers.Sequence(
        [normalizers.NFKC(), normalizers.Lowercase(), normalizers.Replace(Regex(r"[\u0300-\u036f]"), "")]
    ),
    "Sequence(empty)": lambda: normalizers.Sequence([]),
}

NORMALIZERS = {**BERT_NORMALIZERS, **OTHER_NORMALIZERS}

PUNCTUATION_BEHAVIORS = ["removed", "isolated", "merged_with_previous", "merged_with_next", "contiguous"]

PRE_TOKENIZERS: Dict[str, Callable] = {
    "BertPreTokenizer": pre_tokenizers.BertPreTokenizer,
    "Whitespace": pre_tokenizers.Whitespace,
    "WhitespaceSplit": pre_tokenizers.WhitespaceSplit,
    **{f"Punctuation({b})": functools.partial(pre_tokenizers.Punctuation, behavior=b) for b in PUNCTUATION_BEHAVIORS},
    "Digits(individual)": lambda: pre_tokenizers.Digits(individual_digits=True),
    "Digits(contiguous)": lambda: pre_tokenizers.Digits(individual_digits=False),
    "Sequence(WhitespaceSplit,Punctuation,Digits)": lambda: pre_tokenizers.Sequence(
        [pre_tokenizers.WhitespaceSplit(), pre_tokenizers.Punctuation(), pre_tokenizers.Digits(True)]
    ),
    "Sequence(Whitespace,Punctuation(merged_with_next))": lambda: pre_tokenizers.Sequence(
        [pre_tokenizers.Whitespace(), pre_tokenizers.Punctuation("merged_with_next")]
    ),
    "Sequence(Digits,Bert)": lambda: pre_tokenizers.Sequence(
        [pre_tokenizers.Digits(False), pre_tokenizers.BertPreTokenizer()]
    ),
    "Sequence(Punctuation(contiguous),WhitespaceSplit)": lambda: pre_tokenizers.Sequence(
        [pre_tokenizers.Punctuation("contiguous"), pre_tokenizers.WhitespaceSplit()]
    ),
    "Sequence(empty)": lambda: pre_tokenizers.Sequence([]),
    "FixedLength": pre_tokenizers.FixedLength,
    "FixedLength(1)": lambda: pre_tokenizers.FixedLength(1),
    "FixedLength(7)": lambda: pre_tokenizers.FixedLength(7),
    # Counts characters across white space, so a long text must not be cut in chunks first.
    "Sequence(FixedLength(4),Whitespace)": lambda: pre_tokenizers.Sequence(
        [pre_tokenizers.FixedLength(4), pre_tokenizers.Whitespace()]
    ),
    "Sequence(WhitespaceSplit,FixedLength(3))": lambda: pre_tokenizers.Sequence(
        [pre_tokenizers.WhitespaceSplit(), pre_tokenizers.FixedLength(3)]
    ),
    "UnicodeScripts": pre_tokenizers.UnicodeScripts,
    "Sequence(UnicodeScripts,WhitespaceSplit)": lambda: pre_tokenizers.Sequence(
        [pre_tokenizers.UnicodeScripts(), pre_tokenizers.WhitespaceSplit()]
    ),
    "Sequence(Whitespace,UnicodeScripts,Digits)": lambda: pre_tokenizers.Sequence(
        [pre_tokenizers.Whitespace(), pre_tokenizers.UnicodeScripts(), pre_tokenizers.Digits(True)]
    ),
}

# Added tokens: content chosen to meet the BERT normalizer (case, accents) and the pre-tokenizer.
ADDED_TOKEN_FLAGS = {
    "plain": {},
    "single_word": {"single_word": True},
    "lstrip": {"lstrip": True},
    "rstrip": {"rstrip": True},
    "lstrip+rstrip": {"lstrip": True, "rstrip": True},
    "not_normalized": {"normalized": False},
    "normalized": {"normalized": True},
    "single_word+not_normalized": {"single_word": True, "normalized": False},
    "all_flags": {"single_word": True, "lstrip": True, "rstrip": True, "normalized": False},
}
ADDED_CONTENTS = ["<mask>", "Straße", "Hello", "ab", "x y", "déjà", "中文", "##ing", "[X]", "data"]


def with_added(flags: dict, special: bool) -> Callable[[HFTokenizer], None]:
    def apply(hf):
        tokens = [AddedToken(c, **flags) for c in ADDED_CONTENTS]
        if special:
            hf.add_special_tokens(tokens)
        else:
            hf.add_tokens(tokens)

    return apply


def renamed_model_token(hf: HFTokenizer) -> None:
    """An added token on a model id whose normalized form differs from the model's string:
    the model still emits that id (as `##a`) while decoding names it by the normalized form."""
    hf.normalizer = normalizers.Sequence([normalizers.Lowercase(), normalizers.Replace("a", "aa")])
    hf.add_tokens([AddedToken("##a", single_word=True)])


def other_normalizer_added(hf: HFTokenizer) -> None:
    """Added tokens under a normalizer that changes lengths (NFKC folds, Replace expands)."""
    hf.normalizer = normalizers.Sequence(
        [normalizers.NFKC(), normalizers.Replace("ß", "ss"), normalizers.Lowercase()]
    )
    hf.pre_tokenizer = pre_tokenizers.Whitespace()
    hf.add_tokens([AddedToken("Straße"), AddedToken("ﬁne", single_word=True), AddedToken("[X]", normalized=False)])
    hf.add_special_tokens([AddedToken("<Mask>", normalized=True, lstrip=True), AddedToken("①", normalized=True)])


def mixed_added(hf: HFTokenizer) -> None:
    """Tokens with different flags that overlap one another, so the longest match must win."""
    hf.add_tokens(
        [
            AddedToken("ab", single_word=True),
            AddedToken("abc", lstrip=True, normalized=False),
            AddedToken("[Y]", rstrip=True, normalized=False),
            AddedToken("[Y] z", normalized=True),
            AddedToken("é", normalized=True),
            AddedToken("É", normalized=False),
        ]
    )
    hf.add_special_tokens([AddedToken("<s>", lstrip=True, rstrip=True), AddedToken("<S>", normalized=True)])


def template(single: str, pair: str, special: list) -> Callable[[HFTokenizer], None]:
    return with_post_processor(processors.TemplateProcessing(single=single, pair=pair, special_tokens=special))


POST_PROCESSORS: Dict[str, Callable[[HFTokenizer], None]] = {
    "Template(bert)": template("[CLS] $A [SEP]", "[CLS] $A [SEP] $B:1 [SEP]:1", [("[CLS]", 101), ("[SEP]", 102)]),
    "Template(type ids)": template(
        "[CLS]:1 $A:0 [SEP]:1", "[CLS]:0 $A:1 [SEP]:0 $B:0 [SEP]:1", [("[CLS]", 101), ("[SEP]", 102)]
    ),
    "Template(B before A)": template("$A:1 [SEP]", "[CLS] $B:1 [SEP] $A:0 [SEP]", [("[CLS]", 101), ("[SEP]", 102)]),
    "Template(multi-id tokens)": template(
        "[BOS] $A [EOS]",
        "[BOS] $A [EOS]:0 [BOS]:1 $B:1 [EOS]:1",
        [
            {"id": "[BOS]", "ids": [101, 1030], "tokens": ["[CLS]", "@"]},
            {"id": "[EOS]", "ids": [1001, 102, 999], "tokens": ["#", "[SEP]", "!"]},
        ],
    ),
    "Template(renamed tokens)": template(
        "<s> $A </s>", "<s> $A </s> </s> $B </s>", [("<s>", 101), ("</s>", 102)]
    ),
    "Template(no specials)": template("$A", "$A $B:1", []),
    "Template(no pair type)": template("$0 [SEP]", "$A [SEP] $B [SEP]", [("[SEP]", 102)]),
    "BertProcessing": with_post_processor(processors.BertProcessing(("[SEP]", 102), ("[CLS]", 101))),
    "BertProcessing(renamed)": with_post_processor(processors.BertProcessing(("</s>", 102), ("<s>", 101))),
    "RobertaProcessing": with_post_processor(processors.RobertaProcessing(("[SEP]", 102), ("[CLS]", 101))),
    "RobertaProcessing(renamed, untrimmed)": with_post_processor(
        processors.RobertaProcessing(("</s>", 102), ("<s>", 101), trim_offsets=False, add_prefix_space=False)
    ),
    "Sequence(ByteLevel,Template)": with_post_processor(
        processors.Sequence(
            [
                processors.ByteLevel(trim_offsets=True),
                processors.TemplateProcessing(
                    single="[CLS] $A", pair="[CLS] $A [SEP] $B:1", special_tokens=[("[CLS]", 101), ("[SEP]", 102)]
                ),
            ]
        )
    ),
    "Sequence(Bert)": with_post_processor(
        processors.Sequence([processors.BertProcessing(("[SEP]", 102), ("[CLS]", 101))])
    ),
    "Sequence(ByteLevel)": with_post_processor(processors.Sequence([processors.ByteLevel(trim_offsets=False)])),
    "BertProcessing(other ids)": with_post_processor(processors.BertProcessing(("[MASK]", 103), ("[PAD]", 0))),
    "None": with_post_processor(None),
}

DECODERS: Dict[str, Callable[[HFTokenizer], None]] = {
    "WordPiece(cleanup)": with_decoder(decoders.WordPiece(prefix="##", cleanup=True)),
    "WordPiece(no cleanup)": with_decoder(decoders.WordPiece(prefix="##", cleanup=False)),
    "WordPiece(prefix @@)": with_decoder(decoders.WordPiece(prefix="@@", cleanup=True)),
    "None": with_decoder(None),
}


@functools.lru_cache(maxsize=None)
def pair_for(kind: str, name: str):
    """(HF tokenizer, tokembed tokenizer) of a variant, built once per session."""
    hf = fresh_hf()
    {
        "normalizer": lambda: with_normalizer(NORMALIZERS[name]())(hf),
        "pre_tokenizer": lambda: with_pre_tokenizer(PRE_TOKENIZERS[name]())(hf),
        "added": lambda: ADDED[name](hf),
        "post_processor": lambda: POST_PROCESSORS[name](hf),
        "decoder": lambda: DECODERS[name](hf),
    }[kind]()
    return hf, tokembed.Tokenizer.from_str(hf.to_str())


ADDED: Dict[str, Callable[[HFTokenizer], None]] = {
    **{
        f"{name}(special={special})": with_added(flags, special)
        for name, flags in ADDED_TOKEN_FLAGS.items()
        for special in (False, True)
    },
    "mixed": mixed_added,
    "renamed model token": renamed_model_token,
    "other normalizer": other_normalizer_added,
}
# Two normalized tokens whose contents normalize to the same string (say "Éx" and "Èx" under
# BertNormalizer) are deliberately absent: HF then picks one of them in hash-map order, which
# changes from process to process, so there is no single answer to compare with.


# ----- the comparison --------------------------------------------------------------------------

def first_difference(a: list, b: list) -> str:
    for i, (x, y) in enumerate(zip(a, b)):
        if x != y:
            return f"first at index {i}: ours {x!r}, HF {y!r}"
    return f"lengths differ: ours {len(a)}, HF {len(b)}"


def assert_same(hf: HFTokenizer, ours: tokembed.Tokenizer, text: str, pair: Optional[str] = None) -> None:
    for add_special in (True, False):
        theirs = hf.encode(text, pair, add_special_tokens=add_special)
        mine = ours.encode(text, pair, add_special_tokens=add_special)
        where = f"text={text!r} pair={pair!r} add_special_tokens={add_special}"
        fields = {
            "ids": (mine.ids.tolist(), theirs.ids),
            "offsets": ([tuple(o) for o in mine.offsets.tolist()], theirs.offsets),
            "type_ids": (mine.type_ids.tolist(), theirs.type_ids),
            "special_tokens_mask": (mine.special_tokens_mask.tolist(), theirs.special_tokens_mask),
            "attention_mask": (mine.attention_mask.tolist(), theirs.attention_mask),
            "tokens": (mine.tokens, theirs.tokens),
            "sequence_ids": (mine.sequence_ids, theirs.sequence_ids),
            "word_ids": (mine.word_ids, theirs.word_ids),
        }
        for field, (got, expected) in fields.items():
            assert got == expected, f"{field} differ for {where}: {first_difference(got, expected)}"
        for skip in (True, False):
            got = ours.decode(theirs.ids, skip_special_tokens=skip)
            expected = hf.decode(theirs.ids, skip_special_tokens=skip)
            assert got == expected, f"decode(skip_special_tokens={skip}) differs for {where}: {got!r} != {expected!r}"


def assert_same_on_corpus(hf: HFTokenizer, ours: tokembed.Tokenizer, texts: List[str], step: int = 1) -> None:
    texts = texts[::step]
    for i, text in enumerate(texts):
        assert_same(hf, ours, text, texts[i - 1] if i % 2 else None)


# ----- generated text ---------------------------------------------------------------------------

# Whitespace of every kind BERT and Rust know: ASCII controls that are spaces, NBSP, the
# U+2000..U+200A run, ideographic space, line/paragraph separators, NEL, and look-alikes that are
# not White_Space (ZWSP, BOM, Mongolian vowel separator).
SPACES = list("\t\n\r\x0b\x0c \u00a0\u1680\u202f\u205f\u3000\u2028\u2029\u0085\u200b\ufeff\u180e") + [
    chr(c) for c in range(0x2000, 0x200B)
]


def chars(lo: int, hi: int):
    return st.characters(min_codepoint=lo, max_codepoint=hi, exclude_categories=["Cs"])


ALPHABET = st.one_of(
    chars(0x20, 0x7E),  # printable ASCII, punctuation and symbols included
    chars(0xC0, 0x24F),  # Latin letters with accents
    chars(0x300, 0x36F),  # combining diacritical marks
    st.characters(categories=["Mn", "Mc", "Me"]),  # marks of every script
    chars(0x370, 0x3FF),  # Greek (final sigma, tonos)
    chars(0x400, 0x4FF),  # Cyrillic
    chars(0x4E00, 0x9FFF),  # CJK unified ideographs
    chars(0x3400, 0x4DBF),  # CJK extension A
    chars(0x20000, 0x2FA1F),  # CJK extensions B.. and compatibility supplement
    chars(0xF900, 0xFAFF),  # CJK compatibility ideographs
    chars(0x3040, 0x30FF),  # kana
    chars(0xAC00, 0xD7A3),  # Hangul syllables (NFD splits them)
    chars(0xFF00, 0xFFEF),  # full- and half-width forms (NFKC folds them)
    st.characters(categories=["Cc", "Cf"]),  # control and format characters
    chars(0x1F300, 0x1FAFF),  # emoji
    st.sampled_from(["\u200d", "\ufe0f", "\U0001f3fb", "\ufffd", "\x00"]),  # ZWJ, VS16, skin tone, U+FFFD, NUL
    st.sampled_from(SPACES),
    st.characters(categories=["Nd", "Nl", "No"]),  # digits and numbers of every script
    st.characters(categories=["Pc", "Pd", "Ps", "Pe", "Pi", "Pf", "Po"]),  # punctuation of every script
    st.characters(categories=["Sm", "Sc", "Sk", "So"]),  # symbols
    st.sampled_from(list("İıẞßŉǅǈǋﬀﬁ")),  # letters whose case mapping changes length or is special
    st.characters(exclude_categories=["Cs"]),  # anything else
)
TEXT = st.text(alphabet=ALPHABET, max_size=60)


def text_with(fragments: List[str]):
    """Generated text interleaved with the given fragments (token contents, variants of them)."""
    return st.lists(st.one_of(st.text(alphabet=ALPHABET, max_size=8), st.sampled_from(fragments)), max_size=12).map(
        "".join
    )


ADDED_FRAGMENTS = ADDED_CONTENTS + [
    # other spellings of the contents, for normalized matching
    "<MASK>", "<Mask>", "STRASSE", "straße", "strasse", "hello", "HELLO", "AB", "abc", "x  y", "deja", "DÉJÀ",
    "de\u0301ja\u0300", "中 文", "ing", "[x]", "DATA", "data2", "[Y]", "[Y] z", "[y] Z", "é", "É", "e\u0301",
    "<s>", "<S>", "##a", "ba", "a", "A", "ﬁne", "fine", "FINE", "①", "1", "ﬀ", "Ⅸ",
    # what lstrip, rstrip and single_word look at
    "  ", " ", "\t", "\u00a0", "\u3000", "-", "_",
]


# ----- normalizers ------------------------------------------------------------------------------

@pytest.mark.parametrize("name", list(NORMALIZERS))
def test_normalizer_on_long_document(name, shared_data):
    hf, ours = pair_for("normalizer", name)
    assert_same(hf, ours, long_document())


@pytest.mark.parametrize("name", list(NORMALIZERS))
def test_normalizer_on_corpus(name, shared_data):
    hf, ours = pair_for("normalizer", name)
    # The 24 BertNormalizer option combinations share code paths: each reads every 3rd line.
    assert_same_on_corpus(hf, ours, corpus_texts(), step=3 if name in BERT_NORMALIZERS else 1)


@pytest.mark.parametrize("name", list(NORMALIZERS))
@GENERATED
@given(text=TEXT, pair=TEXT)
# BERT's accent stripping removes nonspacing marks only: a spacing mark (Mc) such as the
# Devanagari vowel sign AA stays, and NFD reorders marks across characters.
@example(text="\u093e", pair="a\u0301\U0001d165 x\u0301\u302e\u0316 \U0001d16d\U0001d165 Ä\u0308\u0903")
def test_normalizer_on_generated_text(name, text, pair, shared_data):
    hf, ours = pair_for("normalizer", name)
    assert_same(hf, ours, text)
    assert_same(hf, ours, text, pair)


@pytest.mark.parametrize("name", list(BERT_NORMALIZERS))
def test_bert_normalizer_on_every_two_byte_character_and_hangul_syllables(name, shared_data):
    """The BERT normalizer answers two-byte UTF-8 characters (U+0080..U+07FF: Latin accents,
    Greek, Cyrillic, Hebrew, Arabic, their marks and spaces) from a table per setting, and
    decomposes Hangul syllables by arithmetic: each of them, inside a word, after an uppercase
    letter and alone, gives HF's ids, offsets and tokens under every setting (every 7th
    syllable: 7 is prime to the 28 trailing consonants and the 21 vowels, so all of them occur)."""
    hf, ours = pair_for("normalizer", name)
    code_points = list(range(0x80, 0x800)) + list(range(0xAC00, 0xD7A4, 7))
    for i in range(0, len(code_points), 64):
        assert_same(hf, ours, " ".join(f"a{chr(c)}b B{chr(c)} {chr(c)}" for c in code_points[i : i + 64]))


# ----- pre-tokenizers ---------------------------------------------------------------------------

@pytest.mark.parametrize("name", list(PRE_TOKENIZERS))
def test_pre_tokenizer_on_long_document(name, shared_data):
    hf, ours = pair_for("pre_tokenizer", name)
    assert_same(hf, ours, long_document())


@pytest.mark.parametrize("name", list(PRE_TOKENIZERS))
def test_pre_tokenizer_on_corpus(name, shared_data):
    hf, ours = pair_for("pre_tokenizer", name)
    assert_same_on_corpus(hf, ours, corpus_texts())


@pytest.mark.parametrize("name", list(PRE_TOKENIZERS))
@GENERATED
@given(text=TEXT, pair=TEXT)
def test_pre_tokenizer_on_generated_text(name, text, pair, shared_data):
    hf, ours = pair_for("pre_tokenizer", name)
    assert_same(hf, ours, text)
    assert_same(hf, ours, text, pair)


# ----- added tokens -----------------------------------------------------------------------------

def with_fragments(line: str, i: int) -> str:
    """A corpus line with added-token contents dropped in at word and non-word boundaries."""
    a = ADDED_FRAGMENTS[i % len(ADDED_FRAGMENTS)]
    b = ADDED_FRAGMENTS[(i * 7 + 3) % len(ADDED_FRAGMENTS)]
    middle = len(line) // 2
    return f"{a}{line[:middle]}{b}{line[middle:]} {a} "


@pytest.mark.parametrize("name", list(ADDED))
def test_added_tokens_on_corpus(name, shared_data):
    hf, ours = pair_for("added", name)
    texts = corpus_texts()[::4]
    assert_same_on_corpus(hf, ours, [with_fragments(t, i) for i, t in enumerate(texts)])


@pytest.mark.parametrize("name", list(ADDED))
def test_added_tokens_on_long_document(name, shared_data):
    hf, ours = pair_for("added", name)
    texts = corpus_texts()[::4]
    assert_same(hf, ours, "\n".join(with_fragments(t, i) for i, t in enumerate(texts)))


@pytest.mark.parametrize("name", list(ADDED))
def test_added_tokens_vocabulary(name, shared_data):
    hf, ours = pair_for("added", name)
    assert ours.get_vocab() == hf.get_vocab(with_added_tokens=True)
    assert ours.vocab_size == hf.get_vocab_size(with_added_tokens=True)
    for with_added in (True, False):
        assert ours.get_vocab(with_added_tokens=with_added) == hf.get_vocab(with_added_tokens=with_added)
        assert ours.get_vocab_size(with_added_tokens=with_added) == hf.get_vocab_size(with_added_tokens=with_added)
    for token_id, token in hf.get_added_tokens_decoder().items():
        assert ours.token_to_id(token.content) == hf.token_to_id(token.content), token
        # HF names a `normalized` token by its normalized form when turning the id back.
        assert ours.id_to_token(token_id) == hf.id_to_token(token_id), token


@pytest.mark.parametrize("name", list(ADDED))
@GENERATED
@given(text=text_with(ADDED_FRAGMENTS), pair=text_with(ADDED_FRAGMENTS))
# The token string HF reports is the text matched (normalized, with stripped whitespace), and
# decoding names a normalized token by its normalized form and skips specials by that name.
@example(text="STRAßE <mask> \r<mask>\x85", pair="E<S> ba")
def test_added_tokens_on_generated_text(name, text, pair, shared_data):
    hf, ours = pair_for("added", name)
    assert_same(hf, ours, text)
    assert_same(hf, ours, text, pair)


# ----- post-processors --------------------------------------------------------------------------

@pytest.mark.parametrize("name", list(POST_PROCESSORS))
def test_post_processor_on_corpus(name, shared_data):
    hf, ours = pair_for("post_processor", name)
    assert_same_on_corpus(hf, ours, corpus_texts()[::4])


@pytest.mark.parametrize("name", list(POST_PROCESSORS))
@GENERATED
@given(text=TEXT, pair=TEXT)
@example(text="", pair="")  # HF names template tokens as the template does ("<s>", not "[CLS]")
def test_post_processor_on_generated_text(name, text, pair, shared_data):
    hf, ours = pair_for("post_processor", name)
    assert_same(hf, ours, text)
    assert_same(hf, ours, text, pair)


@pytest.mark.parametrize("name", list(POST_PROCESSORS))
def test_post_processor_counts_added_tokens(name, shared_data):
    hf, ours = pair_for("post_processor", name)
    for is_pair in (False, True):
        assert ours.num_special_tokens_to_add(is_pair) == hf.num_special_tokens_to_add(is_pair)


# ----- decoders ---------------------------------------------------------------------------------

DECODE_FRAGMENTS = [
    ".", "?", "!", ",", "'", "n't", "'m", "do", "not", "'s", "'ve", "'re", "##s", "##ing", "the", "[CLS]",
    "[SEP]", "[PAD]", "[MASK]", "[UNK]", "@@", "@@ing", "don", "t", "i", "m", "##'", "' '", "###",
]


@functools.lru_cache(maxsize=None)
def fragment_ids() -> List[int]:
    hf = fresh_hf()
    return sorted({i for f in DECODE_FRAGMENTS if (i := hf.token_to_id(f)) is not None})


@pytest.mark.parametrize("name", list(DECODERS))
def test_decoder_on_corpus(name, shared_data):
    hf, ours = pair_for("decoder", name)
    assert_same_on_corpus(hf, ours, corpus_texts()[::4])


@pytest.mark.parametrize("name", list(DECODERS))
@GENERATED
@given(data=st.data())
def test_decoder_on_generated_ids(name, data, shared_data):
    hf, ours = pair_for("decoder", name)
    vocab_size = hf.get_vocab_size()
    ids = data.draw(
        st.lists(st.one_of(st.integers(0, vocab_size - 1), st.sampled_from(fragment_ids())), max_size=40)
    )
    for skip in (True, False):
        assert ours.decode(ids, skip_special_tokens=skip) == hf.decode(ids, skip_special_tokens=skip), ids


@pytest.mark.parametrize("name", list(DECODERS))
@GENERATED
@given(text=TEXT)
def test_decoder_on_generated_text(name, text, shared_data):
    hf, ours = pair_for("decoder", name)
    assert_same(hf, ours, text)


# ----- unsupported components -------------------------------------------------------------------

def bert_dict() -> dict:
    return json.loads(fresh_hf().to_str())


UNSUPPORTED = {
    "normalizer.normalizers[1].type: 'Unicode' is not supported": lambda d: d.update(
        normalizer={"type": "Sequence", "normalizers": [d["normalizer"], {"type": "Unicode"}]}
    ),
    "normalizer.normalizers[0].normalizers[2].type: 'Trim' is not supported": lambda d: d.update(
        normalizer={
            "type": "Sequence",
            "normalizers": [{"type": "Sequence", "normalizers": [{"type": "NFC"}, {"type": "NFD"}, {"type": "Trim"}]}],
        }
    ),
    "pre_tokenizer.type: 'Unicode' is not supported": lambda d: d.update(pre_tokenizer={"type": "Unicode"}),
    "pre_tokenizer: length: must be at least 1": lambda d: d.update(
        pre_tokenizer={"type": "FixedLength", "length": 0}
    ),
    "pre_tokenizer: a Metaspace after a ByteLevel is not supported": lambda d: d.update(
        pre_tokenizer={
            "type": "Sequence",
            "pretokenizers": [
                {"type": "ByteLevel", "add_prefix_space": False, "trim_offsets": True, "use_regex": True},
                {"type": "Metaspace", "replacement": "▁"},
            ],
        }
    ),
    "post_processor.type: 'Roberta' is not supported": lambda d: d.update(post_processor={"type": "Roberta"}),
    "post_processor.processors: steps [0, 2] both add special tokens": lambda d: d.update(
        post_processor={
            "type": "Sequence",
            "processors": [
                d["post_processor"],
                {"type": "ByteLevel", "add_prefix_space": True, "trim_offsets": True},
                d["post_processor"],
            ],
        }
    ),
    "decoder.decoders[1].type: 'Detokenize' is not supported": lambda d: d.update(
        decoder={"type": "Sequence", "decoders": [{"type": "Fuse"}, {"type": "Detokenize"}]}
    ),
    "model.type: 'Tiktoken' is not supported": lambda d: d.update(model={"type": "Tiktoken", "vocab": {"[UNK]": 0}}),
}


@pytest.mark.parametrize("expected", list(UNSUPPORTED))
def test_unsupported_component_is_reported_with_its_path(expected, shared_data):
    d = bert_dict()
    UNSUPPORTED[expected](d)
    text = json.dumps(d)
    with pytest.raises(tokembed.TokenizerError) as info:
        tokembed.Tokenizer.from_str(text)
    assert str(info.value).startswith(expected), str(info.value)


def test_unicode_scripts_on_every_code_point(shared_data):
    """UnicodeScripts keeps a script table (Unicode 9.0, as HF's): every code point, in runs of
    consecutive ones (neighbours share blocks, so each run crosses many script changes) and
    shuffled, must be cut where HF cuts it."""
    hf = fresh_hf()
    hf.normalizer = None
    hf.pre_tokenizer = pre_tokenizers.UnicodeScripts()
    ours = tokembed.Tokenizer.from_str(hf.to_str())
    code_points = [c for c in range(0x110000) if not 0xD800 <= c < 0xE000]
    runs = ["".join(map(chr, code_points[i : i + 4000])) for i in range(0, len(code_points), 4000)]
    rng = __import__("random").Random(9)
    shuffled = code_points[:]
    rng.shuffle(shuffled)
    runs += ["".join(map(chr, shuffled[i : i + 4000])) + " ー ア あ 京 a" for i in range(0, len(shuffled), 40_000)]
    for text in runs:
        expected = hf.encode(text, add_special_tokens=False).offsets
        got = [tuple(o) for o in ours.encode(text, add_special_tokens=False).offsets.tolist()]
        assert got == expected, f"run starting at U+{ord(text[0]):04X}: {first_difference(got, expected)}"
