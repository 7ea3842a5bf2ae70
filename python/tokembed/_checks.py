"""Argument checks shared by every class that hands numbers or NumPy arrays to the Rust core.

One function per check, so that a mistake gets the same error (type and wording) wherever it is
made: integers (``integer``), finite numbers (``finite_number``), arrays of ids or positions
(``integer_array``, ``int64_array``, ``id_sequence``), float arrays (``float32_array``) and
``out=`` arrays (``out_array``). Errors name the argument: ``TypeError`` for a wrong type,
``ValueError`` for a wrong value.

Byte order at the boundary: the core reads and writes buffers in the machine's byte order. An
input array in the other order (``">f2"``, ``">i8"`` on a little-endian machine, e.g. from a file
written elsewhere or ``np.dtype(...).newbyteorder()``) is converted to native order with a copy:
its values are what the caller means, only their layout differs. An ``out=`` array in the other
order is refused: results are written into it directly, and a converted copy would leave it
unchanged. One-byte dtypes are always native. ``ml_dtypes.bfloat16`` accepts ``newbyteorder``
but its casts ignore the byte order, so such arrays are converted through their bits.
"""

from __future__ import annotations

import math
import numbers
from typing import Any, Iterable, List, Optional, Sequence, Tuple, Type

import numpy as np

_INT64_MAX = np.iinfo(np.int64).max


def native(arr: np.ndarray) -> np.ndarray:
    """``arr`` itself when its dtype is in the machine's byte order, else a native copy."""
    dtype = arr.dtype
    if dtype.isnative:
        return arr
    target = dtype.newbyteorder("=")
    if dtype.kind in "biufc":
        return arr.astype(target)
    if dtype.fields is None and dtype.itemsize in (2, 4, 8):
        # ml_dtypes' casts would copy the bytes unswapped: swap them as unsigned integers.
        bits = f"u{dtype.itemsize}"
        return arr.view(dtype.byteorder + bits).astype("=" + bits).view(target)
    raise TypeError(f"cannot convert an array of dtype {dtype} to this machine's byte order")


# ----- numbers ----------------------------------------------------------------------------------


def integer(value: Any, what: str, minimum: Optional[int] = None) -> int:
    """A Python or NumPy integer (a bool is not one), at least ``minimum`` when given."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{what} must be an integer, got {type(value).__name__}")
    value = int(value)
    if minimum is not None and value < minimum:
        raise ValueError(f"{what} must be at least {minimum}, got {value}")
    return value


def finite_number(value: Any, what: str) -> float:
    """A Python or NumPy real number (not a bool), finite, as a float."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real):
        raise TypeError(f"{what} must be a number, got {type(value).__name__}")
    value = float(value)
    if not math.isfinite(value):
        raise ValueError(f"{what} must be finite, got {value}")
    return value


# ----- input arrays -----------------------------------------------------------------------------


def _with_integer_dtype(value: Any, what: str) -> np.ndarray:
    arr = np.asarray(value)
    # Floats and bools are refused rather than truncated: 1.5 is no id, True no position.
    if arr.dtype.kind not in "iu":
        raise TypeError(f"{what} must have an integer dtype, got {arr.dtype}")
    return arr


def integer_array(value: Any, what: str) -> np.ndarray:
    """Ids of any integer dtype and shape, kept in that dtype (the core reads each integer type
    and checks every id against its table), C-contiguous and in native byte order; a copy only
    when the input is not already so."""
    return np.asarray(native(_with_integer_dtype(value, what)), order="C")


def int64_array(value: Any, what: str, beyond: Type[Exception] = ValueError) -> np.ndarray:
    """Integers of any dtype and shape as int64 (a copy only when they are not already);
    ``beyond`` is raised for uint64 values past the int64 range, which a cast would wrap into
    negative numbers."""
    arr = _with_integer_dtype(value, what)
    if arr.dtype.kind == "u" and arr.dtype.itemsize == 8 and arr.size and arr.max() > _INT64_MAX:
        raise beyond(f"{what} holds values beyond the int64 range")
    return arr.astype(np.int64, copy=False)


