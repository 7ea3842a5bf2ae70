"""``tokembed.train_bpe`` against HF ``tokenizers``' BpeTrainer: the same merges and vocabulary
on the shared corpora, on generated text and under every option; inputs from files; the trained
tokenizer as HF and tiktoken load it."""

from __future__ import annotations

import gzip
import json
import pickle
import sys
from pathlib import Path

import pytest
import tiktoken
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from tokenizers import Tokenizer as HFTokenizer

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from conftest import CORPORA, DATA, corpus_lines  # noqa: E402
from reference_hf_train import hf_train_bpe, model_of, prefixed_order, split_regex  # noqa: E402

import tokembed  # noqa: E402
from tokembed import _core  # noqa: E402
from tokembed.corpus.problems import BadInput  # noqa: E402
from tokembed.train import save_tiktoken, tiktoken_ranks  # noqa: E402

PATTERNS = ["gpt2", "cl100k_base", "o200k_base", "llama3", "qwen2"]


def assert_same_model(ours: tokembed.Tokenizer, hf: HFTokenizer) -> None:
    a, b = model_of(ours.to_str()), model_of(hf.to_str())
    assert a["vocab"] == b["vocab"]
    assert len(a["merges"]) == len(b["merges"])
    for rank, (x, y) in enumerate(zip(a["merges"], b["merges"])):
        assert x == y, f"merge {rank}: ours {x}, HF {y}"


def train_both(texts, vocab_size, pattern="gpt2", **options):
    ours = tokembed.train_bpe(texts, vocab_size, pattern=pattern, progress=False, **options)
    hf = hf_train_bpe(texts, vocab_size, split_regex(ours.to_str()), **options)
    return ours, hf


@pytest.mark.parametrize("path", CORPORA, ids=lambda p: p.stem)
def test_merges_and_vocab_as_hf_on_each_corpus(path):
    texts = corpus_lines(path)[:40_000]
    ours, hf = train_both(texts, 12_000)
    assert_same_model(ours, hf)


@pytest.mark.parametrize("pattern", PATTERNS[1:])
def test_merges_and_vocab_as_hf_under_each_pattern(pattern):
    # Code and German: digits, punctuation runs, newlines and accents, where the patterns differ.
    texts = corpus_lines(DATA / "corpora" / "code_python_stdlib_3MB.txt")[:30_000]
    texts += corpus_lines(DATA / "corpora" / "de_manpages_3MB.txt")[:20_000]
    ours, hf = train_both(texts, 8_000, pattern)
    assert_same_model(ours, hf)


def test_merges_and_vocab_as_hf_on_ten_megabytes_at_32k():
    texts = corpus_lines(DATA / "corpora" / "en_python_docs_10MB.txt")
    ours, hf = train_both(texts, 32_000)
    assert_same_model(ours, hf)


@pytest.mark.parametrize(
    "options",
    [
        dict(special_tokens=["<|endoftext|>", "<pad>", "<|endoftext|>"]),
        dict(min_frequency=0),
        dict(min_frequency=40),  # stops before the vocabulary is full
        dict(max_token_length=4),
        dict(max_token_length=2, special_tokens=["[X]"]),
    ],
    ids=["specials", "min0", "min40", "maxlen4", "maxlen2"],
)
def test_options_as_hf(options):
    texts = corpus_lines(DATA / "corpora" / "en_fortunes.txt")
    ours, hf = train_both(texts, 3_000, "o200k_base", **options)
    assert_same_model(ours, hf)
    assert json.loads(ours.to_str())["added_tokens"] == json.loads(hf.to_str())["added_tokens"]


@pytest.mark.parametrize(
    "name, pattern, options",
    [
        ("en_botchan.txt", "gpt2", dict(continuing_subword_prefix="##")),
        ("de_manpages_3MB.txt", "o200k_base", dict(continuing_subword_prefix="##", min_frequency=3)),
        ("en_fortunes.txt", "gpt2", dict(initial_alphabet=["é", "ß"], limit_alphabet=1_000)),
        ("code_python_stdlib_3MB.txt", "cl100k_base", dict(continuing_subword_prefix="@@", initial_alphabet=["λ"])),
    ],
)
def test_character_options_as_hf_given_its_order(name, pattern, options):
    texts = corpus_lines(DATA / "corpora" / name)
    regex = split_regex(tokembed.train_bpe(["x"], 300, pattern=pattern, progress=False).to_str())
    hf = hf_train_bpe(texts, 3_000, regex, **options)
    prefix = options.get("continuing_subword_prefix")
    order = prefixed_order(hf, prefix) if prefix else ()
    ours = tokembed.train_bpe(texts, 3_000, pattern=pattern, continuing_order=order, progress=False, **options)
    assert_same_model(ours, hf)
    assert model_of(ours.to_str())["continuing_subword_prefix"] == prefix
    # HF loads the file and encodes unseen text as tokembed does.
    loaded = HFTokenizer.from_str(ours.to_str())
    for text in corpus_lines(DATA / "corpora" / "en_python_docs_10MB.txt")[:300]:
        assert list(ours.encode(text).ids) == loaded.encode(text).ids


