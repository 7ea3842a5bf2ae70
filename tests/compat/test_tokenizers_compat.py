"""tokembed.compat.tokenizers against HF `tokenizers`, call by call: every component variant of
tests/test_components_parity.py (built with HF, saved, loaded into the compat layer) and the
shared model files, through encode / encode_batch with pairs, special tokens on and off, padding
and truncation settings, and every field and position helper of the Encodings."""

from __future__ import annotations

import pickle
import sys
from pathlib import Path

import pytest
from tokenizers import Tokenizer as HFTokenizer

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import test_components_parity as components  # noqa: E402
from conftest import CORPORA, DATA, corpus_lines  # noqa: E402

from tokembed.compat.tokenizers import Tokenizer  # noqa: E402

VARIANTS = (
    [("normalizer", n) for n in components.NORMALIZERS]
    + [("pre_tokenizer", n) for n in components.PRE_TOKENIZERS]
    + [("added", n) for n in components.ADDED]
    + [("post_processor", n) for n in components.POST_PROCESSORS]
    + [("decoder", n) for n in components.DECODERS]
)
FILES = [
    DATA / "tokenizers" / "bert-base-uncased" / "tokenizer.json",
    DATA / "tokenizers" / "gpt2" / "tokenizer.json",
    DATA / "tokenizers" / "sentencepiece" / "botchan_en_unigram_1000.tokenizer.json",
    DATA / "tokenizers" / "sentencepiece" / "mistral_v1.legacy.tokenizer.json",
]
FIELDS = ["ids", "type_ids", "tokens", "offsets", "attention_mask", "special_tokens_mask", "word_ids", "sequence_ids",
          "n_sequences"]


@pytest.fixture(scope="module")
def lines():
    picked = []
    for path in CORPORA:
        picked += [line for line in corpus_lines(path)[:400] if line.strip()][::40]
    return picked + ["", " ", "déjà vu 中文 [CLS] <mask> Hello <|endoftext|>"]




def same_encoding(ours, theirs, where: str) -> None:
    for field in FIELDS:
        assert getattr(ours, field) == getattr(theirs, field), f"{field} differ: {where}"
    assert len(ours) == len(theirs)
    n = len(theirs.ids)
    # Where sequence ranges overlap (an encoding post-processed again keeps its old ones), HF's
    # token_to_sequence answers in the order of its hash map, which is not fixed: not compared.
    overlapping = {i for i in range(n) if sum(a <= i < b for a, b in ours._sequence_ranges().values()) > 1}
    for i in range(n):
        if i not in overlapping:
            assert ours.token_to_sequence(i) == theirs.token_to_sequence(i), where
        assert ours.token_to_chars(i) == theirs.token_to_chars(i), where
        assert ours.token_to_word(i) == theirs.token_to_word(i), where
    words = {w for w in theirs.word_ids if w is not None}
    for seq in range(theirs.n_sequences):
        for w in sorted(words) + [max(words, default=0) + 1]:
            assert ours.word_to_tokens(w, seq) == theirs.word_to_tokens(w, seq), where
            assert ours.word_to_chars(w, seq) == theirs.word_to_chars(w, seq), where
        ends = [end for (_, end), s in zip(theirs.offsets, theirs.sequence_ids) if s == seq]
        for c in range(max(ends, default=0) + 1):
            assert ours.char_to_token(c, seq) == theirs.char_to_token(c, seq), f"char {c} seq {seq}: {where}"
            assert ours.char_to_word(c, seq) == theirs.char_to_word(c, seq), f"char {c} seq {seq}: {where}"
    # The windows truncation cut off, nested as HF nests them: the same encodings.
    assert len(ours.overflowing) == len(theirs.overflowing), where
    for k, (o, t) in enumerate(zip(ours.overflowing, theirs.overflowing)):
        same_encoding(o, t, f"overflowing[{k}] of {where}")


