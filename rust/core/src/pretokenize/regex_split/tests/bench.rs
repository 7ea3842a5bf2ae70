//! Throughput of each scanner against the general engine on the 10 MB corpus. Run with
//! `cargo test --release -p tokembed-core regex_split -- --ignored --nocapture`.

use super::super::{KnownPattern, RegexSplitter, Splitter};
use super::corpora::CORPORA;
use std::time::{Duration, Instant};

fn mb_per_s(bytes: usize, mut run: impl FnMut() -> usize) -> (f64, usize) {
    let mut best = Duration::MAX;
    let mut pieces = 0;
    for _ in 0..3 {
        let start = Instant::now();
        pieces = run();
        best = best.min(start.elapsed());
    }
    (bytes as f64 / 1e6 / best.as_secs_f64(), pieces)
}

#[test]
#[ignore = "benchmark: run in release with --ignored --nocapture"]
fn bench_scanners_against_engine() {
    let path = format!("{CORPORA}/en_python_docs_10MB.txt");
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    let mut out = Vec::with_capacity(text.len() / 2);
    println!("{:<22} {:>12} {:>12} {:>9} {:>10}", "pattern", "scanner MB/s", "engine MB/s", "speed-up", "pieces");
    for known in KnownPattern::ALL {
        let scanner = Splitter::Known(known);
        let engine = RegexSplitter::new(known.pattern()).unwrap();
        let (fast, pieces) = mb_per_s(text.len(), || {
            out.clear();
            scanner.try_split(&text, &mut out).unwrap();
            out.len()
        });
        let (slow, engine_pieces) = mb_per_s(text.len(), || {
            out.clear();
            engine.try_split(&text, &mut out).unwrap();
            out.len()
        });
        assert_eq!(pieces, engine_pieces);
        println!("{:<22} {fast:>12.1} {slow:>12.1} {:>8.1}x {pieces:>10}", format!("{known:?}"), fast / slow);
    }
}
