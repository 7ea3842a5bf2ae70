//! BERT's pre-tokenizer: split on whitespace (dropped) and isolate every punctuation character.
//! One pass; a run of ASCII letters and digits, or of ASCII white space, is skipped by the
//! 64-byte class masks of `ascii_window` (a trailing-zero count instead of a branch per byte),
//! other ASCII bytes are classified by a table, other characters by Unicode category.

use super::regex_split::ascii_window::{Window, WIDTH};
use crate::utils::unicode::{bert_flag, bert_flags};
use std::ops::Range;

const SPACE: u8 = 1;
const PUNCT: u8 = 2;

const fn ascii_classes() -> [u8; 128] {
    let mut t = [0u8; 128];
    let mut b = 0;
    while b < 128 {
        let c = b as u8;
        t[b] = if matches!(c, b'\t' | b'\n' | 0x0b | 0x0c | b'\r' | b' ') {
            SPACE
        } else if c.is_ascii_punctuation() {
            PUNCT
        } else {
            0
        };
        b += 1;
    }
    t
}

static ASCII: [u8; 128] = ascii_classes();

#[inline]
fn class(c: char) -> u8 {
    if (c as u32) < 128 {
        ASCII[c as usize]
    } else {
        // Non-ASCII white space is Unicode White_Space, as `char::is_whitespace` tests.
        let flags = bert_flags(c);
        if flags & bert_flag::WHITESPACE != 0 {
            SPACE
        } else if flags & bert_flag::PUNCT != 0 {
            PUNCT
        } else {
            0
        }
    }
}

pub fn split(text: &str, range: Range<usize>, out: &mut Vec<Range<usize>>) {
    let bytes = text.as_bytes();
    let mut word_start: Option<usize> = None;
    let mut i = range.start;
    let mut window = Window::at(bytes, i);
    while i < range.end {
        let b = bytes[i];
        if b.is_ascii_alphanumeric() {
            // Letters and digits are word bytes (class 0): the run's end from the masks. A run
            // that reaches the window's end (`run` then says WIDTH or more) continues from a
            // new window on the next turn.
            word_start.get_or_insert(i);
            window.reach(bytes, i);
            let end = Window::run(window.letter | window.digit, i - window.base).min(WIDTH);
            i = (window.base + end).min(range.end);
            continue;
        }
        if b < 128 && ASCII[b as usize] == SPACE {
            // ASCII white space (the window's `space` mask is the same six bytes) ends a word
            // and is dropped: the run's end from the masks too.
            if let Some(s) = word_start.take() {
                out.push(s..i);
            }
            window.reach(bytes, i);
            let end = Window::run(window.space, i - window.base).min(WIDTH);
            i = (window.base + end).min(range.end);
            continue;
        }
        let (cls, len) = if b < 128 {
            (ASCII[b as usize], 1)
        } else {
            match text[i..range.end].chars().next() {
                Some(c) => (class(c), c.len_utf8()),
                None => break,
            }
        };
        if cls == 0 {
            word_start.get_or_insert(i);
        } else {
            if let Some(s) = word_start.take() {
                out.push(s..i);
            }
            if cls == PUNCT {
                out.push(i..i + len);
            }
        }
        i += len;
    }
    if let Some(s) = word_start {
        out.push(s..range.end);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// The definition, a character at a time: words of class-0 characters, punctuation alone.
    fn by_characters(text: &str, range: Range<usize>) -> Vec<Range<usize>> {
        let mut out = Vec::new();
        let mut word_start = None;
        for (at, c) in text[range.clone()].char_indices() {
            let at = range.start + at;
            match class(c) {
                0 => {
                    word_start.get_or_insert(at);
                }
                cls => {
                    if let Some(s) = word_start.take() {
                        out.push(s..at);
                    }
                    if cls == PUNCT {
                        out.push(at..at + c.len_utf8());
                    }
                }
            }
        }
        if let Some(s) = word_start {
            out.push(s..range.end);
        }
        out
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(300))]
        /// Runs of letters, digits or white space longer than a window, ranges that end inside a run,
        /// control characters (word bytes), accented letters and Unicode punctuation and spaces.
        #[test]
        fn runs_from_the_masks_split_as_characters_do(
            parts in proptest::collection::vec(
                prop_oneof![
                    "[a-zA-Z0-9]{1,80}",
                    "[ \t\n\r\x0b\x0c]{1,80}",
                    prop::sample::select(vec![" ", "\n", "\t", "  ", ",", "'", "\u{1}", "\u{7f}", "é", "ß", "\u{3000}", "、", "—", "ü", "x"])
                        .prop_map(str::to_string),
                ],
                0..40,
            ),
            cut in 0usize..1000,
        ) {
            let text: String = parts.concat();
            let mut end = text.len().saturating_sub(cut % (text.len() + 1));
            while !text.is_char_boundary(end) {
                end -= 1;
            }
            let start = if end > 3 && text.is_char_boundary(3) { 3 } else { 0 };
            let mut got = Vec::new();
            split(&text, start..end, &mut got);
            prop_assert_eq!(got, by_characters(&text, start..end));
        }
    }
}
