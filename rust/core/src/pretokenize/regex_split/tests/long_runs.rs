//! Long runs of one kind of character: the scanners equal the engine on them and take time
//! proportional to their length.

use super::super::{KnownPattern, Splitter};
use super::{compare, engines};
use std::time::{Duration, Instant};

/// A repeated unit, then a tail that decides how the run's last piece ends (or nothing).
const RUNS: &[(&str, &str)] = &[
    (" ", ""),
    (" ", "a"),
    ("a", ""),
    ("a", " "),
    ("A", "."),
    ("A", "a"),
    ("1", ""),
    ("1", "a"),
    (".", ""),
    (".", "\n"),
    ("'", "s"),
    ("'s", ""),
    ("\n", ""),
    ("\n", " "),
    ("\n", "a"),
    (" \n", "  "),
    ("\n ", "a"),
    ("\r\n", "x"),
    ("\t", "x"),
    ("\u{3000}", "x"),
    ("\u{A0}", "\n"),
    ("é", ""),
    ("中", "."),
    ("\u{301}", "A"),
    ("\u{301}A", "."),
    ("A\u{301}", "."),
    ("ʰA", "."),
    ("Aa", ""),
    ("/\n", ""),
    (".a", ""),
    (" .", ""),
    ("1a", ""),
];

/// `unit` repeated to about `bytes` bytes, then `tail`.
fn run(unit: &str, tail: &str, bytes: usize) -> String {
    let mut text = unit.repeat(bytes / unit.len());
    text.push_str(tail);
    text
}

#[test]
fn long_runs_match_the_engine() {
    let size = if cfg!(debug_assertions) { 64 * 1024 } else { 512 * 1024 };
    let mut engine_gave_up = Vec::new();
    for (unit, tail) in RUNS {
        let text = run(unit, tail, size);
        for (known, engine) in engines() {
            match compare(*known, engine, &text) {
                Ok(()) => {}
                Err(message) if message.starts_with("split pattern") => {
                    engine_gave_up.push(format!("{unit:?}+{tail:?}: {message}"))
                }
                Err(message) => panic!("{unit:?} * {size} + {tail:?}: {message}"),
            }
        }
    }
    assert!(engine_gave_up.is_empty(), "the engine gave up on:\n{}", engine_gave_up.join("\n"));
}

/// The best of three timings of the scanner alone: the output vector is allocated (and its pages
/// touched) beforehand, so the timing does not count page faults of a vector of millions of ranges.
fn best_of_three(known: KnownPattern, text: &str) -> Duration {
    let splitter = Splitter::Known(known);
    let mut out = Vec::with_capacity(text.len() + 1);
    splitter.try_split(text, &mut out).unwrap();
    assert_eq!(out.last().map(|p| p.end), Some(text.len()));
    (0..3)
        .map(|_| {
            out.clear();
            let start = Instant::now();
            splitter.try_split(text, &mut out).unwrap();
            start.elapsed()
        })
        .min()
        .unwrap_or_default()
}

#[test]
fn long_runs_take_linear_time() {
    let (small, large, limit) = if cfg!(debug_assertions) {
        (64 * 1024, 256 * 1024, Duration::from_secs(2))
    } else {
        (1024 * 1024, 4 * 1024 * 1024, Duration::from_millis(500))
    };
    for (unit, tail) in RUNS {
        let (short, long) = (run(unit, tail, small), run(unit, tail, large));
        for known in KnownPattern::ALL {
            let (t_short, t_long) = (best_of_three(known, &short), best_of_three(known, &long));
            assert!(t_long < limit, "{known:?} on {unit:?} * {large}: {t_long:?}");
            // Four times the text may take at most eight times as long, plus room for the noise of
            // other tests running at the same time (a quadratic scan would be far past both bounds).
            assert!(
                t_long <= t_short * 8 + Duration::from_millis(50),
                "{known:?} on {unit:?}: {t_short:?} for {small} bytes but {t_long:?} for {large}"
            );
        }
    }
}
