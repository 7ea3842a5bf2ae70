//! Profiling harness for any `tokenizer.json` without Python in the way: the ids-only batch
//! encode of ~4 KB documents of a corpus, on slices the caches have not seen.
//!
//!     cargo build --release --example json_profile -p tokembed-core
//!     THREADS=1 FRESH=10 target/release/examples/json_profile tokenizer.json corpus.txt
//!
//! `WHOLE=n` cuts the corpus into documents of about n bytes instead of ~4 KB.
//! `FRESH=n` cuts the documents into n slices and prints the rate over slices 1.. (slice 0 only
//! warms up). Run it under `perf record` to see where the time goes.
mod common;

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let json = std::fs::read_to_string(&args[1]).unwrap();
    let corpus = std::fs::read_to_string(&args[2]).unwrap();
    let t = std::time::Instant::now();
    let tok = tokembed_core::Tokenizer::from_json(&json).unwrap();
    eprintln!("load {:?}", t.elapsed());
    // `WHOLE=n`: documents of n bytes instead (each a long document: the path that cuts one
    // text into parts for the threads).
    let docs: Vec<&str> = match std::env::var("WHOLE").ok().and_then(|s| s.parse::<usize>().ok()) {
        Some(n) => common::documents_of(&corpus, n),
        None => common::documents(&corpus),
    };
    common::set_threads_from_env();
    let slices = std::env::var("FRESH").ok().and_then(|s| s.parse().ok()).unwrap_or(10);
    let rate = common::fresh_rate(&tok, &docs, slices, std::env::var("EACH").is_ok());
    eprintln!("fresh encode {rate:.1} MB/s");
}
