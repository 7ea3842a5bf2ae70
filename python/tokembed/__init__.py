"""tokembed: text to transformer inputs, exactly and fast.

Tokenizers that load the files people already have (HF ``tokenizer.json``, ``vocab.txt``) and
give the ids of HF ``tokenizers``, with batches returned as NumPy arrays.

The package, by subsystem: ``tokenizers/`` (loading, encoding, decoding), ``embeddings/``
(tables, the input embedder, positional encodings), ``corpus/`` (corpora to token shards, the
job behind ``tokembed encode`` and ``tokembed.ray``), ``data/`` (reading shards back for
training), ``train/`` (training tokenizers), ``integrations/`` (Ray Data), ``cli/`` (the ``tokembed`` command). Module paths from
before that arrangement (``tokembed.tokenizer``, ``tokembed.preprocess`` ...) still import, as
the same modules (``_moved.py``).
"""

__version__ = "0.1.0"

from . import _moved

_moved.install()

from ._core import TokenizerError, get_num_threads, set_num_threads  # noqa: E402
from .embeddings import (  # noqa: E402
    EmbeddingTable,
    InputEmbedder,
    RotaryEmbedding,
    alibi_bias,
    alibi_slopes,
    position_ids,
    sinusoidal_table,
    t5_relative_position_bucket,
)
from .nontext import AudioEmbedder, PatchEmbedder, log_mel_spectrogram  # noqa: E402
from .tokenizers import BatchEncoding, DecodeStream, Encoding, Tokenizer  # noqa: E402
from .train import train_bpe, train_unigram, train_wordpiece  # noqa: E402

__all__ = [
    "AudioEmbedder",
    "BatchEncoding",
    "DecodeStream",
    "EmbeddingTable",
    "Encoding",
    "InputEmbedder",
    "PatchEmbedder",
    "RotaryEmbedding",
    "Tokenizer",
    "TokenizerError",
    "alibi_bias",
    "alibi_slopes",
    "get_num_threads",
    "log_mel_spectrogram",
    "position_ids",
    "set_num_threads",
    "sinusoidal_table",
    "t5_relative_position_bucket",
    "train_bpe",
    "train_unigram",
    "train_wordpiece",
    "__version__",
]


def __getattr__(name: str):
    # ``tokembed.tokenizer`` and the like were attributes of the package once imported (the old
    # __init__ imported most of them): an old name is still one, imported on first use.
    if f"{__name__}.{name}" in _moved.MOVED:
        import importlib

        return importlib.import_module(f"{__name__}.{name}")
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
