"""What sentencepiece 0.2.3 changed in reading `.model` files, checked against the live library.

Each test builds small `.model` files with the library's own protobuf module, loads them in both
`sentencepiece` and tokembed, and compares what a user sees: whether the file loads, the ids and
pieces of texts chosen to hit the behaviour (plus random texts over the model's alphabet), decoded
text, and which calls raise. Before comparing, each test checks that the library really behaves
as described in the test's docstring, so that a test cannot pass by testing nothing.

The behaviours (sentencepiece 0.2.3 sources):
1. BPE resegmentation (`bpe_model.cc`, `Model::SampleEncode`, the `resegment` lambda): a final
   symbol that is a reserved piece (CONTROL, UNKNOWN, BYTE: a single character here, since reserved
   pieces are never merges) or an UNUSED piece with no merge record is unknown text; UNUSED pieces
   are split back at most 100 levels deep.
2. `ModelInterface::InitializePieces` (`model_interface.cc`): a piece that is exactly "\\0" and
   UNUSED is left out of the index (text never becomes it; its id still decodes to it); any other
   piece holding a NUL refuses the model. `SentencePieceProcessor::Load` first retypes a "\\0"
   piece UNUSED when the model has byte fallback. BPE indexes all pieces in one map, so a text that
   is both a CONTROL and a NORMAL piece refuses a BPE model (Unigram keeps two maps).
3. `InitializePieces`: no UNKNOWN piece is needed when byte fallback is on (unknown text becomes
   byte pieces); the 256 byte pieces still are.
4. `SymbolPairComparator` (`bpe_model.cc`): pair scores are compared by their bit patterns, so
   -0.0 < +0.0 (and NaN > +inf); BPE scores need not be finite (Unigram's must).
5. bos / eos (`sentencepiece_pybind.cc`, `RewriteIds`; `SentencePieceProcessor::Load`): the
   library adds the piece named by `trainer_spec.bos_piece` ("<s>") only if it is a CONTROL piece
   (`bos_id` is not read) and raises ValueError otherwise; decoding raises IndexError for ids out
   of range (`CheckIds`) and nothing else, id 0 included.
"""

from __future__ import annotations

import math
import random
from pathlib import Path
from typing import Iterable, List, Optional, Sequence, Tuple

import pytest
import sentencepiece
from sentencepiece import sentencepiece_model_pb2 as pb

import tokembed

PIECE = pb.ModelProto.SentencePiece
NORMAL, UNKNOWN, CONTROL, USER, UNUSED, BYTE = (
    PIECE.NORMAL,
    PIECE.UNKNOWN,
    PIECE.CONTROL,
    PIECE.USER_DEFINED,
    PIECE.UNUSED,
    PIECE.BYTE,
)
SPECIALS = [("<unk>", 0.0, UNKNOWN), ("<s>", 0.0, CONTROL), ("</s>", 0.0, CONTROL)]
Pieces = Sequence[Tuple[str, float, int]]


def model_bytes(pieces: Pieces, bpe: bool = True, byte_fallback: bool = False, byte_pieces: bool = False, **trainer) -> bytes:
    """A `.model` with `pieces` (then the 256 byte pieces if asked), the identity normalizer, no
    dummy prefix and no white space removal, so that the text reaches the model as written."""
    proto = pb.ModelProto()
    for text, score, kind in pieces:
        proto.pieces.add(piece=text, score=score, type=kind)
    if byte_pieces:
        for b in range(256):
            proto.pieces.add(piece=f"<0x{b:02X}>", score=0.0, type=BYTE)
    spec = proto.trainer_spec
    spec.model_type = pb.TrainerSpec.BPE if bpe else pb.TrainerSpec.UNIGRAM
    spec.byte_fallback = byte_fallback
    for name, value in trainer.items():
        setattr(spec, name, value)
    normalizer = proto.normalizer_spec
    normalizer.name = "identity"
    normalizer.add_dummy_prefix = False
    normalizer.remove_extra_whitespaces = False
    normalizer.escape_whitespaces = True
    return proto.SerializeToString()


