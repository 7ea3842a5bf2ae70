#!/usr/bin/env bash
# Coverage-guided fuzzing (cargo-fuzz / libFuzzer) of the core's loaders and encoders.
#   bash fuzz/run.sh [SECONDS_PER_TARGET]   (default 30; CI runs it through tests/test_fuzz.py)
# Needs a nightly toolchain (rustup's, as this machine has) and cargo-fuzz, installed here if
# missing. Seeds come from real files; a crash leaves its input in fuzz/artifacts/TARGET/ and
# fails the run; replay it with `cargo +nightly fuzz run TARGET fuzz/artifacts/TARGET/crash-...`.
set -euo pipefail
cd "$(dirname "$0")"
seconds="${1:-30}"
data="../../shared/data/tokenizers"
command -v cargo-fuzz >/dev/null || cargo install cargo-fuzz --locked --quiet

rm -rf corpus && mkdir -p corpus/tokenizer_json corpus/tiktoken corpus/wordpiece_vocab corpus/encode_bytes
python3 - "$data" <<'PY'
import json, sys
sys.path.insert(0, "../tests/fuzz")
from mutate import shrink_json
data = sys.argv[1]
for i, name in enumerate(["bert-base-uncased/tokenizer.json", "gpt2/tokenizer.json",
                          "sentencepiece/botchan_en_bpe_1000.tokenizer.json",
                          "sentencepiece/botchan_en_unigram_1000.tokenizer.json"]):
    doc = shrink_json(json.load(open(f"{data}/{name}", encoding="utf-8")))
    open(f"corpus/tokenizer_json/seed{i}", "w", encoding="utf-8").write(json.dumps(doc) + "\0Hello, world! héllo")
ranks = open(f"{data}/gpt2/gpt2.tiktoken", encoding="utf-8").read().split("\n")
open("corpus/tiktoken/seed0", "w").write("\n".join(ranks[:2000]) + "\0hello world")
vocab = open(f"{data}/bert-base-uncased/vocab.txt", encoding="utf-8").read().split("\n")
open("corpus/wordpiece_vocab/seed0", "w", encoding="utf-8").write("\n".join(vocab[:3000]) + "\0Hello unaffable")
for i, text in enumerate(["Hello, world!", "   spaces\n\n\ttabs", "x" * 300, "日本語 テキスト 🙂", "123456789 $%^&"]):
    open(f"corpus/encode_bytes/seed{i}", "w", encoding="utf-8").write(text)
PY

status=0
mkdir -p logs
for target in tokenizer_json tiktoken wordpiece_vocab encode_bytes; do
    echo "== $target: ${seconds}s"
    code=0
    cargo +nightly fuzz run "$target" "corpus/$target" -- \
        -max_total_time="$seconds" -max_len=400000 -timeout=20 -rss_limit_mb=6144 -print_final_stats=1 \
        > "logs/$target.log" 2>&1 || code=$?
    grep -E "stat::number_of_executed_units|SUMMARY|ERROR|panicked|Test unit written" "logs/$target.log" | head -20 || true
    if [ "$code" -ne 0 ]; then
        tail -40 "logs/$target.log"
        echo "FINDING in $target (exit $code; input in fuzz/artifacts/$target/)"
        status=1
    fi
done
exit $status
