"""SentencePiece `.model` files against the `sentencepiece` library: ids and decoded text.

Models: Mistral v1 (BPE, byte fallback, identity normalizer, no white space removal) and the
botchan BPE / Unigram models of the sentencepiece sources (nmt_nfkc / nfkc rules, extra white
space removed) in ../shared/data, plus the models in tests/data/sentencepiece (see its README:
user-defined pieces, a Japanese Unigram, ...). Every line of every shared corpus is compared by
ids; generated text covers CJK, emoji, combining marks, control characters, runs of spaces and
newlines, and literal `<s>`, `</s>`, `[INST]` (CONTROL pieces never match text; USER_DEFINED ones
always do). Decoding is compared on the reference's ids and on arbitrary id lists, byte pieces
and control pieces included.
"""

from __future__ import annotations

import functools
import random
from pathlib import Path
from typing import List

import pytest
import sentencepiece
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

import tokembed
from letter_runs import RUN_TEXT
from test_components_parity import ALPHABET

DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"
LOCAL = Path(__file__).resolve().parent / "data" / "sentencepiece"
CORPORA = sorted((DATA / "corpora").glob("*.txt")) + sorted(LOCAL.glob("*.txt"))
MODELS = sorted((DATA / "tokenizers" / "sentencepiece").glob("*.model")) + sorted(LOCAL.glob("*.model"))
GENERATED = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@functools.lru_cache(maxsize=None)
def pair(path: Path):
    return sentencepiece.SentencePieceProcessor(model_file=str(path)), tokembed.Tokenizer.from_sentencepiece(path)


@functools.lru_cache(maxsize=None)
def lines(corpus: Path) -> List[str]:
    return corpus.read_text(encoding="utf-8").split("\n")


def test_there_are_models_to_check():
    assert len(MODELS) >= 3, MODELS


def assert_same(reference, ours: tokembed.Tokenizer, text: str) -> None:
    expected = reference.encode(text)
    got = ours.encode(text).ids.tolist()
    assert got == expected, f"ids differ for {text!r}: ours {got}, sentencepiece {expected}"
    decoded = ours.decode(expected)
    assert decoded == reference.decode(expected), f"decode differs for {text!r}: {decoded!r}"


@pytest.mark.parametrize("model", MODELS, ids=lambda p: p.name)
@pytest.mark.parametrize("corpus", CORPORA, ids=lambda p: p.name)
def test_every_corpus_line(model, corpus):
    reference, ours = pair(model)
    texts = lines(corpus)
    for start in range(0, len(texts), 20_000):
        chunk = texts[start : start + 20_000]
        expected = reference.encode(chunk)
        flat, offsets = ours.encode_batch_flat(chunk)
        for i, e in enumerate(expected):
            got = flat[offsets[i] : offsets[i + 1]].tolist()
            assert got == e, f"{model.name} on {corpus.name}, line {start + i} {chunk[i]!r}: ours {got[:20]}, sentencepiece {e[:20]}"
        sample = range(0, len(chunk), 37)
        decoded = ours.decode_batch([expected[i] for i in sample])
        assert decoded == [reference.decode(expected[i]) for i in sample]


FRAGMENTS = ["<s>", "</s>", "<unk>", "<pad>", "[INST]", "[/INST]", "[REFERENCE_DOC_1]", "[REFERENCE_DOC_12]", "[TOOL_CALLS]", "▁", " ", "  ", "   ", "\n", "\n\n", "\t", "\r\n",
             "<0x41>", "\u3000", "\u00a0", "ｶﾞ", "Ａ", "①", "ﬁ", "e\u0301", "\x00", "\x7f", "\u200b", "\ufeff"]
SP_TEXT = st.lists(st.one_of(st.text(alphabet=ALPHABET, max_size=10), st.sampled_from(FRAGMENTS)), max_size=14).map(
    "".join
)


