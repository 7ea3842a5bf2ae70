"""Added tokens whose `id` in a tokenizer.json disagrees with what HF `tokenizers` gives them.

HF ignores the `id` fields of `added_tokens` when it loads a file (it only logs a warning): in file
order, a token takes the id its content already has (earlier added token, else the model's
vocabulary), else the next fresh id from the vocabulary size. We build such files from the real
BERT (WordPiece) and GPT-2 (byte-level BPE) files and compare everything with HF on several texts:
ids, tokens, offsets, masks, decoding, id/token lookups, the vocabulary, and the file written back.
"""

from __future__ import annotations

import copy
import json

import numpy as np
import pytest
import tokenizers

import tokembed
from conftest import BERT_JSON, CORPORA, DATA, corpus_lines

GPT2_JSON = DATA / "tokenizers" / "gpt2" / "tokenizer.json"


def added(id_, content, special=True, normalized=False, **flags):
    token = {"id": id_, "content": content, "single_word": False, "lstrip": False, "rstrip": False,
             "normalized": normalized, "special": special}
    token.update(flags)
    return token


def base(path) -> dict:
    d = json.loads(path.read_text(encoding="utf-8"))
    d["truncation"] = None
    d["padding"] = None
    return d


# Each case: extra added tokens (appended after the file's own, in this order) for a vocabulary of
# `n` entries; `vocab` maps a few real tokens to their ids.
def cases(vocab: dict, n: int, word: str, word2: str, kind: str) -> dict:
    a, b = vocab[word], vocab[word2]
    return {
        # The issue: content in the vocabulary, listed under another id (here a real token's).
        "content_in_vocab_other_id": [added(b, word, special=False, normalized=True)],
        "special_content_in_vocab_other_id": [added(5, word2)],
        # New contents with ids after a gap, out of order.
        "fresh_ids_after_a_gap": [added(n + 50, "<extra_0>"), added(n + 10, "<extra_1>"), added(n + 11, "<extra_2>", special=False)],
        # A new content claiming a real token's id.
        "new_content_on_a_real_id": [added(a, "<steal>"), added(b, "<steal2>", special=False)],
        # Repeats: exact, and with other flags (the later one takes over the id).
        "repeats": [added(n + 3, "<dup>"), added(n + 4, "<dup>"), added(n + 9, "<dup>", special=False),
                    added(n + 1, "<other>")],
        "special_then_plain_in_vocab": [added(a, word2, special=True), added(7, word2, special=False)],
        "empty_content_is_ignored": [added(n, ""), added(n + 1, "<after_empty>")],
        # A normalized added token (the BERT normalizer lowercases it) under a wrong id.
        "normalized_token_wrong_id": [added(n + 20, "HeLLo<Z>", special=False, normalized=True),
                                      added(a, word.upper(), special=False, normalized=True)],
        "everything": [added(b, word, special=False, normalized=True), added(n + 50, "<extra_0>"),
                       added(a, "<steal>"), added(n + 3, "<dup>"), added(n + 4, "<dup>"),
                       added(0, ""), added(3, word2)],
    }


def texts_for(extra: list) -> list:
    contents = [t["content"] for t in extra if t["content"]]
    joined = " ".join(contents)
    texts = [
        joined,
        f"Hello world, {joined} and again: {''.join(contents)}!",
        "the hello world of tokens to decode",
        "HeLLo<Z> hello<z> HELLO WORLD <dup><dup> x<steal>y",
    ]
    lines = [line for line in corpus_lines(CORPORA[0])[:400] if line.strip()][:60]
    return texts + lines + [f"{line} {joined}" for line in lines[:10]]


def files():
    bert = base(BERT_JSON)
    bv = bert["model"]["vocab"]
    gpt2 = base(GPT2_JSON)
    gv = gpt2["model"]["vocab"]
    out = []
    for name, extra in cases(bv, len(bv), "hello", "world", "wordpiece").items():
        d = copy.deepcopy(bert)
        d["added_tokens"] = d["added_tokens"] + extra
        out.append(pytest.param(d, extra, id=f"wordpiece-{name}"))
    for name, extra in cases(gv, len(gv), "hello", "world", "bpe").items():
        d = copy.deepcopy(gpt2)
        d["added_tokens"] = d["added_tokens"] + extra
        out.append(pytest.param(d, extra, id=f"bpe-{name}"))
    return out


