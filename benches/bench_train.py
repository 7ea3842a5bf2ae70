"""Training byte-level BPE: tokembed.train_bpe against HF `tokenizers`' BpeTrainer and rustbpe,
on the same documents with the same settings (GPT-2's split pattern, the 256 bytes as alphabet,
min_frequency 2, no special tokens), at 1 and 2 threads. With --models wordpiece (or bpe,wordpiece):
tokembed.train_wordpiece against HF's WordPieceTrainer (BERT's normalizer and pre-tokenizer,
lowercase, BERT's five special tokens, min_frequency 2). With --models unigram: tokembed.train_unigram
against `sentencepiece`'s trainer (spm_train: model_type unigram, identity normalization, its
defaults otherwise) and HF's UnigramTrainer (the same normalizer and Metaspace pre-tokenizer as
tokembed's file, <unk> <s> </s>); every tenth line is held out of training (at 10 MB: another
corpus is), and the result column gives tokens per byte of each model on it against
sentencepiece's (which must be within 1%).

    pip install -e ".[bench]"         # tokenizers, rustbpe, sentencepiece
    python benches/bench_train.py     # 10 MB and 50 MB, vocab 32000, 1 and 2 threads, 3 repeats
    python benches/bench_train.py --sizes 10 --threads 1 --repeats 1
    python benches/bench_train.py --big 1000   # 1 GB from a file: peak RSS of tokembed alone

Each training runs in a fresh process, so that its peak resident memory (VmHWM) is its own,
and reads the corpus file as it goes (tokembed reads the file itself; HF and rustbpe take its lines
from a generator), so that the peak is the trainer's and not the corpus's; "extra" is that peak
less the resident size just before training (the interpreter and the library loaded). CPU seconds are user + system time of the process during training,
wall seconds the elapsed time: both matter (CPU is the cost, wall the wait). Runs alternate the
order of the libraries, and the table shows medians. The merges of tokembed and HF are compared
(they must be identical); rustbpe computes its own order (ties broken differently) and is timed
only.

Inputs: 10 MB is the shared en_python_docs corpus; 50 MB mixes every shared corpus, repeated with
its lines varied (as they are, lowercased, upper-cased, with each line's words reversed) so that
the repeats add new words as more text does; --big N writes N MB the same way to a file.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import DATA  # noqa: E402

GPT2 = r"""'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+"""
WORK = Path(tempfile.gettempdir()) / "tokembed-bench-train"
VARIATIONS = (str, str.lower, str.upper, lambda line: " ".join(reversed(line.split(" "))))


def corpus_file(megabytes: int) -> Path:
    """A text file of about `megabytes` MB (cached in $TMPDIR)."""
    WORK.mkdir(exist_ok=True)
    path = WORK / f"corpus_{megabytes}MB.txt"
    if path.exists():
        return path
    if megabytes == 10:
        text = (DATA / "corpora" / "en_python_docs_10MB.txt").read_text(encoding="utf-8")
    else:
        lines = [line for p in sorted((DATA / "corpora").glob("*.txt")) for line in p.read_text(encoding="utf-8").split("\n")]
        parts, size, k = [], 0, 0
        while size < megabytes * 1_000_000:
            vary = VARIATIONS[k % len(VARIATIONS)]
            for line in lines:
                varied = vary(line) if k < len(VARIATIONS) else f"{vary(line)} {k}"
                parts.append(varied)
                size += len(varied.encode("utf-8")) + 1
                if size >= megabytes * 1_000_000:
                    break
            k += 1
        text = "\n".join(parts)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(path)
    return path


def peak_resident_mb() -> float:
    """The process's peak resident memory (VmHWM). Not `ru_maxrss`: Linux carries that over
    `exec` from the forking process, so a child started by a big parent reports the parent's."""
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1e3
    raise RuntimeError("no VmHWM in /proc/self/status")


def resident_mb() -> float:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 1e6


def lines_of(path: str):
    """The file's lines, read lazily (a document each, without its end of line)."""
    with open(path, encoding="utf-8") as f:
        for line in f:
            yield line.rstrip("\n")