def test_character_options_are_checked():
    with pytest.raises(ValueError, match="continuing_subword_prefix"):
        tokembed.train_bpe(["a b"], 300, continuing_subword_prefix="")
    with pytest.raises(ValueError, match="single characters"):
        tokembed.train_bpe(["a b"], 300, initial_alphabet=["ab"])
    with pytest.raises(TypeError, match="not one str"):
        tokembed.train_bpe(["a b"], 300, initial_alphabet="ab")
    with pytest.raises(ValueError, match="limit_alphabet"):
        tokembed.train_bpe(["a b"], 300, limit_alphabet=-1)


def test_a_huge_vocab_size_stops_when_no_pair_is_left():
    texts = corpus_lines(DATA / "corpora" / "en_fortunes.txt")[:2000]
    # HF reserves the whole vocabulary up front (it would abort on 10**12): it gets 10**6, which
    # these texts do not fill either.
    ours, hf = train_both(texts, 10**6, min_frequency=0)
    assert_same_model(ours, hf)
    assert ours.vocab_size < 10**5
    huge = tokembed.train_bpe(texts, 10**12, min_frequency=0, progress=False)
    assert huge.to_str() == ours.to_str()
    ours_wp = tokembed.train_wordpiece(texts, 10**12, min_frequency=0, progress=False)
    assert ours_wp.vocab_size < 100_000


def test_a_vocabulary_no_larger_than_the_alphabet_has_no_merges():
    texts = ["hello hello world"]
    for size in (1, 256, 257):
        ours, hf = train_both(texts, size, min_frequency=0, special_tokens=["<s>"])
        assert_same_model(ours, hf)
    assert len(model_of(ours.to_str())["merges"]) == 0


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    texts=st.lists(
        st.text(st.sampled_from("ab  c\n\tdé漢字1234!?'s-"), max_size=60) | st.text(max_size=30), min_size=1, max_size=40
    ),
    vocab_size=st.integers(256, 420),
    pattern=st.sampled_from(PATTERNS),
    min_frequency=st.integers(0, 3),
)
def test_generated_texts_as_hf(texts, vocab_size, pattern, min_frequency):
    try:
        ours, hf = train_both(texts, vocab_size, pattern, min_frequency=min_frequency)
    except ValueError as e:
        assert "no text to train on" in str(e)
        assert not any(texts_hold_words(texts))
        return
    assert_same_model(ours, hf)


def texts_hold_words(texts):
    return [t for t in texts if t]


def test_counts_do_not_depend_on_threads_or_batches():
    texts = corpus_lines(DATA / "corpora" / "de_manpages_3MB.txt")
    previous = tokembed.get_num_threads()
    try:
        tokembed.set_num_threads(1)
        one = tokembed.train_bpe(texts, 4_000, progress=False).to_str()
        tokembed.set_num_threads(2)
        two = tokembed.train_bpe(iter(texts), 4_000, progress=False).to_str()
    finally:
        tokembed.set_num_threads(previous)
    assert one == two
    counter = _core.WordCounter("gpt2")
    for start in range(0, len(texts), 777):
        counter.feed(texts[start : start + 777])
    assert counter.documents == len(texts)
    assert counter.text_bytes == sum(len(t.encode()) for t in texts)
    assert model_of(counter.train_bpe(4_000, 2, [])) == model_of(one)


