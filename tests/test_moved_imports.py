"""Module paths from before the package was arranged into folders keep working: each old name is
the very module that now holds the code (so monkeypatching it patches what runs), pickles that
name the old modules load, and ``import tokembed`` imports no optional framework."""

from __future__ import annotations

import importlib
import pickle
import subprocess
import sys

import pytest

import tokembed

# Old dotted name -> the module that holds its code now.
MOVED = {
    "tokembed.tokenizer": "tokembed.tokenizers.tokenizer",
    "tokembed.encoding": "tokembed.tokenizers.encoding",
    "tokembed.options": "tokembed.tokenizers.options",
    "tokembed.builtin": "tokembed.tokenizers.builtin",
    "tokembed.embedding": "tokembed.embeddings",
    "tokembed.positional": "tokembed.embeddings.positional",
    "tokembed.ray": "tokembed.integrations.ray",
    "tokembed.cli_encode": "tokembed.cli.encode",
    "tokembed.data.outputs": "tokembed.corpus.outputs",
    "tokembed.preprocess": "tokembed.corpus",
    "tokembed.preprocess.shard_metadata": "tokembed.data.metadata",
    **{
        f"tokembed.preprocess.{name}": f"tokembed.corpus.{name}"
        for name in (
            "batches", "jsonl_input", "lines", "memory", "parquet_input", "pipeline", "problems",
            "progress", "reading", "sources", "stages", "text_input", "tokenizer_facts",
        )
    },
}

# Names users import from the old paths (what the old modules defined).
OLD_NAMES = {
    "tokembed.tokenizer": ["Tokenizer", "DecodeStream"],
    "tokembed.encoding": ["Encoding", "BatchEncoding"],
    "tokembed.options": ["truncation_params", "padding_params", "side"],
    "tokembed.builtin": ["DEFAULT", "names", "spec", "path"],
    "tokembed.embedding": ["EmbeddingTable", "InputEmbedder"],
    "tokembed.positional": [
        "RotaryEmbedding", "alibi_bias", "alibi_slopes", "position_ids", "sinusoidal_table",
        "t5_relative_position_bucket",
    ],
    "tokembed.ray": ["TokenizeBatch", "tokenize_dataset", "write_shards"],
    "tokembed.cli": ["main"],
    "tokembed.cli_encode": ["add_encode_parser", "run_encode", "check_batch_mb"],
    "tokembed.data.outputs": ["OutputLocked", "locked_output", "known_outputs", "remove_stale_temporaries"],
    "tokembed.preprocess": ["encode_files", "EncodeSummary", "ERRORS", "BadInput"],
    "tokembed.preprocess.pipeline": ["encode_files", "EncodeSummary", "encode_raw_lines"],
    "tokembed.preprocess.lines": ["without_bom", "line_chunks", "open_binary", "LineChunk"],
    "tokembed.preprocess.sources": ["InputFile", "expand_inputs", "KINDS"],
    "tokembed.preprocess.jsonl_input": ["parse_lines", "encode_raw_jsonl"],
    "tokembed.preprocess.tokenizer_facts": ["DEFAULT_TOKENIZER", "resolve_tokenizer", "eos_to_append"],
    "tokembed.preprocess.shard_metadata": ["shard_metadata"],
    "tokembed.data.metadata": ["write_metadata", "read_metadata", "metadata_path", "ShardMismatch"],
    "tokembed.data.formats": ["choose_dtype", "open_writer", "FORMATS"],
    "tokembed.data.formats.megatron": ["MegatronWriter", "MegatronIndexedDataset"],
}


@pytest.mark.parametrize("old,new", sorted(MOVED.items()))
def test_an_old_path_is_the_new_module_itself(old, new):
    module = importlib.import_module(old)
    assert module is importlib.import_module(new)
    assert sys.modules[old] is module
    # The module keeps its own identity: relative imports made later inside it resolve as before.
    assert module.__name__ == new and module.__spec__.name == new


