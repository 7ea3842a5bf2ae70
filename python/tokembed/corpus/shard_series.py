"""A sharded output: documents written in order into ``PREFIX-00000``, ``PREFIX-00001``, ... (each
a shard of the chosen format), a new shard begun before the document that would take the
current one over its limit, and ``PREFIX.manifest.json`` (``data/manifest.py``) rewritten each
time a shard is complete.

Each shard is written under temporary names and renamed when complete, and only then listed in
the manifest (itself replaced atomically), so a run killed at any point leaves a manifest that
lists complete shards only. The manifest also says where to go on from: the input the last
listed document came from and how many of that input's documents are already written, and the
problem counts of every input before it. ``--resume`` (``resume_point``) checks the listed
shards against their sizes and SHA-256, reads the inputs again from that input, drops the
documents already written and goes on; every shard boundary depends only on the documents, so
the shards and the manifest come out byte for byte as an uninterrupted run writes them.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from typing import Any, Callable, Dict, List, Optional, Sequence

import numpy as np

from .. import __version__
from .._files import write_text_atomically
from ..data.formats import ShardWriter, open_writer
from ..data.manifest import KIND, file_sha256, manifest_path, manifest_text, read_manifest, shard_prefix, shard_problem
from .job import ShardJob
from .outputs import known_outputs, remove_stale_temporaries, series_files
from .problems import InputLog
from .sources import STDIN, InputFile

_UNITS = {"": 1, "b": 1, "kb": 10**3, "mb": 10**6, "gb": 10**9, "tb": 10**12,
          "kib": 2**10, "mib": 2**20, "gib": 2**30, "tib": 2**40}


def parse_size(text: str) -> int:
    """``"1GB"``, ``"500 MB"``, ``"64MiB"``, ``"1000000"`` (bytes) as a number of bytes."""
    match = re.fullmatch(r"\s*([0-9]*\.?[0-9]+)\s*([A-Za-z]*)\s*", str(text))
    unit = match.group(2).lower() if match else None
    if match is None or unit not in _UNITS:
        raise ValueError(f"shard size {text!r}: give a number of bytes or a size such as 500MB, 1GB or 2GiB")
    size = int(float(match.group(1)) * _UNITS[unit])
    if size < 1:
        raise ValueError(f"shard size {text!r} is less than one byte")
    return size


@dataclass(frozen=True)
class ShardLimit:
    """At most ``tokens`` ids, or ``bytes`` bytes of ids, in a shard (one of the two). A document
    is never split: one longer than the limit makes a shard of its own."""

    tokens: Optional[int] = None
    bytes: Optional[int] = None

    def __post_init__(self) -> None:
        if (self.tokens is None) == (self.bytes is None):
            raise ValueError("a shard limit is a number of tokens or a size in bytes (one of the two)")
        value = self.tokens if self.tokens is not None else self.bytes
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise ValueError(f"a shard limit must be a positive whole number, got {value!r}")

    def tokens_for(self, itemsize: int) -> int:
        return self.tokens if self.tokens is not None else max(1, self.bytes // itemsize)  # type: ignore[operator]

    def as_dict(self) -> Dict[str, int]:
        return {"tokens": self.tokens} if self.tokens is not None else {"bytes": self.bytes}  # type: ignore[dict-item]


@dataclass
class ResumePoint:
    """Where a run starts: the complete shards (manifest entries), the input to read from, the
    documents of that input already in those shards, and the problem counts of the inputs
    before it (by input index)."""

    shards: List[Dict[str, Any]] = field(default_factory=list)
    input: int = 0
    written: int = 0
    problems: Dict[str, Dict[str, int]] = field(default_factory=dict)
    complete: bool = False


def run_facts(job: ShardJob, limit: ShardLimit, inputs: Sequence[InputFile], **options: Any) -> Dict[str, Any]:
    """What the manifest records about how the shards were made; ``--resume`` requires the same."""
    facts = output_facts(job, **options)
    facts["shard_limit"] = limit.as_dict()
    facts["inputs"] = [{"path": f.path, "kind": f.kind, "bytes": f.size} for f in inputs]
    return facts


def output_facts(job: ShardJob, **options: Any) -> Dict[str, Any]:
    """The format, dtype, tokenizer and EOS of the output, and ``options``: the facts of a run
    that do not depend on how it is cut into shards or where its documents came from."""
    facts: Dict[str, Any] = {
        "format": job.format,
        "dtype": job.dtype,
        "tokenizer": {
            "name": job.tokenizer_label,
            "sha256": job.tokenizer.json_sha256(),
            "vocab_size": job.tokenizer.vocab_size,
            "max_id": job.max_id,
        },
        "append_eos": job.eos is not None,
        "eos_id": job.eos,
    }
    facts.update(options)
    return facts


def check_sharded_inputs(inputs: Sequence[InputFile], resume: bool) -> None:
    paths = [f.path for f in inputs]
    repeated = sorted({p for p in paths if paths.count(p) > 1})
    if repeated:
        raise ValueError(f"{', '.join(repeated)}: given more than once; a sharded output names each input once")
    if resume and STDIN in paths:
        raise ValueError("--resume cannot read standard input again; give files")


def existing_outputs(prefix: str) -> List[str]:
    """Files of an earlier output at ``prefix``: a single shard, a manifest, or the first shard."""
    return [p for p in known_outputs(prefix) if os.path.exists(p)] + series_files(prefix)


def resume_point(
    prefix: str, facts: Dict[str, Any], report: Callable[[str], None]
) -> ResumePoint:
    """Where a resumed run starts: after the last shard of the manifest at ``prefix`` whose files
    are as recorded (a shard that is not, and every one after it, is written again). No
    manifest: from the start. ``ValueError`` when the manifest was made with other arguments."""
    manifest = read_manifest(prefix)
    if manifest is None:
        return ResumePoint()
    differing = [key for key, value in facts.items() if manifest.get(key) != value]
    if differing:
        raise ValueError(
            f"--resume: {manifest_path(prefix)} was written with other arguments or inputs (differing: "
            f"{', '.join(differing)}); run again as it was run, or with --overwrite to start over"
        )
    folder = os.path.dirname(prefix)
    shards: List[Dict[str, Any]] = []
    for shard in manifest["shards"]:
        problem = shard_problem(folder, shard)
        if problem is not None:
            report(f"tokembed: {problem}; writing it again from there")
            break
        shards.append(shard)
    point = ResumePoint(shards=shards)
    if shards:
        last = shards[-1]["sources"][-1]
        point.input = int(last["input"])
        point.written = int(last["first"]) + int(last["documents"])
        recorded = manifest.get("problems_by_input") or {}
        point.problems = {k: v for k, v in recorded.items() if int(k) < point.input}
        point.complete = bool(manifest.get("complete")) and len(shards) == len(manifest["shards"])
    return point


def commit_checksummed(writer: ShardWriter) -> Dict[str, Dict[str, Any]]:
    """Finishes ``writer``, records the size and SHA-256 of each of its files, then gives them
    their final names; returns the record (the ``files`` of a manifest entry)."""
    writer.finish()
    files = {
        os.path.basename(final): {"bytes": os.path.getsize(tmp), "sha256": file_sha256(tmp)}
        for tmp, final in writer.temporaries()
    }
    writer.commit()
    return files


def manifest_document(
    facts: Dict[str, Any], shards: List[Dict[str, Any]], problems: Dict[str, Dict[str, int]], complete: bool
) -> Dict[str, Any]:
    """The manifest: ``facts`` (how the shards were made), the totals, the problem counts by
    input (those with any, in input order) and the ``shards``."""
    problems = {k: v for k, v in sorted(problems.items(), key=lambda kv: int(kv[0])) if v}
    totals: Dict[str, int] = {}
    for counts in problems.values():
        for kind, count in counts.items():
            totals[kind] = totals.get(kind, 0) + count
    manifest: Dict[str, Any] = {"kind": KIND, "tokembed_version": __version__}
    manifest.update(facts)
    manifest.update({
        "complete": complete,
        "documents": sum(int(s["documents"]) for s in shards),
        "tokens": sum(int(s["tokens"]) for s in shards),
        "skipped": dict(sorted(totals.items())),
        "problems_by_input": problems,
        "shards": shards,
    })
    return manifest


class ShardSeries:
    """Takes batches of documents (as ``encode_batch_flat`` gives them, with the input each
    came from) and writes them into the shards of ``job.prefix``, starting at ``start``.
    ``inputs`` are all the run's inputs; documents arrive from ``inputs[start.input:]``."""

    def __init__(
        self,
        job: ShardJob,
        limit: ShardLimit,
        facts: Dict[str, Any],
        inputs: Sequence[InputFile],
        log: InputLog,
        start: ResumePoint,
    ):
        self.job = job
        self.prefix = job.prefix
        self.folder = os.path.dirname(self.prefix)
        self.limit = limit.tokens_for(np.dtype(job.dtype).itemsize)
        self.facts = facts
        self.inputs = list(inputs)
        self.log = log
        self.shards: List[Dict[str, Any]] = list(start.shards)
        self.problems: Dict[str, Dict[str, int]] = dict(start.problems)
        for index, counts in self.problems.items():
            log.carry(self.inputs[int(index)].path, counts)
        self.base = start.input  # documents arrive from this input on
        self.to_drop = start.written  # its first documents are in the shards already
        self.kept: Dict[int, int] = {}  # documents of each input so far
        self.documents = sum(int(s["documents"]) for s in self.shards)
        self.tokens = sum(int(s["tokens"]) for s in self.shards)
        self._writer: Optional[ShardWriter] = None
        self._sources: List[List[int]] = []  # [input, first, documents] of the open shard

    # ----- writing ---------------------------------------------------------------------------
    def write(self, ids: np.ndarray, offsets: np.ndarray, runs: Sequence[Sequence[int]]) -> None:
        """A batch: ``runs`` says, in order, how many of its documents came from each input
        (indexes counted from ``start.input``)."""
        inputs = np.repeat(
            np.asarray([self.base + r[0] for r in runs], dtype=np.int64),
            np.asarray([r[1] for r in runs], dtype=np.int64),
        )
        if len(inputs) != len(offsets) - 1:
            raise AssertionError(f"{len(inputs)} documents attributed to inputs in a batch of {len(offsets) - 1}")
        if self.to_drop:
            drop = min(self.to_drop, len(inputs))
            if np.any(inputs[:drop] != self.base):
                raise ValueError(
                    f"{self.inputs[self.base].path}: has fewer documents than when the manifest was written; "
                    f"it changed since (start again with --overwrite)"
                )
            self.to_drop -= drop
            self.kept[self.base] = self.kept.get(self.base, 0) + drop
            ids = ids[int(offsets[drop]):]
            offsets = offsets[drop:] - offsets[drop]
            inputs = inputs[drop:]
        j, n = 0, len(inputs)
        while j < n:
            if self._writer is None:
                self._open_next()
            writer = self._writer
            assert writer is not None
            room = self.limit - writer.tokens
            fit = int(np.searchsorted(offsets[j + 1:] - offsets[j], room, side="right"))
            if fit == 0:
                if writer.documents:
                    self._close_shard()
                    continue
                fit = 1  # a document over the limit: a shard of its own
            writer.write(ids[int(offsets[j]):int(offsets[j + fit])], offsets[j:j + fit + 1] - offsets[j])
            self._attribute(inputs[j:j + fit])
            j += fit
            if j < n:
                self._close_shard()  # the next document does not fit

    def _attribute(self, inputs: np.ndarray) -> None:
        change = np.flatnonzero(np.diff(inputs)) + 1
        for start, end in zip(np.r_[0, change], np.r_[change, len(inputs)]):
            source, count = int(inputs[start]), int(end - start)
            first = self.kept.get(source, 0)
            self.kept[source] = first + count
            if self._sources and self._sources[-1][0] == source:
                self._sources[-1][2] += count
            else:
                self._sources.append([source, first, count])

    def _open_next(self) -> None:
        at = shard_prefix(self.prefix, len(self.shards))
        remove_stale_temporaries(at)
        self._writer = open_writer(at, self.job.format, self.job.dtype, self.job.max_id)
        self._sources = []

    def _close_shard(self) -> None:
        writer = self._writer
        assert writer is not None and writer.documents
        files = commit_checksummed(writer)
        self._writer = None
        self.shards.append({
            "prefix": os.path.basename(writer.prefix),
            "documents": writer.documents,
            "tokens": writer.tokens,
            "first_document": self.documents,
            "files": files,
            "sources": [{"input": s, "first": f, "documents": c} for s, f, c in self._sources],
        })
        self.documents += writer.documents
        self.tokens += writer.tokens
        # Every input before the one this shard ends in is finished: its counts are final.
        for index in range(self._sources[-1][0]):
            self.problems.setdefault(str(index), self.log.of_input(self.inputs[index].path))
        self._write_manifest(complete=False)

    def pending_documents(self) -> int:
        """Documents in the shard being written (not yet complete)."""
        return self._writer.documents if self._writer is not None else 0

    def finish(self) -> Dict[str, Any]:
        """Closes the last shard and writes the complete manifest; returns it."""
        if self._writer is not None and self._writer.documents:
            self._close_shard()
        for index, source in enumerate(self.inputs):
            if str(index) not in self.problems:
                self.problems[str(index)] = self.log.of_input(source.path)
        return self._write_manifest(complete=True)

    def abort(self) -> None:
        if self._writer is not None:
            self._writer.abort()
            self._writer = None

    def _write_manifest(self, complete: bool) -> Dict[str, Any]:
        manifest = manifest_document(self.facts, self.shards, self.problems, complete)
        write_text_atomically(manifest_path(self.prefix), manifest_text(manifest))
        return manifest

    # ----- what is there -----------------------------------------------------------------------
    def files(self) -> List[str]:
        return [os.path.join(self.folder, name) for s in self.shards for name in s["files"]]