def child(library: str, path: str, vocab: int, threads: int, merges_out: str) -> None:
    """Trains once from the file (streamed: tokembed reads it itself, the others get its lines
    from a generator) and prints one JSON line of measures."""
    if library.startswith("tokembed"):
        import tokembed

        tokembed.set_num_threads(threads)
    elif library.startswith("hf"):
        from tokenizers import Regex, Tokenizer, models, normalizers, pre_tokenizers, trainers
    elif library == "rustbpe":
        import rustbpe
    elif library == "spm-unigram":
        import sentencepiece
    else:
        raise SystemExit(f"unknown library {library}")
    before = resident_mb()
    cpu0, wall0 = time.process_time(), time.perf_counter()
    if library == "tokembed":
        tok = tokembed.train_bpe(path, vocab, min_frequency=2, progress=False)
    elif library == "tokembed-wordpiece":
        tok = tokembed.train_wordpiece(path, vocab, min_frequency=2, progress=False)
    elif library == "tokembed-unigram":
        tok = tokembed.train_unigram(path, vocab, progress=False)
    elif library == "spm-unigram":
        sentencepiece.SentencePieceTrainer.train(
            input=path, model_prefix=merges_out or str(WORK / "spm_unigram"), vocab_size=vocab, model_type="unigram",
            normalization_rule_name="identity", num_threads=threads, minloglevel=2,
        )
    elif library == "hf-unigram":
        tok = Tokenizer(models.Unigram())
        tok.normalizer = normalizers.Sequence(
            [normalizers.Replace(Regex(r"\A +| +\z"), ""), normalizers.Replace(Regex(" {2,}"), " ")]
        )
        tok.pre_tokenizer = pre_tokenizers.Metaspace(replacement="\u2581", prepend_scheme="always", split=True)
        trainer = trainers.UnigramTrainer(
            vocab_size=vocab, special_tokens=["<unk>", "<s>", "</s>"], unk_token="<unk>", show_progress=False
        )
        tok.train_from_iterator(lines_of(path), trainer)
    elif library == "hf-wordpiece":
        tok = Tokenizer(models.WordPiece(unk_token="[UNK]"))
        tok.normalizer = normalizers.BertNormalizer(lowercase=True)
        tok.pre_tokenizer = pre_tokenizers.BertPreTokenizer()
        trainer = trainers.WordPieceTrainer(
            vocab_size=vocab, min_frequency=2, special_tokens=["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"], show_progress=False
        )
        tok.train_from_iterator(lines_of(path), trainer)
    elif library == "hf":
        tok = Tokenizer(models.BPE())
        tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=True)
        trainer = trainers.BpeTrainer(
            vocab_size=vocab, min_frequency=2, initial_alphabet=pre_tokenizers.ByteLevel.alphabet(), show_progress=False
        )
        tok.train_from_iterator(lines_of(path), trainer)
    else:
        tok = rustbpe.Tokenizer()
        tok.train_from_iterator(lines_of(path), vocab, pattern=GPT2)
    cpu, wall = time.process_time() - cpu0, time.perf_counter() - wall0
    peak = peak_resident_mb()
    if library == "tokembed-unigram" and merges_out:
        from tokembed.train import save_sentencepiece

        save_sentencepiece(tok, merges_out + ".model")
    elif library == "hf-unigram" and merges_out:
        tok.save(merges_out + ".json")
    elif library.endswith("unigram"):
        pass
    elif library.endswith("wordpiece") and merges_out:
        Path(merges_out).write_text(json.dumps(sorted(json.loads(tok.to_str())["model"]["vocab"])))
    elif library != "rustbpe" and merges_out:
        Path(merges_out).write_text(json.dumps(json.loads(tok.to_str())["model"]["merges"]))
    print(json.dumps({"cpu": cpu, "wall": wall, "peak_mb": peak, "extra_mb": peak - before}))


def run_child(library: str, path: Path, vocab: int, threads: int, merges_out: str = "") -> dict:
    env = dict(os.environ, RAYON_NUM_THREADS=str(threads), TOKENIZERS_PARALLELISM="true" if threads > 1 else "false")
    args = [sys.executable, __file__, "--child", library, str(path), str(vocab), str(threads), merges_out]
    done = subprocess.run(args, env=env, capture_output=True, text=True)
    if done.returncode != 0:
        return {"error": (done.stderr.strip().splitlines() or ["failed"])[-1]}
    return json.loads(done.stdout.strip().splitlines()[-1])


def available(library: str) -> bool:
    module = {"tokembed": "tokembed", "hf": "tokenizers", "rustbpe": "rustbpe", "spm": "sentencepiece"}[library.split("-")[0]]
    try:
        __import__(module)
        return True
    except ImportError:
        return False


