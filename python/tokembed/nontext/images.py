"""8-bit images to an image processor's ``pixel_values``: resizing exactly as Pillow's
``Image.resize`` does (bilinear or bicubic, with its antialiasing when shrinking), rescaling and
per-channel normalisation, as HF's PIL-backed image processors (``ViTImageProcessorPil``) do,
without PIL. The work is in the Rust core (``nontext/image``), over the core's thread pool."""

from __future__ import annotations

from typing import List, Sequence, Tuple, Union

import numpy as np

from .. import _core
from .._checks import one_or_batch

ImageInput = Union[np.ndarray, Sequence[np.ndarray]]
RESAMPLES = ("bilinear", "bicubic")


def image_list(images: ImageInput, what: str = "images") -> List[np.ndarray]:
    """``images`` (one ``(H, W, C)`` uint8 array, a ``(B, H, W, C)`` batch, or a sequence of
    ``(H, W, C)`` arrays or PIL images, sizes free) as C-contiguous ``(H, W, C)`` uint8 arrays."""
    items = [np.asarray(image) for image in one_or_batch(images, 3, what, "(H, W, C) or (B, H, W, C) uint8")]
    if not items:
        raise ValueError(f"{what} is empty")
    for i, item in enumerate(items):
        if item.dtype != np.uint8:
            raise TypeError(
                f"{what}[{i}] must be uint8 (0..255), got {item.dtype}; float pixel values go to the embedder directly"
            )
        if item.ndim != 3 or 0 in item.shape:
            raise ValueError(f"{what}[{i}] must be (H, W, C) with nothing empty, got shape {item.shape}")
    return [np.ascontiguousarray(item) for item in items]


def _size(size: Union[int, Tuple[int, int]]) -> Tuple[int, int]:
    height, width = (size, size) if isinstance(size, (int, np.integer)) else tuple(size)
    if not all(isinstance(v, (int, np.integer)) and v > 0 for v in (height, width)):
        raise ValueError(f"size must be a positive int or (height, width), got {size!r}")
    return int(height), int(width)


def _resample(resample: str) -> str:
    if resample not in RESAMPLES:
        raise ValueError(f"resample must be one of {RESAMPLES}, got {resample!r}")
    return resample


def resize_images(images: ImageInput, size: Union[int, Tuple[int, int]], resample: str = "bilinear") -> np.ndarray:
    """Each image resized to ``size`` (``(height, width)``, or one int for a square) as
    ``PIL.Image.resize(..., BILINEAR / BICUBIC)`` does it, to the value: ``(B, height, width, C)``
    uint8. Channels are resized independently, as Pillow does for ``L`` and ``RGB`` images (for
    ``RGBA`` Pillow premultiplies the alpha first; this does not)."""
    items = image_list(images)
    channels = {item.shape[2] for item in items}
    if len(channels) != 1:
        raise ValueError(f"the images must have the same number of channels, got {sorted(channels)}")
    height, width = _size(size)
    out = np.empty((len(items), height, width, channels.pop()), dtype=np.uint8)
    _core.resize_images(items, _resample(resample), out)
    return out


def pixel_values(
    images: ImageInput,
    size: Union[int, Tuple[int, int]],
    resample: str = "bilinear",
    rescale_factor: float = 1 / 255,
    image_mean: Sequence[float] = (0.5, 0.5, 0.5),
    image_std: Sequence[float] = (0.5, 0.5, 0.5),
) -> np.ndarray:
    """``(B, C, height, width)`` float32: each image resized as Pillow does, times
    ``rescale_factor``, minus ``image_mean``, over ``image_std`` (one per channel), channels
    first: what ``ViTImageProcessorPil`` (resize, rescale, normalize) returns as ``pixel_values``."""
    items = image_list(images)
    mean = [float(v) for v in np.atleast_1d(image_mean)]
    std = [float(v) for v in np.atleast_1d(image_std)]
    if len(mean) != len(std) or any(v == 0 or not np.isfinite(v) for v in std):
        raise ValueError(f"image_mean and image_std need one value per channel, std nonzero: {mean}, {std}")
    for i, item in enumerate(items):
        if item.shape[2] != len(mean):
            raise ValueError(f"images[{i}] has {item.shape[2]} channels, image_mean and image_std {len(mean)}")
    height, width = _size(size)
    out = np.empty((len(items), len(mean), height, width), dtype=np.float32)
    _core.image_pixel_values(items, _resample(resample), float(rescale_factor), mean, std, out)
    return out