class Pair:
    """The library and tokembed on the same file; `reference` / `ours` is None when that side
    refused the file."""

    def __init__(self, directory: Path, data: bytes, add_bos: bool = False, add_eos: bool = False):
        path = directory / f"m{len(list(directory.iterdir()))}.model"
        path.write_bytes(data)
        self.add_bos, self.add_eos = add_bos, add_eos
        try:
            self.reference: Optional[sentencepiece.SentencePieceProcessor] = sentencepiece.SentencePieceProcessor(
                model_file=str(path)
            )
        except RuntimeError:
            self.reference = None
        try:
            self.ours: Optional[tokembed.Tokenizer] = tokembed.Tokenizer.from_sentencepiece(
                path, add_bos=add_bos, add_eos=add_eos
            )
        except tokembed.TokenizerError:
            self.ours = None

    def both_load(self) -> bool:
        assert (self.reference is None) == (self.ours is None), (
            f"sentencepiece {'refuses' if self.reference is None else 'loads'} the model, "
            f"tokembed {'refuses' if self.ours is None else 'loads'} it"
        )
        return self.reference is not None

    def expected(self, text: str) -> List[int]:
        return self.reference.encode(text, add_bos=self.add_bos, add_eos=self.add_eos)

    def check(self, texts: Iterable[str]) -> None:
        """Ids, pieces (as the library names each id) and decoded text, one text at a time and in a batch."""
        texts = list(texts)
        for text in texts:
            expected = self.expected(text)
            encoding = self.ours.encode(text)
            assert encoding.ids.tolist() == expected, f"ids of {text!r}"
            assert list(encoding.tokens) == [self.reference.id_to_piece(i) for i in expected], f"pieces of {text!r}"
            assert self.ours.decode(expected) == self.reference.decode(expected), f"decoding the ids of {text!r}"
        flat, offsets = self.ours.encode_batch_flat(texts)
        for i, text in enumerate(texts):
            assert flat[offsets[i] : offsets[i + 1]].tolist() == self.expected(text), f"batch ids of {text!r}"

    def check_decode(self, ids: List[int]) -> None:
        try:
            expected = self.reference.decode(ids)
        except IndexError:
            with pytest.raises(IndexError):
                self.ours.decode(ids)
            return
        assert self.ours.decode(ids) == expected, f"decoding {ids}"


def random_texts(alphabet: str, count: int = 300, seed: int = 0) -> List[str]:
    rng = random.Random(seed)
    return ["".join(rng.choice(alphabet) for _ in range(rng.randint(1, 12))) for _ in range(count)]


# 1. BPE resegmentation -------------------------------------------------------------------------

# An UNUSED piece and a NORMAL one built on the same character pair keep the string form of BPE
# (the id form applies only to models without UNUSED pieces), so both forms are covered.
FORCE_STRING_FORM = [("zz", -9.0, UNUSED), ("z", -9.0, NORMAL)]


@pytest.mark.parametrize("string_form", [False, True], ids=["id-form", "string-form"])
def test_bpe_reserved_or_unrecorded_unused_symbol_is_unknown(tmp_path, string_form):
    """A single-character CONTROL piece in text, and a single-character UNUSED piece (no merge made
    it, so there is nothing to split it back into), are unknown text; a run of them is one unk."""
    extra = FORCE_STRING_FORM if string_form else []
    pieces = SPECIALS + [("a", -1.0, NORMAL), ("b", -2.0, NORMAL), ("ab", -0.5, NORMAL), ("c", -3.0, CONTROL)] + extra
    if string_form:
        pieces.append(("x", -3.0, UNUSED))
    pair = Pair(tmp_path, model_bytes(pieces))
    assert pair.both_load()
    ref = pair.reference
    assert ref.encode("c") == [ref.unk_id()] and ref.encode("cc") == [ref.unk_id()]
    texts = ["c", "cc", "ac", "cab", "abc", "acbc"]
    if string_form:
        assert ref.encode("x") == [ref.unk_id()]
        texts += ["x", "xab", "axc", "xx"]
    pair.check(texts + random_texts("abcxz" if string_form else "abc"))
    # With byte fallback the same symbols are spelled in bytes.
    fallback = Pair(tmp_path, model_bytes(pieces, byte_fallback=True, byte_pieces=True))
    assert fallback.both_load()
    assert fallback.reference.encode("c") == [fallback.reference.piece_to_id("<0x63>")]
    fallback.check(texts + random_texts("abcxz", seed=1))