def distinct_words(path: Path, model: str) -> int:
    from tokembed import _core

    if model == "bpe":
        counter = _core.WordCounter("gpt2")
    elif model == "unigram":
        counter = _core.WordCounter.for_unigram([])
    else:
        from tokembed.train.wordpiece import bert_word_counter

        counter = bert_word_counter()
    counter.feed(path.read_text(encoding="utf-8").split("\n"))
    return counter.distinct_words


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--sizes", default="10,50", help="corpus sizes in MB (default 10,50)")
    p.add_argument("--threads", default="1,2")
    p.add_argument("--vocab", type=int, default=32000)
    p.add_argument("--repeats", type=int, default=3)
    p.add_argument("--libraries", default="tokembed,hf,rustbpe")
    p.add_argument("--models", default="bpe", help="bpe, wordpiece, unigram, or a list of them (default bpe)")
    p.add_argument("--big", type=int, metavar="MB", help="only: train tokembed on a file of MB megabytes, print peak RSS")
    p.add_argument("--child", nargs=5, help=argparse.SUPPRESS)
    args = p.parse_args()
    if args.child:
        library, path, vocab, threads, merges_out = args.child
        child(library, path, int(vocab), int(threads), merges_out)
        return
    if args.big:
        big(args.big, args.vocab)
        return
    for model in args.models.split(","):
        libraries = [lib for lib in args.libraries.split(",") if available(lib)]
        if model == "wordpiece":
            libraries = [f"{lib}-wordpiece" for lib in libraries if lib in ("tokembed", "hf")]
        elif model == "unigram":
            libraries = [f"{lib}-unigram" for lib in libraries if lib in ("tokembed", "hf")]
            libraries.insert(1, "spm-unigram") if available("spm-unigram") else None
        elif model != "bpe":
            raise SystemExit(f"unknown model {model}")
        print(f"{model}: libraries {', '.join(libraries)}; vocab {args.vocab}; {args.repeats} repeats, medians\n")
        measure(model, libraries, args)


def measure(model: str, libraries, args) -> None:
    if model == "unigram":
        return measure_unigram(libraries, args)
    ours_name, hf_name = ("tokembed", "hf") if model == "bpe" else ("tokembed-wordpiece", "hf-wordpiece")
    rows = []
    for size in [int(s) for s in args.sizes.split(",")]:
        path = corpus_file(size)
        words = distinct_words(path, model)
        for threads in [int(t) for t in args.threads.split(",")]:
            runs = {lib: [] for lib in libraries}
            merges_files = {lib: str(WORK / f"merges_{lib}.json") for lib in (ours_name, hf_name)}
            for r in range(args.repeats):
                order = libraries if r % 2 == 0 else list(reversed(libraries))
                for lib in order:
                    runs[lib].append(run_child(lib, path, args.vocab, threads, merges_files.get(lib, "")))
            exact = "—"
            if hf_name in runs and ours_name in runs:
                a, b = (json.loads(Path(merges_files[lib]).read_text()) for lib in (ours_name, hf_name))
                if model == "bpe":
                    exact = "identical" if a == b else "DIFFERENT"
                else:
                    # HF numbers ## characters in hash order, so its own runs differ in a few tokens.
                    exact = f"{len(set(a) ^ set(b))} of {len(b)} tokens differ"
            rows.append((size, path.stat().st_size / 1e6, words, threads, runs, exact))
    print_table(rows, libraries, ours_name)


def held_out_split(path: Path, size: int) -> tuple:
    """The corpus without every tenth line (to train on), and those lines (to measure on). The
    10 MB corpus (one manual) is too small for 32000 pieces without a tenth of it (spm_train
    refuses), so it trains whole and is measured on another corpus (fortunes)."""
    if size == 10:
        return path, DATA / "corpora" / "en_fortunes.txt"
    train, held = path.with_name(path.stem + "_train.txt"), path.with_name(path.stem + "_held.txt")
    if not (train.exists() and held.exists()):
        lines = path.read_text(encoding="utf-8").split("\n")
        train.write_text("\n".join(l for i, l in enumerate(lines) if i % 10), encoding="utf-8")
        held.write_text("\n".join(l for i, l in enumerate(lines) if i % 10 == 0), encoding="utf-8")
    return train, held


