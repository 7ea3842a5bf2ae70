//! BERT's pre-tokenizer: split on whitespace (dropped) and isolate every punctuation character.
//! One pass; ASCII bytes are classified by a table, other characters by Unicode category.

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
    while i < range.end {
        let b = bytes[i];
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
