"""Ray Data: tokenize a ``ray.data.Dataset`` text column on an actor pool, and write the result as
the same shards ``tokembed encode`` writes (``pip install 'tokembed[ray]'``).

::

    import ray, tokembed.ray as tr

    ds = ray.data.read_json("corpus/*.jsonl.gz")
    ds = tr.tokenize_dataset(ds, "gpt2", text_column="text", append_eos=True, concurrency=8)
    tr.write_shards(ds, "out/train", tokenizer="gpt2", format="megatron")

Each actor holds one tokenizer (a ``Tokenizer`` object travels to the actors pickled as its
``tokenizer.json``; a name or path is loaded there) and encodes whole batches with
``encode_batch_flat`` on its own threads. ``write_shards`` streams the tokenized batches, in
order, to one shard on the driver; for many Parquet files written in parallel instead, use
Ray's own ``ds.write_parquet(folder)`` on the tokenized dataset (the ids column is
``list<uint32>``).
"""

from __future__ import annotations

import os
import sys
from typing import Any, Dict, Optional, Union

import numpy as np

from .._core import set_num_threads
from ..data.formats import choose_dtype, open_writer, writer_class
from ..data.formats.parquet import ids_list_array
from ..data.metadata import metadata_path, metadata_text
from ..corpus.outputs import known_outputs, locked_output, remove_stale_temporaries
from ..corpus.pipeline import append_to_each
from ..corpus.shard_metadata import shard_metadata
from ..corpus.tokenizer_facts import DEFAULT_TOKENIZER, eos_to_append, max_token_id, resolve_tokenizer
from ..tokenizers.tokenizer import Tokenizer

TokenizerSpec = Union[str, "os.PathLike[str]", Tokenizer]


def _ray():
    try:
        import ray  # noqa: F401
        import ray.data
    except ImportError:  # pragma: no cover - depends on the environment
        raise ImportError("tokembed.ray needs Ray Data: pip install 'tokembed[ray]'") from None
    return ray


class TokenizeBatch:
    """A callable class for ``Dataset.map_batches(..., batch_format="pyarrow")``: adds the
    column ``ids_column`` (``list<uint32>``) with each row's ids, exactly those of
    ``encode_batch_flat`` (plus EOS with ``append_eos``), and drops the text unless
    ``keep_text``. ``threads`` is the number of encoding threads of this actor."""

    def __init__(
        self,
        tokenizer: TokenizerSpec = DEFAULT_TOKENIZER,
        text_column: str = "text",
        ids_column: str = "ids",
        *,
        append_eos: bool = False,
        eos_id: Optional[int] = None,
        add_special_tokens: bool = True,
        split_special_tokens: bool = False,
        keep_text: bool = False,
        threads: Optional[int] = None,
    ):
        self.tokenizer, _ = resolve_tokenizer(tokenizer)
        self.text_column = text_column
        self.ids_column = ids_column
        self.eos = eos_to_append(self.tokenizer, append_eos, eos_id)
        self.add_special_tokens = bool(add_special_tokens)
        self.split_special_tokens = bool(split_special_tokens)
        self.keep_text = keep_text
        if threads is not None:
            set_num_threads(int(threads))

    def __call__(self, batch):
        texts = batch.column(self.text_column).to_pylist()
        for i, t in enumerate(texts):
            if not isinstance(t, str):
                raise TypeError(f"column {self.text_column!r}: row {i} of the batch is {type(t).__name__}, not text")
        ids, offsets = self.tokenizer.encode_batch_flat(texts, self.add_special_tokens, self.split_special_tokens)
        if self.eos is not None:
            ids, offsets = append_to_each(ids, offsets, self.eos)
        column = ids_list_array(np.asarray(ids, dtype=np.uint32), offsets)
        if not self.keep_text:
            batch = batch.drop_columns([self.text_column])
        return batch.append_column(self.ids_column, column)