def test_trained_tokenizer_encodes_as_hf_loads_it_and_round_trips():
    text = (DATA / "corpora" / "en_botchan.txt").read_text(encoding="utf-8")
    train, held = text[: len(text) // 2].split("\n"), text[len(text) // 2 :].split("\n")
    for pattern in ("gpt2", "o200k_base"):
        ours = tokembed.train_bpe(train, 2_000, pattern=pattern, special_tokens=["<|endoftext|>"], progress=False)
        hf = HFTokenizer.from_str(ours.to_str())
        docs = held + ["<|endoftext|>x", "  spaces  \n\n"]
        for doc in docs:
            assert list(ours.encode(doc).ids) == hf.encode(doc).ids, doc
            assert ours.decode(ours.encode(doc).ids, skip_special_tokens=False) == doc
        again = pickle.loads(pickle.dumps(ours))
        assert again.to_str() == ours.to_str()


def test_tiktoken_ranks_encode_held_out_text_as_the_trained_file(tmp_path):
    text = (DATA / "corpora" / "en_python_docs_10MB.txt").read_text(encoding="utf-8")[:3_000_000]
    train, held = text[:2_000_000].split("\n"), text[2_000_000:].split("\n")
    for pattern in ("gpt2", "o200k_base"):
        ours = tokembed.train_bpe(train, 8_000, pattern=pattern, special_tokens=["<|endoftext|>"], progress=False)
        ranks = tiktoken_ranks(ours)
        assert len(ranks) == ours.vocab_size - 1 and all(bytes([b]) in ranks for b in range(256))
        regex = split_regex(ours.to_str()) or _core.WordCounter("gpt2").pattern
        enc = tiktoken.Encoding("trained", pat_str=regex, mergeable_ranks=ranks, special_tokens={"<|endoftext|>": 0})
        got = enc.encode_ordinary_batch(held)
        want = [list(map(int, ours.encode(doc, add_special_tokens=False).ids)) for doc in held]
        assert got == want
        path = tmp_path / f"{pattern}.tiktoken"
        save_tiktoken(ours, path)
        from tiktoken.load import load_tiktoken_bpe

        assert load_tiktoken_bpe(str(path)) == ranks
        loaded = tokembed.Tokenizer.from_tiktoken(path, pattern=regex, special_tokens={"<|endoftext|>": 0})
        assert [list(map(int, loaded.encode(d, add_special_tokens=False).ids)) for d in held[:2000]] == want[:2000]


def test_tiktoken_ranks_refuse_what_is_not_a_byte_level_bpe():
    bert = tokembed.Tokenizer.from_file(DATA / "tokenizers" / "bert-base-uncased" / "tokenizer.json")
    with pytest.raises(ValueError):
        tiktoken_ranks(bert)
    with pytest.raises(TypeError):
        tiktoken_ranks("gpt2")


def test_files_are_read_as_tokembed_encode_reads_them(tmp_path):
    lines = corpus_lines(DATA / "corpora" / "en_fortunes.txt")
    expected = tokembed.train_bpe(lines, 1_000, progress=False).to_str()
    txt = tmp_path / "a.txt"
    txt.write_text("\n".join(lines[:3000]), encoding="utf-8")
    (tmp_path / "b.txt").write_text("\n".join(lines[3000:]), encoding="utf-8")
    jsonl = tmp_path / "c.jsonl.gz"
    with gzip.open(jsonl, "wt", encoding="utf-8") as f:
        for line in lines:
            f.write(json.dumps({"body": line, "other": 1}) + "\n")
    assert tokembed.train_bpe(str(tmp_path / "*.txt"), 1_000, progress=False).to_str() == expected
    assert tokembed.train_bpe([txt, tmp_path / "b.txt"], 1_000, progress=False).to_str() == expected
    assert tokembed.train_bpe([str(txt), str(tmp_path / "b.txt")], 1_000, progress=False).to_str() == expected
    assert tokembed.train_bpe(jsonl, 1_000, json_key="body", progress=False).to_str() == expected
    with pytest.raises(FileNotFoundError):
        tokembed.train_bpe(tmp_path / "missing.txt", 1_000, progress=False)


def test_bad_lines_are_reported_and_follow_the_errors_policy(tmp_path, capsys):
    path = tmp_path / "bad.txt"
    path.write_bytes(b"good line\nbad \xff line\nanother good line\n")
    replaced = tokembed.train_bpe(path, 300, min_frequency=0, progress=False)
    assert f"{path}:2: invalid UTF-8" in capsys.readouterr().err
    as_text = ["good line", "bad \ufffd line", "another good line"]
    assert replaced.to_str() == tokembed.train_bpe(as_text, 300, min_frequency=0, progress=False).to_str()
    skipped = tokembed.train_bpe(path, 300, min_frequency=0, errors="skip", progress=False)
    assert skipped.to_str() == tokembed.train_bpe(["good line", "another good line"], 300, min_frequency=0, progress=False).to_str()
    with pytest.raises(BadInput, match=r"bad.txt:2"):
        tokembed.train_bpe(path, 300, errors="strict", progress=False)


def test_progress_bar_and_callback(capsys):
    texts = corpus_lines(DATA / "corpora" / "en_python_docs_10MB.txt")[:60_000]
    tokembed.train_bpe(texts, 2_000, progress=True)
    err = capsys.readouterr().err
    assert "count words" in err and "merge" in err
    seen = []

    def stop(done, at_most):
        seen.append((done, at_most))
        raise KeyboardInterrupt

    counter = _core.WordCounter("gpt2")
    counter.feed(corpus_lines(DATA / "corpora" / "en_python_docs_10MB.txt"))
    with pytest.raises(KeyboardInterrupt):
        counter.train_bpe(200_000, 0, [], None, stop)
    assert len(seen) == 1


def test_bad_arguments_are_clear_errors():
    with pytest.raises(ValueError, match="vocab_size"):
        tokembed.train_bpe(["a b"], 0)
    with pytest.raises(TypeError, match="vocab_size"):
        tokembed.train_bpe(["a b"], True)
    with pytest.raises(ValueError, match="min_frequency"):
        tokembed.train_bpe(["a b"], 300, min_frequency=-1)
    with pytest.raises(ValueError, match="max_token_length"):
        tokembed.train_bpe(["a b"], 300, max_token_length=0)
    with pytest.raises(TypeError, match="special_tokens"):
        tokembed.train_bpe(["a b"], 300, special_tokens="<s>")
    with pytest.raises(ValueError, match="pattern does not compile"):
        tokembed.train_bpe(["a b"], 300, pattern="(unclosed")
    with pytest.raises(TypeError, match=r"inputs\[1\] must be str"):
        tokembed.train_bpe(iter(["a b", 3]), 300)
    with pytest.raises(TypeError, match="bytes"):
        tokembed.train_bpe(b"a b", 300)
    with pytest.raises(TypeError):
        tokembed.train_bpe(42, 300)
    with pytest.raises(ValueError, match="no text"):
        tokembed.train_bpe(["", ""], 300)


def test_parquet_and_jsonl_inputs_give_the_same_tokenizer(tmp_path):
    import pyarrow as pa
    import pyarrow.parquet as pq

    lines = [line for line in corpus_lines(DATA / "corpora" / "en_botchan.txt") if line]
    pq.write_table(pa.table({"content": lines}), tmp_path / "a.parquet", row_group_size=700)
    (tmp_path / "b.jsonl").write_text("".join(json.dumps({"content": line}) + "\n" for line in lines), encoding="utf-8")
    expected = tokembed.train_bpe(lines, 1_500, progress=False).to_str()
    assert tokembed.train_bpe(tmp_path / "a.parquet", 1_500, json_key="content", progress=False).to_str() == expected
    assert tokembed.train_bpe(tmp_path / "b.jsonl", 1_500, json_key="content", progress=False).to_str() == expected
    wordpiece = tokembed.train_wordpiece(tmp_path / "a.parquet", 1_500, json_key="content", progress=False)
    assert wordpiece.get_vocab() == tokembed.train_wordpiece(lines, 1_500, progress=False).get_vocab()
    again = pickle.loads(pickle.dumps(wordpiece))
    assert again.get_vocab() == wordpiece.get_vocab()
    assert list(again.encode("The cat, unseen.").ids) == list(wordpiece.encode("The cat, unseen.").ids)


def test_training_in_a_child_forked_while_another_thread_trains_does_not_hang():
    import subprocess
    import textwrap

    tests = Path(__file__).resolve().parents[1]
    code = textwrap.dedent(f"""
        import os, sys, threading
        sys.path.insert(0, {str(tests)!r})
        from forking import wait_or_kill
        import tokembed
        texts = open({str(DATA / "corpora" / "en_fortunes.txt")!r}, encoding="utf-8").read().split("\\n")
        expected = tokembed.train_bpe(texts, 2000, progress=False).to_str()
        stop = False
        def churn():
            while not stop:
                tokembed.train_bpe(texts, 1500, progress=False)
        worker = threading.Thread(target=churn)
        worker.start()
        hung = 0
        for _ in range(8):
            pid = os.fork()
            if pid == 0:
                tokembed.set_num_threads(2)
                ok = tokembed.train_bpe(texts, 2000, progress=False).to_str() == expected
                os._exit(0 if ok else 3)
            code = wait_or_kill(pid, 60)
            assert code in (0, None), code
            hung += code is None
        stop = True
        worker.join()
        print("hung", hung)
    """)
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "hung 0", done.stdout
