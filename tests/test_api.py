"""The Python API: loading and saving, settings, argument handling and errors, threads, fork."""

from __future__ import annotations

import json
import os
import multiprocessing
import pickle
import subprocess
import sys

import numpy as np
import pytest
from tokenizers import Tokenizer as HFTokenizer
from tokenizers.implementations import BertWordPieceTokenizer

import tokembed
from conftest import BERT_DIR, BERT_JSON, BERT_VOCAB, CORPORA, corpus_lines

SAMPLE = [line for line in corpus_lines(CORPORA[2])[:400] if line.strip()]


@pytest.fixture(scope="module")
def tok():
    return tokembed.Tokenizer.from_file(BERT_JSON)


def hf_ids(hf: HFTokenizer, texts):
    return [e.ids for e in hf.encode_batch(texts)]


def flat_rows(ids, offsets):
    return [ids[offsets[i] : offsets[i + 1]].tolist() for i in range(len(offsets) - 1)]


# ----- loading and saving ------------------------------------------------------------------


def test_loaders_agree(tok):
    expected = flat_rows(*tok.encode_batch_flat(SAMPLE))
    for other in (
        tokembed.Tokenizer.from_pretrained(BERT_DIR),
        tokembed.Tokenizer.from_str(BERT_JSON.read_text(encoding="utf-8")),
        tokembed.Tokenizer.builtin("bert-base-uncased"),
        tokembed.Tokenizer.builtin(),
        tokembed.Tokenizer.load("bert-base-uncased"),
        tokembed.Tokenizer.load(BERT_JSON),
    ):
        assert flat_rows(*other.encode_batch_flat(SAMPLE)) == expected
    assert "bert-base-uncased" in tokembed.Tokenizer.builtin_names()


def test_from_pretrained_reads_vocab_txt_when_there_is_no_json(tmp_path):
    (tmp_path / "vocab.txt").write_text(BERT_VOCAB.read_text(encoding="utf-8"), encoding="utf-8")
    ours = tokembed.Tokenizer.from_pretrained(tmp_path)
    hf = BertWordPieceTokenizer(str(BERT_VOCAB))
    assert flat_rows(*ours.encode_batch_flat(SAMPLE)) == hf_ids(hf, SAMPLE)


def test_from_wordpiece_vocab_cased(tmp_path):
    ours = tokembed.Tokenizer.from_wordpiece_vocab(BERT_VOCAB, lowercase=False)
    hf = BertWordPieceTokenizer(str(BERT_VOCAB), lowercase=False)
    assert flat_rows(*ours.encode_batch_flat(SAMPLE)) == hf_ids(hf, SAMPLE)


@pytest.mark.parametrize("source", ["json", "vocab"])
def test_saved_file_loads_in_hf_with_the_same_behaviour(tmp_path, source):
    if source == "json":
        ours = tokembed.Tokenizer.from_file(BERT_JSON)
        reference = HFTokenizer.from_file(str(BERT_JSON))
    else:
        ours = tokembed.Tokenizer.from_wordpiece_vocab(BERT_VOCAB)
        reference = BertWordPieceTokenizer(str(BERT_VOCAB))
    ours.enable_truncation(16, stride=2)
    reference.enable_truncation(16, stride=2)
    path = tmp_path / "tokenizer.json"
    ours.save(path)
    reloaded_hf = HFTokenizer.from_file(str(path))
    reloaded_ours = tokembed.Tokenizer.from_file(path)
    for text in SAMPLE[:100]:
        expected = reference.encode(text)
        for other in (reloaded_hf.encode(text),):
            assert other.ids == expected.ids and other.offsets == expected.offsets
            assert [o.ids for o in other.overflowing] == [o.ids for o in expected.overflowing]
        mine = reloaded_ours.encode(text)
        assert mine.ids.tolist() == expected.ids
    assert reloaded_ours.truncation == ours.truncation
    assert json.loads(path.read_text())["truncation"]["max_length"] == 16


def test_pickle_keeps_settings(tok):
    t = tokembed.Tokenizer.from_file(BERT_JSON)
    t.enable_truncation(10)
    t.enable_padding(length=12)
    clone = pickle.loads(pickle.dumps(t))
    assert clone.truncation == t.truncation and clone.padding == t.padding
    a, b = t.encode(SAMPLE[0]), clone.encode(SAMPLE[0])
    assert a.ids.tolist() == b.ids.tolist() and len(b) == 12


# ----- encoding ----------------------------------------------------------------------------