def test_bpe_unused_pieces_are_split_back_at_most_100_levels(tmp_path):
    """A chain of UNUSED merges `aa`, `aaa`, ... under a NORMAL piece: each final UNUSED piece is split
    back into its halves, but below 100 levels the library keeps the half it reached as it is."""
    pieces = SPECIALS + [("a", -1.0, NORMAL)]
    pieces += [("a" * k, -2.0 + 0.001 * k, UNUSED) for k in range(2, 130)]
    pieces.append(("a" * 130, 5.0, NORMAL))
    pair = Pair(tmp_path, model_bytes(pieces))
    assert pair.both_load()
    ids = pair.reference.encode("a" * 120)
    assert len(ids) < 120 and pair.reference.is_unused(ids[0]), "the library should keep an UNUSED piece deep down"
    pair.check(["a" * n for n in (2, 99, 100, 101, 102, 103, 110, 129, 130, 131, 260)])


# 2. The raw "\0" piece ---------------------------------------------------------------------------


@pytest.mark.parametrize("bpe", [True, False], ids=["bpe", "unigram"])
@pytest.mark.parametrize("byte_fallback", [False, True], ids=["plain", "byte-fallback"])
@pytest.mark.parametrize("kind", [UNUSED, NORMAL, CONTROL, USER], ids=["unused", "normal", "control", "user"])
def test_raw_nul_piece(tmp_path, bpe, byte_fallback, kind):
    """A piece that is exactly "\\0": UNUSED, it is left out of the index (text "\\0" is unknown, or
    byte <0x00>); of another type it refuses the model, unless byte fallback is on, which retypes it
    UNUSED (a CONTROL "\\0" then decodes to "\\0" instead of vanishing)."""
    pieces = SPECIALS + [("a", -1.0, NORMAL), ("\0", -2.0, kind), ("b", -3.0, NORMAL)]
    pair = Pair(tmp_path, model_bytes(pieces, bpe=bpe, byte_fallback=byte_fallback, byte_pieces=byte_fallback))
    if not pair.both_load():
        assert kind != UNUSED and not byte_fallback
        return
    ref = pair.reference
    nul = 4
    assert ref.id_to_piece(nul) == "\0" and ref.encode("\0") != [nul]
    pair.check(["\0", "a\0b", "\0\0", "ab\0", "b\0a\0"] + random_texts("ab\0", seed=2))
    for ids in ([nul], [3, nul, 5], [0, nul], [nul, nul], [1, nul, 2]):
        pair.check_decode(ids)
    # Not in the index: the library's `piece_to_id` answers unk for it, tokembed's `token_to_id` None.
    assert ref.piece_to_id("\0") == ref.unk_id()
    assert pair.ours.token_to_id("\0") is None


