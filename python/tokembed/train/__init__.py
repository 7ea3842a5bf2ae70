"""Training tokenizers: ``train_bpe`` (byte-level BPE, HF ``BpeTrainer``'s merges exactly),
``train_wordpiece`` (BERT-style WordPiece, as HF's ``WordPieceTrainer``), ``train_unigram``
(SentencePiece Unigram, as ``sentencepiece``'s trainer), and the files of a trained tokenizer
besides its ``tokenizer.json``: ``save_tiktoken`` (tiktoken's ranks of a byte-level BPE),
``save_vocab`` (a WordPiece ``vocab.txt``) and ``save_sentencepiece`` (a Unigram's ``.model``)."""

from .bpe import train_bpe
from .tiktoken_files import save_tiktoken, tiktoken_ranks
from .vocab_files import save_vocab
from .sentencepiece_files import save_sentencepiece, sentencepiece_model
from .unigram import train_unigram
from .wordpiece import train_wordpiece

__all__ = [
    "save_sentencepiece",
    "save_tiktoken",
    "save_vocab",
    "sentencepiece_model",
    "tiktoken_ranks",
    "train_bpe",
    "train_unigram",
    "train_wordpiece",
]
