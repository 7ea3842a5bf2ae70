"""Sharded outputs written by Ray workers: the driver never touches the ids.

Two ways in:

- ``write_shards(ds, prefix)``: a tokenized ``ray.data.Dataset`` (``tokenize_dataset``) through
  a Ray Data ``Datasink``: each write task writes the blocks it holds as its own shard
  ``PREFIX-<task>`` (atomically, checksummed) and returns a few numbers; the driver puts them
  in task order (the dataset's order) and writes ``PREFIX.manifest.json``.
- ``encode_on_ray(inputs, prefix)`` (``tokembed encode --ray``): every input file is a unit of
  work run by a Ray Data task on whichever node has a CPU free: the task encodes the file as
  ``tokembed encode`` does into a sharded output of its own, ``PREFIX-<input>`` (shards
  ``PREFIX-<input>-<part>`` and ``PREFIX-<input>.manifest.json``), resuming it if an earlier
  run left part of it; the driver then joins the inputs' manifests into ``PREFIX.manifest.json``,
  each read under its input's lock (a worker of a killed run that Ray has not reaped yet may
  still hold it) and only once complete; an input found unfinished after its task ended is
  encoded again, and the run fails rather than join a half-written one.
  The shards depend only on the inputs, never on which node ran what, so ``--resume`` after a
  kill leaves the same bytes as an uninterrupted run.

Every worker writes to the same folder: on several machines, the output must be on a file
system they share (NFS, Lustre, a mounted bucket).
"""

from __future__ import annotations

import inspect
import os
import sys
import time
from typing import Any, Callable, Dict, Iterable, List, Optional, Sequence, Set, TypeVar, Union

from .._files import remove_if_present, write_text_atomically
from ..corpus.job import ShardJob, TokenizerSpec
from ..corpus.pipeline import encode_files
from ..corpus.outputs import OutputLocked, known_outputs, locked_output, remove_stale_temporaries, series_files
from ..corpus.shard_series import (
    ShardLimit,
    commit_checksummed,
    existing_outputs,
    manifest_document,
    output_facts,
    run_facts,
)
from ..corpus.sources import expand_inputs
from ..corpus.tokenizer_facts import DEFAULT_TOKENIZER
from ..data.formats import open_writer
from ..data.formats.parquet import flat_ids
from ..data.manifest import manifest_path, manifest_text, read_manifest, shard_prefix

# A unit whose output another process still holds (a worker of a killed run that Ray has not
# reaped yet) is tried again for this long before the run fails.
LOCK_WAIT_SECONDS = 120.0
# How many more times the units not finished when their tasks ended are encoded (resumed).
UNIT_RERUNS = 2

T = TypeVar("T")


def _ray():
    try:
        import ray
        import ray.data  # noqa: F401
    except ImportError:  # pragma: no cover - depends on the environment
        raise ImportError("tokembed.ray needs Ray Data: pip install 'tokembed[ray]'") from None
    return ray


def _node() -> str:
    import ray

    return ray.get_runtime_context().get_node_id()


def _prepare_output(prefix: str, overwrite: bool, resume: bool, resumable: bool = True) -> None:
    """Refuses to write over an earlier output unless told to; with ``overwrite``, its manifest
    goes first (it would list shards about to be replaced)."""
    existing = existing_outputs(prefix)
    if existing and not overwrite and not resume:
        raise FileExistsError(
            f"{', '.join(existing[:4])}{' ...' if len(existing) > 4 else ''} already exist; "
            f"pass overwrite=True (--overwrite) to replace them"
            + (", or resume=True (--resume) to go on with them" if resumable else "")
        )
    if overwrite and not resume:
        remove_if_present(manifest_path(prefix))


def _remove_units(prefix: str, first: int) -> None:
    """Removes the per-input outputs ``PREFIX-<first>``, ``PREFIX-<first + 1>``, ... (their shards
    and manifests) that an earlier ``encode_on_ray`` with more inputs left."""
    index = first
    while True:
        unit = shard_prefix(prefix, index)
        found = series_files(unit) + [p for p in known_outputs(unit) if os.path.exists(p)]
        if not found:
            return
        for path in found:
            remove_if_present(path)
        index += 1


def _manifest(facts: Dict[str, Any], shards: List[Dict[str, Any]], problems: Dict[str, Dict[str, int]]) -> Dict[str, Any]:
    """The complete manifest of shards gathered from the workers, numbered in order."""
    first = 0
    for shard in shards:
        shard["first_document"] = first
        first += int(shard["documents"])
    return manifest_document(facts, shards, problems, complete=True)


# ----- a tokenized dataset, written by the tasks that hold its blocks ----------------------------


