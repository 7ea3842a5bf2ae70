"""Embedding tables and the input embedding of a transformer, over NumPy arrays.

``EmbeddingTable`` wraps a ``(vocab_size, dim)`` array of float32, float16 or bfloat16
(``ml_dtypes.bfloat16``) and looks ids up in it, trains it (gradient, sparse gradient, SGD step)
and goes back from vectors to ids (``logits``, ``nearest``). ``InputEmbedder`` sums token,
segment and position vectors and normalizes them, as BERT-style models do, in one pass.

Array policy (the Rust core does the work; this module only shapes arguments):

- ``weights``: an array is used as given, without a copy, when C-contiguous and in the
  machine's byte order; other layouts and byte-swapped arrays (``">f2"``) are copied once at
  construction, to native order (``.weights`` is then the copy). Arrays of other dtypes
  (float64, ints) are refused: convert them yourself, so that a converted copy of a large
  table is never made behind your back. Nested lists are converted to float32.
- ``ids``: any integer dtype, byte order and shape; non-contiguous or byte-swapped ids are
  copied (they are small).
  Floats and bools are refused. Every id is checked: an id out of range raises ``IndexError``
  naming the id and its index, e.g. ``ids[3, 17]``.
- ``out=``: must be a C-contiguous, writeable array of exactly the result's shape and dtype,
  in the machine's byte order, not overlapping the inputs; anything else is refused (writing
  into a silent copy would lose the result).
- ``grad_output``, vectors, LayerNorm parameters: any float dtype and byte order, converted to
  C-contiguous native float32 (a copy only when they are not already).
- A ``dtype=`` argument names a format; arrays returned are always in native byte order.
- NaN and infinity in weights are not checked: they are copied (lookup) or propagate
  (LayerNorm rows containing them become NaN; ``nearest`` ranks NaN scores last).
"""

from __future__ import annotations

import math
import os
from collections.abc import Mapping
from typing import Any, Optional, Tuple, Union

import numpy as np
import numpy.typing as npt

from .. import _core
from .. import _checks
from .._checks import native
from .positional import sinusoidal_table

PathLike = Union[str, "os.PathLike[str]"]
_FORMATS = ("float32", "float16", "bfloat16")


def _bfloat16() -> np.dtype:
    try:
        import ml_dtypes
    except ImportError:
        raise ImportError("bfloat16 tables need the ml_dtypes package: pip install ml_dtypes") from None
    return np.dtype(ml_dtypes.bfloat16)


def _format_name(dtype: Any, what: str) -> str:
    """'float32', 'float16' or 'bfloat16' for a dtype (or its name); TypeError otherwise."""
    if isinstance(dtype, str) and dtype == "bfloat16":
        return "bfloat16"
    try:
        name = np.dtype(dtype).name
    except TypeError:
        raise TypeError(f"{what} must be float32, float16 or bfloat16, got {dtype!r}") from None
    if name not in _FORMATS or np.dtype(dtype).newbyteorder("=") != _numpy_dtype(name):
        raise TypeError(f"{what} must be float32, float16 or bfloat16 (ml_dtypes), got {np.dtype(dtype)}")
    return name


def _numpy_dtype(name: str) -> np.dtype:
    return _bfloat16() if name == "bfloat16" else np.dtype(name)


def _raw(array: np.ndarray, name: str) -> np.ndarray:
    """What the core reads: float32 as is, half formats as their uint16 bit patterns."""
    if not array.dtype.isnative:
        # A byte-swapped half array viewed as native uint16 would be read as other numbers.
        raise TypeError(f"internal: array of dtype {array.dtype.str} reached the core in non-native byte order")
    return array if name == "float32" else array.view(np.uint16)