@pytest.mark.parametrize("bpe", [True, False], ids=["bpe", "unigram"])
def test_pieces_the_library_refuses(tmp_path, bpe):
    """Load errors of `InitializePieces`: a NUL inside a longer piece, a piece of 8000 bytes, a BYTE
    piece not spelled <0xNN>, fewer than 256 byte pieces with byte fallback, and (BPE only) a text
    that is both a CONTROL and a NORMAL piece; Unigram's `BuildTrie`: no piece to build it from."""
    base = SPECIALS + [("a", -1.0, NORMAL)]
    refused = [
        model_bytes(base + [("a\0", -2.0, UNUSED)], bpe=bpe),
        model_bytes(base + [("a" * 8000, -2.0, NORMAL)], bpe=bpe),
        model_bytes(base + [("<0x1g>", 0.0, BYTE)], bpe=bpe, byte_fallback=True, byte_pieces=True),
        model_bytes(base + [("<0x0a>", 0.0, BYTE)], bpe=bpe, byte_fallback=True, byte_pieces=True),
        model_bytes(base + [(f"<0x{b:02X}>", 0.0, BYTE) for b in range(255)], bpe=bpe, byte_fallback=True),
    ]
    for data in refused:
        pair = Pair(tmp_path, data)
        assert pair.reference is None, "the library should refuse this model"
        assert not pair.both_load()
    both = Pair(tmp_path, model_bytes(base + [("<s>", -2.0, NORMAL)], bpe=bpe))
    assert both.both_load() == (not bpe)
    if not bpe:
        # A NORMAL piece sharing its text with a CONTROL one decodes by its id's type, as the
        # library decodes it (the CONTROL id vanishes, the NORMAL one is text).
        both.check(["<s>a", "a<s>"])
        normal, control = len(base), 1
        assert both.reference.id_to_piece(normal) == both.reference.id_to_piece(control) == "<s>"
        assert both.reference.decode([normal, control, normal]) == "<s><s>", "the library decodes by id"
        for ids in ([normal], [control], [normal, control, normal], [control, 3, normal]):
            both.check_decode(ids)
    assert Pair(tmp_path, model_bytes(base + [("a" * 7999, -2.0, NORMAL)], bpe=bpe)).both_load()
    # Only reserved pieces: BPE loads (everything is unknown text), Unigram has no trie to build.
    reserved_only = Pair(tmp_path, model_bytes(SPECIALS + [("c", -1.0, CONTROL)], bpe=bpe))
    assert reserved_only.both_load() == bpe
    if bpe:
        reserved_only.check(["c", "cx"])


# 3. Byte fallback without an UNKNOWN piece ---------------------------------------------------------


@pytest.mark.parametrize("bpe", [True, False], ids=["bpe", "unigram"])
def test_byte_fallback_without_unknown_piece(tmp_path, bpe):
    """With byte fallback and 256 byte pieces, a model without UNKNOWN piece loads and spells
    unknown text in bytes; without byte fallback it is refused."""
    pieces = [("<s>", 0.0, CONTROL), ("</s>", 0.0, CONTROL), ("a", -1.0, NORMAL), ("b", -2.0, NORMAL), ("ab", -0.5, NORMAL)]
    for extra in ([], FORCE_STRING_FORM):
        pair = Pair(tmp_path, model_bytes(pieces + extra, bpe=bpe, byte_fallback=True, byte_pieces=True))
        assert pair.both_load()
        ref = pair.reference
        assert ref.unk_id() == -1 and ref.encode("x") == [ref.piece_to_id("<0x78>")]
        pair.check(["ab", "axb", "é", "日本", "xy", "a😀b", ""] + random_texts("abxé😀", seed=3))
        for ids in ([0], [0, 1, 2], [3, 200, 4], [len(pieces) + len(extra) + 256], [-1]):
            pair.check_decode(ids)
    assert not Pair(tmp_path, model_bytes(pieces, bpe=bpe)).both_load()


# 4. -0.0 below +0.0 -----------------------------------------------------------------------------------


@pytest.mark.parametrize("string_form", [False, True], ids=["id-form", "string-form"])
def test_bpe_orders_negative_zero_below_positive_zero(tmp_path, string_form):
    """Pairs `ab` (score -0.0) and `bc` (+0.0) in "abc": the library merges `bc` first, though it
    is to the right (0.2.1 took the leftmost, as for equal scores)."""
    extra = FORCE_STRING_FORM if string_form else []
    for ab, bc in ((-0.0, 0.0), (0.0, -0.0), (-0.0, -0.0), (0.0, 0.0)):
        pieces = SPECIALS + [("a", -1.0, NORMAL), ("b", -1.0, NORMAL), ("c", -1.0, NORMAL), ("ab", ab, NORMAL), ("bc", bc, NORMAL)]
        pair = Pair(tmp_path, model_bytes(pieces + extra))
        assert pair.both_load()
        bc_first = math.copysign(1.0, ab) < math.copysign(1.0, bc)
        assert (pair.reference.encode("abc", out_type=str) == ["a", "bc"]) == bc_first
        pair.check(["abc", "abcabc", "bcab", "cabc"] + random_texts("abcz", seed=4))


