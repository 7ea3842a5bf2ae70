//! The `Whitespace` pre-tokenizer: the matches of `\w+|[^\w\s]+`, everything else dropped.

use std::ops::Range;
use std::sync::OnceLock;

fn pattern() -> &'static regex::Regex {
    static RE: OnceLock<regex::Regex> = OnceLock::new();
    RE.get_or_init(|| regex::Regex::new(r"\w+|[^\w\s]+").expect("constant pattern compiles"))
}

pub fn split_words(text: &str, range: Range<usize>, out: &mut Vec<Range<usize>>) {
    let base = range.start;
    out.extend(pattern().find_iter(&text[range]).map(|m| base + m.start()..base + m.end()));
}
