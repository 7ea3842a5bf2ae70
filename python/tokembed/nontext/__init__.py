"""Inputs that are not text, to what a transformer's front end takes: audio to Whisper's
log-mel features (``audio.py``) and those through the encoder's front end
(``audio_embedder.py``)."""

from .audio import log_mel_spectrogram, mel_filter_bank
from .audio_embedder import AudioEmbedder

__all__ = ["AudioEmbedder", "log_mel_spectrogram", "mel_filter_bank"]