def compare(ours: Tokenizer, hf: HFTokenizer, lines, where: str) -> None:
    pairs = lines[1:] + lines[:1]
    for add in (True, False):
        for i, line in enumerate(lines):
            pair = pairs[i] if i % 2 else None
            same_encoding(ours.encode(line, pair, add_special_tokens=add), hf.encode(line, pair, add_special_tokens=add),
                          f"{where} line {i} pair={pair is not None} add_special_tokens={add}")
        batch = [line if i % 3 else (line, pairs[i]) for i, line in enumerate(lines)]
        for k, (o, t) in enumerate(zip(ours.encode_batch(batch, add_special_tokens=add),
                                       hf.encode_batch(batch, add_special_tokens=add))):
            same_encoding(o, t, f"{where} batch row {k} add_special_tokens={add}")
    words = [line.split() for line in lines if line.split()]
    for k, (o, t) in enumerate(zip(ours.encode_batch(words, is_pretokenized=True),
                                   hf.encode_batch(words, is_pretokenized=True))):
        same_encoding(o, t, f"{where} pretokenized row {k}")
    ids = [e.ids for e in hf.encode_batch(lines)]
    for skip in (True, False):
        assert ours.decode_batch(ids, skip_special_tokens=skip) == hf.decode_batch(ids, skip_special_tokens=skip)
        assert ours.decode(ids[0], skip_special_tokens=skip) == hf.decode(ids[0], skip_special_tokens=skip)
    assert ours.get_vocab_size() == hf.get_vocab_size()
    assert ours.get_vocab(False) == hf.get_vocab(False)
    for is_pair in (False, True):
        assert ours.num_special_tokens_to_add(is_pair) == hf.num_special_tokens_to_add(is_pair)


def loaded(hf: HFTokenizer) -> Tokenizer:
    return Tokenizer.from_str(hf.to_str())


@pytest.mark.parametrize("kind, name", VARIANTS, ids=[f"{k}:{n}" for k, n in VARIANTS])
def test_component_variant(kind, name, lines):
    hf, _ = components.pair_for(kind, name)
    hf.no_padding()
    hf.no_truncation()
    compare(loaded(hf), hf, lines, f"{kind} {name}")


SETTINGS = {
    "no padding, no truncation": lambda t: (t.no_padding(), t.no_truncation()),
    "pad right": lambda t: (t.no_truncation(), t.enable_padding()),
    "pad left to 8s, pad id 3": lambda t: (t.no_truncation(),
                                           t.enable_padding(direction="left", pad_id=3, pad_type_id=1,
                                                            pad_token="<p>", pad_to_multiple_of=8)),
    "fixed length 48, truncate 40 stride 5": lambda t: (t.enable_truncation(40, stride=5),
                                                         t.enable_padding(length=48)),
    "truncate only_second left 24": lambda t: (t.no_padding(),
                                               t.enable_truncation(24, stride=3, strategy="only_second",
                                                                   direction="left")),
}


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
@pytest.mark.parametrize("setting", SETTINGS)
def test_model_files_with_padding_and_truncation(path, setting, lines):
    hf = HFTokenizer.from_file(str(path))
    SETTINGS[setting](hf)
    ours = loaded(hf)
    assert ours.padding == hf.padding and ours.truncation == hf.truncation
    long_lines = [line for line in lines if len(line) > 30][:6]
    try:
        compare(ours, hf, lines[:12] + long_lines, f"{path.name} {setting}")
    except ValueError:
        # only_second truncation of a text that cannot keep the stride: HF refuses too (an
        # exception, or a Rust panic, which is a BaseException).
        assert setting.startswith("truncate only_second")
        with pytest.raises(BaseException) as refused:
            compare(hf, hf, lines[:12] + long_lines, setting)
        assert not isinstance(refused.value, (KeyboardInterrupt, AssertionError))
        return
    SETTINGS[setting](ours)
    assert ours.padding == hf.padding and ours.truncation == hf.truncation