def test_encode_returns_numpy_arrays(tok):
    enc = tok.encode("Hello world!", "A pair.")
    assert enc.ids.dtype == np.int64 and enc.offsets.shape == (len(enc), 2)
    assert enc.tokens[0] == "[CLS]" and enc.tokens[-1] == "[PAD]"  # the file pads to 128
    assert len(enc) == 128


def test_call_is_encode_batch(tok):
    a = tok(SAMPLE[:20], max_length=32, truncation=True, padding="max_length")
    b = tok.encode_batch(SAMPLE[:20], max_length=32, truncation=True, padding="max_length")
    assert a.keys() == b.keys() and all(np.array_equal(a[k], b[k]) for k in a)
    assert a.input_ids.shape == (20, 32) and a.shape == (20, 32)
    single = tok("Just one text", padding="longest")
    assert single["input_ids"].shape[0] == 1


def test_count_tokens_and_flat_agree(tok):
    ids, offsets = tok.encode_batch_flat(SAMPLE)
    assert ids.dtype == np.uint32 and offsets.dtype == np.int64 and len(offsets) == len(SAMPLE) + 1
    counts = tok.count_tokens(SAMPLE)
    assert counts.dtype == np.int64
    assert np.array_equal(counts, np.diff(offsets))
    assert np.array_equal(tok.count_tokens(SAMPLE, add_special_tokens=False), counts - 2)
    no_special, _ = tok.encode_batch_flat(SAMPLE[:1], add_special_tokens=False)
    assert no_special.tolist() == ids[1 : offsets[1] - 1].tolist()


def test_flat_never_truncates(tok):
    long_text = " ".join(SAMPLE)
    ids, offsets = tok.encode_batch_flat([long_text])
    assert offsets[1] > 128  # the file truncates at 128; the flat path keeps everything
    hf = HFTokenizer.from_file(str(BERT_JSON))
    hf.no_truncation()
    hf.no_padding()
    assert ids.tolist() == hf.encode(long_text).ids


def test_empty_inputs(tok):
    ids, offsets = tok.encode_batch_flat([])
    assert ids.shape == (0,) and offsets.tolist() == [0]
    ids, offsets = tok.encode_batch_flat(["", ""])
    assert flat_rows(ids, offsets) == [[101, 102], [101, 102]]
    batch = tok.encode_batch([], padding="longest")
    assert batch["input_ids"].shape == (0, 0)
    assert tok.count_tokens([]).shape == (0,)
    assert tok.decode([]) == ""
    assert tok.decode_batch([]) == []
    enc = tok.encode("", add_special_tokens=False)
    assert enc.special_tokens_mask.tolist() == [1] * 128  # only padding


def test_non_strings_are_type_errors(tok):
    with pytest.raises(TypeError, match=r"texts\[1\] must be str, got int"):
        tok.encode_batch_flat(["ok", 3])
    with pytest.raises(TypeError, match="text must be str"):
        tok.encode(b"bytes")
    with pytest.raises(TypeError, match="not a single str"):
        tok.encode_batch("a whole string")
    with pytest.raises(TypeError):
        tok.count_tokens([None])
    with pytest.raises(TypeError, match=r"pairs\[0\] must be str"):
        tok.encode_batch(["a"], [1.5])


def test_lone_surrogates_are_value_errors(tok):
    with pytest.raises(ValueError, match=r"texts\[1\] contains a lone surrogate"):
        tok.encode_batch_flat(["fine", "bad \ud800 text"])
    with pytest.raises(ValueError, match="lone surrogate"):
        tok.encode("\udfff")


def test_bad_arguments_have_clear_errors(tok):
    with pytest.raises(ValueError, match="same length"):
        tok.encode_batch(["a", "b"], ["c"])
    with pytest.raises(ValueError, match="padding must be"):
        tok.encode_batch(["a"], padding="everything")
    with pytest.raises(ValueError, match="return_tensors='np' needs rows of one length"):
        tok.encode_batch(["a"], padding=False, return_tensors="np")
    with pytest.raises(ValueError, match="tokembed returns NumPy arrays"):
        tok.encode_batch(["a"], return_tensors="pt")
    with pytest.raises(ValueError, match="truncation must be"):
        tok.encode_batch(["a"], truncation="middle")
    with pytest.raises(ValueError, match="only_second"):
        tok.encode_batch(["a " * 300], truncation="only_second", max_length=10)
    with pytest.raises(ValueError, match="stride"):
        tok.encode_batch(["a " * 300], truncation=True, max_length=10, stride=8)
    with pytest.raises(ValueError, match="padding_side"):
        tok.encode_batch(["a"], padding_side="up")
    with pytest.raises(ValueError, match="fixed padding length"):
        tok.encode_batch(["a " * 300], truncation=False, padding="max_length", max_length=8)
    with pytest.raises(ValueError, match="max_length"):
        tok.encode_batch(["a"], truncation=True, max_length=1)


