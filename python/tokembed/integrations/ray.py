"""Ray Data: tokenize a ``ray.data.Dataset`` text column on an actor pool, and write the result as
the same shards ``tokembed encode`` writes (``pip install 'tokembed[ray]'``), through the same
shard job (``tokembed.corpus.job``).

::

    import ray, tokembed.ray as tr

    ds = ray.data.read_json("corpus/*.jsonl.gz")
    ds = tr.tokenize_dataset(ds, "gpt2", text_column="text", append_eos=True, concurrency=8)
    tr.write_shards(ds, "out/train", tokenizer="gpt2", format="megatron")  # out/train-00000.bin ...

Each actor holds one tokenizer (a ``Tokenizer`` object travels to the actors pickled as its
``tokenizer.json``; a name or path is loaded there) and encodes whole batches with
``encode_batch_flat`` on its own threads. ``write_shards`` (``ray_shards.py``) has each write
task write the blocks it holds as a shard of its own, and the driver only the manifest;
``encode_on_ray`` (``tokembed encode --ray``) encodes input files on the cluster, a file per
task, resumable after a kill.
"""

from __future__ import annotations

from typing import Optional

import numpy as np

from .._core import set_num_threads
from ..corpus.job import TokenizerSpec, append_to_each, tokenizer_and_eos
from ..corpus.tokenizer_facts import DEFAULT_TOKENIZER
from ..data.formats.parquet import ids_list_array
from .ray_shards import encode_on_ray, write_shards

__all__ = ["TokenizeBatch", "encode_on_ray", "tokenize_dataset", "write_shards"]


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
        self.tokenizer, _, self.eos = tokenizer_and_eos(tokenizer, append_eos, eos_id)
        self.text_column = text_column
        self.ids_column = ids_column
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