class EmbeddingTable:
    """A ``(vocab_size, dim)`` table of vectors, one per token id.

    ``padding_idx`` (as in ``torch.nn.Embedding``, negative values count from the end) names a
    row that gets no gradient. ``table(ids)`` is ``table.lookup(ids)``.
    """

    __slots__ = ("_weights", "_format", "_padding_idx")

    def __init__(self, weights: npt.ArrayLike, padding_idx: Optional[int] = None):
        if isinstance(weights, np.ndarray):
            arr = native(weights)
        else:
            arr = np.asarray(weights, dtype=np.float32)
        fmt = _format_name(arr.dtype, "weights")
        if arr.ndim != 2:
            raise ValueError(f"weights must be 2-D (vocab_size, dim), got shape {arr.shape}")
        if arr.shape[0] < 1 or arr.shape[1] < 1:
            raise ValueError(f"weights must have at least one row and one column, got shape {arr.shape}")
        self._weights = np.ascontiguousarray(arr)
        self._format = fmt
        self._padding_idx = self._normalize_padding(padding_idx)

    def _normalize_padding(self, padding_idx: Optional[int]) -> Optional[int]:
        if padding_idx is None:
            return None
        p = _checks.integer(padding_idx, "padding_idx")
        vocab = self.vocab_size
        if not -vocab <= p < vocab:
            raise ValueError(f"padding_idx {p} is outside a table of {vocab} rows")
        return p % vocab

    # ----- construction ---------------------------------------------------------------------

    @classmethod
    def random(
        cls,
        vocab_size: int,
        dim: int,
        *,
        seed: int = 0,
        std: float = 1.0,
        dtype: npt.DTypeLike = np.float32,
        padding_idx: Optional[int] = None,
    ) -> "EmbeddingTable":
        """A table of normal values with standard deviation ``std``, the same for the same
        ``seed`` on any number of threads. The ``padding_idx`` row is zero, as in
        ``torch.nn.Embedding``."""
        vocab_size, dim = _checks.integer(vocab_size, "vocab_size"), _checks.integer(dim, "dim")
        seed = _checks.integer(seed, "seed")
        if vocab_size < 1 or dim < 1:
            raise ValueError(f"vocab_size and dim must be at least 1, got {vocab_size} and {dim}")
        if not 0 <= seed < 2**64:
            raise ValueError(f"seed must be in [0, 2**64), got {seed}")
        std = float(std)
        if not (math.isfinite(std) and std >= 0):
            raise ValueError(f"std must be a finite number >= 0, got {std}")
        fmt = _format_name(dtype, "dtype")
        weights = np.empty((vocab_size, dim), dtype=_numpy_dtype(fmt))
        _core.embedding_fill_normal(_raw(weights, fmt), fmt, dim, seed, std)
        table = cls(weights, padding_idx=padding_idx)
        if table._padding_idx is not None:
            weights[table._padding_idx] = 0
        return table

    @classmethod
    def from_safetensors(cls, path: PathLike, name: str, padding_idx: Optional[int] = None) -> "EmbeddingTable":
        """The 2-D tensor ``name`` (F32, F16 or BF16) of a ``.safetensors`` file."""
        (array,) = _load_tensors(path, [name])
        if array.ndim != 2:
            raise ValueError(f"tensor {name!r} has shape {array.shape}; a table must be 2-D")
        return cls(array, padding_idx=padding_idx)

    # ----- properties -----------------------------------------------------------------------

    @property
    def weights(self) -> np.ndarray:
        """The table itself (no copy): changes to it are seen by later calls."""
        return self._weights

    @property
    def padding_idx(self) -> Optional[int]:
        return self._padding_idx

    @property
    def vocab_size(self) -> int:
        return self._weights.shape[0]

    @property
    def dim(self) -> int:
        return self._weights.shape[1]

    @property
    def dtype(self) -> np.dtype:
        return self._weights.dtype

    def __len__(self) -> int:
        return self.vocab_size

    def __repr__(self) -> str:
        return (
            f"EmbeddingTable(vocab_size={self.vocab_size}, dim={self.dim}, dtype={self._format}, "
            f"padding_idx={self._padding_idx})"
        )

    def _core_table(self) -> Tuple[np.ndarray, str]:
        return _raw(self._weights, self._format), self._format

    # ----- lookup ---------------------------------------------------------------------------

    def lookup(self, ids: npt.ArrayLike, out: Optional[np.ndarray] = None, dtype: npt.DTypeLike = None) -> np.ndarray:
        """The vectors of ``ids`` (any integer dtype and shape): ``ids.shape + (dim,)``.

        The result has the table's dtype, or ``dtype`` (float32, float16 or bfloat16; rows are
        converted, rounding to nearest-even), or that of ``out``, which is filled and returned.
        Large lookups run on several threads with streaming stores.
        """
        ids = _checks.integer_array(ids, "ids")
        if out is not None:
            _checks.ndarray_out(out)  # its dtype may choose the format
        if dtype is None:
            fmt = self._format if out is None else _format_name(out.dtype, "out")
        else:
            fmt = _format_name(dtype, "dtype")
        shape = ids.shape + (self.dim,)
        np_dtype = _numpy_dtype(fmt)
        if out is None:
            out = np.empty(shape, dtype=np_dtype)
        else:
            _checks.out_array(out, shape, np_dtype, (self._weights, ids))
        _core.embedding_gather(*self._core_table(), ids, _raw(out, fmt), fmt)
        return out

    __call__ = lookup

    # ----- training -------------------------------------------------------------------------

    def _grad_args(self, ids: npt.ArrayLike, grad_output: npt.ArrayLike) -> Tuple[np.ndarray, np.ndarray]:
        ids = _checks.integer_array(ids, "ids")
        grad = _checks.float32_array(grad_output, "grad_output")
        if grad.shape != ids.shape + (self.dim,):
            raise ValueError(f"grad_output has shape {grad.shape}, expected ids.shape + (dim,) = {ids.shape + (self.dim,)}")
        return ids, grad

    def backward(self, ids: npt.ArrayLike, grad_output: npt.ArrayLike) -> np.ndarray:
        """The gradient of the table (``(vocab_size, dim)`` float32) for a lookup of ``ids``
        whose output had gradient ``grad_output``: each row's output gradients summed in
        position order (the same on any number of threads); the padding row gets none."""
        ids, grad = self._grad_args(ids, grad_output)
        return _core.embedding_backward_dense(ids, grad, self.vocab_size, self.dim, self._padding_idx)

    def backward_sparse(self, ids: npt.ArrayLike, grad_output: npt.ArrayLike) -> Tuple[np.ndarray, np.ndarray]:
        """The same gradient as ``(unique_ids, grad_rows)``: the increasing int64 ids of the rows
        that have a gradient (never the padding row) and their float32 gradients."""
        ids, grad = self._grad_args(ids, grad_output)
        return _core.embedding_backward_sparse(ids, grad, self.vocab_size, self.dim, self._padding_idx)

    def sgd_step(self, ids: npt.ArrayLike, grad_output: npt.ArrayLike, lr: float) -> None:
        """``weights -= lr * backward(ids, grad_output)``, in place, touching only the rows
        that have a gradient (half-precision rows are updated in float32 and rounded).

        The table is borrowed exclusively for the update: a lookup of the same table running
        in another thread at that moment makes one of the two calls raise ``ValueError``
        instead of reading half-updated rows."""
        ids, grad = self._grad_args(ids, grad_output)
        if not self._weights.flags.writeable:
            raise ValueError("the table's weights are read-only")
        lr = float(lr)
        _core.embedding_sgd_step(*self._core_table(), ids, grad, lr, self._padding_idx)

    # ----- from vectors back to ids ---------------------------------------------------------

    def _float32_weights(self) -> np.ndarray:
        return self._weights if self._format == "float32" else self._weights.astype(np.float32)

    def logits(self, hidden: npt.ArrayLike) -> np.ndarray:
        """The tied output projection ``hidden @ weights.T``: ``(..., dim)`` to
        ``(..., vocab_size)`` float32. A matrix product, so NumPy's BLAS does it; half-precision
        tables are widened to float32 for the call."""
        h = _checks.float32_array(hidden, "hidden")
        if h.ndim < 1 or h.shape[-1] != self.dim:
            raise ValueError(f"hidden must have shape (..., {self.dim}), got {h.shape}")
        return np.matmul(h, self._float32_weights().T)

    def nearest(
        self, vectors: npt.ArrayLike, k: int = 5, metric: str = "cosine"
    ) -> Tuple[np.ndarray, np.ndarray]:
        """The ``k`` rows nearest to each vector, best first: ``(ids, scores)`` of shape
        ``vectors.shape[:-1] + (k,)`` (int64 and float32). ``metric`` is ``"cosine"`` (a zero
        vector scores 0 against everything) or ``"dot"``. Equal scores rank by lower id; NaN
        scores rank last. ``tokenizer.decode(ids)`` turns the ids back into text."""
        v = _checks.float32_array(vectors, "vectors")
        if v.ndim < 1 or v.shape[-1] != self.dim:
            raise ValueError(f"vectors must have shape (..., {self.dim}), got {v.shape}")
        k = _checks.integer(k, "k")
        if not 1 <= k <= self.vocab_size:
            raise ValueError(f"k must be between 1 and {self.vocab_size}, got {k}")
        if not isinstance(metric, str):
            raise TypeError(f"metric must be \"cosine\" or \"dot\", got {metric!r}")
        lead = v.shape[:-1]
        ids, scores = _core.embedding_nearest(*self._core_table(), v.reshape(-1, self.dim), k, metric)
        return ids.reshape(lead + (k,)), scores.reshape(lead + (k,))