def _shard_datasink_class():
    """The ``Datasink`` of ``write_shards``, defined on first use (Ray is optional)."""
    _ray()
    from ray.data import Datasink

    class _ShardDatasink(Datasink):
        def __init__(self, prefix: str, fmt: str, dtype: str, ids_column: str, rows_per_shard: Optional[int]):
            self.prefix, self.fmt, self.dtype, self.ids_column = prefix, fmt, dtype, ids_column
            self.rows_per_shard = rows_per_shard
            self.result: Optional[List[Dict[str, Any]]] = None

        @property
        def min_rows_per_write(self) -> Optional[int]:
            return self.rows_per_shard

        def write(self, blocks: Iterable[Any], ctx) -> Optional[Dict[str, Any]]:
            at = shard_prefix(self.prefix, ctx.task_idx)
            remove_stale_temporaries(at)
            writer = open_writer(at, self.fmt, self.dtype)
            try:
                for block in blocks:
                    column = block.column(self.ids_column)
                    if len(column):
                        writer.write(*flat_ids(column))
                if writer.documents == 0:
                    writer.abort()
                    return None
                files = commit_checksummed(writer)
            except BaseException:
                writer.abort()
                raise
            return {"task": ctx.task_idx, "node": _node(), "prefix": os.path.basename(at),
                    "documents": writer.documents, "tokens": writer.tokens, "files": files}

        def on_write_complete(self, write_result) -> None:
            self.result = sorted((r for r in write_result.write_returns if r is not None), key=lambda r: r["task"])

    return _ShardDatasink


def write_shards(
    ds,
    prefix: Union[str, "os.PathLike[str]"],
    *,
    tokenizer: TokenizerSpec = DEFAULT_TOKENIZER,
    format: str = "bin",
    dtype: str = "auto",
    ids_column: str = "ids",
    rows_per_shard: Optional[int] = None,
    overwrite: bool = False,
    num_cpus: float = 0.5,
) -> Dict[str, Any]:
    """Writes the ``ids_column`` of a tokenized dataset as shards ``PREFIX-00000``, ... in
    ``format`` (bin, npy, megatron, parquet), each written by the Ray task that holds its blocks
    (at least ``rows_per_shard`` documents per shard if given; otherwise a shard per block that
    reaches the writer), and ``PREFIX.manifest.json`` listing them in the dataset's order;
    returns the manifest. ``tokenizer`` is the one the ids came from: it sets the stored type and
    is recorded with its hash. Write tasks take ``num_cpus`` each (a fraction, so that they are
    not kept waiting by the actors that encode). The driver holds the prefix's lock for the job."""
    _ray()
    prefix = os.fspath(prefix)
    job = ShardJob(prefix, tokenizer, format=format, dtype=dtype)
    facts = output_facts(job, ids_column=ids_column)
    facts["shard_limit"] = {"rows_per_shard": rows_per_shard}
    facts["inputs"] = [{"ray_dataset": type(ds).__name__}]
    if os.path.dirname(prefix):
        os.makedirs(os.path.dirname(prefix), exist_ok=True)
    with locked_output(prefix):
        _prepare_output(prefix, overwrite, resume=False, resumable=False)
        remove_stale_temporaries(prefix)
        # Write tasks are numbered in the order of the blocks they take.
        ds.context.execution_options.preserve_order = True
        sink = _shard_datasink_class()(prefix, format, job.dtype, ids_column, rows_per_shard)
        ds.write_datasink(sink, ray_remote_args={"num_cpus": num_cpus})
        entries = sink.result or []
        nodes = sorted({e.pop("node") for e in entries})
        shards = [{k: v for k, v in e.items() if k != "task"} for e in entries]
        manifest = _manifest(facts, shards, {})
        write_text_atomically(manifest_path(prefix), manifest_text(manifest))
        listed = {os.path.join(os.path.dirname(prefix), n) for s in shards for n in s["files"]}
        for path in series_files(prefix) + [p for p in known_outputs(prefix) if p != manifest_path(prefix)]:
            if path not in listed:
                remove_if_present(path)  # shards of an earlier output that this one replaced
    manifest["nodes"] = nodes  # not in the file: which nodes wrote, for the caller
    return manifest


# ----- files encoded on the cluster, an input per task ---------------------------------------------


# The tokenizer a Ray worker process loaded for its last task, by the spec it was given: a
# worker runs many tasks of one job, and loading (hundreds of ms for a large vocabulary) would
# otherwise be paid per input file. One entry: bounded, and the workers are not forked.
_LOADED: Dict[str, Any] = {}


def _worker_tokenizer(spec: TokenizerSpec, label: str):
    from ..corpus.tokenizer_facts import resolve_tokenizer

    if _LOADED.get("label") != label:
        _LOADED.clear()
        tok, name = resolve_tokenizer(spec)
        tok._loaded_from = name  # recorded in the metadata as if loaded from the spec
        _LOADED.update(label=label, tokenizer=tok)
    return _LOADED["tokenizer"]