def assert_same_tokenizer(ours: tokembed.Tokenizer, hf: tokenizers.Tokenizer, extra: list, texts: list):
    for text in texts:
        theirs = hf.encode(text)
        mine = ours.encode(text)
        assert mine.ids.tolist() == theirs.ids, text
        assert mine.tokens == theirs.tokens, text
        assert [tuple(o) for o in mine.offsets.tolist()] == theirs.offsets, text
        assert mine.special_tokens_mask.tolist() == theirs.special_tokens_mask, text
        for skip in (True, False):
            assert ours.decode(theirs.ids, skip_special_tokens=skip) == hf.decode(theirs.ids, skip_special_tokens=skip)
    for text in texts[:4]:
        theirs = hf.encode(text, add_special_tokens=False)
        ids = ours.encode_batch_flat([text], add_special_tokens=False)[0]
        assert ids.tolist() == theirs.ids
    ids_of_interest = {t["id"] for t in extra} | {i for i in hf.get_added_tokens_decoder()}
    ids_of_interest |= {0, 1, 2, 3, 4, 5, 6, 7, 100, 101, 102}
    size = hf.get_vocab_size(with_added_tokens=True)
    for i in sorted(ids_of_interest):
        assert ours.id_to_token(i) == hf.id_to_token(i), i
        if hf.id_to_token(i) is not None:
            for skip in (True, False):
                assert ours.decode([i], skip_special_tokens=skip) == hf.decode([i], skip_special_tokens=skip), i
    for t in extra:
        for s in (t["content"], t["content"].lower(), t["content"].upper()):
            assert ours.token_to_id(s) == hf.token_to_id(s), s
    assert ours.get_vocab() == hf.get_vocab(with_added_tokens=True)
    assert ours.vocab_size == size
    assert ours.get_vocab(with_added_tokens=False) == hf.get_vocab(with_added_tokens=False)
    assert ours.get_vocab_size(with_added_tokens=False) == hf.get_vocab_size(with_added_tokens=False)


@pytest.mark.parametrize("spec,extra", files())
def test_added_token_ids_follow_hf(spec, extra):
    text = json.dumps(spec)
    hf = tokenizers.Tokenizer.from_str(text)
    ours = tokembed.Tokenizer.from_str(text)
    texts = texts_for(extra)
    assert_same_tokenizer(ours, hf, extra, texts)
    # The file we write has HF's ids and HF's order, and both libraries load it back the same.
    written = json.loads(ours.to_str())
    assert written["added_tokens"] == json.loads(hf.to_str())["added_tokens"]
    hf_again = tokenizers.Tokenizer.from_str(ours.to_str())
    for t in texts[:8]:
        assert hf_again.encode(t).ids == hf.encode(t).ids
    # (HF's own file may lose a flag: a content repeated as special then not special is skipped
    # when decoding in memory, not after reloading; compare with HF reloading it too.)
    hf_reloaded = tokenizers.Tokenizer.from_str(hf.to_str())
    assert_same_tokenizer(tokembed.Tokenizer.from_str(hf.to_str()), hf_reloaded, extra, texts[:8])


def test_a_real_token_no_longer_decodes_to_nothing():
    # The report: BERT's vocabulary has "hello" = 7592; a file listing it as an added token with
    # id 2088 ("world") made "world" decode to '' (and "hello" encode to 2088).
    d = base(BERT_JSON)
    world, hello = d["model"]["vocab"]["world"], d["model"]["vocab"]["hello"]
    d["added_tokens"].append(added(world, "hello", special=True))
    hf = tokenizers.Tokenizer.from_str(json.dumps(d))
    ours = tokembed.Tokenizer.from_str(json.dumps(d))
    assert hf.encode("hello world", add_special_tokens=False).ids == [hello, world]
    assert ours.encode_batch_flat(["hello world"], add_special_tokens=False)[0].tolist() == [hello, world]
    assert ours.decode([world]) == hf.decode([world]) == "world"
    assert ours.decode([hello], skip_special_tokens=False) == hf.decode([hello], skip_special_tokens=False)