def test_loading_saving_and_pickling(tmp_path, lines):
    path = FILES[0]
    ours = Tokenizer.from_buffer(path.read_bytes())
    hf = HFTokenizer.from_file(str(path))
    assert ours.padding == hf.padding and ours.truncation == hf.truncation
    ours.save(str(tmp_path / "t.json"))
    again = HFTokenizer.from_file(str(tmp_path / "t.json"))
    assert again.padding == hf.padding and again.truncation == hf.truncation
    back = pickle.loads(pickle.dumps(ours))
    assert [e.ids for e in back.encode_batch(lines[:20])] == [e.ids for e in hf.encode_batch(lines[:20])]
    ours.encode_special_tokens = hf.encode_special_tokens = True
    for line in ["[CLS] hello [SEP]", "plain"]:
        assert ours.encode(line).ids == hf.encode(line).ids
    with pytest.raises(TypeError, match="from_file"):
        Tokenizer(None)
    with pytest.raises(TypeError, match=r"input\[0\]"):
        ours.encode_batch([3])


@pytest.mark.parametrize("direction", ["right", "left"])
def test_encoding_truncate_as_hf(direction, lines):
    hf = HFTokenizer.from_file(str(FILES[0]))
    hf.no_padding()
    hf.no_truncation()
    ours = loaded(hf)
    cases = [(lines[i], lines[i + 1] if i % 2 else None) for i in range(0, 16)]
    for text, pair in cases:
        for max_length, stride in [(0, 0), (1, 0), (5, 2), (7, 0), (9, 8), (1000, 3)]:
            mine, theirs = ours.encode(text, pair), hf.encode(text, pair)
            mine.truncate(max_length, stride, direction)
            theirs.truncate(max_length, stride, direction)
            where = f"truncate({max_length}, {stride}, {direction}) of {text!r} / {pair!r}"
            for field in FIELDS:
                assert getattr(mine, field) == getattr(theirs, field), f"{field}: {where}"
            assert len(mine.overflowing) == len(theirs.overflowing), where
            for o, t in zip(mine.overflowing, theirs.overflowing):
                for field in FIELDS:
                    assert getattr(o, field) == getattr(t, field), f"overflowing {field}: {where}"
    with pytest.raises(ValueError):
        ours.encode(lines[0]).truncate(3, 3)
    with pytest.raises(ValueError):
        ours.encode(lines[0]).truncate(3, 0, "middle")


