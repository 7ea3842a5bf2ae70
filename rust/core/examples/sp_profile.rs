//! Profiling harness for SentencePiece `.model` files without Python in the way: the whole
//! ids-only batch encode on ~4 KB documents of a corpus, several passes, 1 thread by default.
//!
//!     cargo build --release --example sp_profile -p tokembed-core
//!     THREADS=1 target/release/examples/sp_profile model.model corpus.txt 3
//!
//! `WHOLE=1` encodes the corpus as one document instead. `FRESH=n` cuts the documents into n
//! slices and encodes each once (text the word caches have not seen, as in
//! `benches/bench_sentencepiece.py`; slice 0 only warms up) and prints their rate; with `FLUSH=1`,
//! 64 MB are written before each slice, so that it starts with the CPU caches cold, as in a
//! benchmark where other libraries run between two calls.
//! With `AB=1` (and `SWAP=1`) on a build with `--features ab-switch`, the fresh slices alternate
//! between the two sides of `utils::ab_switch`, whose module comment says how to read the ratio.
//!
//! Run it under `perf record` to see where the time goes. The first pass sees the text unseen
//! (the thread's word caches start empty); later passes see it again, with caches warm.
mod common;

use std::time::Instant;

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let model = std::fs::read(&args[1]).unwrap();
    let corpus = std::fs::read_to_string(&args[2]).unwrap();
    let passes: usize = args.get(3).map(|s| s.parse().unwrap()).unwrap_or(3);
    let t = Instant::now();
    let tok = tokembed_core::Tokenizer::from_sentencepiece(&model, false, false).unwrap();
    eprintln!("load {:?}", t.elapsed());
    // `WHOLE=1`: the corpus as one document (the long-document rows of `bench_sentencepiece`).
    let docs = if std::env::var("WHOLE").is_ok() { vec![corpus.as_str()] } else { common::documents(&corpus) };
    common::set_threads_from_env();
    let mb = corpus.len() as f64 / 1e6;
    if let Ok(slices) = std::env::var("FRESH").map(|s| s.parse::<usize>().unwrap()) {
        let rate = common::fresh_rate(&tok, &docs, slices, false);
        eprintln!("fresh encode {rate:.1} MB/s");
        // Exit without dropping the tokenizer: its teardown would fill a profile of the encode.
        std::process::exit(0);
    }
    for _ in 0..passes {
        let t = Instant::now();
        let (ids, _) = tokembed_core::tokenizer::batch::encode_flat(&tok, &docs, false, false).unwrap();
        let dt = t.elapsed().as_secs_f64();
        eprintln!("encode {:.1} MB/s ({} ids)", mb / dt, ids.len());
    }
}