@pytest.mark.parametrize("old", sorted(OLD_NAMES))
def test_the_names_of_the_old_modules_are_still_there(old):
    module = importlib.import_module(old)
    for name in OLD_NAMES[old]:
        assert hasattr(module, name), f"{old}.{name}"


def test_from_imports_give_the_same_objects():
    from tokembed.preprocess import pipeline
    from tokembed.preprocess.sources import InputFile
    from tokembed.tokenizer import DecodeStream, Tokenizer

    from tokembed.corpus import pipeline as new_pipeline
    from tokembed.corpus.sources import InputFile as NewInputFile

    assert pipeline is new_pipeline and InputFile is NewInputFile
    assert Tokenizer is tokembed.Tokenizer and DecodeStream is tokembed.DecodeStream
    assert tokembed.tokenizer.Tokenizer is tokembed.Tokenizer  # an attribute of the package, as before


def test_a_monkeypatch_of_an_old_path_patches_the_code_that_runs(monkeypatch):
    from tokembed.corpus import pipeline
    from tokembed.preprocess import pipeline as old

    monkeypatch.setattr(old, "BATCH_BYTES", 123)
    assert pipeline.BATCH_BYTES == 123


def test_pickles_that_name_the_old_modules_load():
    tok = tokembed.Tokenizer.builtin("gpt2")
    # Protocol 2 names classes with newline-terminated strings: the old name can be put in place.
    data = pickle.dumps(tok, protocol=2).replace(b"tokembed.tokenizers.tokenizer\n", b"tokembed.tokenizer\n")
    assert b"ctokembed.tokenizer\n" in data
    assert pickle.loads(data).encode("Hello world").ids.tolist() == [15496, 995]

    rope = tokembed.RotaryEmbedding(8, 500000.0)
    data = pickle.dumps(rope, protocol=2)
    data = data.replace(f"{type(rope).__module__}\n".encode(), b"tokembed.positional\n")
    assert b"ctokembed.positional\n" in data
    assert pickle.loads(data).theta == 500000.0


def test_a_name_that_never_existed_still_fails():
    with pytest.raises(ModuleNotFoundError):
        importlib.import_module("tokembed.preprocess.no_such_module")
    with pytest.raises(ModuleNotFoundError):
        importlib.import_module("tokembed.tokenizer.no_such_module")
    with pytest.raises(AttributeError):
        tokembed.no_such_attribute


def _run(code: str) -> None:
    subprocess.run([sys.executable, "-W", "error", "-c", code], check=True, timeout=120)


def test_import_tokembed_imports_no_framework():
    _run(
        "import sys, tokembed\n"
        "assert 'ray' not in sys.modules, 'ray imported'\n"
        "assert 'tokembed.integrations.ray' not in sys.modules\n"
        "assert 'pyarrow' not in sys.modules, 'pyarrow imported'\n"
        # The Ray integration itself imports Ray only when used.
        "import tokembed.ray\n"
        "assert 'ray' not in sys.modules, 'ray imported by tokembed.ray'\n"
    )


@pytest.mark.parametrize(
    "first",
    ["tokembed.preprocess.pipeline", "tokembed.corpus", "tokembed.data", "tokembed.data.outputs",
     "tokembed.ray", "tokembed.cli_encode", "tokembed.positional", "tokembed.embedding"],
)
def test_any_module_can_be_imported_first(first):
    _run(f"import {first}\nimport tokembed.cli, tokembed.data, tokembed.corpus, tokembed.integrations.ray\n")


def test_the_command_runs_as_a_module_both_ways():
    for module in ("tokembed", "tokembed.cli"):
        out = subprocess.run([sys.executable, "-m", module, "--version"], capture_output=True, text=True, timeout=120)
        assert out.returncode == 0 and out.stdout.startswith("tokembed "), (module, out)
