"""SentencePiece tokenizers: tokembed against the `sentencepiece` library, HF `tokenizers` and kitoken,
same files, same text, one process.

    pip install -e ".[test,bench]"
    python benches/bench_sentencepiece.py [--repeats 3] [--mb 0.75] [--linear] [--check]

Tokenizers (nothing downloaded): Mistral v1, SentencePiece BPE with byte fallback (its `.model` for
sentencepiece, kitoken and `Tokenizer.from_sentencepiece`; its legacy `tokenizer.json` for HF and
`Tokenizer.from_file`), the botchan Unigram (`.model` and `tokenizer.json`), the Japanese Unigram of
the sentencepiece sources (`.model` only) and XLM-R's Unigram (250,002 pieces, precompiled nmt_nfkc
normalizer; `.model` and `tokenizer.json`), rebuilt at startup into a temporary folder from
tests/data/ggml-vocab-nomic-bert-moe.gguf.gz by tests/gguf_vocab.py, as tests/test_xlmr_unigram.py
rebuilds and checks it.

Inputs: ~4 KB documents of English (en_python_docs), Japanese (tests/data/sentencepiece, Natsume
Soseki), Chinese and Russian (the Debian message catalogs of zh_CN and ru), `--mb` MB per timed
slice. Each input is cut into repeats + 1 disjoint slices: slice 0 warms every library up, slice k
is timed in repeat k, libraries taking turns in a rotating order, so nobody times text it has
encoded before (caches warmed on other text count); each library gets its own new str objects
(`common.fresh_copies`), so none finds the UTF-8 that another one made CPython keep. Reported: median MB/s (UTF-8 bytes) and the
median of per-repeat ratios. Calls: sentencepiece `encode(list)`, HF `encode_batch_fast` (no
special tokens), kitoken `encode_all`, tokembed `encode_batch_flat`. Only the call is timed, up to
each library's own answer (lists, encodings, arrays), not the glue that flattens it into one list
of ids for the check. One thread unless the column says 2 (tokembed with `set_num_threads(2)`;
the others have no thread switch here). Every output is checked against its reference (sentencepiece for a `.model`, HF for a `tokenizer.json`), and a
wrong one is marked.

`--linear`: one document without spaces of 10 KB to 10 MB (Chinese, one repeated character, random
bytes for byte fallback) under the `.model` BPE and Unigram: MB/s per size and the spread. Each
repeat is a new text (one character's aside), so the word caches have not seen it.

`--check`: build every tokenizer and check each library's ids on one small document of each language
against its reference, without timing anything (exit status 1 if tokembed's are wrong).
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Callable, Dict, List, Optional, Tuple


sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
from common import DATA, cut_documents, fresh_copies, locale_messages, megabytes, print_table  # noqa: E402
from gguf_vocab import build_xlmr  # noqa: E402

os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
import sentencepiece  # noqa: E402
import tokenizers  # noqa: E402

import tokembed  # noqa: E402

SP = DATA / "tokenizers" / "sentencepiece"
LOCAL = Path(__file__).resolve().parents[1] / "tests" / "data" / "sentencepiece"
XLMR = "XLM-R Unigram (250k, Precompiled)"
TOKENIZERS = {
    # name: (.model or None, tokenizer.json or None); XLM-R's are written by `tokenizer_files`
    "Mistral v1 BPE (32k, byte fallback)": (SP / "mistral_v1.model", SP / "mistral_v1.legacy.tokenizer.json"),
    "botchan Unigram (1k)": (SP / "botchan_en_unigram_1000.model", SP / "botchan_en_unigram_1000.tokenizer.json"),
    "Japanese Unigram (8k)": (LOCAL / "ja_unigram_8000.model", None),
    XLMR: (None, None),
}


def tokenizer_files(work: Path) -> Dict[str, Tuple[Optional[Path], Optional[Path]]]:
    """TOKENIZERS with XLM-R's `.model` and `tokenizer.json` rebuilt from its GGUF into `work`."""
    model, document, _ = build_xlmr(work)
    return {**TOKENIZERS, XLMR: (model, document)}