def id_sequence(ids: Any, what: str) -> np.ndarray:
    """One sequence of token ids: a 1-D, C-contiguous int64 array. An empty sequence may have
    any dtype (``[]`` is float64 to NumPy). An id beyond int64 is out of any vocabulary: an
    ``IndexError``, as the core raises for other ids out of range."""
    arr = np.asarray(ids)
    if arr.ndim != 1:
        raise ValueError(f"{what} must be one-dimensional, got shape {arr.shape}")
    if arr.size == 0:
        return np.zeros(0, dtype=np.int64)
    return np.ascontiguousarray(int64_array(arr, what, beyond=IndexError))


def float32_array(value: Any, what: str) -> np.ndarray:
    """Floats of any float dtype (bfloat16 included) and byte order as C-contiguous native
    float32: the type the core computes in (a copy only when they are not already)."""
    arr = native(np.asarray(value))
    if arr.dtype.kind != "f" and arr.dtype.name != "bfloat16":
        raise TypeError(f"{what} must hold floats, got {arr.dtype}")
    return np.asarray(arr, dtype=np.float32, order="C")


# ----- out= arrays ------------------------------------------------------------------------------


def one_or_batch(values: Any, item_ndim: int, what: str, shapes: str) -> List[Any]:
    """``values`` as a list of items: an array of ``item_ndim`` dimensions is one item, one of a
    dimension more a batch of them, a list or tuple is taken as given (items of any sizes); the
    items are checked by the caller. ``shapes`` names the shapes taken, for the error."""
    if isinstance(values, np.ndarray):
        if values.ndim == item_ndim:
            return [values]
        if values.ndim == item_ndim + 1:
            return list(values)
        raise ValueError(f"{what} must be {shapes}, got shape {values.shape}")
    if isinstance(values, (list, tuple)):
        return list(values)
    raise TypeError(f"{what} must be an array or a list of arrays, got {type(values).__name__}")


def ndarray_out(out: Any) -> np.ndarray:
    """``out`` when it is a NumPy array, else a TypeError."""
    if not isinstance(out, np.ndarray):
        raise TypeError(
            f"out must be a numpy.ndarray, got {type(out).__name__}: pass a NumPy array, or no out= for a new one"
        )
    return out


def _order_name(dtype: np.dtype) -> str:
    return {">": "big-endian", "<": "little-endian"}.get(dtype.byteorder, "non-native")


def out_array(
    out: Any, shape: Tuple[int, ...], dtype: np.dtype, inputs: Iterable[Optional[np.ndarray]] = ()
) -> np.ndarray:
    """``out`` when results can be written into it as it is: a NumPy array of exactly ``shape``
    and ``dtype``, C-contiguous, writeable, in native byte order and sharing no memory with
    ``inputs``. Anything else is refused, never copied: results written into a hidden copy
    would be lost."""
    ndarray_out(out)
    if not out.dtype.isnative:
        raise TypeError(
            f"out has dtype {out.dtype.str}, which is {_order_name(out.dtype)}, not this machine's byte order: "
            f"results are written into out directly, so pass an array of dtype "
            f"{out.dtype.newbyteorder('=').str} (and byte-swap it afterwards if you need to)"
        )
    if out.dtype != dtype:
        raise TypeError(f"out has dtype {out.dtype}, expected {dtype}")
    if out.shape != tuple(shape):
        raise ValueError(f"out has shape {out.shape}, expected {tuple(shape)}")
    if not out.flags.c_contiguous:
        raise ValueError("out must be C-contiguous (results are written into it directly, never into a copy)")
    if not out.flags.writeable:
        raise ValueError("out is read-only")
    for a in inputs:
        if a is not None and np.may_share_memory(out, a):
            raise ValueError("out overlaps an input array")
    return out


def word_list(words: Any, what: str) -> List[str]:
    """A list of words for pre-tokenized input: a sequence of str, not a str itself."""
    if isinstance(words, (str, bytes)) or not isinstance(words, Sequence):
        raise TypeError(f"{what} must be a list of str words when is_pretokenized=True, not {type(words).__name__}")
    out = list(words)
    for i, w in enumerate(out):
        if not isinstance(w, str):
            raise TypeError(f"{what}[{i}] must be str, got {type(w).__name__}")
    return out


def byte_string(value: Any, what: str) -> bytes:
    """`bytes`, or a `bytearray` / `memoryview` copied to bytes; a `str` is refused (encode it
    first, or call the text API)."""
    if isinstance(value, bytes):
        return value
    if isinstance(value, (bytearray, memoryview)):
        return bytes(value)
    raise TypeError(f"{what} must be bytes, not {type(value).__name__}")
