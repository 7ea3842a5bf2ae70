"""Generated text against tiktoken and HF for GPT-2 and cl100k_base: every Unicode category, long
whitespace runs, digits, apostrophes in many scripts, newlines of every kind."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st
from tokenizers import Tokenizer as HFTokenizer

import tokembed
from test_bpe_parity import TOKENIZERS, tiktoken_encoding

GPT2 = tokembed.Tokenizer.builtin("gpt2")
CL100K = tokembed.Tokenizer.builtin("cl100k_base")
GPT2_JSON = tokembed.Tokenizer.from_file(TOKENIZERS / "gpt2" / "tokenizer.json")
CL100K_JSON = tokembed.Tokenizer.from_file(TOKENIZERS / "cl100k_base" / "tokenizer.json")
TIK_GPT2 = tiktoken_encoding("r50k_base")
TIK_CL100K = tiktoken_encoding("cl100k_base")
HF_GPT2 = HFTokenizer.from_file(str(TOKENIZERS / "gpt2" / "tokenizer.json"))
HF_CL100K = HFTokenizer.from_file(str(TOKENIZERS / "cl100k_base" / "tokenizer.json"))

any_char = st.characters(exclude_categories=("Cs",))
pieces = st.one_of(
    st.text(any_char, max_size=8),
    st.sampled_from([" ", "  ", "\t", "\n", "\r\n", "\r", "\u0085", "\u2028", "\u2029", "\u000b", "\u000c",
                     "\u00a0", "\u3000", " " * 40, "\n" * 5, " \n ", "'s", "'LL", "’s", "ſ", "'ſ", "K",
                     "123", "1234567", "٣٤٥", "१२३", "don't", "l'été", "Ⅻ", "é", "e\u0301", "<|endoftext|>",
                     "<|fim_prefix|>", "<|endofprompt|>", "日本語", "🙂👍🏽", "ǅ", "HTTPServer"]),
)
texts = st.lists(pieces, max_size=16).map("".join)


@settings(max_examples=1500, deadline=None)
@given(texts)
def test_gpt2_against_tiktoken_and_hf(text):
    assert GPT2.encode_batch_flat([text])[0].tolist() == TIK_GPT2.encode(text, allowed_special="all")
    ours = GPT2_JSON.encode(text)
    theirs = HF_GPT2.encode(text)
    assert ours.ids.tolist() == theirs.ids
    assert [tuple(o) for o in ours.offsets.tolist()] == theirs.offsets
    assert GPT2_JSON.decode(theirs.ids) == HF_GPT2.decode(theirs.ids)


@settings(max_examples=1500, deadline=None)
@given(texts)
def test_cl100k_against_tiktoken_and_hf(text):
    ids = CL100K.encode_batch_flat([text])[0].tolist()
    assert ids == TIK_CL100K.encode(text, allowed_special="all")
    assert CL100K.decode(ids, skip_special_tokens=False) == TIK_CL100K.decode(ids)
    ours = CL100K_JSON.encode(text)
    theirs = HF_CL100K.encode(text)
    assert ours.ids.tolist() == theirs.ids
    assert [tuple(o) for o in ours.offsets.tolist()] == theirs.offsets
