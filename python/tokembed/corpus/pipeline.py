"""``encode_files``, what ``tokembed encode`` runs: inputs → documents in batches →
``encode_batch_flat`` → the shard writer of a ``ShardJob`` (``job.py``).

A reader thread reads (and, for Parquet, decodes) the next batch, and a writer thread
stores the previous one, while the current one is encoded (the encoder releases the GIL and runs
on the Rust thread pool); queues of two batches bound the memory. Text and JSON lines reach the
encoder as bytes: the core splits, checks and parses them in parallel, so the interpreter, which
holds a core while it works, has little to do. The job (shared with ``tokembed.ray``) locks the
output prefix for the whole run and gives the shard files and the metadata file their final
names only when all of them are written (the metadata last).
"""

from __future__ import annotations

import os
import sys
import time
from dataclasses import dataclass, field
from typing import Any, Callable, Dict, List, Optional, Sequence, Tuple, Union

import numpy as np

from .._core import get_num_threads, set_num_threads
from .._files import remove_if_present
from ..data.formats import writer_class
from ..data.manifest import manifest_path, read_manifest
from ..tokenizers.tokenizer import Tokenizer
from .batches import batches
from .job import ShardJob, TokenizerSpec, append_to_each
from .memory import MemoryKeeper
from .problems import InputLog
from .progress import Progress, progress_wanted
from .reading import read_documents
from .outputs import known_outputs, locked_output, remove_stale_temporaries, series_files
from .shard_series import (
    ResumePoint,
    ShardLimit,
    ShardSeries,
    check_sharded_inputs,
    existing_outputs,
    resume_point,
    run_facts,
)
from .sources import InputFile, expand_inputs
from .stages import WriteBehind, read_ahead
from .jsonl_input import encode_raw_jsonl
from .text_input import encode_raw_lines
from .tokenizer_facts import DEFAULT_TOKENIZER

BATCH_BYTES = 4 << 20


@dataclass
class EncodeSummary:
    """What an encode run did (also written, with more, to the metadata file)."""

    output: str
    format: str
    dtype: str
    files: List[str]
    metadata: str
    documents: int
    tokens: int
    input_bytes: int
    seconds: float
    skipped: Dict[str, int] = field(default_factory=dict)

    def text(self) -> str:
        s = max(self.seconds, 1e-9)
        lines = [
            f"tokembed encode: {self.documents:,} documents, {self.tokens:,} tokens from "
            f"{_bytes(self.input_bytes)} in {self.seconds:.2f} s ({_bytes(self.input_bytes / s)}/s, "
            f"{_count(self.documents / s)} docs/s, {_count(self.tokens / s)} tokens/s)"
        ]
        if self.skipped:
            lines.append("  left out or repaired: " + ", ".join(f"{kind}: {n:,}" for kind, n in self.skipped.items()))
        lines.append(f"  wrote {', '.join(self.files)} ({self.dtype}) and {self.metadata}")
        return "\n".join(lines)


def _bytes(n: float) -> str:
    for unit, scale in (("GB", 1e9), ("MB", 1e6), ("KB", 1e3)):
        if n >= scale:
            return f"{n / scale:,.1f} {unit}"
    return f"{n:,.0f} B"


def _count(n: float) -> str:
    return f"{n / 1e6:,.2f}M" if n >= 1e6 else f"{n:,.0f}"


