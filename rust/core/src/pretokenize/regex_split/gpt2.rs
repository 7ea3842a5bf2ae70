//! GPT-2 split (also r50k/p50k and HF's ByteLevel default):
//! `'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+`.
//!
//! Every character is a letter, a number, white space or "punctuation", so some alternative always
//! matches and the pieces tile the text. At each position the first alternative that can match is
//! decided by the current character and, for an apostrophe or a space, the next one or two; the
//! piece is then a maximal run of one class, found in one forward pass. The only backtracking of
//! the regex, `\s+(?!\S)` giving back the last space before a word, becomes "stop one character
//! short of the end of the run", known once the run is scanned. Each byte is read at most twice
//! (a run's last space is read again as the start of the next piece): linear time.

use super::ascii_window::Window;
use super::classes::{Class, Classes};
use super::scan::{ascii_letters, Text};
use super::window_starts;
use std::ops::Range;

/// Appends the GPT-2 pieces of `text` to `out`, from `start`, at most `limit` of them; returns where
/// the next piece starts (see `Text::tile`).
///
/// Windows of ASCII text are cut 64 bytes at a time from their class masks (`window_starts`);
/// what they cannot decide goes piece by piece.
pub fn split(text: &str, classes: &Classes, start: usize, limit: usize, out: &mut Vec<Range<usize>>) -> usize {
    let rules = window_starts::Rules::Gpt2;
    window_starts::split(&Text::new(text, classes), rules, start, limit, out, ascii_piece, next_piece)
}

/// `next_piece` on ASCII text, from the window's masks (`at` is the piece's offset in it).
#[inline(always)]
pub(super) fn ascii_piece(text: &Text, w: &Window, at: usize) -> Option<usize> {
    let has = Window::has;
    if has(w.non_ascii, at) {
        return None;
    }
    let byte = *text.bytes.get(w.base + at)?;
    if byte == b'\'' {
        let contraction = text.contraction(w.base + at, false);
        if contraction > 0 {
            return w.checked(at, at + contraction);
        }
    }
    // ` ?X+`: a space takes the run that follows it, whatever its class but space.
    let start = if byte == b' ' && !has(w.space | w.non_ascii, at + 1) { at + 1 } else { at };
    let end = if has(w.letter, start) {
        Window::run(w.letter, start)
    } else if has(w.digit, start) {
        Window::run(w.digit, start)
    } else if has(w.punct, start) {
        Window::run(w.punct, start)
    } else if has(w.space, start) {
        w.space_piece_without_newlines(start)
    } else {
        return None;
    };
    w.checked(at, end)
}

/// End of the piece starting at `i`, `None` at the end of the text.
#[inline(always)]
pub(super) fn next_piece(text: &Text, i: usize) -> Option<usize> {
    let class = text.class(i)?;
    let contraction = text.contraction(i, false);
    if contraction > 0 {
        return Some(i + contraction);
    }
    // ` ?X+`: a space takes the run that follows it, whatever its class but space.
    let (run_start, run_class) = match text.byte(i) {
        Some(b' ') => match text.class(i + 1) {
            Some(next) if next != Class::Space => (i + 1, next),
            _ => (i, class),
        },
        _ => (i, class),
    };
    let end = match run_class {
        c if c.is_letter() => text.run_words(run_start, ascii_letters, Class::is_letter),
        Class::Number => text.run(run_start, |c| c == Class::Number),
        Class::Space => text.space_tail(&text.space_run(i), i),
        _ => text.run(run_start, Class::is_punct),
    };
    Some(end)
}
