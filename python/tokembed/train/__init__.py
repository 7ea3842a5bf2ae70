"""Training tokenizers: ``train_bpe`` (byte-level BPE, HF ``BpeTrainer``'s merges exactly), and
``tiktoken_ranks`` / ``save_tiktoken`` for the ranks of a byte-level BPE in tiktoken's format."""

from .bpe import train_bpe
from .tiktoken_files import save_tiktoken, tiktoken_ranks

__all__ = ["save_tiktoken", "tiktoken_ranks", "train_bpe"]
