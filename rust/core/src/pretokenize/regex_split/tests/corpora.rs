//! Every line and every 64 KB block of every corpus in shared/data/corpora, for every spelling.

use super::{blocks, compare, engines};
use rayon::prelude::*;
use std::path::PathBuf;

pub(super) const CORPORA: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared/data/corpora");

/// The corpora as (file name, text); panics if the folder is missing or empty.
pub(super) fn corpora() -> Vec<(String, String)> {
    let dir = PathBuf::from(CORPORA);
    let entries =
        std::fs::read_dir(&dir).unwrap_or_else(|e| panic!("corpora folder {} is missing: {e}", dir.display()));
    let mut out: Vec<(String, String)> = entries
        .map(|entry| entry.expect("readable corpora folder").path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "txt"))
        .map(|path| {
            let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
            (path.file_name().unwrap().to_string_lossy().into_owned(), text)
        })
        .collect();
    assert!(!out.is_empty(), "no .txt corpus in {}", dir.display());
    out.sort();
    out
}

/// How much of each corpus to check: all of it in release builds; in debug builds (where the
/// engine runs at a few MB/s and the full check takes minutes) the first 256 KB.
fn checked_prefix(text: &str) -> &str {
    if !cfg!(debug_assertions) {
        return text;
    }
    let mut end = text.len().min(256 * 1024);
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    &text[..end]
}

/// Run in release to check every corpus whole: `cargo test --release -p tokembed-core regex_split`.
#[test]
fn every_line_and_block_of_every_corpus() {
    let corpora: Vec<(String, String)> =
        corpora().into_iter().map(|(name, text)| (name, checked_prefix(&text).to_owned())).collect();
    let units: Vec<(&str, &str)> = corpora
        .iter()
        .flat_map(|(name, text)| {
            let lines = text.split_inclusive('\n').map(move |line| (name.as_str(), line));
            let blocks = blocks(text, 64 * 1024).into_iter().map(move |block| (name.as_str(), block));
            lines.chain(blocks)
        })
        .collect();
    // Lines are short: batch them so each task does a fair amount of work.
    let failures: Vec<String> = units
        .par_chunks(256)
        .flat_map_iter(|chunk| {
            chunk.iter().flat_map(|&(name, unit)| {
                engines().iter().filter_map(move |(known, engine)| {
                    compare(*known, engine, unit).err().map(|e| format!("{name}: {e}"))
                })
            })
        })
        .take_any(5)
        .collect();
    assert!(failures.is_empty(), "{} mismatches, first ones:\n{}", failures.len(), failures.join("\n"));
}
