//! The `Whitespace` pre-tokenizer: the matches of `\w+|[^\w\s]+`, everything else dropped.

use once_cell::race::OnceBox;
use std::ops::Range;

fn pattern() -> &'static regex::Regex {
    // Lock-free lazy (OnceBox): safe when a fork catches another thread compiling it.
    static RE: OnceBox<regex::Regex> = OnceBox::new();
    RE.get_or_init(|| Box::new(regex::Regex::new(r"\w+|[^\w\s]+").expect("constant pattern compiles")))
}

pub fn split_words(text: &str, range: Range<usize>, out: &mut Vec<Range<usize>>) {
    let base = range.start;
    out.extend(pattern().find_iter(&text[range]).map(|m| base + m.start()..base + m.end()));
}