def encode_files(
    inputs: Sequence[str],
    output: Union[str, "os.PathLike[str]"],
    tokenizer: TokenizerSpec = DEFAULT_TOKENIZER,
    *,
    format: str = "bin",
    dtype: str = "auto",
    json_key: str = "text",
    input_format: str = "auto",
    document_per_file: bool = False,
    keep_empty: bool = False,
    append_eos: bool = False,
    eos_id: Optional[int] = None,
    add_special_tokens: bool = True,
    split_special_tokens: bool = False,
    errors: str = "replace",
    workers: Optional[int] = None,
    batch_bytes: int = BATCH_BYTES,
    overwrite: bool = False,
    progress: Optional[bool] = None,
    report: Optional[Callable[[str], None]] = None,
    shard_tokens: Optional[int] = None,
    shard_bytes: Optional[int] = None,
    resume: bool = False,
) -> EncodeSummary:
    """Tokenizes ``inputs`` (paths or globs of ``.txt``, ``.jsonl[.gz]``, ``.parquet``; ``-`` is
    standard input) into a shard at ``output`` (a prefix: the files are ``output.bin`` etc.)
    and writes ``output.meta.json``. Every document gets exactly the ids of
    ``tokenizer.encode_batch_flat`` (plus EOS with ``append_eos``). See ``tokembed encode
    --help`` for the options; ``progress=None`` shows a bar when standard error is a terminal.

    The prefix is locked for the run (``PREFIX.lock``; another run on it raises
    ``OutputLocked`` at once); temporary files that killed runs left at the prefix are removed
    (and named through ``report``). A run that keeps no document raises ``ValueError``; on any
    error no new file is left under a final name. With ``overwrite``, the files of a shard of
    another format at the prefix are removed when the new shard takes its place.

    With ``shard_tokens`` or ``shard_bytes`` (one of the two) the output is a series of shards
    ``output-00000``, ``output-00001``, ... of at most that many tokens or bytes of ids each,
    and ``output.manifest.json`` (``shard_series``); ``resume`` then goes on from the shards an
    earlier run of the same job completed.
    """
    prefix = os.fspath(output)
    writer_class(format)  # an unknown format is named before any input is looked at
    if int(batch_bytes) < 1:
        raise ValueError(f"batch_bytes must be at least 1, got {batch_bytes}")
    limit = None
    if shard_tokens is not None or shard_bytes is not None:
        limit = ShardLimit(tokens=shard_tokens, bytes=shard_bytes)
    elif resume:
        raise ValueError("resume is for sharded outputs: give a shard size (--shard-size or --shard-tokens)")
    if resume and overwrite:
        raise ValueError("give resume or overwrite, not both")
    files = expand_inputs(inputs, input_format)
    job = ShardJob(prefix, tokenizer, format=format, dtype=dtype, append_eos=append_eos, eos_id=eos_id)
    if limit is not None:
        check_sharded_inputs(files, resume)
        options = dict(
            add_special_tokens=bool(add_special_tokens),
            split_special_tokens=bool(split_special_tokens),
            json_key=json_key,
            document_per_file=bool(document_per_file),
            keep_empty=bool(keep_empty),
            errors=errors,
        )
        return encode_sharded(
            files, job, limit, options, batch_bytes=batch_bytes, workers=workers, overwrite=overwrite,
            resume=resume, progress=progress, report=report,
        )
    with job.open(overwrite=overwrite, overwrite_hint="use --overwrite", report=report) as writer:
        known = [f.size for f in files]
        total = None if any(s is None for s in known) else sum(known)  # type: ignore[arg-type]
        bar = Progress(total, progress_wanted() if progress is None else progress)
        log = InputLog(errors, report or bar.note)
        threads_before = get_num_threads()
        if workers is not None:
            set_num_threads(workers)
        try:
            started = time.perf_counter()
            _encode_into(
                lambda ids, offsets, runs: writer.write(ids, offsets), bar, log, job.tokenizer, files, job.eos,
                batch_bytes=batch_bytes,
                json_key=json_key,
                document_per_file=document_per_file,
                keep_empty=keep_empty,
                add_special_tokens=add_special_tokens,
                split_special_tokens=split_special_tokens,
            )
            writer.finish()
            seconds = time.perf_counter() - started
        finally:
            bar.close()
            if workers is not None:
                set_num_threads(threads_before)
        if writer.documents == 0:
            left_out = ", ".join(f"{kind}: {n:,}" for kind, n in log.as_dict().items())
            raise ValueError(
                f"no document to write ({'left out: ' + left_out if left_out else 'the inputs are empty'}); "
                f"nothing written to {prefix}"
            )
        job.commit(
            add_special_tokens=bool(add_special_tokens),
            split_special_tokens=bool(split_special_tokens),
            inputs=[{"path": f.path, "kind": f.kind, "bytes": f.size} for f in files],
            input_bytes=bar.nbytes,
            json_key=json_key,
            document_per_file=bool(document_per_file),
            keep_empty=bool(keep_empty),
            errors=errors,
            skipped=log.as_dict(),
            seconds=round(seconds, 3),
        )
    return EncodeSummary(
        output=prefix,
        format=format,
        dtype=job.dtype,
        files=writer.paths,
        metadata=job.metadata_path,
        documents=writer.documents,
        tokens=writer.tokens,
        input_bytes=bar.nbytes,
        seconds=seconds,
        skipped=log.as_dict(),
    )


