"""tokembed against the exact peer tokenizers fastokens, gigatoken, splintr-rs, tokie and kitoken, and
against tiktoken and HF `tokenizers`: same files, same text, same process per thread count.

    pip install fastokens==0.3.5 gigatoken==0.10.0 splintr-rs==0.22.0 tokie==0.1.4 kitoken==0.11.1
    python benches/bench_peers.py [--repeats 5] [--families gpt2,llama3] [--peers tokie,splintr] [--threads 1,2]
    python benches/bench_peers.py --quick        # tiny sizes: a smoke run that every path works, not a measurement

(the `bench` extra of pyproject.toml pins the versions this was written against.) A full run takes
about 10-15 minutes on a 2-core machine (estimated from --quick rates), most of it in HF `tokenizers`
and tiktoken; `--families`, `--peers` and `--threads` cut it down.

Tokenizers: gpt2 (r50k_base), cl100k_base, o200k_base, llama3 (byte-level BPE) and bert-base-uncased
(WordPiece). Nothing is downloaded: every library loads local files, with the call listed in the
"loaded from" table. The .tiktoken ranks come from ../shared/data/tokenizers (gpt2, cl100k), the
built-in o200k_base (python/tokembed/tokenizers/assets/o200k_base) and the `llama-models` package
(llama3, with Meta's pattern and 256 special tokens). Libraries that read only `tokenizer.json` get the shared files (gpt2, cl100k,
bert) or, for o200k and llama3, a `tokenizer.json` this script writes from the ranks the way the
shared cl100k file was made (Split with the reference pattern + ByteLevel, every two-piece split of
a token as a merge, ignore_merges; it rebuilds the shared cl100k file exactly), cached in
$TMPDIR/tokembed-bench-peers. Truncation and padding are off everywhere (the bert file asks for
both).

Calls timed: tokembed encode_batch_flat; tiktoken encode_ordinary_batch; HF encode_batch_fast;
fastokens encode_batch_flat; gigatoken encode_batch (an awkward array); splintr encode_batch_flat;
tokie encode_batch_flat; kitoken encode_all. Special tokens: the BPE files add none; bert's
[CLS] ... [SEP] template is applied by all but kitoken, which cannot.

Inputs: en_python_docs (its first 4 MB), code_python_stdlib, de_manpages and a multilingual mix, each
cut into ~4 KB documents; single documents of 1 MB (from the rest of en_python_docs); four
pathological 1 MB inputs (one letter repeated, random base64, a digit run, spaces). The mix is the
translated messages of 22 languages from the Debian message catalogs in /usr/share/locale plus
CPython's test/cjkencodings samples, interleaved by document (no text of the other inputs); as what
is installed decides it, its size and SHA-256 are printed. On a pathological input, a library is
first tried on 1/64 to 1/4 of the size, and skipped when one call is predicted to take longer than
--max-call-seconds (and reported so), or when it fails.

Fresh text: each input is cut into repeats + 1 disjoint slices; slice 0 warms every library up and
slice k is timed in repeat k, so no library times text it has encoded before in the process (what
caches learned from other text counts). Pathological inputs are regenerated for every repeat (new
seed, or a length shifted by a few characters). Within a repeat the libraries take turns in a
rotating order, each on its own new str objects (`common.fresh_copies`: none finds the UTF-8 that
another one made CPython keep inside a str). Reported: median MB/s (UTF-8 bytes), and ratios taken per repeat (same slice), then
their median.

Threads: each thread count runs in its own process, pinned to that many CPUs (sched_setaffinity),
with RAYON_NUM_THREADS, FASTOKENS_BPE_THREADS and TOKEMBED_NUM_THREADS set to it: several peers size
process-global pools once, from the CPUs they can see, so one process cannot switch them. Per
library: tokembed.set_num_threads(n); tiktoken num_threads=n; HF TOKENIZERS_PARALLELISM; gigatoken
parallel=(n > 1); fastokens, splintr and tokie through their pools (fastokens and tokie also split
one long text across threads); kitoken has no parallel API ("1 thread only"). The "cores busy"
table (CPU time / wall time) shows what each library really used.

Correctness: every output is compared with the reference's on the same slice: tiktoken for the
tiktoken families, HF `tokenizers` for bert (and wherever tiktoken fails). A library whose ids differ
on any document of a tokenizer is marked "WRONG ids: n/m docs differ" and is no exact peer of that
tokenizer. "best exact peer" is the fastest library other than tokembed whose ids matched on every
document of that tokenizer, in every input and thread count (tiktoken and HF `tokenizers` count: they
are exact by definition, or as checked). kitoken does not apply bert's [CLS]/[SEP] template: its
bert ids are compared without them. Where no reference ran, cells say "(unchecked)".

First call: in a new process per tokenizer and thread count, each library in turn is loaded, then
encodes five fresh ~1 MB batches of ~4 KB documents; the first call (lazy set-up, thread pools,
page faults) is set against the fifth.
"""

from __future__ import annotations

import argparse
import base64
import gc
import gzip
import hashlib
import importlib.metadata
import itertools
import json
import os
import platform
import random
import statistics
import subprocess
import sys
import sysconfig
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Dict, List, Optional, Tuple

import numpy as np

from common import DATA, cut_documents, fresh_copies, locale_messages, megabytes, print_table

ROOT = Path(__file__).resolve().parents[1]
TOK = DATA / "tokenizers"
CORPORA = DATA / "corpora"
CACHE = Path(tempfile.gettempdir()) / "tokembed-bench-peers"
FAMILIES = ["gpt2", "cl100k_base", "o200k_base", "llama3", "bert-base-uncased"]
PEERS = ["tiktoken", "tokenizers", "fastokens", "gigatoken", "splintr", "tokie", "kitoken"]
DISTRIBUTIONS = {"tokembed": "tokembed", "tiktoken": "tiktoken", "tokenizers": "tokenizers", "fastokens": "fastokens",
                 "gigatoken": "gigatoken", "splintr": "splintr-rs", "tokie": "tokie", "kitoken": "kitoken"}