def test_decode_rejects_ids_out_of_range(tok):
    with pytest.raises(IndexError, match=r"token id 99999 at position 1"):
        tok.decode([101, 99999])
    with pytest.raises(IndexError, match="token id -1 at position 0"):
        tok.decode(np.array([-1]))
    with pytest.raises(IndexError, match=r"sequences\[1\]: token id 30522 at position 2"):
        tok.decode_batch([[101], [7592, 1, 30522]])
    with pytest.raises(TypeError):
        tok.decode([1.5])


def test_vocabulary_matches_hf(tok):
    hf = HFTokenizer.from_file(str(BERT_JSON))
    assert tok.get_vocab() == hf.get_vocab()
    assert tok.vocab_size == hf.get_vocab_size() == len(tok)
    assert tok.token_to_id("hello") == hf.token_to_id("hello") == 7592
    assert tok.id_to_token(7592) == "hello"
    assert tok.token_to_id("not-a-token") is None and tok.id_to_token(10**9) is None
    assert tok.num_special_tokens_to_add() == 2 and tok.num_special_tokens_to_add(is_pair=True) == 3


def test_unsupported_or_broken_files_name_the_json_path(tmp_path):
    config = json.loads(BERT_JSON.read_text(encoding="utf-8"))
    config["normalizer"] = {"type": "Sequence", "normalizers": [{"type": "NFC"}, {"type": "Unicode"}]}
    with pytest.raises(tokembed.TokenizerError, match=r"^normalizer\.normalizers\[1\]\.type: 'Unicode' is not supported"):
        tokembed.Tokenizer.from_str(json.dumps(config))
    assert issubclass(tokembed.TokenizerError, ValueError)
    config = json.loads(BERT_JSON.read_text(encoding="utf-8"))
    config["model"]["max_input_chars_per_word"] = "many"
    with pytest.raises(tokembed.TokenizerError, match=r"^model: invalid type: string \"many\", expected usize"):
        tokembed.Tokenizer.from_str(json.dumps(config))
    path = tmp_path / "broken.json"
    path.write_text("{ not json", encoding="utf-8")
    with pytest.raises(tokembed.TokenizerError, match="broken.json: not valid JSON"):
        tokembed.Tokenizer.from_file(path)
    with pytest.raises(FileNotFoundError):
        tokembed.Tokenizer.from_file(tmp_path / "missing.json")
    with pytest.raises(FileNotFoundError, match="never downloads"):
        tokembed.Tokenizer.from_pretrained("bert-base-uncased-not-a-folder")
    with pytest.raises(ValueError, match="no built-in tokenizer"):
        tokembed.Tokenizer.builtin("gpt-17")


# ----- threads and processes ---------------------------------------------------------------


def test_results_do_not_depend_on_thread_count(tok):
    texts = corpus_lines(CORPORA[0])[:5000]
    tokembed.set_num_threads(1)
    assert tokembed.get_num_threads() == 1
    one = tok.encode_batch_flat(texts)
    one_padded = tok.encode_batch(texts, truncation=True, max_length=64)
    tokembed.set_num_threads(2)
    two = tok.encode_batch_flat(texts)
    two_padded = tok.encode_batch(texts, truncation=True, max_length=64)
    assert np.array_equal(one[0], two[0]) and np.array_equal(one[1], two[1])
    assert np.array_equal(one_padded["input_ids"], two_padded["input_ids"])
    with pytest.raises(ValueError):
        tokembed.set_num_threads(0)


