"""Argument policy: turns per-call truncation and padding arguments, together with what the
tokenizer file configures, into the parameter objects of the ``tokenizer.json`` format."""

from __future__ import annotations

from typing import Optional, Union

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
    elif padding is False or padding == "do_not_pad":
        raise ValueError(
            "encode_batch returns rectangular (batch, length) arrays and always pads; "
            "use encode_batch_flat for unpadded ids"
        )
    else:
        raise ValueError(f"padding must be None, True, 'longest' or 'max_length', got {padding!r}")
    if pad_to_multiple_of is not None:
        base["pad_to_multiple_of"] = _checks.integer(pad_to_multiple_of, "pad_to_multiple_of", 0) or None
    base["direction"] = side(padding_side, "padding_side") or base.get("direction", "Right")
    return base

