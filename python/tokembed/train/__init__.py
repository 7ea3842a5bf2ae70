"""Training tokenizers: ``train_bpe`` (byte-level BPE, HF ``BpeTrainer``'s merges exactly),
``train_wordpiece`` (BERT-style WordPiece, as HF's ``WordPieceTrainer``), and the files of a
trained tokenizer besides its ``tokenizer.json``: ``save_tiktoken`` (tiktoken's ranks of a
byte-level BPE) and ``save_vocab`` (a WordPiece ``vocab.txt``)."""

from .bpe import train_bpe
from .tiktoken_files import save_tiktoken, tiktoken_ranks
from .vocab_files import save_vocab
from .wordpiece import train_wordpiece

__all__ = ["save_tiktoken", "save_vocab", "tiktoken_ranks", "train_bpe", "train_wordpiece"]
