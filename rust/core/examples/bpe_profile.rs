//! Profiling harness for byte-level BPE without Python in the way: the known-pattern split alone,
//! then the whole ids-only batch encode, on ~4 KB documents of a corpus, several passes.
//!
//!     cargo build --release --example bpe_profile -p tokembed-core
//!     THREADS=1 SPECIALS=1 target/release/examples/bpe_profile \
//!         python/tokembed/tokenizers/assets/o200k_base/o200k_base.tiktoken.gz o200k_base \
//!         ../shared/data/corpora/en_python_docs_10MB.txt 3
//!
//! `FRESH=n` cuts the documents into n slices and encodes each once after the first (text the
//! caches have not seen, as in the benchmarks) instead; with `FLUSH=1`, 64 MB are written before
//! each slice, so that it starts with the CPU caches cold (other libraries run between two calls
//! in the benchmarks).
//! With `AB=1` (and `SWAP=1`) on a build with `--features ab-switch`, the fresh slices alternate
//! between the two sides of `utils::ab_switch`, whose module comment says how to read the ratio.
//!
//! Run it under `perf record` to see where the time goes. Repeated passes see the same text, so
//! caches are warmer than in `benches/bench_peers.py`, which is the measurement of record.
mod common;

use std::time::Instant;
use tokembed_core::pretokenize::regex_split::{scan_some, KnownPattern};

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let ranks_path = &args[1];
    let pattern_name = &args[2];
    let corpus = std::fs::read_to_string(&args[3]).unwrap();
    let passes: usize = args.get(4).map(|s| s.parse().unwrap()).unwrap_or(3);
    let ranks = if ranks_path.ends_with(".gz") {
        let out = std::process::Command::new("zcat").arg(ranks_path).output().unwrap();
        String::from_utf8(out.stdout).unwrap()
    } else {
        std::fs::read_to_string(ranks_path).unwrap()
    };
    let specials: Vec<(String, u32)> = if std::env::var("SPECIALS").is_ok() {
        vec![("<|endoftext|>".into(), 199999), ("<|endofprompt|>".into(), 200018)]
    } else {
        vec![]
    };
    let t = Instant::now();
    let tok = tokembed_core::Tokenizer::from_tiktoken(&ranks, pattern_name, &specials).unwrap();
    eprintln!("load {:?}", t.elapsed());
    let docs = common::documents(&corpus);
    common::set_threads_from_env();
    let known = KnownPattern::from_name(pattern_name);
    let mb = corpus.len() as f64 / 1e6;
    if let Ok(slices) = std::env::var("FRESH").map(|s| s.parse::<usize>().unwrap()) {
        // Like `benches/bench_peers.py`: slice 0 warms up, every other slice is encoded once.
        if std::env::var("WARM").is_ok() {
            let t = Instant::now();
            tokembed_core::pretokenize::regex_split::classes::classes();
            eprintln!("classes: {:.2} ms", t.elapsed().as_secs_f64() * 1e3);
            let t = Instant::now();
            tokembed_core::tokenizer::batch::encode_flat(&tok, &["hello world, a warm-up"], false, false).unwrap();
            eprintln!("warm-up call: {:.2} ms", t.elapsed().as_secs_f64() * 1e3);
        }
        let rate = common::fresh_rate(&tok, &docs, slices, std::env::var("EACH").is_ok());
        eprintln!("fresh encode {rate:.1} MB/s");
        // Exit without dropping the tokenizer: its teardown would fill a profile of the encode.
        std::process::exit(0);
    }
    for _ in 0..passes {
        if let Some(k) = known {
            let t = Instant::now();
            let mut out = Vec::new();
            let mut n = 0;
            for d in &docs {
                let mut s = 0;
                while s < d.len() {
                    out.clear();
                    s = scan_some(k, d, s, 1 << 16, &mut out);
                    n += out.len();
                }
            }
            let dt = t.elapsed().as_secs_f64();
            eprintln!("split {:.1} MB/s ({n} pieces, {:.2} ns/piece)", mb / dt, dt * 1e9 / n as f64);
        }
        let t = Instant::now();
        let (ids, _) = tokembed_core::tokenizer::batch::encode_flat(&tok, &docs, false, false).unwrap();
        let dt = t.elapsed().as_secs_f64();
        eprintln!("encode {:.1} MB/s ({} ids)", mb / dt, ids.len());
    }
}
