//! o200k_base split (GPT-4o and later), tiktoken's seven alternatives joined with `|`:
//! `[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]*[\p{Ll}\p{Lm}\p{Lo}\p{M}]+(?i:'s|'t|'re|'ve|'m|'ll|'d)?`
//! `|[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]+[\p{Ll}\p{Lm}\p{Lo}\p{M}]*(?i:'s|'t|'re|'ve|'m|'ll|'d)?`
//! `|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n/]*|\s*[\r\n]+|\s+(?!\S)|\s+`.
//!
//! Call `U` the first bracket (upper, titlecase, caseless letters and marks) and `W` the second
//! (lower, caseless letters and marks); caseless letters and marks are in both. The first
//! alternative, `X? U* W+ C?`, is where the regex backtracks: `U*` first takes the maximal run of
//! `U`, and if a lowercase letter follows it, `W+` continues from there. Otherwise the engine gives
//! `U*` back character by character until a character that is also in `W` (a caseless letter or a
//! mark) can serve as `W+`: the piece ends just after the *last* such character of the run, and
//! fails if there is none. Both outcomes are known after one forward scan that remembers where the
//! last caseless character ended. The optional prefix `X` is tried taken first and then left out;
//! leaving it out can only matter when it is a mark, which is itself in `U` and `W`.
//! The second alternative `X? U+ W* C?` is greedy without give-back. The rest is as in cl100k,
//! with `/` among the punctuation run's trailers.
//!
//! Linear time: a piece may read the `U` run after its end once more (when it ended at the last
//! caseless character, or when the first alternative failed), and that run is then consumed by the
//! next piece through the second alternative, so each byte is read a bounded number of times.

use super::ascii_window::Window;
use super::classes::{Class, Classes};
use super::scan::{ascii_lower, ascii_upper, Text};
use super::window_starts;
use std::ops::Range;

/// Appends the o200k_base pieces of `text` to `out`, from `start`, at most `limit` of them; returns where
/// the next piece starts (see `Text::tile`).
///
/// Windows of ASCII text are cut 64 bytes at a time from their class masks (`window_starts`);
/// what they cannot decide (non-ASCII text, a run longer than a window) goes piece by piece.
pub fn split(text: &str, classes: &Classes, start: usize, limit: usize, out: &mut Vec<Range<usize>>) -> usize {
    let rules = window_starts::Rules::O200k;
    window_starts::split(&Text::new(text, classes), rules, start, limit, out, ascii_piece, next_piece)
}

/// `next_piece` on ASCII text, from the window's masks (`at` is the piece's offset in it): there
/// are no caseless letters or marks in ASCII, so a letter piece is `U*L*` from its first letter
/// (`U+L*` or `U*L+`, whichever is longer), then a contraction.
#[inline(always)]
pub(super) fn ascii_piece(text: &Text, w: &Window, at: usize) -> Option<usize> {
    let has = Window::has;
    if has(w.non_ascii, at) {
        return None;
    }
    let letters = if has(w.letter, at) {
        Some(at)
    } else if !has(w.newline | w.digit, at) && has(w.letter, at + 1) {
        Some(at + 1)
    } else {
        None
    };
    let end = if let Some(start) = letters {
        let end = Window::run(w.lower, Window::run(w.upper, start));
        end + text.contraction(w.base + end, true)
    } else if has(w.digit, at) {
        Window::run(w.digit, at).min(at + 3)
    } else if has(w.punct, at) || (text.byte(w.base + at) == Some(b' ') && has(w.punct, at + 1)) {
        let start = if has(w.punct, at) { at } else { at + 1 };
        Window::run(w.newline | w.slash, Window::run(w.punct, start))
    } else {
        return w.space_piece(at);
    };
    w.checked(at, end)
}

#[inline(always)]
pub(super) fn next_piece(text: &Text, i: usize) -> Option<usize> {
    let (class, len) = text.at(i)?;
    let byte = text.byte(i);
    let newline = matches!(byte, Some(b'\r' | b'\n'));
    // `[^\r\n\p{L}\p{N}]`: the optional first character of the two letter alternatives.
    let prefix = !newline && !class.is_letter() && class != Class::Number;
    let in_letters = class.is_o200k_upper() || class.is_o200k_lower();

    if prefix {
        if let Some(end) = upper_then_lower(text, i + len) {
            return Some(end);
        }
    }
    if in_letters {
        if let Some(end) = upper_then_lower(text, i) {
            return Some(end);
        }
    }
    if prefix {
        if let Some(end) = upper_run(text, i + len) {
            return Some(end);
        }
    }
    if class.is_o200k_upper() {
        if let Some(end) = upper_run(text, i) {
            return Some(end);
        }
    }
    if class == Class::Number {
        return Some(text.digits(i, 3));
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
        return Some(text.run_bytes(end, b"\r\n/"));
    }
    let run = text.space_run(i);
    if let Some(end) = run.last_newline_end {
        return Some(end);
    }
    Some(text.space_tail(&run, i))
}

/// `U* W+ C?` at `p`, with the regex's give-back of `U*` (see the module doc).
#[inline(always)]
fn upper_then_lower(text: &Text, p: usize) -> Option<usize> {
    let mut q = p;
    let mut last_caseless_end = None;
    while let Some((class, len)) = text.at(q) {
        match class {
            Class::Upper => q += len,
            Class::Caseless | Class::Mark => {
                q += len;
                last_caseless_end = Some(q);
            }
            _ => break,
        }
    }
    let end = if text.class(q) == Some(Class::Lower) {
        text.run_words(q, ascii_lower, Class::is_o200k_lower)
    } else {
        last_caseless_end?
    };
    Some(end + text.contraction(end, true))
}

/// `U+ W* C?` at `p`: greedy, nothing to give back.
#[inline(always)]
fn upper_run(text: &Text, p: usize) -> Option<usize> {
    let q = text.run_words(p, ascii_upper, Class::is_o200k_upper);
    if q == p {
        return None;
    }
    let end = text.run_words(q, ascii_lower, Class::is_o200k_lower);
    Some(end + text.contraction(end, true))
}
