"""``PatchEmbedder``: ViT's embeddings (patches, CLS token, positions, optional mask) over NumPy."""

from __future__ import annotations

import math
import os
from typing import Optional, Sequence, Tuple, Union

import numpy as np

from .. import _core
from .._checks import float32_array, out_array
from ..embeddings.table import load_tensors
from .images import ImageInput, pixel_values

PathLike = Union[str, "os.PathLike[str]"]
# ViTModel's names; ViTForImageClassification (and the like) put them under "vit.".
_PREFIXES = ("embeddings.", "vit.embeddings.")
_NAMES = ("cls_token", "position_embeddings", "patch_embeddings.projection.weight", "patch_embeddings.projection.bias")
BICUBIC_A = -0.75  # PyTorch's cubic convolution coefficient


def bicubic_resize(grid: np.ndarray, height: int, width: int) -> np.ndarray:
    """``grid`` ``(h, w, d)`` resized to ``(height, width, d)`` as
    ``torch.nn.functional.interpolate(mode="bicubic", align_corners=False)`` with a target size
    does it: separable cubic convolution (a = -0.75) around ``(out + 0.5) * in / out - 0.5``,
    indices clamped at the border; computed in float64."""

    def weights(n_in: int, n_out: int) -> np.ndarray:
        matrix = np.zeros((n_out, n_in))
        scale = n_in / n_out
        for o in range(n_out):
            src = (o + 0.5) * scale - 0.5
            base = math.floor(src)
            t = src - base
            a = BICUBIC_A
            coefficients = (
                ((a * (t + 1) - 5 * a) * (t + 1) + 8 * a) * (t + 1) - 4 * a,
                ((a + 2) * t - (a + 3)) * t * t + 1,
                ((a + 2) * (1 - t) - (a + 3)) * (1 - t) * (1 - t) + 1,
                ((a * (2 - t) - 5 * a) * (2 - t) + 8 * a) * (2 - t) - 4 * a,
            )
            for k, c in enumerate(coefficients):
                matrix[o, min(max(base - 1 + k, 0), n_in - 1)] += c
        return matrix

    g = grid.astype(np.float64)
    rows = np.einsum("oi,iwd->owd", weights(g.shape[0], height), g)
    return np.einsum("oi,hid->hod", weights(g.shape[1], width), rows)


