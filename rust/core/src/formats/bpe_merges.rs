//! GPT-2's `merges.txt`: an optional `#version` line, then one merge `a b` per line, best first.

use crate::error::{Error, Result};
use crate::models::bpe::MergeSpec;

pub fn parse_merges(text: &str) -> Result<Vec<MergeSpec>> {
    let mut merges = Vec::new();
    for (i, line) in text.lines().enumerate() {
        if line.starts_with("#version") || (line.is_empty() && text.lines().skip(i).all(str::is_empty)) {
            continue;
        }
        let mut parts = line.split(' ');
        match (parts.next(), parts.next(), parts.next()) {
            (Some(a), Some(b), None) if !a.is_empty() && !b.is_empty() => {
                merges.push(MergeSpec::Pair(a.to_string(), b.to_string()))
            }
            _ => return Err(Error::Config(format!("merges.txt line {}: expected 'a b', found {line:?}", i + 1))),
        }
    }
    Ok(merges)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn skips_the_version_line_and_rejects_bad_lines() {
        let m = parse_merges("#version: 0.2\nĠ t\nh e\n").unwrap();
        assert_eq!(m, vec![MergeSpec::Pair("Ġ".into(), "t".into()), MergeSpec::Pair("h".into(), "e".into())]);
        let err = parse_merges("#version: 0.2\na b c\n").unwrap_err().to_string();
        assert!(err.starts_with("merges.txt line 2"), "{err}");
    }
}