LANGUAGES = ["ar", "bg", "de", "el", "es", "fa", "fr", "he", "hi", "it", "ja", "ka", "ko", "pl", "pt_BR", "ru", "ta",
             "th", "tr", "uk", "vi", "zh_CN"]
PATHOLOGICAL = ["one letter repeated", "random base64", "digit run", "spaces"]


@dataclass
class Sizes:
    docs_region: int  # characters of en_python_docs cut into ~4 KB documents
    corpus_limit: Optional[int]  # characters read of the other corpora (None: all)
    long_doc: int  # one long document (en_python_docs after docs_region)
    long_region: int
    pathological: int
    first_call_batch: int
    mix: int  # bytes of the multilingual mix


FULL = Sizes(4_000_000, None, 1_000_000, 6_000_000, 1_000_000, 1_000_000, 3_000_000)
QUICK = Sizes(160_000, 120_000, 32_000, 200_000, 32_000, 48_000, 120_000)


# ----- text -----------------------------------------------------------------------------------------


def split_even(docs: List[str], parts: int) -> List[List[str]]:
    """`parts` contiguous groups of documents of about equal size in bytes."""
    sizes = np.cumsum([len(d.encode("utf-8")) for d in docs])
    bounds = [0] + [int(np.searchsorted(sizes, sizes[-1] * k / parts)) + 1 for k in range(1, parts)] + [len(docs)]
    groups = [docs[a:b] for a, b in zip(bounds, bounds[1:])]
    if any(not g for g in groups):
        raise SystemExit(f"too little text for {parts} slices: lower --repeats")
    return groups


def read_corpus(name: str, limit: Optional[int]) -> str:
    text = (CORPORA / name).read_text(encoding="utf-8")
    return text if limit is None else text[:limit]


def multilingual_mix(total_bytes: int) -> Tuple[List[str], str]:
    """~4 KB documents of many languages, interleaved, and a description of what they are."""
    per_language = total_bytes // (len(LANGUAGES) + 1)
    texts: Dict[str, str] = {}
    for lang in LANGUAGES:
        messages = locale_messages(lang, per_language)
        if messages:
            texts[lang] = messages
    cjk = Path(sysconfig.get_paths()["stdlib"]) / "test" / "cjkencodings"
    samples = sorted({p.read_text(encoding="utf-8") for p in cjk.glob("*-utf8.txt")})
    if samples:
        texts["cjkencodings"] = "".join(samples)[:per_language]
    streams = [cut_documents(t) for t in texts.values()]
    docs = [d for group in itertools.zip_longest(*streams) for d in group if d is not None]
    digest = hashlib.sha256("".join(docs).encode("utf-8")).hexdigest()[:16]
    what = (f"{len(texts) - bool(samples)} languages from /usr/share/locale/<lang>/LC_MESSAGES/*.mo (message "
            f"texts: {', '.join(l for l in texts if l != 'cjkencodings')})"
            + (" + CPython test/cjkencodings samples" if samples else "") + f", {megabytes(docs):.2f} MB, sha256 {digest}")
    return docs, what


