"""Corpora to token shards (the write side of preprocessing), streaming with bounded memory.
``tokembed encode`` is its command line, ``encode_files`` its Python call; ``tokembed.ray``
writes shards through the same job. ``tokembed.data`` reads the shards back.

- ``job.py``: the job of writing one shard (tokenizer, EOS, stored type, the locked output,
  the writer, the metadata, the final renames), shared by ``encode_files`` and Ray.
- ``pipeline.py``: ``encode_files``: read, encode and write in overlapping threads.
- ``sources.py``, ``lines.py``, ``text_input.py``, ``jsonl_input.py``, ``parquet_input.py``,
  ``reading.py``: which files, and their documents; ``batches.py``: documents in batches.
- ``problems.py``: bad input, reported and counted under ``--errors``; ``progress.py``,
  ``memory.py``, ``stages.py``: the progress bar, flat memory, the reader and writer threads.
- ``tokenizer_facts.py``: what the job needs to know of a tokenizer; ``outputs.py``: the
  output prefix's lock and the temporary files of killed runs.
"""

from .job import ShardJob
from .pipeline import EncodeSummary, encode_files
from .problems import ERRORS, BadInput

__all__ = ["BadInput", "ERRORS", "EncodeSummary", "ShardJob", "encode_files"]