def _encode_input(
    row: Dict[str, Any], prefix: str, tokenizer: TokenizerSpec, limit: Dict[str, int], options: Dict[str, Any],
    tokenizer_sha256: str,
) -> Dict[str, Any]:
    """The Ray Data task of ``encode_on_ray``: one input file into its own sharded output."""
    from ..corpus.pipeline import encode_files

    # A name or path is loaded once per worker, as given (so that it is recorded as given).
    if isinstance(tokenizer, (str, os.PathLike)):
        tokenizer = _worker_tokenizer(tokenizer, f"{os.fspath(tokenizer)} {tokenizer_sha256}")
    index = int(row["input"])
    unit = shard_prefix(prefix, index)
    try:
        _when_unlocked(lambda: encode_files(
            [row["path"]], unit, tokenizer, input_format=row["kind"],
            shard_tokens=limit.get("tokens"), shard_bytes=limit.get("bytes"),
            resume=True, progress=False, report=lambda message: None, **options,
        ))
        return {"input": index, "node": _node(), "empty": False}
    except ValueError as e:
        if "no document to write" not in str(e):
            raise
        return {"input": index, "node": _node(), "empty": True}


def _when_unlocked(attempt: Callable[[], T]) -> T:
    """``attempt()`` (which takes a unit's lock), tried again every half second for
    ``LOCK_WAIT_SECONDS`` while another process holds that lock: a worker of a killed run that
    Ray has not reaped yet may still be writing the unit."""
    deadline = time.monotonic() + LOCK_WAIT_SECONDS
    while True:
        try:
            return attempt()
        except OutputLocked:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.5)


def _finished_unit(unit: str) -> Optional[Dict[str, Any]]:
    """The manifest of a unit's output read under its lock (so that no writer is halfway through
    it), or None when it is missing or not complete."""

    def read() -> Optional[Dict[str, Any]]:
        with locked_output(unit):
            return read_manifest(unit)

    manifest = _when_unlocked(read)
    return manifest if manifest is not None and manifest.get("complete") is True else None


def _encode_units(ds_of_rows, task_kwargs: Dict[str, Any], num_cpus: float) -> List[Dict[str, Any]]:
    """Runs ``_encode_input`` on every row (an input file) of the dataset; returns what the
    tasks said. (The tests wrap it to act as a stray worker after the tasks end.)"""
    return ds_of_rows.map(_encode_input, fn_kwargs=task_kwargs, num_cpus=num_cpus).take_all()