@pytest.mark.parametrize("model", MODELS, ids=lambda p: p.name)
@GENERATED
@given(text=SP_TEXT)
@example(text="<s>[INST] Hello [/INST]</s>")
@example(text="日本語のテキスト、中文文本。Русский текст 😀👍🏽 e\u0301")
@example(text="   leading, inner   and trailing   ")
@example(text="\u3000ｶﾞ Ａ①ﬁ \r\n\x00\x7f\u200b\ufeff")
def test_generated_text(model, text):
    reference, ours = pair(model)
    assert_same(reference, ours, text)


@pytest.mark.parametrize("model", MODELS, ids=lambda p: p.name)
@GENERATED
@given(text=RUN_TEXT)
@example(text="ии\u0306е\u0308 日本\u3099 абв")
def test_runs_of_letters_with_marks(model, text):
    """Runs of letters the normalizer passes without a look at each, broken by characters that
    go on a rule after them: ids and decoded text as sentencepiece gives them."""
    reference, ours = pair(model)
    assert_same(reference, ours, text)


@functools.lru_cache(maxsize=None)
def glued_fragments(path: Path) -> List[str]:
    """Pieces of the model (its multi-character ones without `▁`, and their characters) to glue
    into texts without spaces, so that pieces overlap across the glue, plus characters no model
    here has (a private-use one, a rare CJK one) alone and in runs."""
    reference, _ = pair(path)
    pieces = [reference.id_to_piece(i) for i in range(reference.get_piece_size())]
    multi = sorted(p for p in pieces if len(p) >= 2 and "\u2581" not in p and not p.startswith("<"))
    chosen = random.Random(len(pieces)).sample(multi, min(200, len(multi)))
    return chosen + sorted({c for p in chosen for c in p}) + ["\ue000", "\ue000\ue001", "\U00020000\U00020001", "。", "、", " "]


@pytest.mark.parametrize("model", MODELS, ids=lambda p: p.name)
@GENERATED
@given(data=st.data())
def test_glued_pieces_ids_only(model, data):
    """The ids-only batch path cuts texts without spaces between two characters no piece has side
    by side (BPE and Unigram alike) and caches the parts: texts glued from the model's own pieces
    and unknown characters, several per batch, against sentencepiece."""
    reference, ours = pair(model)
    fragments = st.sampled_from(glued_fragments(model))
    texts = data.draw(st.lists(st.lists(fragments, max_size=40).map("".join), min_size=1, max_size=6))
    flat, offsets = ours.encode_batch_flat(texts)
    got = [flat[offsets[i] : offsets[i + 1]].tolist() for i in range(len(texts))]
    assert got == reference.encode(texts), texts


USER_WORDS = ["understanding", "schoolmaster", "master", "nevertheless", "the", "▁the", "ever", "hello world"]


@functools.lru_cache(maxsize=None)
def unigram_with_user_pieces(directory: str):
    """botchan's Unigram with USER_DEFINED pieces added, some overlapping each other and normal pieces."""
    from sentencepiece import sentencepiece_model_pb2

    proto = sentencepiece_model_pb2.ModelProto()
    proto.ParseFromString((DATA / "tokenizers" / "sentencepiece" / "botchan_en_unigram_1000.model").read_bytes())
    assert proto.trainer_spec.model_type == sentencepiece_model_pb2.TrainerSpec.UNIGRAM
    known = {p.piece for p in proto.pieces}
    for word in USER_WORDS:
        if word not in known:
            proto.pieces.add(piece=word, score=0.0, type=sentencepiece_model_pb2.ModelProto.SentencePiece.USER_DEFINED)
    path = Path(directory) / "unigram_user_defined.model"
    path.write_bytes(proto.SerializeToString())
    return pair(path)


@GENERATED
@given(text=st.lists(st.sampled_from(USER_WORDS + ["under", "standing", "school", "a", " ", "  ", "x", "s"]), max_size=12).map("".join))
@example(text="the schoolmaster, nevertheless understanding")
def test_unigram_user_defined_pieces_are_always_taken(tmp_path_factory, text):
    """A USER_DEFINED piece scores 0.1 * (bytes - 1) in the library (0.2.2 on), above any cut into
    normal pieces; long ones used to score length * max_score - 0.1 and lose to such cuts."""
    reference, ours = unigram_with_user_pieces(str(tmp_path_factory.getbasetemp()))
    assert_same(reference, ours, text)
    # The ids-only path cuts words where no piece, user-defined ones included, holds both sides.
    glued = text.replace(" ", "")
    assert ours.encode_batch_flat([text, glued])[0].tolist() == reference.encode(text) + reference.encode(glued)