def inputs(mb: float, slices: int) -> Dict[str, List[List[str]]]:
    """Per language, `slices` disjoint lists of ~4 KB documents of about `mb` MB each."""
    need = int(mb * 1e6 * slices)
    texts = {
        "English": (DATA / "corpora" / "en_python_docs_10MB.txt").read_text(encoding="utf-8")[: need * 2],
        "Japanese": (LOCAL / "ja_wagahaiwa_nekodearu_200KB.txt").read_text(encoding="utf-8"),
        "Chinese": locale_messages("zh_CN", need),
        "Russian": locale_messages("ru", need),
    }
    out = {}
    for lang, text in texts.items():
        docs = cut_documents(text)
        while megabytes(docs) < mb * slices and docs:  # the Japanese text is 200 KB: reuse it shifted
            docs = docs + [d[1:] + d[:1] for d in docs]
        per = max(1, len(docs) // slices)
        out[lang] = [docs[k * per : (k + 1) * per] for k in range(slices)]
    return out


def flat(lists) -> List[int]:
    return [i for ids in lists for i in ids]


class Runner:
    """One library on one tokenizer: its label, its batch call (what is timed: the library's own
    output, lists or arrays or encodings), how that output becomes one flat list of ids (not
    timed: glue for the check), and the label of its reference."""

    def __init__(self, label: str, call: Callable[[List[str]], object], to_ids: Callable[[object], List[int]], reference: str):
        self.label, self.call, self.to_ids, self.reference = label, call, to_ids, reference

    def encode(self, docs: List[str]) -> List[int]:
        return self.to_ids(self.call(docs))


def runners(model: Optional[Path], json_file: Optional[Path]) -> List[Runner]:
    out = []
    if model is not None:
        sp = sentencepiece.SentencePieceProcessor(model_file=str(model))
        ours = tokembed.Tokenizer.from_sentencepiece(model)
        out.append(Runner("sentencepiece", sp.encode, flat, "sentencepiece"))
        out.append(Runner("tokembed .model", ours.encode_batch_flat, flat_array, "sentencepiece"))
        out.append(Runner("tokembed .model 2 threads", lambda d: two_threads(ours, d), flat_array, "sentencepiece"))
        try:
            import kitoken

            kt = kitoken.Kitoken.from_sentencepiece_file(str(model))
            out.append(Runner("kitoken", lambda d: kt.encode_all(d, False), flat, "sentencepiece"))
        except ImportError:
            print("kitoken is not installed: pip install kitoken==0.11.1", file=sys.stderr)
        except Exception as e:  # a model kitoken does not load: its column stays empty
            print(f"kitoken cannot load {model.name}: {e}", file=sys.stderr)
    if json_file is not None:
        hf = tokenizers.Tokenizer.from_file(str(json_file))
        ours_json = tokembed.Tokenizer.from_file(json_file)
        out.append(Runner("HF tokenizers", lambda d: hf.encode_batch_fast(d, add_special_tokens=False), lambda out: flat(e.ids for e in out), "HF tokenizers"))
        out.append(Runner("tokembed .json", lambda d: ours_json.encode_batch_flat(d, add_special_tokens=False), flat_array, "HF tokenizers"))
    return out


def flat_array(out) -> List[int]:
    """tokembed's `encode_batch_flat` answer (ids, row offsets) as one list of ids."""
    return out[0].tolist()


def two_threads(tok: tokembed.Tokenizer, docs: List[str]):
    tokembed.set_num_threads(2)
    try:
        return tok.encode_batch_flat(docs)
    finally:
        tokembed.set_num_threads(1)


def measure(name: str, libs: List[Runner], slices: List[List[str]], repeats: int) -> Dict[str, Tuple[float, str]]:
    for lib in libs:
        lib.encode(slices[0])  # warm-up on slice 0
    speeds: Dict[str, List[float]] = {lib.label: [] for lib in libs}
    wrong: Dict[str, int] = {lib.label: 0 for lib in libs}
    for k in range(1, repeats + 1):
        docs, mb = slices[k], megabytes(slices[k])
        order = libs[k % len(libs) :] + libs[: k % len(libs)]
        outputs = {}
        for lib in order:
            own = fresh_copies(docs)
            start = time.perf_counter()
            output = lib.call(own)
            speeds[lib.label].append(mb / (time.perf_counter() - start))
            outputs[lib.label] = lib.to_ids(output)
        for lib in libs:
            if outputs[lib.label] != outputs.get(lib.reference, outputs[lib.label]):
                wrong[lib.label] += 1
    return {
        label: (statistics.median(v), f"WRONG ids in {wrong[label]}/{repeats} slices" if wrong[label] else "")
        for label, v in speeds.items()
    }


def linear(repeats: int) -> None:
    rows = []
    for model in [SP / "mistral_v1.model", SP / "botchan_en_unigram_1000.model"]:
        ours = tokembed.Tokenizer.from_sentencepiece(model)
        for kind in ["Chinese", "one character", "random bytes"]:
            speeds = []
            for size in [10_000, 100_000, 1_000_000, 10_000_000]:
                times = []
                for repeat in range(repeats):
                    # A new text each time (but one character's): text seen before would be
                    # answered from the word caches.
                    rng = random.Random(size * 100 + repeat)
                    text = {
                        "Chinese": lambda: "".join(chr(0x4E00 + rng.randrange(20000)) for _ in range(size // 3)),
                        "one character": lambda: "字" * (size // 3),
                        "random bytes": lambda: bytes(rng.randrange(1, 256) for _ in range(size)).decode("latin-1"),
                    }[kind]()
                    start = time.perf_counter()
                    ours.encode_batch_flat([text])
                    times.append(time.perf_counter() - start)
                speeds.append(len(text.encode("utf-8")) / 1e6 / statistics.median(times))
            rows.append([model.name, kind] + [f"{s:.1f}" for s in speeds] + [f"{max(speeds) / min(speeds):.2f}"])
    print("\nOne document without spaces (tokembed MB/s, 1 thread):\n")
    print_table(["model", "text", "10 KB", "100 KB", "1 MB", "10 MB", "spread"], rows)


def check(files: Dict[str, Tuple[Optional[Path], Optional[Path]]]) -> bool:
    """Builds every runner and checks its ids on one small document per language against its reference."""
    docs = {lang: [slices[0][0][:2000]] for lang, slices in inputs(0.01, 1).items() if slices[0]}
    wrong = 0
    for name, (model, json_file) in files.items():
        libs = runners(model, json_file)
        for lang, doc in docs.items():
            outputs = {lib.label: lib.encode(doc) for lib in libs}
            bad = [lib.label for lib in libs if outputs[lib.label] != outputs[lib.reference]]
            wrong += sum(label.startswith("tokembed") for label in bad)  # a peer's errors are only reported
            print(f"{name} / {lang}: {len(outputs[libs[0].label])} ids, {', '.join(outputs)}"
                  + (f"; WRONG: {', '.join(bad)}" if bad else ""))
    return wrong == 0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--mb", type=float, default=0.75, help="MB per timed slice and language")
    parser.add_argument("--linear", action="store_true", help="also the one-long-document rows")
    parser.add_argument("--check", action="store_true", help="build the tokenizers and check them; no timing")
    parser.add_argument("--load", action="store_true", help="only the load times of each tokenizer file")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench_sentencepiece_") as work:
        files = tokenizer_files(Path(work))
        if args.check:
            if not check(files):
                sys.exit(1)
            return
        if args.load:
            load_times(files, max(args.repeats, 5))
            return
        run(args, files)


def load_times(files: Dict[str, Tuple[Optional[Path], Optional[Path]]], repeats: int) -> None:
    """Milliseconds to load each file, per library: `repeats` loads each, the libraries taking
    turns, medians."""
    rows = []
    for name, (model, json_file) in files.items():
        loaders: Dict[str, Callable[[], object]] = {}
        if model is not None:
            loaders["sentencepiece"] = lambda: sentencepiece.SentencePieceProcessor(model_file=str(model))
            loaders["tokembed .model"] = lambda: tokembed.Tokenizer.from_sentencepiece(model)
        if json_file is not None:
            loaders["HF"] = lambda: tokenizers.Tokenizer.from_file(str(json_file))
            loaders["tokembed .json"] = lambda: tokembed.Tokenizer.from_file(json_file)
        times: Dict[str, List[float]] = {label: [] for label in loaders}
        for _ in range(repeats):
            for label, load in loaders.items():
                start = time.perf_counter()
                loaded = load()
                times[label].append((time.perf_counter() - start) * 1e3)
                del loaded
        cell = {label: f"{statistics.median(v):.0f}" for label, v in times.items()}
        rows.append([name, *(cell.get(k, "-") for k in ["sentencepiece", "tokembed .model", "HF", "tokembed .json"])])
    print(f"\nLoad time, ms (median of {repeats} loads each, libraries taking turns):\n")
    print_table(["tokenizer", "sentencepiece", "tokembed .model", "HF", "tokembed .json"], rows)


def run(args: argparse.Namespace, files: Dict[str, Tuple[Optional[Path], Optional[Path]]]) -> None:
    tokembed.set_num_threads(1)
    data = inputs(args.mb, args.repeats + 1)
    print(f"versions: tokembed {tokembed.__version__}, sentencepiece {sentencepiece.__version__}, tokenizers {tokenizers.__version__}")
    rows = []
    for name, (model, json_file) in files.items():
        libs = runners(model, json_file)
        for lang, slices in data.items():
            result = measure(name, libs, slices, args.repeats)
            speed = {label: s for label, (s, _) in result.items()}
            notes = "; ".join(f"{label}: {note}" for label, (_, note) in result.items() if note)
            ours = speed.get("tokembed .model")
            ours_json = speed.get("tokembed .json")

            def ratio(a: Optional[float], b: Optional[float]) -> str:
                return f"{a / b:.1f}x" if a and b else "-"

            rows.append([
                name, lang,
                *(f"{speed[k]:.1f}" if k in speed else "-" for k in
                  ["sentencepiece", "kitoken", "HF tokenizers", "tokembed .model", "tokembed .json"]),
                ratio(ours, speed.get("sentencepiece")), ratio(ours, speed.get("kitoken")),
                ratio(ours_json, speed.get("HF tokenizers")), ratio(speed.get("tokembed .model 2 threads"), ours),
                notes,
            ])
            print(f"  {name} / {lang} done", file=sys.stderr)
    print(f"\n~4 KB documents, {args.mb} MB per timed slice, median of {args.repeats} (MB/s, 1 thread):\n")
    print_table(
        ["tokenizer", "text", "sentencepiece", "kitoken", "HF", "tokembed .model", "tokembed .json",
         ".model ÷ sentencepiece", ".model ÷ kitoken", ".json ÷ HF", "2 threads ÷ 1", "notes"],
        rows,
    )
    if args.linear:
        linear(args.repeats)


if __name__ == "__main__":
    main()
