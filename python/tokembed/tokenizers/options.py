"""Argument policy: turns per-call truncation and padding arguments, together with what the
tokenizer file configures, into the parameter objects of the ``tokenizer.json`` format."""

from __future__ import annotations

from typing import Optional, Union

import numpy as np

from .. import _checks

_STRATEGIES = {"longest_first": "LongestFirst", "only_first": "OnlyFirst", "only_second": "OnlySecond"}
_SIDES = {"right": "Right", "left": "Left"}


def side(value: Optional[str], what: str) -> Optional[str]:
    if value is None:
        return None
    try:
        return _SIDES[value]
    except KeyError:
        raise ValueError(f"{what} must be 'left' or 'right', got {value!r}") from None


def truncation_params(
    truncation: Union[None, bool, str],
    max_length: Optional[int],
    stride: Optional[int],
    truncation_side: Optional[str],
    configured: Optional[dict],
) -> Optional[dict]:
    """``None`` keeps what the file configures (with ``max_length``/``stride``/side overriding
    it), ``False`` turns truncation off, ``True`` or a strategy name turns it on."""
    if truncation is False:
        return None
    if truncation is None:
        if configured is None:
            return None
        params = dict(configured)
    else:
        if truncation is True:
            strategy = "LongestFirst"
        elif isinstance(truncation, str) and truncation in _STRATEGIES:
            strategy = _STRATEGIES[truncation]
        else:
            raise ValueError(
                f"truncation must be None, a bool or one of {sorted(_STRATEGIES)}, got {truncation!r}"
            )
        params = dict(configured or {"direction": "Right", "stride": 0})
        params["strategy"] = strategy
        if max_length is None and "max_length" not in params:
            raise ValueError("truncation needs max_length (the tokenizer file sets none)")
    if max_length is not None:
        params["max_length"] = _checks.integer(max_length, "max_length", 0)
    if stride is not None:
        params["stride"] = _checks.integer(stride, "stride", 0)
    params.setdefault("stride", 0)
    params["direction"] = side(truncation_side, "truncation_side") or params.get("direction", "Right")
    return params


def padding_params(
    padding: Union[None, bool, str],
    max_length: Optional[int],
    pad_to_multiple_of: Optional[int],
    padding_side: Optional[str],
    configured: Optional[dict],
    truncation: Optional[dict],
    default_pad: dict,
) -> dict:
    """Batches are always rectangular: ``None`` follows the file (or pads to the longest row),
    ``True``/``"longest"`` pads to the longest row, ``"max_length"`` to ``max_length``."""
    base = dict(configured) if configured else dict(default_pad)
    if padding is None:
        if not configured:
            base["strategy"] = "BatchLongest"
        elif max_length is not None and base["strategy"] != "BatchLongest":
            base["strategy"] = {"Fixed": _checks.integer(max_length, "max_length", 0)}
    elif padding is True or padding == "longest":
        base["strategy"] = "BatchLongest"
    elif padding == "max_length":
        length = max_length
        if length is None and truncation is not None:
            length = truncation["max_length"]
        if length is None and isinstance(base.get("strategy"), dict):
            length = base["strategy"]["Fixed"]
        if length is None:
            raise ValueError("padding='max_length' needs max_length (the tokenizer file sets none)")
        base["strategy"] = {"Fixed": _checks.integer(length, "max_length", 0)}
    else:
        raise ValueError(f"padding must be None, True, 'longest' or 'max_length', got {padding!r}")
    if pad_to_multiple_of is not None:
        base["pad_to_multiple_of"] = _checks.integer(pad_to_multiple_of, "pad_to_multiple_of", 0) or None
    base["direction"] = side(padding_side, "padding_side") or base.get("direction", "Right")
    return base



def is_no_padding(padding: Union[None, bool, str]) -> bool:
    """transformers' ways of asking for no padding."""
    return padding is False or (isinstance(padding, str) and padding == "do_not_pad")


def check_return_tensors(return_tensors: Optional[str], ragged: bool) -> None:
    if return_tensors is not None and return_tensors != "np":
        raise ValueError(
            f"return_tensors={return_tensors!r}: tokembed returns NumPy arrays (return_tensors=None or 'np'); "
            "convert them with torch.from_numpy and the like"
        )
    if return_tensors == "np" and ragged:
        raise ValueError("return_tensors='np' needs rows of one length: pass padding=True or 'max_length'")


def unpadded(arrays: dict) -> dict:
    """The padded (right-side) batch as lists of per-row arrays cut to each row's length; the
    per-row values (such as ``overflow_to_sample_mapping``) stay arrays."""
    lengths = arrays["attention_mask"].sum(axis=1).tolist()
    rows = len(lengths)
    out = {}
    for key, value in arrays.items():
        if isinstance(value, np.ndarray) and value.ndim >= 2 and value.shape[0] == rows:
            out[key] = [value[i, :n] for i, n in enumerate(lengths)]
        else:
            out[key] = value
    return out
