//! cl100k_base split (GPT-4, Llama-3) and its relatives (Qwen2: one digit at a time):
//! `(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+`
//! and tiktoken's possessive spellings of it.
//!
//! As for GPT-2 the pieces tile the text, and the current character (plus one or two after it)
//! picks the alternative: a contraction; a letter run, optionally led by one character that is no
//! newline, letter or digit; up to three digits; a punctuation run with its trailing newlines; or
//! white space. The regex's backtracking in `\s*[\r\n]+` lands just after the last newline of the
//! white-space run, and `\s+(?!\S)` one character short of the run's end, both known after one
//! forward scan of the run. The possessive quantifiers of tiktoken's spelling never change a match
//! here (nothing after them could use what they refuse to give back). Bytes are read at most three
//! times (a run up to its last newline, the rest up to its last character, that character):
//! linear time.

use super::ascii_window::Window;
use super::classes::{Class, Classes};
use super::scan::{ascii_letters, Text};
use super::window_starts;
use std::ops::Range;

/// The members of the cl100k family differ in these two points only.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Cl100kStyle {
    /// `\p{N}{1,3}` (cl100k, Llama-3) or `\p{N}` (Qwen2).
    pub max_digits: usize,
    /// Whether `\s++$` comes first among the white-space alternatives (tiktoken's newest
    /// spelling): white space that runs to the end of the text is then one piece even when it
    /// holds a newline, where `\s*[\r\n]` would stop after the newline.
    pub trailing_space_first: bool,
}

/// Appends the pieces of `text` under the cl100k-family pattern `style` to `out`, from `start`, at most `limit` of them; returns where
/// the next piece starts (see `Text::tile`).
pub fn split(
    text: &str,
    classes: &Classes,
    style: Cl100kStyle,
    start: usize,
    limit: usize,
    out: &mut Vec<Range<usize>>,
) -> usize {
    let rules = window_starts::Rules::Cl100k { max_digits: style.max_digits };
    window_starts::split(
        &Text::new(text, classes),
        rules,
        start,
        limit,
        out,
        |text, window, at| ascii_piece(text, window, at, style),
        |text, at| next_piece(text, at, style),
    )
}

/// `next_piece` on ASCII text, from the window's masks (`at` is the piece's offset in it): the
/// same alternatives in the same order.
#[inline(always)]
pub(super) fn ascii_piece(text: &Text, w: &Window, at: usize, style: Cl100kStyle) -> Option<usize> {
    let has = Window::has;
    if has(w.non_ascii, at) {
        return None;
    }
    let byte = *text.bytes.get(w.base + at)?;
    if byte == b'\'' {
        let contraction = text.contraction(w.base + at, true);
        if contraction > 0 {
            return w.checked(at, at + contraction);
        }
    }
    let end = if has(w.letter, at) {
        Window::run(w.letter, at)
    } else if !has(w.newline | w.digit, at) && has(w.letter, at + 1) {
        Window::run(w.letter, at + 1)
    } else if has(w.digit, at) {
        Window::run(w.digit, at).min(at + style.max_digits)
    } else if has(w.punct, at) || (byte == b' ' && has(w.punct, at + 1)) {
        let start = if has(w.punct, at) { at } else { at + 1 };
        Window::run(w.newline, Window::run(w.punct, start))
    } else {
        return w.space_piece(at);
    };
    w.checked(at, end)
}

#[inline(always)]
pub(super) fn next_piece(text: &Text, i: usize, style: Cl100kStyle) -> Option<usize> {
    let (class, len) = text.at(i)?;
    let contraction = text.contraction(i, true);
    if contraction > 0 {
        return Some(i + contraction);
    }
    if class.is_letter() {
        return Some(text.run_words(i, ascii_letters, Class::is_letter));
    }
    let byte = text.byte(i);
    let newline = matches!(byte, Some(b'\r' | b'\n'));
    if !newline && class != Class::Number && text.class(i + len).is_some_and(Class::is_letter) {
        return Some(text.run_words(i + len, ascii_letters, Class::is_letter));
    }
    if class == Class::Number {
        return Some(text.digits(i, style.max_digits));
    }
    let punct_start = if class.is_punct() {
        Some(i)
    } else if byte == Some(b' ') && text.class(i + 1).is_some_and(Class::is_punct) {
        Some(i + 1)
    } else {
        None
    };
    if let Some(start) = punct_start {
        let end = text.run(start, Class::is_punct);
        return Some(text.run_bytes(end, b"\r\n"));
    }
    let run = text.space_run(i);
    if style.trailing_space_first && run.end == text.len() {
        return Some(run.end);
    }
    if let Some(end) = run.last_newline_end {
        return Some(end);
    }
    Some(text.space_tail(&run, i))
}
