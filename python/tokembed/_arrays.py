"""Byte order at the boundary between NumPy and the Rust core.

The core reads and writes buffers in the machine's byte order. An input array in the other
order (``">f2"``, ``">i8"`` on a little-endian machine, e.g. from a file written elsewhere or
``np.dtype(...).newbyteorder()``) is converted to native order with a copy: its values are what
the caller means, only their layout differs. An ``out=`` array in the other order is refused:
results are written into it directly, and a converted copy would leave it unchanged.
One-byte dtypes are always native. ``ml_dtypes.bfloat16`` accepts ``newbyteorder`` but its
casts ignore the byte order, so such arrays are converted through their bits.
"""

from __future__ import annotations

import numpy as np


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


def _order_name(dtype: np.dtype) -> str:
    return {">": "big-endian", "<": "little-endian"}.get(dtype.byteorder, "non-native")


def check_native_out(out: np.ndarray, what: str = "out") -> None:
    """TypeError for an ``out=`` array whose dtype is not in the machine's byte order."""
    if not out.dtype.isnative:
        raise TypeError(
            f"{what} has dtype {out.dtype.str}, which is {_order_name(out.dtype)}, not this machine's byte order: "
            f"results are written into {what} directly, so pass an array of dtype "
            f"{out.dtype.newbyteorder('=').str} (and byte-swap it afterwards if you need to)"
        )
