# Type stubs of the Rust extension module `tokembed._core` (hand-written; tests/test_stubs.py
# checks them against the module). Users call the Python classes of `tokembed` instead.

from typing import Any, Callable, Dict, List, Optional, Sequence, Tuple, Union

import numpy as np
import numpy.typing as npt

# What the corpus functions read without a copy (a writable buffer is copied first).
BytesLike = Union[bytes, bytearray, memoryview]

class TokenizerError(ValueError): ...

def id_lists(ids: np.ndarray, offsets: np.ndarray) -> List[List[int]]: ...
def set_num_threads(n: int) -> None: ...
def get_num_threads() -> int: ...

class CoreTokenizer:
    @staticmethod
    def from_str(json: str) -> CoreTokenizer: ...
    @staticmethod
    def from_bytes(data: bytes) -> CoreTokenizer: ...
    @staticmethod
    def from_sentencepiece(data: bytes, add_bos: bool, add_eos: bool) -> CoreTokenizer: ...
    @staticmethod
    def looks_like_sentencepiece(data: bytes) -> bool: ...
    @staticmethod
    def from_tiktoken(ranks_text: str, pattern: str, special_tokens: List[Tuple[str, int]]) -> CoreTokenizer: ...
    @staticmethod
    def from_tiktoken_ranks(
        ranks: Dict[bytes, int], pattern: str, special_tokens: List[Tuple[str, int]]
    ) -> CoreTokenizer: ...
    @staticmethod
    def from_byte_level_bpe(
        vocab_json: str,
        merges_txt: str,
        add_prefix_space: bool,
        trim_offsets: bool,
        special_tokens: List[Tuple[str, int]],
    ) -> CoreTokenizer: ...
    @staticmethod
    def from_wordpiece_vocab(vocab_text: str, lowercase: bool) -> CoreTokenizer: ...
    def to_str(self, pretty: bool, truncation: Optional[str], padding: Optional[str]) -> str: ...
    def file_truncation(self) -> Optional[str]: ...
    def file_padding(self) -> Optional[str]: ...
    def encode(
        self,
        text: str,
        pair: Optional[str],
        add_special_tokens: bool,
        truncation: Optional[str],
        padding: Optional[str],
        split_special_tokens: bool = False,
    ) -> Dict[str, object]: ...
    def encode_pretokenized(
        self,
        words: List[str],
        pair: Optional[List[str]],
        add_special_tokens: bool,
        truncation: Optional[str],
        padding: Optional[str],
        split_special_tokens: bool = False,
    ) -> Dict[str, object]: ...
    def encode_batch(
        self,
        texts: List[str],
        pairs: Optional[List[str]],
        add_special_tokens: bool,
        truncation: Optional[str],
        padding: str,
        return_overflowing: bool,
        return_offsets: bool,
        split_special_tokens: bool = False,
        return_word_ids: bool = False,
    ) -> Dict[str, npt.NDArray[np.int64]]: ...
    def encode_batch_pretokenized(
        self,
        rows: List[List[str]],
        pairs: Optional[List[List[str]]],
        add_special_tokens: bool,
        truncation: Optional[str],
        padding: str,
        return_overflowing: bool,
        return_offsets: bool,
        split_special_tokens: bool = False,
        return_word_ids: bool = False,
    ) -> Dict[str, npt.NDArray[np.int64]]: ...
    def encode_batch_flat(
        self, texts: List[str], add_special_tokens: bool, split_special_tokens: bool = False
    ) -> Tuple[npt.NDArray[np.uint32], npt.NDArray[np.int64]]: ...
    def encode_lines_flat(
        self,
        data: BytesLike,
        add_special_tokens: bool,
        split_special_tokens: bool = False,
        invalid: str = "replace",
        keep_empty: bool = False,
    ) -> Tuple[npt.NDArray[np.uint32], npt.NDArray[np.int64], List[Tuple[int, int, str]], int]: ...
    def encode_jsonl_flat(
        self,
        data: BytesLike,
        key: str,
        add_special_tokens: bool,
        split_special_tokens: bool = False,
        keep_empty: bool = False,
        first_line: int = 1,
    ) -> Optional[Tuple[npt.NDArray[np.uint32], npt.NDArray[np.int64], int]]: ...
    def count_tokens(
        self, texts: List[str], add_special_tokens: bool, split_special_tokens: bool = False
    ) -> npt.NDArray[np.int64]: ...
    def encode_bytes(self, data: bytes) -> npt.NDArray[np.uint32]: ...
    def encode_piece_bytes(self, data: bytes) -> npt.NDArray[np.uint32]: ...
    def decode(self, ids: npt.NDArray[np.int64], skip_special_tokens: bool) -> str: ...
    def decode_bytes(self, ids: npt.NDArray[np.int64], skip_special_tokens: bool) -> bytes: ...
    def decode_flat(
        self, ids: npt.NDArray[np.int64], row_offsets: npt.NDArray[np.int64], skip_special_tokens: bool
    ) -> List[str]: ...
    def ids_to_tokens(self, ids: npt.NDArray[np.int64]) -> List[str]: ...
    def post_process(
        self, first: Dict[str, Any], pair: Optional[Dict[str, Any]], add_special_tokens: bool,
        truncation: Optional[str] = None,
    ) -> Dict[str, Any]: ...
    def id_to_token(self, id: int) -> Optional[str]: ...
    def token_to_id(self, token: str) -> Optional[int]: ...
    def get_vocab(self, with_added_tokens: bool = True) -> Dict[str, int]: ...
    def with_dropout(self, p: Optional[float], seed: int) -> "CoreTokenizer": ...
    def vocab_size(self) -> int: ...
    def max_token_id(self) -> Optional[int]: ...
    def decodes_bytes(self) -> bool: ...
    def is_special(self, id: int) -> bool: ...
    def num_special_tokens_to_add(self, is_pair: bool) -> int: ...

