"""Inputs that are not text, to what a transformer's front end takes: audio to Whisper's
log-mel features (``audio.py``)."""

from .audio import log_mel_spectrogram, mel_filter_bank

__all__ = ["log_mel_spectrogram", "mel_filter_bank"]
