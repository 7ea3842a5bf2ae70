"""Generated text against tiktoken and HF for GPT-2 and cl100k_base: every Unicode category, long
whitespace runs, digits, apostrophes in many scripts, newlines of every kind. Generated rank
vocabularies against tiktoken."""

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


# Small rank vocabularies over three letters, where merges compete: tokens made from several
# splits, chains of them, ties between equal pairs. Each token is kept if two tokens before it
# make it (as in real ranks files); the ranks are the ids.
vocabularies = st.lists(st.text("abc", min_size=2, max_size=6), min_size=1, max_size=16)


def ranks_of(tokens: list[str]) -> dict[bytes, int]:
    ranks = {bytes([b]): b for b in range(256)}
    for token in map(str.encode, tokens):
        if token not in ranks and any(token[:i] in ranks and token[i:] in ranks for i in range(1, len(token))):
            ranks[token] = len(ranks)
    return ranks


@settings(max_examples=300, deadline=None)
@given(vocabularies, st.lists(st.text("abc ", max_size=30), min_size=1, max_size=8))
def test_rank_vocabularies_against_tiktoken(tokens, texts):
    import tiktoken

    ranks = ranks_of(tokens)
    pattern = r"\S+|\s+"
    reference = tiktoken.Encoding(name="generated", pat_str=pattern, mergeable_ranks=ranks, special_tokens={})
    ours = tokembed.Tokenizer.from_tiktoken_ranks(ranks, pattern)
    expected = [reference.encode_ordinary(text) for text in texts]
    ids, bounds = ours.encode_batch_flat(texts)
    assert [ids[start:end].tolist() for start, end in zip(bounds[:-1], bounds[1:])] == expected
    # Through one document at a time too (the path with offsets): each token's offsets span
    # exactly its bytes.
    token_bytes = {rank: token for token, rank in ranks.items()}
    for text, ids in zip(texts, expected):
        encoding = ours.encode(text)
        assert encoding.ids.tolist() == ids
        assert [text[start:end].encode() for start, end in encoding.offsets.tolist()] == [token_bytes[i] for i in ids]


# Words of Latin-1 and Cyrillic letters, which the splits' 64-byte class masks take as letters of
# their case (o200k splits a small letter followed by a capital; U+0460..U+047F alternate
# capital, small): long enough to cross windows, between ASCII of every class and the
# neighbouring non-letters (× ÷, U+0482 a symbol, U+0483 a combining mark).
O200K = tokembed.Tokenizer.builtin("o200k_base")
TIK_O200K = tiktoken_encoding("o200k_base")
two_byte_pieces = st.one_of(
    st.text(st.characters(min_codepoint=0xC0, max_codepoint=0xFF), min_size=1, max_size=12),
    st.text(st.characters(min_codepoint=0x400, max_codepoint=0x47F), min_size=1, max_size=12),
    st.sampled_from([" ", "  ", "\n", "\t", "'s", "'LL", "A", "b", "Zz", "123", ".", ", ", "/", "\u0482",
                     "\u0483", "\u00aa", "\u00b5"]),
)
two_byte_texts = st.lists(two_byte_pieces, max_size=40).map("".join)


@settings(max_examples=600, deadline=None)
@given(two_byte_texts)
def test_latin1_and_cyrillic_words_against_tiktoken(text):
    for ours, theirs in [(O200K, TIK_O200K), (CL100K, TIK_CL100K), (GPT2, TIK_GPT2)]:
        assert ours.encode_batch_flat([text])[0].tolist() == theirs.encode_ordinary(text), theirs.name