def encode_sharded(
    files: List[InputFile],
    job: ShardJob,
    limit: ShardLimit,
    options: Dict[str, Any],
    *,
    batch_bytes: int,
    workers: Optional[int],
    overwrite: bool,
    resume: bool,
    progress: Optional[bool],
    report: Optional[Callable[[str], None]],
) -> EncodeSummary:
    """``encode_files`` into a series of shards (see ``shard_series``)."""
    prefix = job.prefix
    say = report or _to_stderr
    facts = run_facts(job, limit, files, **options)
    if os.path.dirname(prefix):
        os.makedirs(os.path.dirname(prefix), exist_ok=True)
    with locked_output(prefix):
        manifest_file = manifest_path(prefix)
        single = [p for p in known_outputs(prefix) if p != manifest_file and os.path.exists(p)]
        existing = existing_outputs(prefix)
        if existing and not overwrite and (single or not resume):
            hint = "use --overwrite to replace it" + ("" if single else ", or --resume to go on with it")
            raise FileExistsError(f"{', '.join(existing[:4])}{' ...' if len(existing) > 4 else ''} already exist; {hint}")
        start = resume_point(prefix, facts, say) if resume else ResumePoint()
        if not resume and overwrite:
            remove_if_present(manifest_file)  # it would list shards about to be replaced
        remove_stale_temporaries(prefix, say)
        todo = files[start.input:]
        known = [f.size for f in todo]
        total = None if any(s is None for s in known) else sum(known)  # type: ignore[arg-type]
        bar = Progress(total, (progress_wanted() if progress is None else progress) and not start.complete)
        log = InputLog(options["errors"], report or bar.note)
        series = ShardSeries(job, limit, facts, files, log, start)
        threads_before = get_num_threads()
        if workers is not None:
            set_num_threads(workers)
        started = time.perf_counter()
        try:
            if not start.complete:
                _encode_into(
                    series.write, bar, log, job.tokenizer, todo, job.eos,
                    batch_bytes=batch_bytes,
                    json_key=options["json_key"],
                    document_per_file=options["document_per_file"],
                    keep_empty=options["keep_empty"],
                    add_special_tokens=options["add_special_tokens"],
                    split_special_tokens=options["split_special_tokens"],
                )
            if series.documents == 0 and not series.pending_documents():
                left_out = ", ".join(f"{kind}: {n:,}" for kind, n in log.as_dict().items())
                raise ValueError(
                    f"no document to write ({'left out: ' + left_out if left_out else 'the inputs are empty'}); "
                    f"nothing written to {prefix}"
                )
            # A complete output is left as it is (its inputs were not read again).
            manifest = read_manifest(prefix) if start.complete else series.finish()
        except BaseException:
            series.abort()
            raise
        finally:
            bar.close()
            if workers is not None:
                set_num_threads(threads_before)
        seconds = time.perf_counter() - started
        # What an earlier, longer output or a single shard at the prefix left goes now.
        for path in series_files(prefix, len(series.shards)) + single:
            remove_if_present(path)
    return EncodeSummary(
        output=prefix,
        format=job.format,
        dtype=job.dtype,
        files=series.files(),
        metadata=manifest_file,
        documents=manifest["documents"],
        tokens=manifest["tokens"],
        input_bytes=bar.nbytes,
        seconds=seconds,
        skipped=manifest["skipped"],
    )


def _to_stderr(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def _encode_into(
    sink: Callable[[np.ndarray, np.ndarray, List[List[int]]], None],
    bar: Progress,
    log: InputLog,
    tok: Tokenizer,
    files,
    eos: Optional[int],
    *,
    batch_bytes: int,
    json_key: str,
    document_per_file: bool,
    keep_empty: bool,
    add_special_tokens: bool,
    split_special_tokens: bool,
) -> None:
    """Reads, encodes and hands every batch to ``sink(ids, offsets, runs)`` (reading ahead,
    writing behind); ``runs`` says which of ``files`` each document came from (``Batch.runs``)."""
    memory = MemoryKeeper()

    def store(encoded: Tuple[np.ndarray, np.ndarray, int, List[List[int]]]) -> None:
        ids, offsets, nbytes, runs = encoded
        if eos is not None:
            ids, offsets = append_to_each(ids, offsets, eos)
        sink(ids, offsets, runs)
        bar.update(nbytes, len(offsets) - 1, len(ids))
        del ids, offsets
        memory.after_batch()

    pieces = read_documents(
        files,
        log,
        chunk_bytes=batch_bytes,
        json_key=json_key,
        document_per_file=document_per_file,
        keep_empty=keep_empty,
    )
    ahead = read_ahead(batches(pieces, batch_bytes))
    behind = WriteBehind(store)
    try:
        for batch in ahead:
            runs = batch.runs
            if batch.raw is not None:
                encode_raw = encode_raw_lines if batch.raw.json_key is None else encode_raw_jsonl
                ids, offsets = encode_raw(tok, batch.raw, log, keep_empty, add_special_tokens, split_special_tokens)
                runs = [[runs[0][0], len(offsets) - 1]]  # the lines the core kept
            else:
                ids, offsets = tok.encode_batch_flat(batch.texts, add_special_tokens, split_special_tokens)
            behind.put((ids, offsets, batch.nbytes, runs))
        behind.close()
    except BaseException:
        behind.abandon()
        raise
    finally:
        ahead.close()  # type: ignore[attr-defined]

