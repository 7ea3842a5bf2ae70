//! Profiling harness for the `.model` Unigram lattice alone, without normalizer, word caches or
//! Python: the text with spaces and newlines as `▁`, in ~4 KB documents, each as one word.
//!
//!     cargo build --release --example lattice_profile -p tokembed-core
//!     target/release/examples/lattice_profile model.model corpus.txt 3
//!
//! Prints per pass the rate of the trie walks alone (every piece at every character) and of
//! the whole lattice (`unigram::encode`), in MB/s of the text.
#[allow(dead_code)] // the harness runs on this thread: no pool to size
mod common;

use std::time::Instant;

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let parts = tokembed_core::sentencepiece::read(&std::fs::read(&args[1]).unwrap()).unwrap();
    let corpus = std::fs::read_to_string(&args[2]).unwrap();
    let passes: usize = args.get(3).map(|s| s.parse().unwrap()).unwrap_or(3);
    let text = format!("\u{2581}{}", corpus.replace([' ', '\n'], "\u{2581}"));
    let docs = common::documents(&text);
    let mb = text.len() as f64 / 1e6;
    let chars = text.chars().count() as f64;
    for _ in 0..passes {
        let t = Instant::now();
        let found: usize =
            docs.iter().map(|d| tokembed_core::sentencepiece::unigram::count_piece_starts(&parts.model, d)).sum();
        let walks = t.elapsed().as_secs_f64();
        let t = Instant::now();
        let pieces: usize =
            docs.iter().map(|d| tokembed_core::sentencepiece::unigram::encode(&parts.model, d).len()).sum();
        let lattice = t.elapsed().as_secs_f64();
        eprintln!(
            "trie walks {:.1} MB/s ({:.2} pieces start at a character), lattice {:.1} MB/s ({pieces} pieces)",
            mb / walks,
            found as f64 / chars,
            mb / lattice
        );
    }
}
