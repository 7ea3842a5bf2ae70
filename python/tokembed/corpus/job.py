"""The job of writing one token shard, whoever supplies the ids: ``tokembed encode``
(``pipeline.encode_files``, which reads and encodes corpora) and ``tokembed.ray.write_shards``
(which takes them from a Ray dataset) both run it, so that their shards, metadata and failure
guarantees are the same.

::

    job = ShardJob(prefix, tokenizer, format="megatron", append_eos=True)  # tokenizer, EOS, dtype
    with job.open(overwrite=False) as writer:
        for ids, offsets in batches:  # as encode_batch_flat returns them
            writer.write(*append_to_each(ids, offsets, job.eos))
        writer.finish()
        metadata = job.commit(inputs=[...])  # final names for every file, the metadata last

``open`` locks the prefix for the whole job (``outputs.locked_output``), refuses to replace an
existing shard unless told to, removes temporary files that killed runs left and opens the
format's writer, all under temporary names. Leaving the block without ``commit`` (an error,
Ctrl-C) removes what was written: no new file is ever left under a final name.
"""

from __future__ import annotations

import os
import sys
from contextlib import contextmanager
from typing import Any, Callable, Dict, Iterator, List, Optional, Tuple, Union

import numpy as np

from ..data.formats import ShardWriter, choose_dtype, open_writer, writer_class
from ..data.metadata import metadata_path, metadata_text, shard_metadata
from ..tokenizers.tokenizer import Tokenizer
from .outputs import known_outputs, locked_output, remove_stale_temporaries, series_files
from .tokenizer_facts import DEFAULT_TOKENIZER, eos_to_append, max_token_id, resolve_tokenizer

TokenizerSpec = Union[str, "os.PathLike[str]", Tokenizer]


def tokenizer_and_eos(
    spec: TokenizerSpec, append_eos: bool = False, eos_id: Optional[int] = None
) -> Tuple[Tokenizer, str, Optional[int]]:
    """The tokenizer a job encodes with, how the metadata names it, and the id to put after
    every document (None unless ``append_eos``). Also what Ray's encoding actors use."""
    tok, label = resolve_tokenizer(spec)
    return tok, label, eos_to_append(tok, append_eos, eos_id)


def append_to_each(ids: np.ndarray, offsets: np.ndarray, token: int) -> Tuple[np.ndarray, np.ndarray]:
    """``token`` after every document of a flat batch: new ``(ids, offsets)``."""
    with_token = np.insert(ids, offsets[1:], np.asarray(token, dtype=ids.dtype))
    return with_token, offsets + np.arange(len(offsets), dtype=offsets.dtype)


def _to_stderr(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


class ShardJob:
    """One shard at ``output`` (a prefix: the files are ``output.bin`` and so on), in ``format``,
    of ids from ``tokenizer``. Construction resolves the tokenizer, the EOS to append and the
    stored id type (``dtype="auto"``: the narrowest that holds every id, the EOS included), so
    that a bad argument fails before anything is locked or written."""

    def __init__(
        self,
        output: Union[str, "os.PathLike[str]"],
        tokenizer: TokenizerSpec = DEFAULT_TOKENIZER,
        *,
        format: str = "bin",
        dtype: str = "auto",
        append_eos: bool = False,
        eos_id: Optional[int] = None,
    ):
        self.prefix = os.fspath(output)
        self.format = format
        self.tokenizer, self.tokenizer_label, self.eos = tokenizer_and_eos(tokenizer, append_eos, eos_id)
        self.max_id = max(max_token_id(self.tokenizer), self.eos if self.eos is not None else 0)
        self.dtype = choose_dtype(format, dtype, self.max_id)
        self._writer: Optional[ShardWriter] = None
        self._others: List[str] = []

    @property
    def metadata_path(self) -> str:
        return metadata_path(self.prefix)

    @contextmanager
    def open(
        self,
        *,
        overwrite: bool = False,
        overwrite_hint: str = "pass overwrite=True",
        report: Optional[Callable[[str], None]] = None,
    ) -> Iterator[ShardWriter]:
        """The writer of the shard, with the prefix locked until the block ends.
        ``FileExistsError`` (ending with ``overwrite_hint``, which says how to overwrite in
        the caller's terms) when a shard is there and ``overwrite`` is off; removed temporary
        files are named through ``report`` (default: standard error)."""
        prefix = self.prefix
        if os.path.dirname(prefix):
            os.makedirs(os.path.dirname(prefix), exist_ok=True)
        # One job at a time on a prefix, from the check of what exists to the last rename.
        with locked_output(prefix):
            finals = writer_class(self.format).paths_for(prefix) + [self.metadata_path]
            existing = [p for p in known_outputs(prefix) if os.path.exists(p)]
            if existing and not overwrite:
                raise FileExistsError(f"{', '.join(existing)} already exist; {overwrite_hint} to replace them")
            remove_stale_temporaries(prefix, report or _to_stderr)
            # A shard of another format at this prefix goes when this one takes its place.
            # So do the shards of a sharded output there (its manifest is among the known outputs).
            self._others = [p for p in known_outputs(prefix) if p not in finals] + series_files(prefix)
            self._writer = writer = open_writer(prefix, self.format, self.dtype, self.max_id)
            try:
                yield writer
            finally:
                # Nothing to do after a commit; otherwise (an error, or no commit) the temporary
                # files go, so that nothing new is left under a final name.
                writer.abort()
                self._writer = None

    def commit(self, **details: Any) -> Dict[str, Any]:
        """Ends the job: builds the metadata (``details``, e.g. the inputs and options, are
        recorded in it) and gives every file its final name, the metadata last, removing the
        files of a shard of another format at the prefix; returns the metadata."""
        writer = self._writer
        if writer is None:
            raise ValueError("commit outside ShardJob.open()")
        writer.finish()
        meta = shard_metadata(writer, self.tokenizer, self.tokenizer_label, self.max_id, self.eos, **details)
        writer.commit(metadata=(self.metadata_path, metadata_text(meta)), remove=self._others)
        return meta