def _load_tensors(path: PathLike, names: list) -> list:
    """Float tensors by name, as NumPy arrays of their own dtype."""
    if not isinstance(path, (str, os.PathLike)):
        raise TypeError(f"path must be a str or os.PathLike, got {type(path).__name__}")
    arrays = []
    for fmt, raw in _core.load_safetensors(os.fspath(path), list(names)):
        arrays.append(raw if fmt == "float32" else raw.view(_numpy_dtype(fmt)))
    return arrays


_SINUSOIDAL = "sinusoidal"
# Sinusoidal tables are built for at least this many positions, then grown in steps of it.
_SINUSOIDAL_STEP = 512


def _as_table(value: Any, what: str) -> EmbeddingTable:
    if isinstance(value, EmbeddingTable):
        return value
    if isinstance(value, np.ndarray):
        return EmbeddingTable(value)
    raise TypeError(f"{what} must be an EmbeddingTable or a 2-D array, got {type(value).__name__}")


class InputEmbedder:
    """The input embedding of a transformer:
    ``LayerNorm(token[input_ids] * scale + segment[token_type_ids] + position[position_ids])``.

    - ``token``: an ``EmbeddingTable`` (or a 2-D array).
    - ``position``: None, ``"sinusoidal"`` (the table of "Attention is all you need", built as
      long as the inputs need), or a learned ``(max_len, dim)`` table.
    - ``segment``: None or a table of token types (BERT's ``token_type_embeddings``).
    - ``layer_norm``: None or ``(weight, bias, eps)``.
    - ``scale``: None or a factor for the token vectors (e.g. ``math.sqrt(dim)``).

    Tables may have different dtypes; the sum is float32, and so is the output. The whole thing
    is one pass in Rust (gather, sum, LayerNorm, one write per output row).
    """

    __slots__ = ("_token", "_position", "_sinusoidal", "_segment", "_layer_norm", "_scale")

    def __init__(
        self,
        token: Union[EmbeddingTable, np.ndarray],
        position: Union[None, str, EmbeddingTable, np.ndarray] = None,
        segment: Union[None, EmbeddingTable, np.ndarray] = None,
        layer_norm: Optional[Tuple[npt.ArrayLike, npt.ArrayLike, float]] = None,
        scale: Optional[float] = None,
    ):
        self._token = _as_table(token, "token")
        dim = self._token.dim
        self._sinusoidal = isinstance(position, str)
        if self._sinusoidal and position != _SINUSOIDAL:
            raise ValueError(f"position must be None, \"sinusoidal\" or a table, got {position!r}")
        self._position: Optional[EmbeddingTable] = None
        if position is not None and not self._sinusoidal:
            self._position = self._same_dim(_as_table(position, "position"), "position")
        self._segment = None if segment is None else self._same_dim(_as_table(segment, "segment"), "segment")
        self._layer_norm = None if layer_norm is None else self._layer_norm_args(layer_norm, dim)
        self._scale = None if scale is None else _checks.finite_number(scale, "scale")

    def _same_dim(self, table: EmbeddingTable, what: str) -> EmbeddingTable:
        if table.dim != self._token.dim:
            raise ValueError(f"the {what} table has dim {table.dim}, but the token table has dim {self._token.dim}")
        return table

    @staticmethod
    def _layer_norm_args(layer_norm: Any, dim: int) -> Tuple[np.ndarray, np.ndarray, float]:
        if not isinstance(layer_norm, (tuple, list)) or len(layer_norm) != 3:
            raise TypeError("layer_norm must be a (weight, bias, eps) tuple")
        weight = _checks.float32_array(layer_norm[0], "layer_norm weight")
        bias = _checks.float32_array(layer_norm[1], "layer_norm bias")
        for name, a in (("weight", weight), ("bias", bias)):
            if a.shape != (dim,):
                raise ValueError(f"layer_norm {name} must have shape ({dim},), got {a.shape}")
        eps = float(layer_norm[2])
        if not (math.isfinite(eps) and eps >= 0):
            raise ValueError(f"layer_norm eps must be a finite number >= 0, got {eps}")
        return weight, bias, eps

    @classmethod
    def from_bert(
        cls,
        safetensors_path: PathLike,
        prefix: str = "embeddings.",
        layer_norm_eps: float = 1e-12,
        pad_token_id: Optional[int] = 0,
    ) -> "InputEmbedder":
        """BERT's embedding layer from a checkpoint: ``{prefix}word_embeddings.weight``,
        ``position_embeddings.weight``, ``token_type_embeddings.weight`` and
        ``LayerNorm.weight``/``.bias``. The defaults are BERT's config: LayerNorm eps 1e-12, and
        the word table's padding row (no gradient) is ``pad_token_id`` 0."""
        names = [
            f"{prefix}word_embeddings.weight",
            f"{prefix}position_embeddings.weight",
            f"{prefix}token_type_embeddings.weight",
            f"{prefix}LayerNorm.weight",
            f"{prefix}LayerNorm.bias",
        ]
        word, position, token_type, ln_weight, ln_bias = _load_tensors(safetensors_path, names)
        return cls(
            EmbeddingTable(word, padding_idx=pad_token_id),
            position=EmbeddingTable(position),
            segment=EmbeddingTable(token_type),
            layer_norm=(ln_weight, ln_bias, layer_norm_eps),
        )

    @property
    def dim(self) -> int:
        return self._token.dim

    @property
    def token(self) -> EmbeddingTable:
        return self._token

    @property
    def position(self) -> Union[None, str, EmbeddingTable]:
        return _SINUSOIDAL if self._sinusoidal else self._position

    @property
    def segment(self) -> Optional[EmbeddingTable]:
        return self._segment

    @property
    def layer_norm(self) -> Optional[Tuple[np.ndarray, np.ndarray, float]]:
        return self._layer_norm

    @property
    def scale(self) -> Optional[float]:
        return self._scale

    def __repr__(self) -> str:
        position = "sinusoidal" if self._sinusoidal else self._position
        return (
            f"InputEmbedder(token={self._token}, position={position}, segment={self._segment}, "
            f"layer_norm={'yes' if self._layer_norm else None}, scale={self._scale})"
        )

    def _sinusoidal_table(self, needed: int) -> EmbeddingTable:
        current = self._position
        if current is None or current.vocab_size < needed:
            rows = max(_SINUSOIDAL_STEP, -(-needed // _SINUSOIDAL_STEP) * _SINUSOIDAL_STEP)
            current = EmbeddingTable(sinusoidal_table(rows, self.dim, dtype=np.float32))
            self._position = current
        return current

    def __call__(
        self,
        input_ids: Any,
        token_type_ids: Optional[npt.ArrayLike] = None,
        position_ids: Optional[npt.ArrayLike] = None,
        out: Optional[np.ndarray] = None,
    ) -> np.ndarray:
        """Embeds ``input_ids`` (``(B, S)`` or ``(S,)``, any integer dtype) into float32
        ``input_ids.shape + (dim,)``, written to ``out`` when given.

        ``input_ids`` may also be a tokenizer's ``BatchEncoding`` (or any mapping): its
        ``input_ids`` are used, and its ``token_type_ids`` when the embedder has a segment table.
        Missing ``token_type_ids`` mean segment 0; missing ``position_ids`` mean ``0..S-1`` in
        every row (``position_ids`` may be ``(S,)`` or of the ids' shape). The attention mask
        plays no part: padding positions are embedded like any token.
        """
        if isinstance(input_ids, Mapping):
            batch = input_ids
            if "input_ids" not in batch:
                raise KeyError("the mapping passed as input_ids has no 'input_ids'")
            input_ids = batch["input_ids"]
            if token_type_ids is None and self._segment is not None:
                token_type_ids = batch.get("token_type_ids")
            if position_ids is None:
                position_ids = batch.get("position_ids")
        ids = _checks.integer_array(input_ids, "input_ids")
        if ids.ndim < 1:
            raise ValueError("input_ids must have at least one dimension (the sequence)")
        types = None
        if token_type_ids is not None:
            if self._segment is None:
                raise ValueError("token_type_ids given, but this embedder has no segment table")
            types = _checks.integer_array(token_type_ids, "token_type_ids")
            if types.shape != ids.shape:
                raise ValueError(f"token_type_ids has shape {types.shape}, but input_ids has shape {ids.shape}")
        positions = None
        if position_ids is not None:
            if self._position is None and not self._sinusoidal:
                raise ValueError("position_ids given, but this embedder has no position table")
            positions = _checks.integer_array(position_ids, "position_ids")
            try:
                positions = np.ascontiguousarray(np.broadcast_to(positions, ids.shape))
            except ValueError:
                raise ValueError(
                    f"position_ids of shape {positions.shape} do not fit input_ids of shape {ids.shape}"
                ) from None
        position_table = self._position
        if self._sinusoidal:
            needed = ids.shape[-1] if positions is None or positions.size == 0 else int(positions.max()) + 1
            position_table = self._sinusoidal_table(max(needed, 1))
        shape = ids.shape + (self.dim,)
        if out is None:
            out = np.empty(shape, dtype=np.float32)
        else:
            _checks.out_array(out, shape, np.dtype(np.float32), (ids, types, positions) + self._arrays(position_table))
        _core.embedding_input(
            self._token._core_table(),
            None if position_table is None else position_table._core_table(),
            None if self._segment is None else self._segment._core_table(),
            self._layer_norm,
            self._scale,
            ids,
            types,
            positions,
            out,
        )
        return out

    def _arrays(self, position_table: Optional[EmbeddingTable]) -> Tuple[np.ndarray, ...]:
        tables = [self._token, position_table, self._segment]
        arrays = [t.weights for t in tables if t is not None]
        if self._layer_norm is not None:
            arrays += [self._layer_norm[0], self._layer_norm[1]]
        return tuple(arrays)
