"""The README's end-to-end example (text -> tokenizer -> InputEmbedder -> vectors -> text) runs as
written and says what it claims."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def readme_block(after_heading: str) -> str:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text[text.index(after_heading):]
    return re.search(r"```python\n(.*?)```", section, re.S).group(1)


def test_the_embeddings_example_runs_end_to_end(monkeypatch):
    monkeypatch.chdir(ROOT)
    scope: dict = {}
    exec(compile(readme_block("## Embeddings"), "README.md", "exec"), scope)
    assert scope["x"].shape == (2, 9, 384)
    assert scope["x"].dtype.name == "float32"
    assert scope["tok"].decode(scope["ids"][:, 0]) == "the cat sat on the mat."


def test_the_sentencepiece_example_gives_the_library_ids(monkeypatch):
    import sentencepiece

    monkeypatch.chdir(ROOT)
    scope: dict = {}
    exec(compile(readme_block("## What a tokenizer file may hold"), "README.md", "exec"), scope)
    reference = sentencepiece.SentencePieceProcessor(
        model_file="tests/data/sentencepiece/mistral_v3.model", add_bos=True
    )
    expected = reference.encode(["[INST] Hello there [/INST]", "Ünïcödé and 日本語"])
    assert scope["ids"].tolist() == expected[0] + expected[1]
    assert scope["text"] == "Ünïcödé and 日本語" == reference.decode(expected[1])


def test_the_tiktoken_switch_gives_tiktokens_ids(monkeypatch):
    import sys

    sys.path.insert(0, str(ROOT / "tests" / "compat"))
    import reference_tiktoken

    scope: dict = {}
    exec(compile(readme_block("## Switching from tiktoken"), "README.md", "exec"), scope)
    real = reference_tiktoken.encoding("o200k_base")
    assert scope["ids"] == real.encode("hello <|endoftext|> world", allowed_special={"<|endoftext|>"})
    assert scope["batch"] == real.encode_ordinary_batch(["first document", "second document"])
    assert scope["text"] == "hello <|endoftext|> world"
    assert scope["tiktoken"].encoding_for_model("gpt-4o") is scope["enc"]


def test_the_short_tour_runs_as_written(monkeypatch, tmp_path):
    import tokembed

    monkeypatch.chdir(tmp_path)  # the tour saves a tokenizer.json
    scope: dict = {}
    threads = tokembed.get_num_threads()
    try:
        exec(compile(readme_block("## A short tour"), "README.md", "exec"), scope)
    finally:
        tokembed.set_num_threads(threads)  # the tour sets 2
    assert scope["tok"].decode(scope["enc"].ids) == "hello, world! a second sentence."
    assert scope["windows"]["overflow_to_sample_mapping"].tolist().count(0) > 1  # the long document was cut
    ids, offsets = scope["ids"], scope["row_offsets"]
    assert scope["first_doc_ids"].tolist() == ids[offsets[0] : offsets[1]].tolist()
    assert tokembed.Tokenizer.from_file(tmp_path / "tokenizer.json").encode("Hello").ids.tolist() == (
        scope["tok"].encode("Hello").ids.tolist()
    )


def test_the_quick_start_command_writes_eos_between_documents(tmp_path):
    import json
    import subprocess
    import sys

    import numpy as np

    line = next(l for l in (ROOT / "README.md").read_text(encoding="utf-8").splitlines() if "| tokembed encode" in l)
    command = line.split("&& ", 1)[1].replace("tokembed encode", f"{sys.executable} -m tokembed encode")
    subprocess.run(command, shell=True, cwd=tmp_path, check=True, capture_output=True)
    ids = np.fromfile(tmp_path / "hello.bin", dtype=np.uint16).tolist()
    assert ids.count(50256) == 2 and ids[-1] == 50256  # <|endoftext|> after each of the two documents
    assert json.loads((tmp_path / "hello.meta.json").read_text())["eos_id"] == 50256


def test_the_tokenizers_switch_gives_hfs_encodings(monkeypatch):
    from tokenizers import Tokenizer as HFTokenizer

    monkeypatch.chdir(ROOT)
    scope: dict = {}
    exec(compile(readme_block("## Switching from HF tokenizers"), "README.md", "exec"), scope)
    hf = HFTokenizer.from_file("../shared/data/tokenizers/bert-base-uncased/tokenizer.json")
    hf.enable_truncation(128)
    theirs = hf.encode_batch(["A first text.", ("A question?", "Its context.")])
    for ours, expected in zip(scope["encodings"], theirs):
        assert (ours.ids, ours.type_ids, ours.offsets, ours.word_ids) == (
            expected.ids, expected.type_ids, expected.offsets, expected.word_ids
        )


def test_the_training_example_gives_hfs_merges(monkeypatch, tmp_path):
    import json
    import sys

    from tiktoken.load import load_tiktoken_bpe

    sys.path.insert(0, str(ROOT / "tests" / "train"))
    from reference_hf_train import hf_train_bpe, model_of, split_regex

    monkeypatch.chdir(tmp_path)  # the example writes its files here
    scope: dict = {}
    exec(compile(readme_block("## Training a tokenizer"), "README.md", "exec"), scope)
    tok, texts = scope["tok"], scope["texts"]
    hf = hf_train_bpe(texts, 300, split_regex(tok.to_str()), special_tokens=["<|endoftext|>"])
    assert model_of(tok.to_str()) == model_of(hf.to_str())
    assert model_of((tmp_path / "my-tokenizer.json").read_text(encoding="utf-8")) == model_of(hf.to_str())
    ranks = load_tiktoken_bpe(str(tmp_path / "my.tiktoken"))
    assert len(ranks) == 299 and json.loads(hf.to_str())["added_tokens"][0]["id"] == 0
    assert list(scope["ids"]) == hf.encode("the quick fox", add_special_tokens=False).ids


def test_the_unigram_example_loads_in_sentencepiece_and_hf(monkeypatch, tmp_path):
    import sentencepiece
    from tokenizers import Tokenizer as HFTokenizer

    # Run from a folder beside a link to the shared data, as from the repository root.
    (tmp_path / "repo").mkdir()
    (tmp_path / "shared").symlink_to((ROOT.parent / "shared").resolve())
    monkeypatch.chdir(tmp_path / "repo")
    scope: dict = {}
    exec(compile(readme_block("### Unigram, as SentencePiece trains it"), "README.md", "exec"), scope)
    tok = scope["spm_tok"]
    assert tok.vocab_size == 4000
    sp = sentencepiece.SentencePieceProcessor(model_file=str(tmp_path / "repo" / "unigram.model"))
    assert list(scope["spm_ids"]) == sp.encode("Fortune favours the bold.")
    hf = HFTokenizer.from_file(str(tmp_path / "repo" / "unigram.json"))
    assert hf.encode("Fortune favours the bold.").ids == list(scope["spm_ids"])
    assert sp.id_to_piece(3) == "<0x00>" and sp.get_piece_size() == 4000


def test_the_sharded_example_reads_back_every_document(monkeypatch):
    import shutil

    import tokembed
    from conftest import CORPORA
    from shard_reference import corpus_documents

    monkeypatch.chdir(ROOT)  # the example reads ../shared and writes out/train
    out = ROOT / "out"
    assert not out.exists(), "the README example writes out/train: move the repository's out/ away first"
    try:
        scope: dict = {}
        exec(compile(readme_block("### Sharded, resumable, and on a Ray cluster"), "README.md", "exec"), scope)
        docs = [d for path in CORPORA for d in corpus_documents(path)]
        ids, offsets = tokembed.Tokenizer.builtin("gpt2").encode_batch_flat(docs)
        data = scope["data"]
        assert len(data) == len(docs) and len(data.shards) == -(-2 * int(data.tokens) // 4_000_000)
        for i in (0, 1, len(docs) // 2, len(docs) - 1):
            assert data.document(i).tolist() == ids[offsets[i]:offsets[i + 1]].tolist() + [50256]
        assert scope["first"].tolist() == ids[: offsets[1]].tolist() + [50256]
        assert sorted(scope["mixed"].locate(i) for i in range(len(docs))) == [data.locate(i) for i in range(len(docs))]
        assert len(scope["windows"]) > 0
    finally:
        shutil.rmtree(out, ignore_errors=True)


def test_the_audio_and_image_example_gives_hfs_vectors(monkeypatch):
    import numpy as np

    monkeypatch.chdir(ROOT)
    scope: dict = {}
    exec(compile(readme_block("## Inputs that are not text: audio and images"), "README.md", "exec"), scope)
    features = scope["features"]
    assert features.shape == (2, 80, 3000) and features.dtype == np.float32
    golden = np.load(ROOT.parent / "shared" / "data" / "golden" / "whisper_frontend.npz")
    assert np.abs(features[0] - golden["input_features"][2]).max() < 1e-4  # waveform_2 is the third
    assert not np.array_equal(features[0], features[1])  # the cut waveform is another input
    assert scope["vectors"].shape == (2, 1500, 64)
    assert np.abs(scope["vectors"][0] - golden["hidden_states"][2]).max() < 1e-4
    vit_golden = np.load(ROOT.parent / "shared" / "data" / "golden" / "vit_embeddings.npz")
    assert np.abs(scope["pixels"] - vit_golden["processed_pixel_values_pil"]).max() < 1e-6
    assert np.abs(scope["patches"] - vit_golden["processed_embeddings_pil"]).max() < 1e-5