@pytest.mark.parametrize("score", [math.inf, -math.inf, math.nan], ids=["inf", "-inf", "nan"])
def test_bpe_scores_need_not_be_finite(tmp_path, score):
    """The library loads a BPE model with an infinite or NaN score and orders it by its bits (NaN
    above +inf); a Unigram model with one is refused."""
    pieces = SPECIALS + [("a", -1.0, NORMAL), ("b", -1.0, NORMAL), ("c", -1.0, NORMAL), ("ab", score, NORMAL), ("bc", 1.0, NORMAL)]
    pieces.append(("bcd", math.inf, NORMAL))
    pieces.append(("d", -1.0, NORMAL))
    pair = Pair(tmp_path, model_bytes(pieces))
    assert pair.both_load()
    pair.check(["abc", "cab", "abcd", "bcab"] + random_texts("abcd", seed=5))
    assert not Pair(tmp_path, model_bytes(pieces, bpe=False)).both_load()


# 5. bos / eos and decoding ---------------------------------------------------------------------------

BOS_CASES = {
    "standard": (SPECIALS + [("a", -1.0, NORMAL)], {}),
    "bos_id ignored": (SPECIALS + [("a", -1.0, NORMAL)], {"bos_id": -1, "eos_id": 3}),
    "normal <s>": ([("<unk>", 0.0, UNKNOWN), ("<s>", 0.0, NORMAL), ("</s>", 0.0, NORMAL), ("a", -1.0, NORMAL)], {}),
    "no <s>": ([("<unk>", 0.0, UNKNOWN), ("a", -1.0, NORMAL)], {}),
    "other names": (SPECIALS + [("[BOS]", 0.0, CONTROL), ("a", -1.0, NORMAL)], {"bos_piece": "[BOS]", "eos_piece": "[EOS]"}),
    "control at 3": ([("a", -1.0, NORMAL), ("<unk>", 0.0, UNKNOWN), ("</s>", 0.0, CONTROL), ("<s>", 0.0, CONTROL)], {}),
}


@pytest.mark.parametrize("bpe", [True, False], ids=["bpe", "unigram"])
@pytest.mark.parametrize("case", sorted(BOS_CASES))
def test_bos_and_eos_are_control_pieces_named_by_the_trainer_spec(tmp_path, bpe, case):
    """`add_bos` adds the CONTROL piece named `bos_piece` ("<s>"), whatever `bos_id` says; if there is
    none, the library's encode raises ValueError and tokembed refuses `add_bos=True` at load. Same
    for eos. Decoding raises IndexError only for ids out of range."""
    pieces, trainer = BOS_CASES[case]
    data = model_bytes(pieces, bpe=bpe, **trainer)
    plain = Pair(tmp_path, data)
    assert plain.both_load()
    ref = plain.reference
    for add_bos, add_eos in ((True, False), (False, True), (True, True)):
        try:
            ref.encode("a", add_bos=add_bos, add_eos=add_eos)
            library_raises = False
        except ValueError:
            library_raises = True
        pair = Pair(tmp_path, data, add_bos=add_bos, add_eos=add_eos)
        assert (pair.ours is None) == library_raises, f"add_bos={add_bos} add_eos={add_eos}"
        if pair.ours is not None:
            pair.check(["a", "aa", ""])
            expected = ref.encode("aa", add_bos=add_bos, add_eos=add_eos, out_type=str)
            assert list(pair.ours.encode("aa").tokens) == expected
    if case == "standard":
        assert ref.bos_id() == 1 and ref.eos_id() == 2
    if case in ("normal <s>", "no <s>"):
        assert ref.bos_id() == -1
    size = ref.get_piece_size()
    for ids in ([0], [0, 0], [size - 1, 0], [size], [-1], [0, size + 5]):
        plain.check_decode(ids)