def tokens_per_byte(model_file: str, held: Path) -> float:
    """Tokens per byte of held-out lines under a model (`.model` in sentencepiece, `.json` in HF)."""
    lines = [line for line in held.read_text(encoding="utf-8").split("\n") if line]
    if model_file.endswith(".json"):
        from tokenizers import Tokenizer

        tokens = sum(len(e.ids) for e in Tokenizer.from_file(model_file).encode_batch(lines))
    else:
        import sentencepiece

        tokens = sum(map(len, sentencepiece.SentencePieceProcessor(model_file=model_file).encode(lines)))
    return tokens / sum(len(line.encode("utf-8")) for line in lines)


def measure_unigram(libraries, args) -> None:
    outputs = {"tokembed-unigram": ".model", "spm-unigram": ".model", "hf-unigram": ".json"}
    rows = []
    for size in [int(s) for s in args.sizes.split(",")]:
        path, held = held_out_split(corpus_file(size), size)
        words = distinct_words(path, "unigram")
        for threads in [int(t) for t in args.threads.split(",")]:
            runs = {lib: [] for lib in libraries}
            prefix = {lib: str(WORK / f"unigram_{lib}") for lib in libraries}
            for r in range(args.repeats):
                order = libraries if r % 2 == 0 else list(reversed(libraries))
                for lib in order:
                    runs[lib].append(run_child(lib, path, args.vocab, threads, prefix[lib]))
            rates = {}
            for lib in libraries:
                model_file = prefix[lib] + outputs[lib]
                if all("error" not in run for run in runs[lib]) and os.path.exists(model_file):
                    rates[lib] = tokens_per_byte(model_file, held)
            base = rates.get("spm-unigram")
            notes = {
                lib: f"{rate:.4f} tokens/byte" + (f", {rate / base:.4f} of spm's" if base and lib != "spm-unigram" else "")
                for lib, rate in rates.items()
            }
            rows.append((size, path.stat().st_size / 1e6, words, threads, runs, notes))
    print_table(rows, libraries, "tokembed-unigram")


def median(runs, key):
    values = [r[key] for r in runs if key in r]
    return statistics.median(values) if values else None


def print_table(rows, libraries, ours_name) -> None:
    print("| corpus | distinct words | threads | library | CPU s | wall s | peak RSS MB | extra RSS MB | "
          "tokembed CPU speed-up | tokembed wall speed-up | result |")
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    for size, mb, words, threads, runs, exact in rows:
        ours = runs.get(ours_name, [])
        for lib in libraries:
            r = runs[lib]
            errors = [x["error"] for x in r if "error" in x]
            if errors:
                print(f"| {mb:.0f} MB | {words:,} | {threads} | {lib} | error: {errors[0]} | | | | | | |")
                continue
            cpu, wall = median(r, "cpu"), median(r, "wall")
            peak, extra = median(r, "peak_mb"), median(r, "extra_mb")
            ratio_cpu = ratio_wall = ""
            if lib != ours_name and ours and median(ours, "cpu"):
                ratio_cpu = f"{cpu / median(ours, 'cpu'):.1f}x"
                ratio_wall = f"{wall / median(ours, 'wall'):.1f}x"
            note = exact.get(lib, "") if isinstance(exact, dict) else exact if not lib.startswith("rustbpe") else "not compared"
            print(f"| {mb:.0f} MB | {words:,} | {threads} | {lib} | {cpu:.2f} | {wall:.2f} | {peak:.0f} | {extra:.0f} | "
                  f"{ratio_cpu} | {ratio_wall} | {note} |")


def big(megabytes: int, vocab: int) -> None:
    path = corpus_file(megabytes)
    code = (
        "import sys, time, tokembed; t = time.perf_counter(); c = time.process_time();"
        f"sys.path.insert(0, {str(Path(__file__).resolve().parent)!r}); from bench_train import peak_resident_mb;"
        f"tok = tokembed.train_bpe({str(path)!r}, {vocab}, progress=False);"
        "print(f'{time.perf_counter() - t:.1f} s wall, {time.process_time() - c:.1f} s CPU, "
        "peak RSS {peak_resident_mb():.0f} MB, vocab {tok.vocab_size}')"
    )
    print(f"{path} ({path.stat().st_size / 1e6:.0f} MB), train_bpe from the file, vocab {vocab}:")
    subprocess.run([sys.executable, "-c", code], check=True)


if __name__ == "__main__":
    main()
