"""``InputEmbedder``: the input embedding of a transformer (token, segment and position vectors
summed, then LayerNorm, as BERT-style models do), in one pass of the Rust core over tables that
are ``EmbeddingTable``s. The array policy is in ``tokembed.embeddings``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any, Optional, Tuple, Union

import numpy as np
import numpy.typing as npt

from .. import _checks, _core
from .positional import sinusoidal_table
from .table import EmbeddingTable, PathLike, load_tensors

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
        word, position, token_type, ln_weight, ln_bias = load_tensors(safetensors_path, names)
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
