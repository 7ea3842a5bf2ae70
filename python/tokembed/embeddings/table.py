"""``EmbeddingTable``: a ``(vocab_size, dim)`` array of float32, float16 or bfloat16
(``ml_dtypes.bfloat16``), whose rows the Rust core looks up by id (``lookup``), trains (gradient,
sparse gradient, SGD step) and searches to go back from vectors to ids (``logits``, ``nearest``).

The table formats live here too (the ``dtype=`` names, bfloat16 through ml_dtypes, the uint16
bit patterns the core reads half formats as, tensors of a ``.safetensors`` file), since the input
embedder reads its tables through them. The array policy is in ``tokembed.embeddings``.
"""

from __future__ import annotations

import math
import os
from typing import Any, Optional, Tuple, Union

import numpy as np
import numpy.typing as npt

from .. import _checks, _core
from .._checks import native

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
        (array,) = load_tensors(path, [name])
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


def load_tensors(path: PathLike, names: list) -> list:
    """Float tensors by name, as NumPy arrays of their own dtype."""
    if not isinstance(path, (str, os.PathLike)):
        raise TypeError(f"path must be a str or os.PathLike, got {type(path).__name__}")
    arrays = []
    for fmt, raw in _core.load_safetensors(os.fspath(path), list(names)):
        arrays.append(raw if fmt == "float32" else raw.view(_numpy_dtype(fmt)))
    return arrays
