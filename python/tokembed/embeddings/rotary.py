"""``RotaryEmbedding``: rotary position embeddings (RoPE) over NumPy, with HF's scaling types
(linear, dynamic, YaRN, Llama 3) and both layouts (HF's ``rotate_half``, Meta's interleaved pairs).
Frequencies, cos/sin and the rotation itself are computed by the Rust core (``_core.Rope``); the
argument policy is that of ``positional.py``.
"""

from __future__ import annotations

import json
from typing import Any, Mapping, Optional, Tuple

import numpy as np
import numpy.typing as npt

from .. import _checks, _core
from .._checks import native

_ROPE_DTYPES = (np.dtype(np.float32), np.dtype(np.float64))


def _scaling_json(scaling: Mapping[str, Any]) -> str:
    def plain(o: Any) -> Any:
        if isinstance(o, np.generic):
            return o.item()
        raise TypeError(f"scaling values must be numbers, strings or bools, got {type(o).__name__}")

    try:
        return json.dumps(dict(scaling), allow_nan=False, default=plain)
    except ValueError as e:
        raise ValueError(f"scaling values must be finite: {e}") from None


class RotaryEmbedding:
    """Rotary position embedding (RoPE) for ``(..., seq, heads, head_dim)`` arrays.

    Args:
        head_dim: size of one attention head (even, or with ``partial_rotary_factor`` an even
            rotated part).
        theta: the base of the frequencies (HF ``rope_theta``); default ``scaling["rope_theta"]``
            or 10000.
        scaling: HF ``rope_parameters`` (or the older ``rope_scaling``) dict, e.g.
            ``{"rope_type": "llama3", "factor": 8.0, "low_freq_factor": 1.0,
            "high_freq_factor": 4.0, "original_max_position_embeddings": 8192}``. Types:
            ``default``, ``linear``, ``dynamic``, ``yarn``, ``llama3``; ``"type"`` is accepted for
            ``"rope_type"``. Unknown keys raise ``ValueError``.
        layout: ``"neox"`` (HF's ``rotate_half``: dim ``k`` pairs with ``k + d/2``) or
            ``"interleaved"`` (Meta's Llama reference: dims ``2k`` and ``2k+1``).
        partial_rotary_factor: rotate only the first ``int(head_dim * factor)`` dims (HF).
        max_position_embeddings: the model's context length; needed by ``dynamic``, and the
            default of ``original_max_position_embeddings`` for ``yarn``/``llama3`` as in HF.

    Numbers: ``inv_freq`` equals HF's float32 tensor bit for bit; angles are the float32 products
    ``float32(position) * inv_freq`` as in HF, and cos/sin are correctly rounded from them, so
    results agree with HF on torch to about one float32 ulp.

    ``dynamic`` scaling uses ``max(positions) + 1`` (or ``seq_len=``) as HF's current sequence
    length on each call; it keeps no state between calls (HF caches the longest length seen).
    """

    def __init__(
        self,
        head_dim: int,
        theta: Optional[float] = None,
        scaling: Optional[Mapping[str, Any]] = None,
        layout: str = "neox",
        *,
        partial_rotary_factor: Optional[float] = None,
        max_position_embeddings: Optional[int] = None,
    ) -> None:
        head_dim = _checks.integer(head_dim, "head_dim", 1)
        if scaling is None:
            scaling = {}
        if not isinstance(scaling, Mapping):
            raise TypeError(f"scaling must be a dict (HF rope_parameters) or None, got {type(scaling).__name__}")
        params = dict(scaling)
        theta = self._merge("theta", theta, params.pop("rope_theta", None), 10000.0)
        prf = self._merge("partial_rotary_factor", partial_rotary_factor, params.pop("partial_rotary_factor", None), 1.0)
        if not 0.0 < prf <= 1.0:
            raise ValueError(f"partial_rotary_factor must be in (0, 1], got {prf}")
        rotary_dim = int(head_dim * prf)
        if rotary_dim == head_dim and head_dim % 2:
            raise ValueError(f"head_dim must be even for rotary embeddings, got {head_dim}")
        if rotary_dim % 2 or rotary_dim == 0:
            raise ValueError(
                f"the rotary dimension int(head_dim * partial_rotary_factor) = {rotary_dim} must be even and positive"
            )
        if max_position_embeddings is not None:
            max_position_embeddings = _checks.integer(max_position_embeddings, "max_position_embeddings", 1)
        if not isinstance(layout, str):
            raise TypeError(f"layout must be a str, got {type(layout).__name__}")
        if layout not in ("neox", "interleaved"):
            raise ValueError(f'layout must be "neox" or "interleaved", got {layout!r}')
        self._core = _core.Rope(head_dim, rotary_dim, theta, layout, _scaling_json(params), max_position_embeddings)
        # What pickling keeps (the core object does not pickle): the arguments, normalized.
        self._args = {
            "head_dim": head_dim,
            "theta": theta,
            "scaling": params,
            "layout": layout,
            "partial_rotary_factor": prf,
            "max_position_embeddings": max_position_embeddings,
        }
        self.head_dim = head_dim
        self.rotary_dim = rotary_dim
        self.theta = theta
        self.layout = layout
        self.partial_rotary_factor = prf
        self.max_position_embeddings = max_position_embeddings
        self.rope_type: str = self._core.rope_type()
        self._inv_freq, self._attention_scaling = self._core.frequencies(None)
        self._inv_freq.flags.writeable = False

    def __getstate__(self) -> dict:
        return dict(self._args)

    def __setstate__(self, state: dict) -> None:
        self.__init__(**state)  # type: ignore[misc]

    @staticmethod
    def _merge(name: str, given: Any, in_scaling: Any, default: float) -> float:
        if given is not None:
            given = _checks.finite_number(given, name)
        if in_scaling is not None:
            in_scaling = _checks.finite_number(in_scaling, f'scaling["{"rope_theta" if name == "theta" else name}"]')
            if given is not None and given != in_scaling:
                raise ValueError(f"{name}={given} contradicts scaling's value {in_scaling}")
            return in_scaling
        return default if given is None else given

    @classmethod
    def from_hf_config(cls, config: Mapping[str, Any], layout: str = "neox") -> "RotaryEmbedding":
        """From an HF model ``config.json`` dict: ``head_dim`` (or ``hidden_size //
        num_attention_heads``), ``rope_parameters`` or ``rope_scaling``, ``rope_theta``,
        ``partial_rotary_factor`` and ``max_position_embeddings``."""
        if not isinstance(config, Mapping):
            raise TypeError(f"config must be a dict, got {type(config).__name__}")
        head_dim = config.get("head_dim") or None
        if head_dim is None:
            try:
                head_dim = config["hidden_size"] // config["num_attention_heads"]
            except KeyError as e:
                raise ValueError(f"config has neither head_dim nor {e.args[0]}") from None
        scaling = dict(config.get("rope_parameters") or config.get("rope_scaling") or {})
        if "rope_theta" not in scaling and config.get("rope_theta") is not None:
            scaling["rope_theta"] = config["rope_theta"]
        if "partial_rotary_factor" not in scaling and config.get("partial_rotary_factor") is not None:
            scaling["partial_rotary_factor"] = config["partial_rotary_factor"]
        return cls(head_dim, scaling=scaling, layout=layout, max_position_embeddings=config.get("max_position_embeddings"))

    @property
    def inv_freq(self) -> np.ndarray:
        """``(rotary_dim // 2,)`` float32 inverse frequencies (for dynamic: at
        ``max_position_embeddings``, i.e. unscaled). Read-only."""
        return self._inv_freq

    @property
    def attention_scaling(self) -> float:
        """The factor cos and sin are multiplied by (YaRN's mscale; 1.0 for the other types)."""
        return self._attention_scaling

    def frequencies(self, seq_len: Optional[int] = None) -> Tuple[np.ndarray, float]:
        """``(inv_freq, attention_scaling)`` for a sequence length (matters only for dynamic)."""
        if seq_len is not None:
            seq_len = _checks.integer(seq_len, "seq_len", 1)
        return self._core.frequencies(seq_len)

    def _positions(self, positions: Any, lead: Tuple[int, ...]) -> np.ndarray:
        pos = _checks.int64_array(positions, "positions")
        try:
            pos = np.broadcast_to(pos, lead)
        except ValueError:
            raise ValueError(
                f"positions of shape {pos.shape} do not broadcast to x's leading shape {lead} (..., seq)"
            ) from None
        flat = np.ascontiguousarray(pos).reshape(-1)
        if flat.size and flat.min() < 0:
            raise ValueError(f"positions must be non-negative, got {flat.min()}")
        return flat

    def cos_sin(self, positions: npt.ArrayLike, seq_len: Optional[int] = None) -> Tuple[np.ndarray, np.ndarray]:
        """float32 ``cos`` and ``sin`` of shape ``positions.shape + (rotary_dim,)``, times
        ``attention_scaling``. For ``"neox"`` these are HF's ``cos``/``sin`` (the
        ``rotary_dim // 2`` values repeated); for ``"interleaved"`` each value appears twice in a
        row."""
        pos = _checks.int64_array(positions, "positions")
        flat = np.ascontiguousarray(pos).reshape(-1)
        if flat.size and flat.min() < 0:
            raise ValueError(f"positions must be non-negative, got {flat.min()}")
        if seq_len is not None:
            seq_len = _checks.integer(seq_len, "seq_len", 1)
        cos, sin = self._core.cos_sin(flat, seq_len)
        shape = pos.shape + (self.rotary_dim,)
        return cos.reshape(shape), sin.reshape(shape)

    def apply(
        self,
        x: npt.ArrayLike,
        positions: npt.ArrayLike,
        out: Optional[np.ndarray] = None,
        seq_len: Optional[int] = None,
    ) -> np.ndarray:
        """Rotates queries or keys ``x`` of shape ``(..., seq, heads, head_dim)`` by their
        integer ``positions``, of shape ``(seq,)`` or anything that broadcasts to ``x.shape[:-2]``.

        ``x`` must be float32 or float64 (cos/sin are float32 values either way, as HF casts
        them to x's dtype); a non-contiguous ``x`` is copied first. Returns a new array, or
        writes into ``out`` (C-contiguous, writeable, same shape and dtype; ``out=x`` rotates in
        place, any other overlap with ``x`` is refused) and returns it. ``seq_len`` overrides
        the length dynamic scaling uses (default ``max(positions) + 1``).
        """
        x = native(np.asarray(x))
        if x.dtype not in _ROPE_DTYPES:
            raise TypeError(f"x must be float32 or float64, got dtype {x.dtype} (cast float16/bfloat16 first)")
        if x.ndim < 3:
            raise ValueError(f"x must have shape (..., seq, heads, head_dim), got shape {x.shape}")
        if x.shape[-1] != self.head_dim:
            raise ValueError(f"x has last dimension {x.shape[-1]}, expected head_dim={self.head_dim}")
        flat_pos = self._positions(positions, x.shape[:-2])
        if seq_len is not None:
            seq_len = _checks.integer(seq_len, "seq_len", 1)
        if out is not None:
            _checks.out_array(out, x.shape, x.dtype)
        if x.size == 0:
            return np.empty_like(x) if out is None else out
        if out is not None and _same_buffer(out, x):
            self._core.apply_inplace(out, flat_pos, seq_len)
            return out
        x = np.ascontiguousarray(x)
        if out is None:
            return self._core.apply(x, flat_pos, seq_len)
        if np.may_share_memory(out, x):
            raise ValueError("out overlaps x without being x: pass out=x to rotate in place, or a separate array")
        self._core.apply_into(x, flat_pos, out, seq_len)
        return out

    def __repr__(self) -> str:
        return (
            f"RotaryEmbedding(head_dim={self.head_dim}, theta={self.theta}, rope_type={self.rope_type!r}, "
            f"layout={self.layout!r}, rotary_dim={self.rotary_dim})"
        )


def _same_buffer(a: np.ndarray, b: np.ndarray) -> bool:
    """Both C-contiguous views of exactly the same memory."""
    return (
        b.flags.c_contiguous
        and a.__array_interface__["data"][0] == b.__array_interface__["data"][0]
        and a.shape == b.shape
        and a.dtype == b.dtype
    )