# Positional encodings (tokembed.positional holds the argument policy).

class WordCounter:
    """Word counts of the texts fed so far, split with one pattern (a name or a regex)."""

    def __init__(self, pattern: str) -> None: ...
    def feed(self, texts: Sequence[str]) -> None: ...
    def feed_lines(
        self, data: BytesLike, invalid: str = "replace", keep_empty: bool = False
    ) -> Tuple[List[Tuple[int, int, str]], int]: ...
    @property
    def pattern(self) -> str: ...
    @property
    def distinct_words(self) -> int: ...
    @property
    def documents(self) -> int: ...
    @property
    def text_bytes(self) -> int: ...
    @staticmethod
    def with_pipeline(normalizer: str, pre_tokenizer: str) -> "WordCounter": ...
    def train_bpe(
        self,
        vocab_size: int,
        min_frequency: int,
        special_tokens: List[str],
        max_token_length: Optional[int] = None,
        progress: Optional[Callable[[int, int], object]] = None,
        prefix: Optional[str] = None,
        limit_alphabet: Optional[int] = None,
        initial_alphabet: List[str] = ...,
        prefixed_order: List[str] = ...,
    ) -> str: ...
    def train_wordpiece(
        self,
        vocab_size: int,
        min_frequency: int,
        special_tokens: List[str],
        limit_alphabet: Optional[int],
        initial_alphabet: List[str],
        prefix: str,
        unk_token: str,
        max_token_length: Optional[int] = None,
        progress: Optional[Callable[[int, int], object]] = None,
        prefixed_order: List[str] = ...,
    ) -> str: ...
    @staticmethod
    def for_unigram(special_pieces: List[str]) -> "WordCounter": ...
    def train_unigram(
        self,
        vocab_size: int,
        special_pieces: List[str],
        unknown_piece: str,
        byte_fallback: bool,
        character_coverage: float,
        seed_size: int,
        shrinking_factor: float,
        sub_iterations: int,
        max_piece_length: int,
        split_by_unicode_script: bool,
        split_by_number: bool,
        split_digits: bool,
        progress: Optional[Callable[[int, int], object]] = None,
    ) -> str: ...

def unigram_model_bytes(tokenizer_json: str) -> bytes: ...
def jsonl_text(line: bytes, key: str) -> Optional[str]: ...
def count_newlines(data: BytesLike) -> int: ...
def log_mel_spectrogram(
    waveforms: List[npt.NDArray[np.float32]], sampling_rate: int, n_fft: int, hop_length: int, n_mels: int, n_samples: int
) -> npt.NDArray[np.float32]: ...
def mel_filter_bank(n_freqs: int, n_mels: int, min_hz: float, max_hz: float, sampling_rate: float) -> npt.NDArray[np.float64]: ...
def whisper_front_end(
    features: npt.NDArray[np.float32],
    conv1_weight: npt.NDArray[np.float32],
    conv1_bias: npt.NDArray[np.float32],
    conv2_weight: npt.NDArray[np.float32],
    conv2_bias: npt.NDArray[np.float32],
    positions: npt.NDArray[np.float32],
    out: npt.NDArray[np.float32],
) -> None: ...
def vit_patch_embed(
    pixels: npt.NDArray[np.float32],
    weight: npt.NDArray[np.float32],
    bias: npt.NDArray[np.float32],
    cls: npt.NDArray[np.float32],
    positions: npt.NDArray[np.float32],
    mask: Optional[npt.NDArray[np.bool_]],
    mask_token: Optional[npt.NDArray[np.float32]],
    out: npt.NDArray[np.float32],
) -> None: ...
def resize_images(images: List[npt.NDArray[np.uint8]], resample: str, out: npt.NDArray[np.uint8]) -> None: ...
def image_pixel_values(
    images: List[npt.NDArray[np.uint8]],
    resample: str,
    rescale: float,
    mean: List[float],
    std: List[float],
    out: npt.NDArray[np.float32],
) -> None: ...