def test_unigram_user_defined_long_piece_wins(tmp_path_factory):
    reference, ours = unigram_with_user_pieces(str(tmp_path_factory.getbasetemp()))
    expected = reference.encode("x schoolmaster", out_type=str)
    assert "schoolmaster" in expected, expected
    assert ours.encode("x schoolmaster").tokens == expected


@pytest.mark.parametrize("model", MODELS, ids=lambda p: p.name)
@GENERATED
@given(data=st.data())
def test_decoding_any_ids(model, data):
    reference, ours = pair(model)
    size = reference.get_piece_size()
    ids = data.draw(st.lists(st.one_of(st.integers(0, size - 1), st.integers(0, min(size, 300) - 1)), max_size=20))
    assert ours.decode(ids) == reference.decode(ids), ids


@pytest.mark.parametrize("model", MODELS, ids=lambda p: p.name)
def test_bos_and_eos_as_the_library_adds_them(model):
    reference = sentencepiece.SentencePieceProcessor(model_file=str(model), add_bos=True, add_eos=True)
    ours = tokembed.Tokenizer.from_sentencepiece(model, add_bos=True, add_eos=True)
    for text in ["Hello world", "", "  x  "]:
        assert ours.encode(text).ids.tolist() == reference.encode(text)
        assert ours.encode_batch_flat([text])[0].tolist() == reference.encode(text)
    only_bos = tokembed.Tokenizer.from_sentencepiece(model, add_bos=True)
    assert only_bos.encode("Hi").ids.tolist() == sentencepiece.SentencePieceProcessor(
        model_file=str(model), add_bos=True
    ).encode("Hi")


