//! Every scanner against the general engine, for every spelling of its pattern.

mod bench;
mod classes;
mod corpora;
mod long_runs;
mod patterns;
mod props;

use super::known::SPELLINGS;
use super::{KnownPattern, RegexSplitter, Splitter};
use std::ops::Range;
use std::sync::OnceLock;

/// Each recognised spelling, compiled by the general engine, with the pattern it is.
fn engines() -> &'static [(KnownPattern, RegexSplitter)] {
    static ENGINES: OnceLock<Vec<(KnownPattern, RegexSplitter)>> = OnceLock::new();
    ENGINES.get_or_init(|| {
        SPELLINGS
            .iter()
            .map(|&(spelling, known)| (known, RegexSplitter::new(spelling).expect("known spellings compile")))
            .collect()
    })
}

fn scanned(known: KnownPattern, text: &str) -> Vec<Range<usize>> {
    let mut out = Vec::new();
    Splitter::Known(known).try_split(text, &mut out).unwrap();
    out
}

fn matched(engine: &RegexSplitter, text: &str) -> Result<Vec<Range<usize>>, String> {
    let mut out = Vec::new();
    engine.try_split(text, &mut out)?;
    Ok(out)
}

fn pieces<'t>(text: &'t str, ranges: &[Range<usize>]) -> Vec<&'t str> {
    ranges.iter().map(|r| text.get(r.clone()).unwrap_or("<not a char boundary>")).collect()
}

/// The scanner of `known` gives exactly the engine's matches of `engine` on `text`; on a
/// mismatch, a message that shows the first differing pieces.
fn compare(known: KnownPattern, engine: &RegexSplitter, text: &str) -> Result<(), String> {
    let expected = matched(engine, text)?;
    let got = scanned(known, text);
    if got == expected {
        return Ok(());
    }
    let first = got.iter().zip(&expected).position(|(g, e)| g != e).unwrap_or(got.len().min(expected.len()));
    let from = first.saturating_sub(2);
    let window = |r: &[Range<usize>]| pieces(text, r.get(from..(first + 3).min(r.len())).unwrap_or(&[]));
    Err(format!(
        "{known:?} differs from {:?} at piece {first} (byte {:?}) of {} bytes\n  scanner: {:?}\n  engine:  {:?}\n  text: {:?}",
        engine.pattern(),
        expected.get(first).map(|r| r.start),
        text.len(),
        window(&got),
        window(&expected),
        text.chars().take(300).collect::<String>(),
    ))
}

/// `compare` for every spelling; panics with the message of the first mismatch.
fn assert_all_spellings(text: &str) {
    for (known, engine) in engines() {
        if let Err(message) = compare(*known, engine, text) {
            panic!("{message}");
        }
    }
}

/// Text cut in blocks of about `size` bytes, each ending on a character boundary.
fn blocks(text: &str, size: usize) -> Vec<&str> {
    let mut out = Vec::new();
    let mut start = 0;
    while start < text.len() {
        let mut end = (start + size).min(text.len());
        while !text.is_char_boundary(end) {
            end += 1;
        }
        out.push(&text[start..end]);
        start = end;
    }
    out
}