def test_environment_variable_sets_threads():
    code = "import tokembed; print(tokembed.get_num_threads())"
    out = subprocess.run([sys.executable, "-c", code], env={"TOKEMBED_NUM_THREADS": "3", "PATH": ""},
                         capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "3"


def _encode_in_child(texts):
    tok = tokembed.Tokenizer.builtin()
    return tok.count_tokens(texts).tolist()


def test_works_in_forked_children_after_use(tok):
    tokembed.set_num_threads(2)
    texts = SAMPLE * 20
    expected = tok.count_tokens(texts).tolist()  # starts the thread pool in the parent
    ctx = multiprocessing.get_context("fork")
    with ctx.Pool(2) as pool:
        result = pool.apply_async(_encode_in_child, (texts,))
        assert result.get(timeout=60) == expected


# ----- command line ------------------------------------------------------------------------


def run_cli(*args, stdin=None):
    return subprocess.run([sys.executable, "-m", "tokembed", *args], input=stdin, capture_output=True, text=True)


def test_cli_tokenize_default_builtin():
    out = run_cli("tokenize", "Hello, world!")
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["[CLS]:101", "hello:7592", ",:1010", "world:2088", "!:999", "[SEP]:102"]


def test_cli_pair_json_stdin_and_paths(tmp_path):
    out = run_cli("tokenize", "--json", "--pair", "second", "first")
    record = json.loads(out.stdout)
    hf = HFTokenizer.from_file(str(BERT_JSON))
    hf.no_padding()
    expected = hf.encode("first", "second")
    assert record["ids"] == expected.ids and record["type_ids"] == expected.type_ids
    out = run_cli("tokenize", "--tokenizer", str(BERT_VOCAB), stdin="one\ntwo\n")
    assert out.stdout.splitlines() == ["[CLS]:101 one:2028 [SEP]:102", "[CLS]:101 two:2048 [SEP]:102"]
    f = tmp_path / "in.txt"
    f.write_text("three\n", encoding="utf-8")
    out = run_cli("tokenize", "--file", str(f), "--no-special-tokens")
    assert out.stdout.strip() == "three:2093"
    out = run_cli("tokenize", "--tokenizer", str(tmp_path / "nope.json"), "x")
    assert out.returncode == 2 and "error" in out.stderr


def test_console_script_is_installed():
    out = subprocess.run(["tokembed", "tokenize", "hi"], capture_output=True, text=True)
    assert out.returncode == 0 and out.stdout.strip() == "[CLS]:101 hi:7632 [SEP]:102"


def _cpu_ticks_per_thread() -> dict:
    ticks = {}
    for tid in os.listdir("/proc/self/task"):
        with open(f"/proc/self/task/{tid}/stat") as f:
            stat = f.read()
        fields = stat[stat.rindex(")") + 2 :].split()
        ticks[tid] = int(fields[11]) + int(fields[12])
    return ticks


@pytest.mark.skipif(not os.path.isdir("/proc/self/task"), reason="needs Linux /proc to see threads")
@pytest.mark.parametrize("threads", [1, 2])
def test_batches_use_exactly_the_threads_asked_for(tok, threads):
    # Few long texts: the work is tokenizing, not collecting Python strings on the caller.
    lines = corpus_lines(CORPORA[4])[:120000]
    texts = ["\n".join(lines[i : i + 100]) for i in range(0, len(lines), 100)]
    tokembed.set_num_threads(threads)
    tok.count_tokens(texts)
    before = _cpu_ticks_per_thread()
    # Enough work to count (ticks are 10 ms): three calls were 7 ticks, and a worker that lost
    # one or two to another process on the machine looked idle.
    for _ in range(60):
        tok.count_tokens(texts)
        after = _cpu_ticks_per_thread()
        if sum(after[t] - before.get(t, 0) for t in after) >= 40:
            break
    used = [after[t] - before.get(t, 0) for t in after]
    busy = [u for u in used if u >= max(used) / 2]
    assert len(busy) == threads, f"CPU ticks per thread: {sorted(used, reverse=True)[:5]}"
    tokembed.set_num_threads(2)


@pytest.mark.parametrize("direction", ["right", "left"])
def test_padding_positions_are_named_by_pad_token_and_belong_to_no_sequence(direction):
    """HF names padding by the padding's own pad_token (here "<pad>", while id 0 is "[PAD]" in
    the vocabulary), overflowing windows included, and gives padding no sequence id."""
    hf = HFTokenizer.from_file(str(BERT_JSON))
    ours = tokembed.Tokenizer.from_file(str(BERT_JSON))
    for tok in (hf, ours):
        tok.enable_padding(pad_id=0, pad_token="<pad>", length=24, direction=direction)
        tok.enable_truncation(max_length=24, stride=4)
    lines = corpus_lines(CORPORA[0])[:40]
    for text, pair in zip(lines, lines[1:] + [None]):
        if pair is not None and len(hf.encode(text).ids) > 20:
            pair = None  # a pair too long for max_length: HF raises, which test_api checks elsewhere
        theirs, mine = hf.encode(text, pair), ours.encode(text, pair)
        for t, m in [(theirs, mine)] + list(zip(theirs.overflowing, mine.overflowing)):
            assert m.tokens == t.tokens, text
            assert m.sequence_ids == t.sequence_ids, text
            assert m.ids.tolist() == t.ids