def encode_on_ray(
    inputs: Sequence[str],
    output: Union[str, "os.PathLike[str]"],
    tokenizer: TokenizerSpec = DEFAULT_TOKENIZER,
    *,
    address: Optional[str] = None,
    shard_tokens: Optional[int] = None,
    shard_bytes: Optional[int] = None,
    resume: bool = False,
    overwrite: bool = False,
    num_cpus: float = 1.0,
    input_format: str = "auto",
    quiet: bool = False,
    **options: Any,
) -> Dict[str, Any]:
    """``tokembed encode --ray``: ``inputs`` encoded on a Ray cluster (``address``; None: the one
    ``ray.init()`` finds or starts), an input file per task, into a sharded output at ``output``
    (``shard_tokens``/``shard_bytes``, default 1 GB of ids per shard); returns the manifest (and,
    not in the file, the ``nodes`` that ran tasks). ``options`` are those of ``encode_files``
    (format, dtype, json_key, append_eos, errors, ...). Every input must be readable at the same
    path on every node. ``quiet``: no progress from Ray Data."""
    ray = _ray()
    prefix = os.fspath(output)
    if shard_tokens is None and shard_bytes is None:
        shard_bytes = 10**9
    limit = ShardLimit(tokens=shard_tokens, bytes=shard_bytes)
    files = expand_inputs(inputs, input_format)
    if any(f.path == "-" for f in files):
        raise ValueError("--ray reads files on the workers: standard input cannot be given")
    from ..corpus.shard_series import check_sharded_inputs

    check_sharded_inputs(files, resume)
    fmt, dtype = options.pop("format", "bin"), options.pop("dtype", "auto")
    append_eos, eos_id = options.pop("append_eos", False), options.pop("eos_id", None)
    job = ShardJob(prefix, tokenizer, format=fmt, dtype=dtype, append_eos=append_eos, eos_id=eos_id)
    recorded = _recorded_options(options)
    facts = run_facts(job, limit, files, **recorded)
    if not ray.is_initialized():
        ray.init(address=address, log_to_driver=False, configure_logging=False, include_dashboard=False)
    if quiet:
        import logging

        ray.data.DataContext.get_current().enable_progress_bars = False
        logging.getLogger("ray.data").setLevel(logging.ERROR)
    if os.path.dirname(prefix):
        os.makedirs(os.path.dirname(prefix), exist_ok=True)
    with locked_output(prefix):
        top = read_manifest(prefix)
        _prepare_output(prefix, overwrite, resume)
        if resume and top is not None and any(top.get(k) != v for k, v in facts.items()):
            differing = [k for k, v in facts.items() if top.get(k) != v]
            raise ValueError(
                f"--resume: {manifest_path(prefix)} was written with other arguments or inputs (differing: "
                f"{', '.join(differing)}); run again as it was run, or with --overwrite to start over"
            )
        if overwrite and not resume:
            _remove_units(prefix, 0)
        remove_stale_temporaries(prefix)
        task_options = dict(recorded, format=fmt, dtype=job.dtype, append_eos=append_eos, eos_id=eos_id,
                            workers=max(1, int(num_cpus)), batch_bytes=options.get("batch_bytes", 4 << 20))
        # A name or path is loaded on each worker (and recorded as given); a Tokenizer travels
        # pickled as its tokenizer.json.
        task_tokenizer = tokenizer if isinstance(tokenizer, (str, os.PathLike)) else job.tokenizer
        task_kwargs = {"prefix": prefix, "tokenizer": task_tokenizer, "limit": limit.as_dict(),
                       "options": task_options, "tokenizer_sha256": facts["tokenizer"]["sha256"]}
        rows = [{"input": i, "path": f.path, "kind": f.kind} for i, f in enumerate(files)]
        units: Dict[int, Optional[Dict[str, Any]]] = {}  # the finished ones (None: no document)
        nodes_seen: Set[str] = set()
        todo = rows
        for _ in range(1 + UNIT_RERUNS):
            done = _encode_units(ray.data.from_items(todo, override_num_blocks=max(1, len(todo))), task_kwargs, num_cpus)
            nodes_seen.update(r["node"] for r in done)
            empty = {int(r["input"]) for r in done if r["empty"]}
            for row in todo:
                index = int(row["input"])
                unit = _finished_unit(shard_prefix(prefix, index))
                if unit is not None or index in empty:
                    units[index] = unit
            todo = [row for row in rows if int(row["input"]) not in units]
            if not todo:
                break
            # Its task ended, yet the unit is not finished (seen once in CI, after kills, for two
            # units at a time). Never join a half-written unit: encode (resume) it again.
            print(f"tokembed: {', '.join(shard_prefix(prefix, int(r['input'])) for r in todo[:4])}"
                  f"{' ...' if len(todo) > 4 else ''}: not complete after their tasks ended; resuming them",
                  file=sys.stderr)
        else:
            raise RuntimeError(
                f"{shard_prefix(prefix, int(todo[0]['input']))}: still not complete after {1 + UNIT_RERUNS} "
                f"attempts (is another run writing to {prefix}?)"
            )
        nodes = sorted(nodes_seen)
        shards: List[Dict[str, Any]] = []
        problems: Dict[str, Dict[str, int]] = {}
        for index in range(len(files)):
            unit = units[index]
            if unit is None:  # an input without a document
                continue
            for shard in unit["shards"]:
                shards.append(dict(shard, sources=[dict(s, input=index) for s in shard["sources"]]))
            counts = (unit.get("problems_by_input") or {}).get("0")
            if counts:
                problems[str(index)] = counts
        if not shards:
            raise ValueError(f"no document to write (the inputs are empty); nothing written to {prefix}")
        manifest = _manifest(facts, shards, problems)
        write_text_atomically(manifest_path(prefix), manifest_text(manifest))
        # What an earlier output at the prefix left: more inputs, or a single shard.
        _remove_units(prefix, len(files))
        for path in known_outputs(prefix):
            if path != manifest_path(prefix):
                remove_if_present(path)
    manifest["nodes"] = nodes
    return manifest


# The options of ``encode_files`` that change the ids (their defaults are read from it).
_ID_OPTIONS = ("add_special_tokens", "split_special_tokens", "json_key", "document_per_file", "keep_empty", "errors")


def _recorded_options(options: Dict[str, Any]) -> Dict[str, Any]:
    """The options of ``encode_files`` that change the ids, with its defaults, as the manifest
    records them."""
    parameters = inspect.signature(encode_files).parameters
    defaults = {k: parameters[k].default for k in _ID_OPTIONS}
    unknown = set(options) - set(defaults) - {"workers", "batch_bytes"}
    if unknown:
        raise TypeError(f"unknown options: {', '.join(sorted(unknown))}")
    recorded = {k: options.get(k, v) for k, v in defaults.items()}
    for k in ("add_special_tokens", "split_special_tokens", "document_per_file", "keep_empty"):
        recorded[k] = bool(recorded[k])
    return recorded

