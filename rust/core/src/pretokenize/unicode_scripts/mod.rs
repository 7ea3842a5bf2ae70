//! HF's `UnicodeScripts` pre-tokenizer: a cut wherever the script changes, with SentencePiece's
//! rules: kana count as Han (so Japanese stays whole), U+30FC (the prolonged sound mark) too, and
//! a space, or a code point Unicode 9.0 had not assigned, belongs to no script ("Any": it joins
//! the piece it is in and never causes a cut).
//!
//! HF also drops what comes before a piece's first character with a script: " a" gives "a",
//! and a piece of spaces alone gives nothing. That is the reference's output, so it is ours.

mod table;

use std::ops::Range;

/// The script of `c` under those rules, `None` for Any.
fn script_of(c: char) -> Option<u8> {
    match c {
        '\u{30FC}' => return Some(table::HAN),
        ' ' => return None,
        _ => {}
    }
    let cp = c as u32;
    let at = table::RANGES.partition_point(|&(first, _, _)| first <= cp).checked_sub(1)?;
    let (_, last, script) = table::RANGES[at];
    match script {
        _ if cp > last => None,
        table::HIRAGANA | table::KATAKANA => Some(table::HAN),
        s => Some(s),
    }
}

/// Appends the pieces of `text[range]` to `out`.
pub fn split(text: &str, range: Range<usize>, out: &mut Vec<Range<usize>>) {
    let mut last_script = None;
    let mut piece_start = None;
    for (i, c) in text[range.clone()].char_indices() {
        let Some(script) = script_of(c) else { continue };
        if last_script != Some(script) {
            let at = range.start + i;
            if let Some(start) = piece_start.replace(at) {
                out.push(start..at);
            }
            last_script = Some(script);
        }
    }
    if let Some(start) = piece_start {
        out.push(start..range.end);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pieces(text: &str) -> Vec<&str> {
        let mut out = Vec::new();
        split(text, 0..text.len(), &mut out);
        out.into_iter().map(|r| &text[r]).collect()
    }

    #[test]
    fn scripts_and_the_sentencepiece_rules() {
        assert_eq!(pieces("どこで生れたかとんと見当がつかぬ。"), ["どこで生れたかとんと見当がつかぬ", "。"]);
        assert_eq!(pieces("Hello Мир world"), ["Hello ", "Мир ", "world"]);
        assert_eq!(pieces("ラーメン"), ["ラーメン"]);
        assert_eq!(pieces("  a b"), ["a b"], "what precedes the first scripted character is dropped");
        assert_eq!(pieces("   "), Vec::<&str>::new());
        assert_eq!(pieces("a\u{E000}b"), ["a\u{E000}b"], "private use is Any");
        assert_eq!(pieces("ab\u{061C}"), ["ab", "\u{061C}"], "U+061C was Common in Unicode 9.0");
        assert_eq!(pieces("a\u{1B170}"), ["a\u{1B170}"], "Nushu (Unicode 10.0) was not assigned in 9.0");
    }
}
