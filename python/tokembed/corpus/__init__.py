"""Preprocessing at scale: corpora (text, JSON Lines, Parquet) to token shards, streaming with
bounded memory. ``tokembed encode`` is its command line; ``encode_files`` its Python call."""

from .pipeline import EncodeSummary, encode_files
from .problems import ERRORS, BadInput

__all__ = ["BadInput", "ERRORS", "EncodeSummary", "encode_files"]