def test_fresh_ids_in_a_vocabulary_with_holes_rename_a_model_id_as_hf_does():
    # A BPE vocabulary of 6 entries whose ids go up to 8: the fresh ids 6, 7, 8 collide with
    # model ids; HF names id 8 by the added token, yet still reports the model's string for the
    # token the model produces.
    vocab = {"a": 0, "b": 1, "c": 2, "ab": 3, "abc": 7, "d": 8}
    spec = {
        "version": "1.0", "truncation": None, "padding": None,
        "added_tokens": [added(100, "<x>"), added(101, "<y>", special=False), added(102, "<z>")],
        "normalizer": None, "pre_tokenizer": {"type": "WhitespaceSplit"}, "post_processor": None,
        "decoder": None,
        "model": {"type": "BPE", "dropout": None, "unk_token": None, "continuing_subword_prefix": None,
                  "end_of_word_suffix": None, "fuse_unk": False, "byte_fallback": False, "ignore_merges": False,
                  "vocab": vocab, "merges": ["a b", "ab c"]},
    }
    text = json.dumps(spec)
    hf = tokenizers.Tokenizer.from_str(text)
    ours = tokembed.Tokenizer.from_str(text)
    texts = ["abc d <x> <y> <z>", "d abd <z><x>", "a b c d"]
    extra = spec["added_tokens"]
    assert_same_tokenizer(ours, hf, extra, texts)
    assert json.loads(ours.to_str())["added_tokens"] == json.loads(hf.to_str())["added_tokens"]


@pytest.mark.parametrize("name", ["gpt2", "cl100k_base"])
def test_tiktoken_special_ids_survive_a_tokenizer_json_round_trip(name, tmp_path):
    # cl100k_base's specials follow a gap (100257.., 100276): HF would renumber them from the
    # vocabulary size unless the vocabulary names them, so the file we write names them there.
    tok = tokembed.Tokenizer.builtin(name)
    path = tmp_path / "tokenizer.json"
    tok.save(path)
    hf = tokenizers.Tokenizer.from_file(str(path))
    again = tokembed.Tokenizer.from_file(path)
    import pickle

    unpickled = pickle.loads(pickle.dumps(tok))
    lines = [line for line in corpus_lines(CORPORA[0])[:200] if line.strip()][:50]
    texts = lines + ["<|endoftext|> x <|endofprompt|><|fim_prefix|>a<|fim_suffix|>"]
    for t in texts:
        want = tok.encode_batch_flat([t], add_special_tokens=False)[0].tolist()
        assert hf.encode(t, add_special_tokens=False).ids == want, t
        assert again.encode_batch_flat([t], add_special_tokens=False)[0].tolist() == want
        assert unpickled.encode_batch_flat([t], add_special_tokens=False)[0].tolist() == want
    specials = {c: tok.token_to_id(c) for c in ("<|endoftext|>", "<|endofprompt|>")}
    for content, id_ in specials.items():
        if id_ is not None:
            assert hf.token_to_id(content) == again.token_to_id(content) == id_
            assert hf.decode([id_], skip_special_tokens=False) == again.decode([id_], skip_special_tokens=False)


def test_constructor_special_ids_that_contradict_the_vocabulary_are_refused(tmp_path):
    gpt2 = DATA / "tokenizers" / "gpt2"
    with pytest.raises(tokembed.TokenizerError, match=r'"hello" has id 5, but the vocabulary gives it id 31373'):
        tokembed.Tokenizer.from_bpe_files(gpt2 / "vocab.json", gpt2 / "merges.txt", {"hello": 5})
    with pytest.raises(tokembed.TokenizerError, match=r'"<new>" has id 5, which the vocabulary gives to'):
        tokembed.Tokenizer.from_bpe_files(gpt2 / "vocab.json", gpt2 / "merges.txt", {"<new>": 5})
    with pytest.raises(tokembed.TokenizerError, match=r'"<a>" and "<b>" both have id 50257'):
        tokembed.Tokenizer.from_bpe_files(gpt2 / "vocab.json", gpt2 / "merges.txt", {"<a>": 50257, "<b>": 50257})
    ok = tokembed.Tokenizer.from_bpe_files(gpt2 / "vocab.json", gpt2 / "merges.txt", {"<|endoftext|>": 50256})
    assert ok.token_to_id("<|endoftext|>") == 50256
    assert np.array_equal(ok.encode_batch_flat(["a<|endoftext|>"], add_special_tokens=False)[0], [64, 50256])
