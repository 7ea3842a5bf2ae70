"""``tokembed encode``: corpora to token shards for training (the main job of the command line)."""

from __future__ import annotations

import argparse
import math
import signal
import sys
import time
from ..tokenizers import builtin
from ..data.formats import FORMATS
from ..corpus import ERRORS, encode_files
from ..corpus.shard_series import parse_size
from ..corpus.sources import KINDS
from ..corpus.tokenizer_facts import DEFAULT_TOKENIZER
from ..tokenizers.tokenizer import Tokenizer

DESCRIPTION = """\
Tokenize corpora into token shards for training, streaming with bounded memory.

Inputs: .txt (a document per line; --document-per-file for a document per file), .jsonl and
.jsonl.gz (the document under --json-key), .parquet (the column --json-key), globs ('data/**/*.jsonl.gz'),
and - for standard input. Every document gets exactly the ids of Tokenizer.encode_batch_flat.

Outputs, all beside PREFIX, written under temporary names and renamed only when complete
(a crash or Ctrl-C never leaves a truncated file that looks whole), then PREFIX.meta.json
(tokenizer and its hash, dtype, documents, tokens, inputs):
  bin       PREFIX.bin: raw ids, nanoGPT's format (np.memmap(path, dtype=np.uint16))
  npy       PREFIX.npy + PREFIX.offsets.npy (document offsets), np.load(mmap_mode="r")
  megatron  PREFIX.bin + PREFIX.idx, as Megatron-LM's MMapIndexedDataset reads them
  parquet   PREFIX.parquet, a list<uint32> column 'ids', a row per document (needs pyarrow)

Sharded output (--shard-size 1GB or --shard-tokens N): PREFIX-00000, PREFIX-00001, ... (each in
the format above) and PREFIX.manifest.json (every shard's files with sizes and SHA-256, documents,
tokens and the inputs they came from), rewritten as each shard is complete; --resume goes on
with an interrupted run of the same command and writes the same bytes as an uninterrupted one.
--ray [ADDRESS] runs the job on a Ray cluster, an input file per task, workers writing the shards.

Exit status: 0 when the shard is written (problems that were skipped or repaired are reported
as file:line and counted in the summary), 2 on an error (under --errors strict, the first bad
document; a run that keeps no document; another run writing to PREFIX, which is locked through
PREFIX.lock while a run lasts), 130 when interrupted; no new final-named output is left in the
last two cases. With --overwrite, the files of a shard of another format at PREFIX are removed
when the new one is in place. Temporary files of an earlier run that was killed are removed at
the start (and named on standard error).
"""


# --batch-mb outside these bounds is a mistake: below, batches of a few hundred bytes (a call and
# a write per line); above, a single read that asks for more memory than the machine has.
MIN_BATCH_MB = 0.001
MAX_BATCH_MB = 4096.0