def pathological(kind: str, size: int, k: int) -> str:
    """A fresh pathological text for repeat k (new seed, or a length shifted by k)."""
    rng = random.Random(1000 + k)
    if kind == "one letter repeated":
        return "a" * (size - k % 97)
    if kind == "random base64":
        return base64.b64encode(rng.randbytes(size * 3 // 4)).decode()
    if kind == "digit run":
        return "".join(rng.choices("0123456789", k=size))
    return " " * (size - k % 97)


@dataclass
class Input:
    name: str
    slice: Callable[[int], List[str]]  # slice k of `repeats + 1`; 0 warms up
    probe: Optional[Callable[[int], List[str]]] = None  # pathological: a text of the given size
    what: str = ""


def build_inputs(sizes: Sizes, repeats: int) -> List[Input]:
    n = repeats + 1
    inputs = []
    docs_text = read_corpus("en_python_docs_10MB.txt", sizes.docs_region + sizes.long_region)
    head = docs_text[:sizes.docs_region]
    head = head[:head.rfind("\n") + 1]
    tail = docs_text[len(head):]
    for name, text in [("en_python_docs", head),
                       ("code_python_stdlib", read_corpus("code_python_stdlib_3MB.txt", sizes.corpus_limit)),
                       ("de_manpages", read_corpus("de_manpages_3MB.txt", sizes.corpus_limit))]:
        groups = split_even(cut_documents(text), n)
        inputs.append(Input(name, groups.__getitem__, what=f"{megabytes(sum(groups, [])):.2f} MB, "
                                                         f"{sum(map(len, groups))} docs of ~4 KB"))
    mix, what = multilingual_mix(sizes.mix)
    groups = split_even(mix, n)
    inputs.append(Input("multilingual mix", groups.__getitem__, what=f"{len(mix)} docs of ~4 KB: {what}"))
    long_size = min(sizes.long_doc, len(tail) // n)
    longs, i = [], 0
    for _ in range(n):
        j = tail.find("\n", i + long_size)
        j = len(tail) if j < 0 else j + 1
        longs.append([tail[i:j]])
        i = j
    inputs.append(Input(f"1 doc of {long_size / 1e6:.2g} MB", longs.__getitem__,
                        what=f"one document per repeat, from en_python_docs after its first {len(head) / 1e6:.2f} MB"))
    for kind in PATHOLOGICAL:
        inputs.append(Input(f"{kind} ({sizes.pathological / 1e6:g} MB)",
                            lambda k, kind=kind: [pathological(kind, sizes.pathological, k)],
                            probe=lambda size, kind=kind: [pathological(kind, size, 500 + size % 89)],
                            what="regenerated for every repeat"))
    return inputs


# ----- tokenizer files ------------------------------------------------------------------------------


@dataclass
class Family:
    name: str
    json: Path  # tokenizer.json for the libraries that read only that
    reference: str  # "tiktoken" or "tokenizers"
    ranks: Optional[Path] = None
    pattern: Optional[str] = None  # the reference's split regex
    specials: Dict[str, int] = field(default_factory=dict)
    tokembed_pattern: Optional[str] = None  # tokembed's name for the pattern
    gigatoken_scheme: Optional[str] = None
    splintr_pattern: Optional[str] = None  # name of splintr's constant for the pattern
    pattern_source: str = "tiktoken's"  # whose definition the pattern and special tokens are
    kitoken_from_ranks: bool = False  # kitoken infers pattern and specials of OpenAI's files
    nopad_json: Optional[Path] = None  # the json without truncation/padding, for who cannot switch them off
    wordpiece: bool = False


def cached(name: str, key: bytes, make: Callable[[], bytes]) -> Path:
    CACHE.mkdir(parents=True, exist_ok=True)
    path = CACHE / f"{hashlib.sha256(key).hexdigest()[:16]}-{name}"
    if not path.exists():
        tmp = path.with_suffix(f".{os.getpid()}.tmp")
        tmp.write_bytes(make())
        tmp.replace(path)
    return path


def read_ranks(path: Path) -> Dict[bytes, int]:
    ranks = {}
    for line in path.read_bytes().splitlines():
        if line.strip():
            token, rank = line.split()
            ranks[base64.b64decode(token)] = int(rank)
    return ranks


def byte_level_alphabet() -> Dict[int, str]:
    """GPT-2's byte -> printable character map."""
    printable = list(range(ord("!"), ord("~") + 1)) + list(range(ord("¡"), ord("¬") + 1)) + list(range(ord("®"), ord("ÿ") + 1))
    chars, extra = {}, 0
    for b in range(256):
        if b in printable:
            chars[b] = chr(b)
        else:
            chars[b] = chr(256 + extra)
            extra += 1
    return chars


def tokenizer_json_from_ranks(ranks_path: Path, pattern: str, specials: Dict[str, int]) -> bytes:
    """A byte-level BPE tokenizer.json with tiktoken's semantics, built as the shared cl100k file was
    (it reproduces that file's vocab and merges from cl100k_base.tiktoken)."""
    ranks = read_ranks(ranks_path)
    alphabet = byte_level_alphabet()

    def text(b: bytes) -> str:
        return "".join(alphabet[x] for x in b)

    merges = sorted((rank, ranks[t[:i]], ranks[t[i:]], t[:i], t[i:]) for t, rank in ranks.items()
                    for i in range(1, len(t)) if t[:i] in ranks and t[i:] in ranks)
    vocab = {text(t): r for t, r in ranks.items()}
    vocab.update(specials)
    byte_level = {"type": "ByteLevel", "add_prefix_space": False, "trim_offsets": True, "use_regex": False}
    document = {
        "version": "1.0", "truncation": None, "padding": None,
        "added_tokens": [{"id": i, "content": t, "single_word": False, "lstrip": False, "rstrip": False,
                          "normalized": False, "special": True} for t, i in sorted(specials.items(), key=lambda kv: kv[1])],
        "normalizer": None,
        "pre_tokenizer": {"type": "Sequence", "pretokenizers": [
            {"type": "Split", "pattern": {"Regex": pattern}, "behavior": "Isolated", "invert": False}, byte_level]},
        "post_processor": None,
        "decoder": dict(byte_level, add_prefix_space=True, use_regex=True),
        "model": {"type": "BPE", "dropout": None, "unk_token": None, "continuing_subword_prefix": None,
                  "end_of_word_suffix": None, "fuse_unk": False, "byte_fallback": False, "ignore_merges": True,
                  "vocab": vocab, "merges": [[text(m[3]), text(m[4])] for m in merges]},
    }
    return json.dumps(document, ensure_ascii=False).encode("utf-8")


def openai_definition(name: str, ranks: Path) -> dict:
    """tiktoken's own definition of an OpenAI encoding (pattern, special tokens), ranks from `ranks`."""
    import tiktoken.load
    import tiktoken_ext.openai_public as openai_public

    original = openai_public.load_tiktoken_bpe
    openai_public.load_tiktoken_bpe = lambda *_, **__: tiktoken.load.load_tiktoken_bpe(str(ranks))
    try:
        return getattr(openai_public, name)()
    finally:
        openai_public.load_tiktoken_bpe = original


def family(name: str) -> Family:
    if name == "bert-base-uncased":
        path = TOK / name / "tokenizer.json"

        def nopad() -> bytes:
            document = json.loads(path.read_text(encoding="utf-8"))
            document["truncation"] = document["padding"] = None
            return json.dumps(document, ensure_ascii=False).encode("utf-8")

        return Family(name, path, "tokenizers", nopad_json=cached("bert.nopad.tokenizer.json", path.read_bytes(), nopad),
                      wordpiece=True)
    if name == "llama3":
        from llama_models.llama3 import tokenizer as meta  # pip install llama-models (test extra)

        ranks = Path(meta.__file__).resolve().parent / "tokenizer.model"
        pattern, specials = meta.Tokenizer.pat_str, dict(meta.Tokenizer(ranks).special_tokens)
        tokembed_pattern, scheme, splintr, kitoken_ranks = "llama3", None, "LLAMA3_PATTERN", False
    else:
        if name == "o200k_base":
            gz = ROOT / "python" / "tokembed" / "tokenizers" / "assets" / "o200k_base" / "o200k_base.tiktoken.gz"
            ranks = cached("o200k_base.tiktoken", gz.read_bytes(), lambda: gzip.decompress(gz.read_bytes()))
        else:
            ranks = TOK / name / f"{name}.tiktoken"
        definition = openai_definition("r50k_base" if name == "gpt2" else name, ranks)
        pattern, specials = definition["pat_str"], definition["special_tokens"]
        tokembed_pattern = name
        scheme = {"gpt2": "gpt2", "cl100k_base": "cl100k", "o200k_base": "o200k"}[name]
        splintr = {"gpt2": "GPT2_PATTERN", "cl100k_base": "CL100K_BASE_PATTERN", "o200k_base": "O200K_BASE_PATTERN"}[name]
        kitoken_ranks = True
    shared = TOK / name / "tokenizer.json"
    if shared.exists():
        json_path = shared
    else:
        key = ranks.read_bytes() + pattern.encode() + json.dumps(specials, sort_keys=True).encode() + b"v1"
        json_path = cached(f"{name}.tokenizer.json", key, lambda: tokenizer_json_from_ranks(ranks, pattern, specials))
    return Family(name, json_path, "tiktoken", ranks, pattern, specials, tokembed_pattern, scheme, splintr,
                  "Meta's" if name == "llama3" else "tiktoken's", kitoken_ranks)


# ----- the libraries --------------------------------------------------------------------------------


class Unsupported(Exception):
    pass


def fatal(error: BaseException) -> None:
    """Re-raises what must stop the run; anything else (pyo3 panics are BaseExceptions too) is reported."""
    if isinstance(error, (KeyboardInterrupt, SystemExit, MemoryError)):
        raise error


def short(error: BaseException) -> str:
    text = " ".join(str(error).split()) or type(error).__name__
    return text if len(text) <= 120 else text[:117] + "..."


def lists_to_flat(lists) -> Tuple[np.ndarray, np.ndarray]:
    lengths = np.fromiter((len(x) for x in lists), dtype=np.int64, count=len(lists))
    ids = np.fromiter(itertools.chain.from_iterable(lists), dtype=np.uint32, count=int(lengths.sum()))
    return ids, np.concatenate([[0], np.cumsum(lengths)])


def bytes_to_flat(ids: bytes, offsets: bytes) -> Tuple[np.ndarray, np.ndarray]:
    return np.frombuffer(ids, dtype=np.uint32), np.frombuffer(offsets, dtype=np.uint64).astype(np.int64)


class Lib:
    """One library: how it loads a family from local files, encodes a batch, and what it returned."""
    name = ""
    threads_note = ""

    def load(self, fam: Family):  # -> (handle, how it was loaded)
        raise NotImplementedError

    def encode(self, handle, docs: List[str], threads: int):
        raise NotImplementedError

    def flat(self, output) -> Tuple[np.ndarray, np.ndarray]:
        return lists_to_flat(output)

    def template(self, fam: Family) -> bool:
        """Whether its ids have the [CLS] ... [SEP] frame (bert)."""
        return fam.wordpiece


class Tokembed(Lib):
    name, threads_note = "tokembed", "set_num_threads(n)"

    def load(self, fam):
        import tokembed
        if fam.wordpiece:
            return tokembed.Tokenizer.from_file(fam.json), f"Tokenizer.from_file({fam.json.name})"
        return (tokembed.Tokenizer.from_tiktoken(fam.ranks, fam.tokembed_pattern, fam.specials),
                f"Tokenizer.from_tiktoken({fam.ranks.name}, {fam.tokembed_pattern!r}, specials)")

    def encode(self, handle, docs, threads):
        return handle.encode_batch_flat(docs)

    def flat(self, output):
        return output[0], output[1].astype(np.int64)


class Tiktoken(Lib):
    name, threads_note = "tiktoken", "encode_ordinary_batch(num_threads=n)"

    def load(self, fam):
        import tiktoken
        import tiktoken.load
        if fam.wordpiece:
            raise Unsupported("no WordPiece")
        encoding = tiktoken.Encoding(fam.name, pat_str=fam.pattern, special_tokens=fam.specials,
                                     mergeable_ranks=tiktoken.load.load_tiktoken_bpe(str(fam.ranks)))
        return encoding, f"Encoding(load_tiktoken_bpe({fam.ranks.name}), {fam.pattern_source} pattern and specials)"

    def encode(self, handle, docs, threads):
        return handle.encode_ordinary_batch(docs, num_threads=threads)


class HFTokenizers(Lib):
    name, threads_note = "tokenizers", "TOKENIZERS_PARALLELISM + RAYON_NUM_THREADS"

    def load(self, fam):
        from tokenizers import Tokenizer
        tok = Tokenizer.from_file(str(fam.json))
        tok.no_truncation()
        tok.no_padding()
        self.fast = hasattr(tok, "encode_batch_fast")
        return tok, f"Tokenizer.from_file({fam.json.name}); no_truncation/no_padding"

    def encode(self, handle, docs, threads):
        return handle.encode_batch_fast(docs) if self.fast else handle.encode_batch(docs)

    def flat(self, output):
        return lists_to_flat([e.ids for e in output])


class Fastokens(Lib):
    name, threads_note = "fastokens", "RAYON_NUM_THREADS + FASTOKENS_BPE_THREADS (per process)"

    def load(self, fam):
        import fastokens
        if not fam.wordpiece:
            try:
                return (fastokens.Tokenizer.from_tiktoken(str(fam.ranks), fam.pattern, fam.specials),
                        f"Tokenizer.from_tiktoken({fam.ranks.name}, pattern, specials)")
            except BaseException as e:  # pyo3 panics are BaseExceptions
                fatal(e)
                failed = f"from_tiktoken failed ({short(e)}); "
        else:
            failed = ""
        tok = fastokens.Tokenizer.from_file(str(fam.json))
        tok.no_truncation()
        tok.no_padding()
        return tok, failed + f"Tokenizer.from_file({fam.json.name})"

    def encode(self, handle, docs, threads):
        return handle.encode_batch_flat(docs, add_special_tokens=True)

    def flat(self, output):
        return bytes_to_flat(*output)


class Gigatoken(Lib):
    name, threads_note = "gigatoken", "encode_batch(parallel=n > 1) + RAYON_NUM_THREADS"

    def load(self, fam):
        import gigatoken
        if fam.gigatoken_scheme:
            return (gigatoken.Tokenizer.from_tiktoken(str(fam.ranks), fam.gigatoken_scheme, fam.specials),
                    f"Tokenizer.from_tiktoken({fam.ranks.name}, {fam.gigatoken_scheme!r}, specials)")
        return gigatoken.Tokenizer(str(fam.json)), f"Tokenizer({fam.json.name}) (no {fam.name} scheme for .tiktoken)"

    def encode(self, handle, docs, threads):
        return handle.encode_batch(docs, parallel=threads > 1)

    def flat(self, output):
        import awkward as ak
        lengths = ak.to_numpy(ak.num(output)).astype(np.int64)
        return ak.to_numpy(ak.flatten(output)).astype(np.uint32), np.concatenate([[0], np.cumsum(lengths)])


class Splintr(Lib):
    name, threads_note = "splintr", "RAYON_NUM_THREADS (per process)"

    def load(self, fam):
        import splintr
        if fam.wordpiece:
            return splintr.from_json(str(fam.json)), f"from_json({fam.json.name})"
        # splintr's regex engine has no possessive quantifiers: its own constant spells each pattern
        return (splintr.Tokenizer(str(fam.ranks), getattr(splintr, fam.splintr_pattern), fam.specials),
                f"Tokenizer({fam.ranks.name}, splintr.{fam.splintr_pattern}, specials)")

    def encode(self, handle, docs, threads):
        return handle.encode_batch_flat(docs)

    def flat(self, output):
        return bytes_to_flat(*output)


class Tokie(Lib):
    name, threads_note = "tokie", "its own threads, sized from the CPUs it may use (pinning)"

    def load(self, fam):
        import tokie
        tok = tokie.Tokenizer.from_json(str(fam.json))
        tok.no_truncation()
        tok.no_padding()
        return tok, f"Tokenizer.from_json({fam.json.name}); no_truncation/no_padding"

    def encode(self, handle, docs, threads):
        return handle.encode_batch_flat(docs, add_special_tokens=True)

    def flat(self, output):
        ids, lengths = output
        return ids, np.concatenate([[0], np.cumsum(lengths.astype(np.int64))])


class Kitoken(Lib):
    name, threads_note = "kitoken", "1 thread only (no parallel API)"

    def load(self, fam):
        import kitoken
        if fam.kitoken_from_ranks:
            return kitoken.Kitoken.from_tiktoken_file(str(fam.ranks)), f"Kitoken.from_tiktoken_file({fam.ranks.name})"
        path = fam.nopad_json or fam.json
        how = f"Kitoken.from_tokenizers_file({path.name})"
        if fam.nopad_json:
            how += " (the bert file with truncation and padding removed: kitoken has no switch)"
        elif not fam.wordpiece:
            how += " (from_tiktoken_file would take cl100k's special tokens)"
        return kitoken.Kitoken.from_tokenizers_file(str(path)), how

    def encode(self, handle, docs, threads):
        return handle.encode_all(docs)

    def template(self, fam):
        return False


LIBS = {lib.name: lib for lib in [Tokembed(), Tiktoken(), HFTokenizers(), Fastokens(), Gigatoken(), Splintr(), Tokie(), Kitoken()]}


def versions() -> Dict[str, str]:
    out = {}
    for name, dist in list(DISTRIBUTIONS.items()) + [("llama-models", "llama-models"), ("awkward", "awkward")]:
        try:
            out[name] = importlib.metadata.version(dist)
        except importlib.metadata.PackageNotFoundError:
            out[name] = "not installed"
    return out


# ----- measuring (in a child process per thread count) -----------------------------------------------


class Recorder:
    def __init__(self, path: Optional[str]):
        self.file = open(path, "a", encoding="utf-8") if path else None

    def __call__(self, **record) -> None:
        if self.file:
            self.file.write(json.dumps(record) + "\n")
            self.file.flush()


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def pin(threads: int) -> List[int]:
    cpus = sorted(os.sched_getaffinity(0))
    if threads > len(cpus):
        raise SystemExit(f"{threads} threads asked, {len(cpus)} CPUs available")
    os.sched_setaffinity(0, cpus[:threads])
    return cpus[:threads]


def timed(fn: Callable[[], object]) -> Tuple[float, float, object]:
    gc.collect()
    cpu, start = time.process_time(), time.perf_counter()
    out = fn()
    return time.perf_counter() - start, time.process_time() - cpu, out


def differing(got: Tuple[np.ndarray, np.ndarray], ref: Tuple[np.ndarray, np.ndarray], strip_got: int, strip_ref: int) -> int:
    """How many documents have other ids than the reference (strip_*: 1 drops a [CLS]/[SEP] frame)."""
    (ids, offsets), (ref_ids, ref_offsets) = got, ref
    if len(offsets) != len(ref_offsets):
        return len(ref_offsets) - 1
    if strip_got == strip_ref and np.array_equal(offsets, ref_offsets) and np.array_equal(ids, ref_ids):
        return 0
    return sum(not np.array_equal(ids[offsets[i] + strip_got:offsets[i + 1] - strip_got],
                                  ref_ids[ref_offsets[i] + strip_ref:ref_offsets[i + 1] - strip_ref])
               for i in range(len(offsets) - 1))


def load_all(fam: Family, names: List[str], record: Recorder, threads: int, phase: str) -> Dict[str, object]:
    handles = {}
    for name in names:
        lib = LIBS[name]
        try:
            start = time.perf_counter()
            handle, how = lib.load(fam)
            seconds = time.perf_counter() - start
        except BaseException as e:
            fatal(e)
            how = f"cannot load: {short(e)}" if not isinstance(e, (Unsupported, ImportError)) else f"— ({short(e)})"
            record(type="load", phase=phase, family=fam.name, lib=name, threads=threads, ok=False, how=how)
            continue
        handles[name] = handle
        record(type="load", phase=phase, family=fam.name, lib=name, threads=threads, ok=True, how=how, seconds=seconds)
    return handles


def probe(lib: Lib, handle, inp: Input, full: int, threads: int, max_call: float) -> str:
    """"ok" unless one full-size call is predicted to take longer than max_call, or a call fails. After
    one untimed call (set-up done on first use is not what a call costs), sizes
    double from 1/64 of the full size to 1/4; the growth seen between the last two (taken as n^1 to
    n^2) predicts the full size, so no probe costs more than about four times the one before."""
    previous = None
    try:  # one untimed call first: one-time set-up (a table built on first use) is not a call's cost
        lib.encode(handle, inp.probe(full // 64), threads)
    except BaseException as e:
        fatal(e)
        return f"error: {short(e)}"
    for size in (full // 64, full // 32, full // 16, full // 8, full // 4):
        try:
            seconds = timed(lambda: lib.encode(handle, inp.probe(size), threads))[0]
        except BaseException as e:
            fatal(e)
            return f"error: {short(e)}"
        growth = 1.0
        if previous is not None and seconds > 0.005:
            growth = min(max(np.log(seconds / max(previous, 1e-6)) / np.log(2), 1.0), 2.0)
        predicted = seconds * (full / size) ** growth
        if predicted > max_call:
            return f"skipped: ~{predicted:.2g} s a call (predicted from {size / 1000:.3g} KB)"
        previous = seconds
    return "ok"


def run_input(fam: Family, handles: Dict[str, object], inp: Input, repeats: int, threads: int, record: Recorder,
              max_call: float) -> None:
    names = list(handles)
    status = {name: "ok" for name in names}
    if inp.probe:  # guard against libraries that are superlinear on this input
        full = len(inp.slice(0)[0])
        for name in names:
            status[name] = probe(LIBS[name], handles[name], inp, full, threads, max_call)
    runs = {name: [] for name in names}
    diffs = {name: [0, 0] for name in names}
    refs = set()
    for k in range(repeats + 1):
        docs = inp.slice(k)
        mb = megabytes(docs)
        order = names[k % len(names):] + names[:k % len(names)]
        outputs = {}
        for name in order:
            if status[name] != "ok":
                continue
            lib = LIBS[name]
            own = fresh_copies(docs)
            try:
                wall, cpu, out = timed(lambda: lib.encode(handles[name], own, threads))
            except BaseException as e:
                fatal(e)
                status[name] = f"error: {short(e)}"
                continue
            if k:
                runs[name].append([k, mb, wall, cpu])
            outputs[name] = lib.flat(out)
            del out
        ref = fam.reference if fam.reference in outputs else ("tokenizers" if "tokenizers" in outputs else None)
        if ref is None:
            continue
        refs.add(ref)
        for name, got in outputs.items():
            strip_ref = int(LIBS[ref].template(fam))
            strip_got = int(LIBS[name].template(fam))
            diffs[name][0] += differing(got, outputs[ref], strip_got, strip_ref)
            diffs[name][1] += len(docs)
    for name in names:
        record(type="run", family=fam.name, input=inp.name, lib=name, threads=threads, status=status[name],
               runs=runs[name], diff=diffs[name][0], docs=diffs[name][1], ref=",".join(sorted(refs)))


def child_throughput(args, sizes: Sizes, threads: int, record: Recorder) -> None:
    import tokembed
    tokembed.set_num_threads(threads)
    record(type="meta", threads=threads, cpus=sorted(os.sched_getaffinity(0)), versions=versions(),
           python=platform.python_version(), machine=platform.machine(), cpu_count=os.cpu_count())
    inputs = build_inputs(sizes, args.repeats)
    for inp in inputs:
        record(type="input", name=inp.name, what=inp.what)
    for name in args.families:
        fam = family(name)
        handles = load_all(fam, ["tokembed"] + args.peers, record, threads, "throughput")
        for inp in inputs:
            log(f"[{threads} thread(s)] {name}: {inp.name}")
            record(type="start", family=name, input=inp.name, threads=threads)
            run_input(fam, handles, inp, args.repeats, threads, record, args.max_call_seconds)
        del handles
        gc.collect()


def child_first_call(args, sizes: Sizes, threads: int, record: Recorder, name: str) -> None:
    import tokembed
    tokembed.set_num_threads(threads)
    fam = family(name)
    text = read_corpus("en_python_docs_10MB.txt", 5 * sizes.first_call_batch + 10_000)
    batches = split_even(cut_documents(text), 5)
    for lib_name in ["tokembed"] + args.peers:
        handles = load_all(fam, [lib_name], record, threads, "first call")
        if lib_name not in handles:
            continue
        lib = LIBS[lib_name]
        calls = []
        for batch in batches:
            own = fresh_copies(batch)
            wall, _, out = timed(lambda: lib.encode(handles[lib_name], own, threads))
            calls.append([megabytes(batch), wall])
            del out
        record(type="first", family=name, lib=lib_name, threads=threads, calls=calls)
        del handles
        gc.collect()


# ----- the report -----------------------------------------------------------------------------------


def rate(mb_per_s: float) -> str:
    return f"{mb_per_s:.1f}" if mb_per_s >= 10 else f"{mb_per_s:.3g}"


def median(values):
    return statistics.median(values) if values else None


def report(records: List[dict], args) -> None:
    # One record per thread count (each family's process writes its own).
    meta = list({r["threads"]: r for r in records if r["type"] == "meta"}.values())
    runs = [r for r in records if r["type"] == "run"]
    if not meta:
        print("no results")
        return
    v = meta[0]
    print(f"Python {v['python']} on {v['machine']}, {v['cpu_count']} CPUs; per thread count a process pinned to "
          f"that many CPUs; median of {args.repeats} repeats on fresh text" + (" (--quick sizes)" if args.quick else ""))
    print()
    print_table(["library", "version", "threads"],
                [[name, v["versions"].get(name, "?"), LIBS[name].threads_note] for name in ["tokembed"] + args.peers])
    print(f"\nllama3's ranks from llama-models {v['versions'].get('llama-models')}; gigatoken's arrays are awkward "
          f"{v['versions'].get('awkward')}. Thread counts: {', '.join(str(m['threads']) for m in meta)}, "
          f"pinned to CPUs {'; '.join(str(m['cpus']) for m in meta)}.")
    print()
    seen = {}
    for r in records:
        if r["type"] == "input":
            seen.setdefault(r["name"], r["what"])
    print_table(["input", "what"], list(seen.items()))
    print()

    loads = {}
    for r in records:
        if r["type"] == "load":
            entry = loads.setdefault((r["family"], r["lib"]), {"how": r["how"], "ok": r["ok"], "cold": None})
            if r["phase"] == "first call" and r["ok"]:
                entry["cold"] = r["seconds"] if entry["cold"] is None else min(entry["cold"], r["seconds"])
    print_table(["tokenizer", "library", "loaded from (local files only)", "load s (new process)"],
                [[f, l, e["how"], f"{e['cold']:.2f}" if e["cold"] is not None else ""]
                 for (f, l), e in loads.items()])
    print()

    # Which libraries are exact for a tokenizer: no differing document on any input, any thread count.
    wrong: Dict[Tuple[str, str], List[str]] = {}
    checked: Dict[Tuple[str, str], int] = {}
    for r in runs:
        key = (r["family"], r["lib"])
        checked[key] = checked.get(key, 0) + r["docs"]
        if r["diff"]:
            wrong.setdefault(key, []).append(f"{r['input']} ({r['threads']} thr): {r['diff']}/{r['docs']}")

    def rate_table(family_name: str) -> None:
        rows = []
        by_key = {(r["input"], r["threads"], r["lib"]): r for r in runs if r["family"] == family_name}
        inputs = list(dict.fromkeys(r["input"] for r in runs if r["family"] == family_name))
        libs = ["tokembed"] + [p for p in args.peers if any(k[2] == p for k in by_key)]
        for threads in sorted({r["threads"] for r in runs}):
            for inp in inputs:
                base = by_key.get((inp, threads, "tokembed"))
                base_rate = {k: mb / wall for k, mb, wall, _ in base["runs"]} if base else {}
                row, best = [inp, threads], None
                for lib in libs:
                    r = by_key.get((inp, threads, lib))
                    if r is None:
                        row.append("—")
                        continue
                    rates = {k: mb / wall for k, mb, wall, _ in r["runs"]}
                    if not rates:
                        row.append(r["status"])
                        continue
                    cell = rate(median(list(rates.values())))
                    if lib != "tokembed" and base_rate:
                        ratio = median([rates[k] / base_rate[k] for k in rates if k in base_rate])
                        cell += f" ({ratio:.2f}x)"
                    if r["status"] != "ok":
                        cell += f" (then {r['status']})"
                    if r["diff"]:
                        cell += f" WRONG ids: {r['diff']}/{r['docs']} docs differ"
                    elif not r["docs"]:
                        cell += " (unchecked)"
                    if lib == "kitoken" and threads > 1:
                        cell += " (1 thread only)"
                    row.append(cell)
                    exact = r["docs"] and (family_name, lib) not in wrong
                    if lib != "tokembed" and exact:
                        m = median(list(rates.values()))
                        if best is None or m > best[1]:
                            best = (lib, m, rates)
                if best and base_rate:
                    ratio = median([base_rate[k] / best[2][k] for k in best[2] if k in base_rate])
                    row += [f"{best[0]} {rate(best[1])}", f"{ratio:.2f}x"]
                else:
                    row += ["—", "—"]
                rows.append(row)
        print(f"### {family_name}: MB/s (peer ÷ tokembed, per repeat, median)")
        print()
        print_table(["input", "threads"] + libs + ["best exact peer", "tokembed ÷ best exact peer"], rows)
        print()

    for family_name in args.families:
        if any(r["family"] == family_name for r in runs):
            rate_table(family_name)

    rows = []
    for family_name in args.families:
        for lib in ["tokembed"] + args.peers:
            key = (family_name, lib)
            if key not in checked:
                continue
            refs = sorted({x for r in runs if (r["family"], r["lib"]) == key for x in r["ref"].split(",") if x})
            if key in wrong:
                verdict = "WRONG ids: " + "; ".join(wrong[key])
            elif checked[key]:
                verdict = f"exact ({checked[key]} docs)"
            else:
                verdict = "unchecked"
            errors = sorted({f"{r['input']}: {r['status']}" for r in runs if (r["family"], r["lib"]) == key and r["status"] != "ok"})
            rows.append([family_name, lib, "/".join(refs), verdict, "; ".join(errors)])
    print("### ids against the reference")
    print()
    print_table(["tokenizer", "library", "reference", "ids", "errors / skipped"], rows)
    print()

    rows = []
    for family_name in args.families:
        row = [family_name]
        libs = ["tokembed"] + args.peers
        for lib in libs:
            cells = []
            for threads in sorted({r["threads"] for r in runs}):
                ratios = [cpu / wall for r in runs if (r["family"], r["lib"], r["threads"]) == (family_name, lib, threads)
                          and not r["input"].startswith(tuple(PATHOLOGICAL)) for _, _, wall, cpu in r["runs"]]
                cells.append(f"{median(ratios):.2f}" if ratios else "—")
            row.append(" / ".join(cells))
        rows.append(row)
    print("### cores busy (CPU time ÷ wall time, median over the ~4 KB-document and 1 MB inputs), "
          + " / ".join(f"{t} thr" for t in sorted({r['threads'] for r in runs})))
    print()
    print_table(["tokenizer"] + ["tokembed"] + args.peers, rows)
    print()

    firsts = [r for r in records if r["type"] == "first"]
    if firsts:
        rows = []
        for r in firsts:
            (mb1, t1), (_, t5) = r["calls"][0], r["calls"][-1]
            load = next((x["seconds"] for x in records if x["type"] == "load" and x["phase"] == "first call"
                         and (x["family"], x["lib"], x["threads"]) == (r["family"], r["lib"], r["threads"]) and x["ok"]), None)
            rows.append([r["family"], r["threads"], r["lib"], f"{load:.2f}" if load is not None else "",
                         f"{mb1:.2f}", f"{t1 * 1e3:.0f}", f"{t5 * 1e3:.0f}", f"{t1 / t5:.2f}x"])
        print("### first call: load, then five fresh batches of ~4 KB documents in a new process")
        print()
        print_table(["tokenizer", "threads", "library", "load s", "batch MB", "1st call ms", "5th call ms",
                     "1st ÷ 5th"], rows)
        print()


# ----- main -----------------------------------------------------------------------------------------


def child_env(threads: int) -> Dict[str, str]:
    env = dict(os.environ)
    for name in ["FASTOKENS_INPUT_CACHE", "FASTOKENS_SEGMENT_CACHE"]:
        env.pop(name, None)  # library defaults: caches off
    env.update(RAYON_NUM_THREADS=str(threads), FASTOKENS_BPE_THREADS=str(threads), TOKEMBED_NUM_THREADS=str(threads),
               TOKENIZERS_PARALLELISM="true" if threads > 1 else "false",
               HF_HUB_OFFLINE="1", HF_DATASETS_OFFLINE="1", TRANSFORMERS_OFFLINE="1")
    return env


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeats", type=int, default=None, help="timed repeats (default 5; 3 with --quick)")
    parser.add_argument("--families", default=",".join(FAMILIES), help=f"comma-separated, of {','.join(FAMILIES)}")
    parser.add_argument("--peers", default=",".join(PEERS),
                        help=f"comma-separated, of {','.join(PEERS)}; the reference (tiktoken, or tokenizers for "
                             f"bert) always runs, to check ids")
    parser.add_argument("--threads", default="1,2", help="thread counts, each in its own pinned process")
    parser.add_argument("--quick", action="store_true", help="tiny sizes: a smoke run, not a measurement")
    parser.add_argument("--no-first-call", action="store_true", help="skip the first-call processes")
    parser.add_argument("--max-call-seconds", type=float, default=10.0,
                        help="skip a library on a pathological input when one call would take longer (predicted)")
    parser.add_argument("--save", help="also write every record (JSON lines) to this file")
    parser.add_argument("--child", help=argparse.SUPPRESS)  # "throughput:<family>" or "first:<family>"
    parser.add_argument("--out", help=argparse.SUPPRESS)
    args = parser.parse_args()
    args.repeats = args.repeats or (3 if args.quick else 5)
    args.families = [f for f in args.families.split(",") if f]
    wanted = [p for p in args.peers.split(",") if p]
    for name in args.families + wanted:
        if name not in FAMILIES + PEERS:
            parser.error(f"unknown family or peer {name!r}")
    needed = {"tiktoken"} if any(f != "bert-base-uncased" for f in args.families) else set()
    needed |= {"tokenizers"} if "bert-base-uncased" in args.families else set()
    args.peers = [p for p in PEERS if p in wanted or p in needed]
    sizes = QUICK if args.quick else FULL

    if args.child:
        threads = int(args.threads)
        pin(threads)
        record = Recorder(args.out)
        if args.child.startswith("throughput:"):
            # One process per family: a library that aborts (a peer's regex overflowing its
            # stack on 1 MB of spaces) loses only that family's remaining rows.
            args.families = [args.child.split(":", 1)[1]]
            child_throughput(args, sizes, threads, record)
        else:
            child_first_call(args, sizes, threads, record, args.child.split(":", 1)[1])
        return

    out = Path(args.save) if args.save else Path(tempfile.mkstemp(prefix="bench_peers.", suffix=".jsonl")[1])
    out.write_text("")
    started = time.perf_counter()
    common = [sys.executable, str(Path(__file__).resolve()), "--repeats", str(args.repeats), "--families",
              ",".join(args.families), "--peers", ",".join(args.peers), "--max-call-seconds", str(args.max_call_seconds),
              "--out", str(out)] + (["--quick"] if args.quick else [])
    for threads in [int(t) for t in args.threads.split(",")]:
        jobs = [f"throughput:{f}" for f in args.families]
        jobs += [] if args.no_first_call else [f"first:{f}" for f in args.families]
        for job in jobs:
            log(f"--- {threads} thread(s): {job}")
            done = subprocess.run(common + ["--threads", str(threads), "--child", job], env=child_env(threads))
            if done.returncode:
                last = [json.loads(line) for line in out.read_text().splitlines() if line.strip()]
                running = next((r for r in reversed(last) if r["type"] == "start"), None)
                print(f"**{job} with {threads} thread(s) ended with code {done.returncode}**"
                      + (f" while running {running['family']} / {running['input']}" if running else "")
                      + ": the tables show what finished.\n")
    records = [json.loads(line) for line in out.read_text().splitlines() if line.strip()]
    report(records, args)
    print(f"({time.perf_counter() - started:.0f} s in all)")
    if not args.save:
        out.unlink()


if __name__ == "__main__":
    main()