def tokenize_dataset(
    ds,
    tokenizer: TokenizerSpec = DEFAULT_TOKENIZER,
    *,
    text_column: str = "text",
    ids_column: str = "ids",
    append_eos: bool = False,
    eos_id: Optional[int] = None,
    add_special_tokens: bool = True,
    split_special_tokens: bool = False,
    keep_text: bool = False,
    concurrency: int = 2,
    num_cpus: float = 1.0,
    batch_size: int = 1024,
):
    """``ds`` with its ``text_column`` tokenized into ``ids_column``, on a pool of
    ``concurrency`` actors of ``num_cpus`` each (fractions allowed: on a small machine give
    actors less than a CPU so that the pool cannot wait forever for CPUs the reading tasks
    hold). Lazy, as Ray datasets are."""
    ray = _ray()
    threads = max(1, int(num_cpus))
    return ds.map_batches(
        TokenizeBatch,
        fn_constructor_kwargs={
            "tokenizer": tokenizer,
            "text_column": text_column,
            "ids_column": ids_column,
            "append_eos": append_eos,
            "eos_id": eos_id,
            "add_special_tokens": add_special_tokens,
            "split_special_tokens": split_special_tokens,
            "keep_text": keep_text,
            "threads": threads,
        },
        batch_format="pyarrow",
        batch_size=batch_size,
        compute=ray.data.ActorPoolStrategy(size=int(concurrency)),
        num_cpus=num_cpus,
    )


def write_shards(
    ds,
    prefix: Union[str, "os.PathLike[str]"],
    *,
    tokenizer: TokenizerSpec = DEFAULT_TOKENIZER,
    format: str = "bin",
    dtype: str = "auto",
    ids_column: str = "ids",
    overwrite: bool = False,
) -> Dict[str, Any]:
    """Writes the ``ids_column`` of a tokenized dataset, rows in order, as one shard at
    ``prefix`` in ``format`` (bin, npy, megatron, parquet), with the same atomic renames and
    metadata file as ``tokembed encode``; returns the metadata. ``tokenizer`` is the one the
    ids came from: it sets the stored type and is recorded with its hash."""
    _ray()
    prefix = os.fspath(prefix)
    tok, label = resolve_tokenizer(tokenizer)
    max_id = max_token_id(tok)
    stored = choose_dtype(format, dtype, max_id)
    if os.path.dirname(prefix):
        os.makedirs(os.path.dirname(prefix), exist_ok=True)
    with locked_output(prefix):
        finals = writer_class(format).paths_for(prefix) + [metadata_path(prefix)]
        existing = [p for p in known_outputs(prefix) if os.path.exists(p)]
        if existing and not overwrite:
            raise FileExistsError(f"{', '.join(existing)} already exist; pass overwrite=True to replace them")
        remove_stale_temporaries(prefix, lambda message: print(message, file=sys.stderr, flush=True))

        # The shard must list documents in the dataset's order.
        ds.context.execution_options.preserve_order = True
        writer = open_writer(prefix, format, stored)
        try:
            for batch in ds.iter_batches(batch_format="pyarrow", batch_size=None):
                lists = batch.column(ids_column).combine_chunks()
                lengths = lists.value_lengths().to_numpy(zero_copy_only=False)
                offsets = np.zeros(len(lengths) + 1, dtype=np.int64)
                np.cumsum(lengths, out=offsets[1:])
                writer.write(lists.flatten().to_numpy(zero_copy_only=False), offsets)
            writer.finish()
            meta = shard_metadata(writer, tok, label, max_id, None, inputs=[{"ray_dataset": str(ds)}])
            others = [p for p in known_outputs(prefix) if p not in finals]
            # Data files and metadata (last) take their final names together, or none does.
            writer.commit(metadata=(metadata_path(prefix), metadata_text(meta)), remove=others)
        except BaseException:
            writer.abort()
            raise
    return meta