class PatchEmbedder:
    """Pixel values ``(B, C, H, W)`` to ViT's embeddings ``(B, 1 + N, D)`` as HF's
    ``ViTEmbeddings`` computes them: ``P x P`` patches (row-major over the ``H // P x W // P``
    grid) projected by the patch convolution's weights, masked patches (``bool_masked_pos``
    ``(B, N)``) replaced by the mask token, the CLS token prepended, the position table added;
    with ``interpolate_pos_encoding=True`` the table is resized (bicubic) to another grid.

    ``PatchEmbedder.from_vit(path)`` reads a checkpoint's safetensors (``embeddings.cls_token``,
    ``embeddings.position_embeddings``, ``embeddings.patch_embeddings.projection.weight/bias``,
    ``embeddings.mask_token`` if present; also under ``vit.``); the constructor takes arrays.
    ``preprocess`` turns 8-bit images into the image processor's ``pixel_values``."""

    def __init__(self, weight, bias, cls_token, position_embeddings, mask_token=None):
        self.weight = float32_array(weight, "weight")
        if self.weight.ndim != 4 or self.weight.shape[2] != self.weight.shape[3]:
            raise ValueError(f"weight must be (D, C, P, P), got shape {self.weight.shape}")
        d, c, p, _ = self.weight.shape
        self.bias = float32_array(bias, "bias").reshape(-1)
        self.cls_token = float32_array(cls_token, "cls_token").reshape(-1)
        positions = float32_array(position_embeddings, "position_embeddings")
        self.position_embeddings = positions.reshape(-1, positions.shape[-1]) if positions.ndim >= 2 else positions
        self.mask_token = None if mask_token is None else float32_array(mask_token, "mask_token").reshape(-1)
        for name, array in (("bias", self.bias), ("cls_token", self.cls_token), ("mask_token", self.mask_token)):
            if array is not None and array.shape != (d,):
                raise ValueError(f"{name} must hold {d} values (D from weight), got {array.size}")
        rows = self.position_embeddings.shape[0] - 1 if self.position_embeddings.ndim == 2 else -1
        side = math.isqrt(max(rows, 0))
        if self.position_embeddings.ndim != 2 or self.position_embeddings.shape[1] != d or side * side != rows or rows < 1:
            raise ValueError(f"position_embeddings must be (1 + g * g, {d}), got shape {positions.shape}")
        self.d, self.channels, self.patch_size, self.grid = int(d), int(c), int(p), side

    @classmethod
    def from_vit(cls, path: PathLike) -> "PatchEmbedder":
        errors = []
        for prefix in _PREFIXES:
            try:
                weight_names = [prefix + n for n in _NAMES]
                cls_token, positions, weight, bias = load_tensors(path, weight_names)
            except (KeyError, ValueError) as e:
                errors.append(str(e))
                continue
            try:
                (mask_token,) = load_tensors(path, [prefix + "mask_token"])
            except (KeyError, ValueError):
                mask_token = None
            return cls(weight, bias, cls_token, positions, mask_token)
        raise ValueError(
            f"{os.fspath(path)}: no ViT embeddings (looked for {', '.join(p + 'cls_token' for p in _PREFIXES)} "
            f"and the rest): {errors[0]}"
        )

    @property
    def image_size(self) -> int:
        return self.grid * self.patch_size

    def positions_for(self, height: int, width: int, interpolate_pos_encoding: bool = False) -> np.ndarray:
        """The position table for an image of ``height x width`` (``(1 + N, D)``, float32)."""
        gh, gw = height // self.patch_size, width // self.patch_size
        if gh == gw == self.grid and height == width:
            return self.position_embeddings
        if not interpolate_pos_encoding:
            raise ValueError(
                f"the image is {height} x {width}, the model's {self.image_size} x {self.image_size}: "
                f"pass interpolate_pos_encoding=True to resize the position table (or resize the image)"
            )
        patch_rows = self.position_embeddings[1:].reshape(self.grid, self.grid, self.d)
        resized = bicubic_resize(patch_rows, gh, gw).reshape(gh * gw, self.d)
        return np.concatenate([self.position_embeddings[:1], resized.astype(np.float32)], axis=0)

    def preprocess(
        self,
        images: ImageInput,
        size: Union[int, Tuple[int, int], None] = None,
        resample: str = "bilinear",
        rescale_factor: float = 1 / 255,
        image_mean: Optional[Sequence[float]] = None,
        image_std: Optional[Sequence[float]] = None,
    ) -> np.ndarray:
        """8-bit ``(H, W, C)`` images (one array, a ``(B, H, W, C)`` batch, or a list of any
        sizes) to ``pixel_values`` ``(B, C, size, size)`` float32 as HF's ``ViTImageProcessorPil``
        makes them with its defaults: resized to the model's image size as Pillow does
        (bilinear), times 1/255, normalised with mean = std = 0.5 per channel. Each step's
        setting can be changed like the processor's."""
        half = [0.5] * self.channels
        return pixel_values(
            images,
            self.image_size if size is None else size,
            resample,
            rescale_factor,
            half if image_mean is None else image_mean,
            half if image_std is None else image_std,
        )

    def __call__(
        self,
        pixel_values,
        interpolate_pos_encoding: bool = False,
        bool_masked_pos=None,
        out: Optional[np.ndarray] = None,
    ) -> np.ndarray:
        x = float32_array(pixel_values, "pixel_values")
        if x.ndim != 4 or x.shape[1] != self.channels:
            raise ValueError(f"pixel_values must be (B, {self.channels}, H, W), got shape {x.shape}")
        batch, _, height, width = x.shape
        if batch < 1 or height < self.patch_size or width < self.patch_size:
            raise ValueError(f"pixel_values of shape {x.shape} holds no {self.patch_size} x {self.patch_size} patch")
        if not np.isfinite(x).all():
            raise ValueError("pixel_values holds NaN or infinity")
        positions = np.ascontiguousarray(self.positions_for(height, width, interpolate_pos_encoding))
        patches = positions.shape[0] - 1
        mask = None
        if bool_masked_pos is not None:
            if self.mask_token is None:
                raise ValueError("bool_masked_pos needs a mask token (a checkpoint made with use_mask_token=True)")
            mask = np.asarray(bool_masked_pos)
            if mask.dtype != np.bool_:
                raise TypeError(f"bool_masked_pos must be bool, got {mask.dtype}")
            if mask.shape != (batch, patches):
                raise ValueError(f"bool_masked_pos must be ({batch}, {patches}), got shape {mask.shape}")
            mask = np.ascontiguousarray(mask)
        shape = (batch, 1 + patches, self.d)
        if out is None:
            out = np.empty(shape, dtype=np.float32)
        else:
            out_array(out, shape, np.dtype(np.float32), (x, self.weight, positions))
        _core.vit_patch_embed(x, self.weight, self.bias, self.cls_token, positions, mask, self.mask_token, out)
        return out

    def __repr__(self) -> str:
        return f"PatchEmbedder(patch={self.patch_size}, image={self.image_size}, d={self.d}, channels={self.channels})"
