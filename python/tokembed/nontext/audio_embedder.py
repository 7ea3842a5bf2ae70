"""``AudioEmbedder``: Whisper's encoder front end over NumPy (the Rust core's convolutions)."""

from __future__ import annotations

import os
from typing import Optional, Tuple, Union

import numpy as np

from .. import _core
from .._checks import float32_array, out_array
from ..embeddings.table import load_tensors

PathLike = Union[str, "os.PathLike[str]"]
# Where the front end's tensors are in the checkpoints people have: a Whisper model
# (WhisperModel / WhisperForConditionalGeneration), a bare encoder's state dict.
_PREFIXES = ("model.encoder.", "encoder.", "")
_NAMES = ("conv1.weight", "conv1.bias", "conv2.weight", "conv2.bias", "embed_positions.weight")


class AudioEmbedder:
    """Log-mel features ``(B, n_mels, T)`` to the vectors that enter Whisper's first encoder
    layer, ``(B, (T - 1) // 2 + 1, d)``: conv1 (kernel 3, padding 1) and exact GELU, conv2
    (kernel 3, stride 2, padding 1) and exact GELU, transposed, plus the position table. Each
    convolution runs as one matrix product of gathered windows; a batch is shared out by input.

    ``AudioEmbedder.from_whisper(path)`` reads a checkpoint's safetensors
    (``model.encoder.conv1.weight`` ..., as in HF Whisper checkpoints; an encoder's own names
    without the prefix work too); the constructor takes the five arrays in PyTorch's layouts."""

    def __init__(self, conv1_weight, conv1_bias, conv2_weight, conv2_bias, positions):
        self.conv1_weight = float32_array(conv1_weight, "conv1_weight")
        self.conv1_bias = float32_array(conv1_bias, "conv1_bias")
        self.conv2_weight = float32_array(conv2_weight, "conv2_weight")
        self.conv2_bias = float32_array(conv2_bias, "conv2_bias")
        self.positions = float32_array(positions, "positions")
        if self.conv1_weight.ndim != 3 or self.conv1_weight.shape[2] != 3:
            raise ValueError(f"conv1_weight must be (d, n_mels, 3), got shape {self.conv1_weight.shape}")
        d, n_mels = self.conv1_weight.shape[:2]
        expected = {
            "conv1_bias": (self.conv1_bias, (d,)),
            "conv2_weight": (self.conv2_weight, (d, d, 3)),
            "conv2_bias": (self.conv2_bias, (d,)),
        }
        for name, (array, shape) in expected.items():
            if array.shape != shape:
                raise ValueError(f"{name} must have shape {shape} (d = {d} from conv1_weight), got {array.shape}")
        if self.positions.ndim != 2 or self.positions.shape[1] != d:
            raise ValueError(f"positions must be (max_positions, {d}), got shape {self.positions.shape}")
        self.d, self.n_mels = int(d), int(n_mels)

    @classmethod
    def from_whisper(cls, path: PathLike) -> "AudioEmbedder":
        errors = []
        for prefix in _PREFIXES:
            try:
                arrays = load_tensors(path, [prefix + name for name in _NAMES])
            except (KeyError, ValueError) as e:
                errors.append(str(e))
                continue
            return cls(*arrays)
        raise ValueError(
            f"{os.fspath(path)}: no Whisper encoder front end (looked for "
            f"{', '.join(p + 'conv1.weight' for p in _PREFIXES)} and the rest): {errors[0]}"
        )

    @property
    def max_positions(self) -> int:
        return int(self.positions.shape[0])

    def output_shape(self, input_shape: Tuple[int, ...]) -> Tuple[int, int, int]:
        batch, _, frames = input_shape
        return (batch, (frames - 1) // 2 + 1, self.d)

    def __call__(self, input_features, out: Optional[np.ndarray] = None) -> np.ndarray:
        x = float32_array(input_features, "input_features")
        if x.ndim != 3 or x.shape[1] != self.n_mels:
            raise ValueError(f"input_features must be (B, {self.n_mels}, frames), got shape {x.shape}")
        if x.shape[2] < 1 or x.shape[0] < 1:
            raise ValueError(f"input_features has no frames or no batch: shape {x.shape}")
        shape = self.output_shape(x.shape)
        if shape[1] > self.max_positions:
            raise ValueError(
                f"{x.shape[2]} frames give {shape[1]} positions; the table has {self.max_positions} "
                f"(Whisper takes 30 s: 3000 frames)"
            )
        if not np.isfinite(x).all():
            raise ValueError("input_features holds NaN or infinity")
        if out is None:
            out = np.empty(shape, dtype=np.float32)
        else:
            out_array(out, shape, np.dtype(np.float32), (x, self.conv1_weight, self.conv2_weight, self.positions))
        _core.whisper_front_end(
            x, self.conv1_weight, self.conv1_bias, self.conv2_weight, self.conv2_bias, self.positions, out
        )
        return out

    def __repr__(self) -> str:
        return f"AudioEmbedder(n_mels={self.n_mels}, d={self.d}, max_positions={self.max_positions})"
