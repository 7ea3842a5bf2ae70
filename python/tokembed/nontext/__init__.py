"""Inputs that are not text, to the vectors a transformer starts from: audio to Whisper's
log-mel features (``audio.py``) and those through the encoder's front end
(``audio_embedder.py``); images to pixel values as Pillow and HF's processors make them
(``images.py``) and those to ViT's patch embeddings (``patch_embedder.py``)."""

from .audio import log_mel_spectrogram, mel_filter_bank
from .audio_embedder import AudioEmbedder
from .images import pixel_values, resize_images
from .patch_embedder import PatchEmbedder, bicubic_resize

__all__ = [
    "AudioEmbedder",
    "PatchEmbedder",
    "bicubic_resize",
    "log_mel_spectrogram",
    "mel_filter_bank",
    "pixel_values",
    "resize_images",
]