def add_encode_parser(sub: "argparse._SubParsersAction") -> None:
    e = sub.add_parser(
        "encode",
        help="tokenize corpora into token shards (nanoGPT .bin, .npy, Megatron, Parquet)",
        description=DESCRIPTION,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    e.add_argument("inputs", nargs="+", metavar="INPUT", help="files, globs, or - for standard input")
    e.add_argument("-o", "--output", required=True, metavar="PREFIX", help="output prefix: PREFIX.bin and so on")
    e.add_argument(
        "--tokenizer",
        default=DEFAULT_TOKENIZER,
        metavar="NAME|PATH",
        help=f"built-in name ({', '.join(builtin.names())}), tokenizer.json, vocab.txt, folder, or .tiktoken "
        f"with --pattern (default: {DEFAULT_TOKENIZER}, a byte-level LLM tokenizer that fits training shards "
        "and uint16)",
    )
    e.add_argument(
        "--pattern",
        metavar="NAME|REGEX",
        help="the split pattern of a .tiktoken --tokenizer: gpt2, cl100k_base, o200k_base, llama3, qwen2 or a regex",
    )
    e.add_argument("--format", choices=FORMATS, default="bin", help="shard format (default: bin)")
    e.add_argument(
        "--dtype",
        choices=("auto", "uint16", "uint32", "int32"),
        default="auto",
        help="stored id type (default auto: uint16 when the vocabulary fits, else uint32; "
        "int32 for megatron, which has no uint32; uint32 for parquet)",
    )
    e.add_argument("--json-key", default="text", metavar="KEY", help="JSONL key or Parquet column of the text (default: text)")
    e.add_argument(
        "--input-format", choices=("auto",) + KINDS, default="auto", help="kind of the inputs (default: from the file names)"
    )
    e.add_argument("--document-per-file", action="store_true", help="a .txt file is one document (default: a document per line)")
    e.add_argument("--keep-empty", action="store_true", help="keep empty documents (default: left out and counted)")
    e.add_argument("--append-eos", action="store_true", help="put the tokenizer's end-of-text token after every document")
    e.add_argument("--eos-id", type=int, metavar="ID", help="the id --append-eos appends, for tokenizers without an EOS token")
    e.add_argument("--no-special-tokens", action="store_true", help="do not add the tokenizer's [CLS]/[SEP] and the like")
    e.add_argument(
        "--split-special-tokens",
        action="store_true",
        help="encode special-token text found in documents (e.g. '<|endoftext|>') as ordinary text",
    )
    e.add_argument(
        "--errors",
        choices=ERRORS,
        default="replace",
        help="invalid UTF-8: replace with U+FFFD (default), skip the document, or stop (strict: also stops "
        "at a malformed JSON line or a missing key, which are otherwise skipped); all are reported as file:line",
    )
    e.add_argument("--workers", type=int, metavar="N", help="encoding threads (default: one per core)")
    e.add_argument(
        "--batch-mb", type=float, default=4.0, metavar="MB",
        help=f"documents encoded per batch (default: 4 MB; from {MIN_BATCH_MB:g} to {MAX_BATCH_MB:g})",
    )
    e.add_argument(
        "--shard-size", metavar="SIZE",
        help="write a series of shards PREFIX-00000, PREFIX-00001, ... of at most SIZE of ids each (500MB, 1GB, "
        "2GiB; a document is never split) and PREFIX.manifest.json",
    )
    e.add_argument("--shard-tokens", type=int, metavar="N", help="the same, at most N tokens per shard")
    e.add_argument(
        "--resume", action="store_true",
        help="go on with the sharded output an interrupted run of the same command left at PREFIX: the shards its "
        "manifest lists (checked against their SHA-256) are kept, the rest written",
    )
    e.add_argument("--overwrite", action="store_true", help="replace an existing shard (or sharded output) at PREFIX")
    e.add_argument(
        "--ray", nargs="?", const="auto", metavar="ADDRESS",
        help="encode on a Ray cluster (ADDRESS, or the one Ray finds or starts): an input file per task, each into "
        "shards PREFIX-<input>-<part> written by the worker, then PREFIX.manifest.json (default shard size 1GB; "
        "inputs must be at the same path on every node)",
    )
    e.add_argument("--ray-cpus", type=float, default=1.0, metavar="N", help="CPUs (and threads) of each --ray task (default: 1)")
    e.add_argument("-q", "--quiet", action="store_true", help="no progress bar and no summary")


def _interrupt(signum, frame) -> None:
    # Ctrl-C, or SIGTERM (a job scheduler stopping us): clean up as for any error. Further
    # signals are ignored from now on (a second Ctrl-C is common), so that neither the clean-up
    # nor the exit is cut short by a traceback.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    raise KeyboardInterrupt


def check_batch_mb(batch_mb: float) -> int:
    """``--batch-mb`` in bytes; a value that is not a sensible size is refused."""
    if not math.isfinite(batch_mb) or not MIN_BATCH_MB <= batch_mb <= MAX_BATCH_MB:
        raise ValueError(
            f"--batch-mb must be a size in megabytes from {MIN_BATCH_MB:g} (1 KB) to {MAX_BATCH_MB:g}, got {batch_mb:g}"
        )
    return int(batch_mb * 1e6)


def run_encode(args: argparse.Namespace) -> int:
    if args.workers is not None and args.workers < 1:
        raise ValueError(f"--workers must be at least 1, got {args.workers}")
    batch_bytes = check_batch_mb(args.batch_mb)
    if args.shard_size is not None and args.shard_tokens is not None:
        raise ValueError("give --shard-size or --shard-tokens, not both")
    shard_bytes = parse_size(args.shard_size) if args.shard_size is not None else None
    if args.shard_tokens is not None and args.shard_tokens < 1:
        raise ValueError(f"--shard-tokens must be at least 1, got {args.shard_tokens}")
    if args.resume and args.overwrite:
        raise ValueError("give --resume or --overwrite, not both")
    if args.resume and shard_bytes is None and args.shard_tokens is None and args.ray is None:
        raise ValueError("--resume goes on with a sharded output: give the --shard-size or --shard-tokens of the first run")
    if args.ray is not None:
        return _run_on_ray(args, shard_bytes, batch_bytes)
    handlers = None
    if _main_thread():
        handlers = (signal.signal(signal.SIGINT, _interrupt), signal.signal(signal.SIGTERM, _interrupt))
    try:
        summary = encode_files(
            args.inputs,
            args.output,
            Tokenizer.load(args.tokenizer, pattern=args.pattern) if args.pattern else args.tokenizer,
            format=args.format,
            dtype=args.dtype,
            json_key=args.json_key,
            input_format=args.input_format,
            document_per_file=args.document_per_file,
            keep_empty=args.keep_empty,
            append_eos=args.append_eos,
            eos_id=args.eos_id,
            add_special_tokens=not args.no_special_tokens,
            split_special_tokens=args.split_special_tokens,
            errors=args.errors,
            workers=args.workers,
            batch_bytes=batch_bytes,
            overwrite=args.overwrite,
            progress=False if args.quiet else None,
            shard_tokens=args.shard_tokens,
            shard_bytes=shard_bytes,
            resume=args.resume,
        )
    except KeyboardInterrupt:
        if signal.getsignal(signal.SIGINT) is signal.SIG_IGN:
            handlers = None  # ours: stay deaf to signals until the process has exited
        raise
    finally:
        if handlers is not None:
            signal.signal(signal.SIGINT, handlers[0])
            signal.signal(signal.SIGTERM, handlers[1])
    if not args.quiet:
        print(summary.text(), file=sys.stderr)
    return 0


def _run_on_ray(args: argparse.Namespace, shard_bytes, batch_bytes: int) -> int:
    from ..integrations.ray_shards import encode_on_ray

    if not args.ray_cpus > 0:
        raise ValueError(f"--ray-cpus must be above 0, got {args.ray_cpus}")
    if args.pattern or args.workers is not None:
        raise ValueError("--ray: give the tokenizer by name or file (no --pattern), and --ray-cpus instead of --workers")
    started = time.perf_counter()
    manifest = encode_on_ray(
        args.inputs, args.output, args.tokenizer,
        address=None if args.ray == "auto" else args.ray,
        shard_tokens=args.shard_tokens, shard_bytes=shard_bytes, resume=args.resume, overwrite=args.overwrite,
        num_cpus=args.ray_cpus, input_format=args.input_format,
        format=args.format, dtype=args.dtype, json_key=args.json_key, document_per_file=args.document_per_file,
        keep_empty=args.keep_empty, append_eos=args.append_eos, eos_id=args.eos_id,
        add_special_tokens=not args.no_special_tokens, split_special_tokens=args.split_special_tokens,
        errors=args.errors, batch_bytes=batch_bytes, quiet=args.quiet,
    )
    if not args.quiet:
        skipped = ", ".join(f"{kind}: {n:,}" for kind, n in manifest["skipped"].items())
        print(
            f"tokembed encode --ray: {manifest['documents']:,} documents, {manifest['tokens']:,} tokens in "
            f"{len(manifest['shards'])} shards from {len(manifest['inputs'])} inputs on {len(manifest['nodes'])} "
            f"node(s) in {time.perf_counter() - started:.2f} s" + (f"\n  left out or repaired: {skipped}" if skipped else "")
            + f"\n  wrote {args.output}.manifest.json",
            file=sys.stderr,
        )
    return 0


def _main_thread() -> bool:
    import threading

    return threading.current_thread() is threading.main_thread()

