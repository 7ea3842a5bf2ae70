//! Splitting on single characters with HF's delimiter behaviours.
//!
//! Every matching character is its own delimiter; the behaviour says what becomes of it:
//! removed, isolated, glued to the previous or next piece, or merged with neighbouring
//! delimiters (contiguous).

use serde::{Deserialize, Serialize};
use std::ops::Range;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum SplitBehavior {
    Removed,
    Isolated,
    MergedWithPrevious,
    MergedWithNext,
    Contiguous,
}

/// Appends the pieces of `text[range]` to `out`, never an empty one.
pub fn split_on_char(
    text: &str,
    range: Range<usize>,
    is_delimiter: impl Fn(char) -> bool,
    behavior: SplitBehavior,
    out: &mut Vec<Range<usize>>,
) {
    // (piece, is_delimiter) events in order: the runs between delimiters and each delimiter.
    let mut events: Vec<(Range<usize>, bool)> = Vec::new();
    let mut last = range.start;
    for (i, c) in text[range.clone()].char_indices() {
        let b = range.start + i;
        if is_delimiter(c) {
            if last < b {
                events.push((last..b, false));
            }
            events.push((b..b + c.len_utf8(), true));
            last = b + c.len_utf8();
        }
    }
    if last < range.end {
        events.push((last..range.end, false));
    }
    apply_behavior(events, behavior, out);
}

/// Appends the pieces of `text[range]` cut by the byte ranges `matches` (sorted, within the
/// range, non-overlapping); `invert` makes the text between matches the delimiters instead.
/// Appends pieces of `length` characters of `text[range]` to `out` (the last may be shorter).
pub fn split_every(text: &str, range: Range<usize>, length: usize, out: &mut Vec<Range<usize>>) {
    let mut start = range.start;
    for (k, (i, _)) in text[range.clone()].char_indices().enumerate() {
        if k > 0 && k % length == 0 {
            out.push(start..range.start + i);
            start = range.start + i;
        }
    }
    if start < range.end {
        out.push(start..range.end);
    }
}

pub fn split_on_matches(
    range: Range<usize>,
    matches: impl IntoIterator<Item = Range<usize>>,
    behavior: SplitBehavior,
    invert: bool,
    out: &mut Vec<Range<usize>>,
) {
    let mut events: Vec<(Range<usize>, bool)> = Vec::new();
    let mut last = range.start;
    for m in matches {
        if m.is_empty() {
            continue;
        }
        if last < m.start {
            events.push((last..m.start, invert));
        }
        last = m.end;
        events.push((m, !invert));
    }
    if last < range.end {
        events.push((last..range.end, invert));
    }
    apply_behavior(events, behavior, out);
}

/// Turns (piece, is_delimiter) events into pieces as `behavior` says, never an empty one.
fn apply_behavior(events: Vec<(Range<usize>, bool)>, behavior: SplitBehavior, out: &mut Vec<Range<usize>>) {
    let start_len = out.len();
    match behavior {
        SplitBehavior::Removed => out.extend(events.into_iter().filter(|(_, d)| !d).map(|(r, _)| r)),
        SplitBehavior::Isolated => out.extend(events.into_iter().map(|(r, _)| r)),
        SplitBehavior::MergedWithPrevious => {
            let mut previous_delimiter = false;
            for (r, d) in events {
                let has_own = out.len() > start_len;
                match out.last_mut() {
                    Some(last) if d && !previous_delimiter && has_own => last.end = r.end,
                    _ => out.push(r),
                }
                previous_delimiter = d;
            }
        }
        SplitBehavior::MergedWithNext => {
            let mut merged: Vec<Range<usize>> = Vec::new();
            let mut previous_delimiter = false;
            for (r, d) in events.into_iter().rev() {
                match merged.last_mut() {
                    Some(last) if d && !previous_delimiter => last.start = r.start,
                    _ => merged.push(r),
                }
                previous_delimiter = d;
            }
            out.extend(merged.into_iter().rev());
        }
        SplitBehavior::Contiguous => {
            let mut previous_delimiter = false;
            for (r, d) in events {
                let has_own = out.len() > start_len;
                match out.last_mut() {
                    Some(last) if d == previous_delimiter && has_own => last.end = r.end,
                    _ => out.push(r),
                }
                previous_delimiter = d;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pieces(text: &str, behavior: SplitBehavior) -> Vec<&str> {
        let mut out = Vec::new();
        split_on_char(text, 0..text.len(), |c| c == '-', behavior, &mut out);
        out.into_iter().map(|r| &text[r]).collect()
    }

    #[test]
    fn behaviours_follow_the_documented_example() {
        let t = "the-final--countdown";
        assert_eq!(pieces(t, SplitBehavior::Removed), ["the", "final", "countdown"]);
        assert_eq!(pieces(t, SplitBehavior::Isolated), ["the", "-", "final", "-", "-", "countdown"]);
        assert_eq!(pieces(t, SplitBehavior::MergedWithPrevious), ["the-", "final-", "-", "countdown"]);
        assert_eq!(pieces(t, SplitBehavior::MergedWithNext), ["the", "-final", "-", "-countdown"]);
        assert_eq!(pieces(t, SplitBehavior::Contiguous), ["the", "-", "final", "--", "countdown"]);
    }
}