@pytest.mark.parametrize("model", MODELS, ids=lambda p: p.name)
def test_vocabulary_matches(model):
    reference, ours = pair(model)
    size = reference.get_piece_size()
    assert ours.vocab_size == size
    for i in range(0, size, max(1, size // 500)):
        assert ours.id_to_token(i) == reference.id_to_piece(i)
        assert ours.token_to_id(reference.id_to_piece(i)) == reference.piece_to_id(reference.id_to_piece(i))


def test_a_model_tokenizer_refuses_to_be_saved_as_json(tmp_path):
    ours = tokembed.Tokenizer.from_sentencepiece(MODELS[0])
    with pytest.raises(tokembed.TokenizerError, match="no tokenizer.json form"):
        ours.save(tmp_path / "tokenizer.json")


UNIGRAM_MODELS = [m for m in MODELS if "unigram" in m.name]


def test_there_are_unigram_models():
    assert len(UNIGRAM_MODELS) >= 2, MODELS


@pytest.mark.parametrize("model", UNIGRAM_MODELS, ids=lambda p: p.name)
def test_long_unigram_words_settled_as_they_go(model):
    """Unigram words over 256 KB are cut as they are read, at points every later path goes through
    (the lattice is not kept whole): German and Japanese with their spaces taken out (one word each,
    whose running score is reset many times), random CJK and one letter, against the library."""
    german = (DATA / "corpora" / "de_manpages_3MB.txt").read_text(encoding="utf-8")[:420_000]
    japanese = (LOCAL / "ja_wagahaiwa_nekodearu_200KB.txt").read_text(encoding="utf-8")
    import random

    rng = random.Random(7)
    texts = {
        "german": "".join(german.split()),
        "japanese": "".join((japanese + japanese).split()),
        "cjk": "".join(chr(0x4E00 + rng.randrange(20000)) for _ in range(100_000)),
        "one letter": "a" * 300_000,
    }
    reference, ours = pair(model)
    for name, text in texts.items():
        assert len(text.encode("utf-8")) > 1 << 18, name
        expected = reference.encode(text)
        assert ours.encode_batch_flat([text])[0].tolist() == expected, name
        assert ours.encode(text).ids.tolist() == expected, name


@pytest.mark.parametrize("size", [10_000, 100_000, 1_000_000])
@pytest.mark.parametrize("kind", ["chinese", "one character", "random bytes"])
def test_long_texts_without_spaces(size, kind):
    """A text with no space is one word for SentencePiece: ids stay exact at every size."""
    import random

    rng = random.Random(size)
    text = {
        "chinese": lambda: "".join(chr(0x4E00 + rng.randrange(20000)) for _ in range(size // 3)),
        "one character": lambda: "a" * size,
        "random bytes": lambda: bytes(rng.randrange(1, 256) for _ in range(size)).decode("latin-1"),
    }[kind]()
    for model in MODELS:
        reference, ours = pair(model)
        if size <= 100_000 or kind == "one character":
            assert ours.encode_batch_flat([text])[0].tolist() == reference.encode(text), model.name
        else:
            assert len(ours.encode_batch_flat([text])[0]) > 0


def reference_offsets(reference, text: str):
    """Ids and character offsets of the library's pieces (its proto gives byte offsets). The
    library gives a character written as byte pieces (`<0xF0>`...) to the last of them and an
    empty range to the others; tokembed, as HF does, gives it to each: the empty ranges of byte
    pieces take the range of the piece after them here."""
    proto = reference.encode(text, return_type="proto")
    data = text.encode("utf-8")
    chars_before = [0] * (len(data) + 1)
    for i in range(len(data)):
        chars_before[i + 1] = chars_before[i] + ((data[i] & 0xC0) != 0x80)
    offsets = [(chars_before[p.begin], chars_before[p.end]) for p in proto.pieces]
    for i in range(len(offsets) - 2, -1, -1):
        if offsets[i][0] == offsets[i][1] and reference.is_byte(proto.pieces[i].id):
            offsets[i] = offsets[i + 1]
    return [p.id for p in proto.pieces], offsets


LONG_TEXT = st.lists(SP_TEXT, min_size=25, max_size=50).map(" ".join).filter(lambda t: len(t.encode("utf-8")) > 300)


# Offsets are compared where the model's normalizer is the identity (Mistral): where it removes or
# rewrites characters (botchan's nmt_nfkc) the library gives a removed character to the piece
# before it, and tokembed, as HF does, to none; ids are compared for every model.
IDENTITY_NORMALIZER = ["mistral_v1.model"]


@pytest.mark.parametrize("model", MODELS, ids=lambda p: p.name)
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
@given(text=LONG_TEXT)
@example(text="日本語のテキスト、中文文本。Русский текст 😀👍🏽 e\u0301 " * 30)
def test_long_text_ids_and_offsets(model, text):
    """A BPE model cuts a long text into parts (where no token spans a cut) before its merges
    when offsets are wanted, as the ids-only path does: ids (and offsets, see above) as the
    library's pieces have them."""
    reference, ours = pair(model)
    ids, offsets = reference_offsets(reference, text)
    encoding = ours.encode(text)
    assert encoding.ids.tolist() == ids
    if model.name in IDENTITY_NORMALIZER:
        assert [tuple(o) for o in encoding.offsets.tolist()] == offsets


@pytest.mark.parametrize("model", [m for m in MODELS if m.name in IDENTITY_NORMALIZER], ids=lambda p: p.name)
def test_a_long_document_with_offsets(model):
    """A 1 MB document with offsets: Mistral's BPE sees it as words between its cuts (it took
    seconds when the whole document was merged as one word)."""
    reference, ours = pair(model)
    text = (DATA / "corpora" / "de_manpages_3MB.txt").read_text(encoding="utf-8")[:1_000_000]
    ids, offsets = reference_offsets(reference, text)
    encoding = ours.encode(text)
    assert encoding.ids.tolist() == ids
    assert [tuple(o) for o in encoding.offsets.tolist()] == offsets