def merge_cases(lines):
    """Lists of (text, pair, truncate-to) to encode and merge: single texts, pairs, and texts
    already cut into windows (which `merge` combines with the rest, nesting as HF does)."""
    a, b, c, d = lines[0], lines[len(lines) // 3], lines[2 * len(lines) // 3], lines[-1]
    return [
        [(a, None, None)],
        [(a, None, None), (b, None, None)],
        [(a, b, None), (c, None, None)],
        [(a, None, 5), (b, None, None), (c, d, None)],
        [(a, None, 7), (b, c, 4)],
        [(d, None, None), (a, None, 0)],
    ]


@pytest.mark.parametrize("path", [FILES[0], FILES[1], FILES[2]], ids=lambda p: p.name)
def test_encoding_merge_pad_and_sequence_ids_as_hf(path, lines):
    """`Encoding.merge`, then `pad` and `set_sequence_id` on the result: every field, window and
    position helper as HF's, sequence ids included (both keep HF's sequence ranges)."""
    hf = HFTokenizer.from_file(str(path))
    hf.no_padding()
    hf.no_truncation()
    ours = loaded(hf)
    for case in merge_cases(lines):
        for growing in (True, False):
            where = f"{path.name} merge {[(t[:10], p and p[:10], k) for t, p, k in case]} growing={growing}"
            parts = []
            for tok in (ours, hf):
                encodings = []
                for text, pair, keep in case:
                    e = tok.encode(text, pair)
                    if keep is not None:
                        e.truncate(keep, 1 if keep > 1 else 0)
                    encodings.append(e)
                parts.append(type(encodings[0]).merge(encodings, growing_offsets=growing))
            mine, theirs = parts
            same_encoding(mine, theirs, where)
            assert pickle.loads(pickle.dumps(mine)).ids == mine.ids
            for direction in ("left", "right"):
                mine.pad(len(mine) + 3, direction=direction, pad_id=7, pad_token="<p>")
                theirs.pad(len(theirs) + 3, direction=direction, pad_id=7, pad_token="<p>")
                same_encoding(mine, theirs, f"{where} padded {direction}")
            again = pickle.loads(pickle.dumps(mine))
            same_encoding(again, theirs, f"{where} pickled")
            # Sequence 1 over every token: the ranges now overlap, where HF's token_to_sequence
            # answers in the order of its hash map, which is not fixed; the fields are compared.
            mine.set_sequence_id(1)
            theirs.set_sequence_id(1)
            for field in FIELDS:
                assert getattr(mine, field) == getattr(theirs, field), f"{field}: {where} set_sequence_id(1)"


def test_empty_encoding_and_bad_indices_as_hf(lines):
    from tokenizers import Encoding as HFEncoding

    from tokembed.compat.tokenizers import Encoding

    hf = HFTokenizer.from_file(str(FILES[0]))
    ours = loaded(hf)
    for field in FIELDS + ["overflowing"]:
        assert getattr(Encoding(), field) == getattr(HFEncoding(), field), field
    assert len(Encoding.merge([])) == len(HFEncoding.merge([])) == 0
    mine, theirs = ours.encode(lines[0]), hf.encode(lines[0])
    for call in (lambda e: e.token_to_sequence(-1), lambda e: e.char_to_token(-2), lambda e: e.word_to_tokens(-1),
                 lambda e: e.pad(-1), lambda e: e.truncate(-1)):
        with pytest.raises(OverflowError):
            call(theirs)
        with pytest.raises(OverflowError):
            call(mine)
    with pytest.raises(TypeError):
        Encoding.merge([mine, "text"])


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
@pytest.mark.parametrize("setting", ["none", "fixed length 48, truncate 40 stride 5", "truncate only_second left 24"])
def test_post_process_as_hf(path, setting, lines):
    """`Tokenizer.post_process` of encodings made without special tokens (and of merged ones):
    truncation, post-processor and padding give HF's encoding."""
    hf = HFTokenizer.from_file(str(path))
    hf.no_padding()
    hf.no_truncation()
    ours = loaded(hf)
    cases = [(lines[i], lines[i + 1] if i % 2 else None) for i in range(0, 12)]
    for text, pair in cases:
        made = [(tok.encode(text, add_special_tokens=False),
                 None if pair is None else tok.encode(pair, add_special_tokens=False)) for tok in (ours, hf)]
        if setting != "none":
            SETTINGS[setting](hf)
            SETTINGS[setting](ours)
        for add in (True, False):
            where = f"{path.name} {setting} post_process({text[:20]!r}, {pair and pair[:20]!r}, {add})"
            try:
                theirs = hf.post_process(made[1][0], made[1][1], add)
            except BaseException as e:  # a refused only_second cut: HF panics
                if isinstance(e, (KeyboardInterrupt, AssertionError)):
                    raise
                with pytest.raises(ValueError):
                    ours.post_process(made[0][0], made[0][1], add)
                continue
            mine = ours.post_process(made[0][0], made[0][1], add)
            same_encoding(mine, theirs, where)
        hf.no_padding(), hf.no_truncation(), ours.no_padding(), ours.no_truncation()
    merged = [Tokenizer.__module__ and type(e).merge([e, e]) for e in (ours.encode(lines[0]), hf.encode(lines[0]))]
    same_encoding(ours.post_process(merged[0]), hf.post_process(merged[1]), f"{path.name} post_process(merged)")
    with pytest.raises(TypeError, match="must be an Encoding"):
        ours.post_process("text")