def sinusoidal_table(max_len: int, dim: int, base: float) -> npt.NDArray[np.float64]: ...
def alibi_slopes(n_heads: int) -> npt.NDArray[np.float32]: ...
def alibi_bias(n_heads: int, q_len: int, k_len: int) -> npt.NDArray[np.float32]: ...
def t5_relative_position_bucket(
    relative: npt.NDArray[np.int64], bidirectional: bool, num_buckets: int, max_distance: int
) -> npt.NDArray[np.int64]: ...

class Rope:
    def __init__(
        self,
        head_dim: int,
        rotary_dim: int,
        theta: float,
        layout: str,
        scaling_json: str,
        max_position_embeddings: Optional[int] = None,
    ) -> None: ...
    def rope_type(self) -> str: ...
    def frequencies(self, seq_len: Optional[int] = None) -> Tuple[npt.NDArray[np.float32], float]: ...
    def cos_sin(
        self, positions: npt.NDArray[np.int64], seq_len: Optional[int] = None
    ) -> Tuple[npt.NDArray[np.float32], npt.NDArray[np.float32]]: ...
    def apply(
        self, x: npt.NDArray[np.floating], positions: npt.NDArray[np.int64], seq_len: Optional[int] = None
    ) -> npt.NDArray[np.floating]: ...
    def apply_into(
        self,
        x: npt.NDArray[np.floating],
        positions: npt.NDArray[np.int64],
        out: npt.NDArray[np.floating],
        seq_len: Optional[int] = None,
    ) -> None: ...
    def apply_inplace(
        self, x: npt.NDArray[np.floating], positions: npt.NDArray[np.int64], seq_len: Optional[int] = None
    ) -> None: ...

# ----- embedding tables (rust/python/src/embedding.rs) --------------------------------------
# Tables and outputs are float32 arrays, or the uint16 bit patterns of float16/bfloat16 arrays
# with the format named alongside ("float32", "float16", "bfloat16").

_Table = Tuple[npt.NDArray[Any], str]

def embedding_gather(
    table: npt.NDArray[Any], table_kind: str, ids: npt.NDArray[np.integer], out: npt.NDArray[Any], out_kind: str
) -> None: ...
def embedding_input(
    token: _Table,
    position: Optional[_Table],
    segment: Optional[_Table],
    layer_norm: Optional[Tuple[npt.NDArray[np.float32], npt.NDArray[np.float32], float]],
    scale: Optional[float],
    input_ids: npt.NDArray[np.integer],
    token_type_ids: Optional[npt.NDArray[np.integer]],
    position_ids: Optional[npt.NDArray[np.integer]],
    out: npt.NDArray[np.float32],
) -> None: ...
def embedding_backward_dense(
    ids: npt.NDArray[np.integer], grad_output: npt.NDArray[np.float32], vocab: int, dim: int, padding_idx: Optional[int]
) -> npt.NDArray[np.float32]: ...
def embedding_backward_sparse(
    ids: npt.NDArray[np.integer], grad_output: npt.NDArray[np.float32], vocab: int, dim: int, padding_idx: Optional[int]
) -> Tuple[npt.NDArray[np.int64], npt.NDArray[np.float32]]: ...
def embedding_sgd_step(
    table: npt.NDArray[Any],
    table_kind: str,
    ids: npt.NDArray[np.integer],
    grad_output: npt.NDArray[np.float32],
    lr: float,
    padding_idx: Optional[int],
) -> None: ...
def embedding_nearest(
    table: npt.NDArray[Any], table_kind: str, queries: npt.NDArray[np.float32], k: int, metric: str
) -> Tuple[npt.NDArray[np.int64], npt.NDArray[np.float32]]: ...
def embedding_fill_normal(out: npt.NDArray[Any], out_kind: str, dim: int, seed: int, std: float) -> None: ...
def load_safetensors(path: str, names: List[str]) -> List[Tuple[str, npt.NDArray[Any]]]: ...
