//! Pieces shared by the hand-written scanners: maximal runs of a class, the white-space tail of
//! the patterns, digit groups and apostrophe contractions.
//!
//! Every function here reads forward from a character boundary and returns a character boundary,
//! touching each byte at most once, so a scanner built from them is linear as long as it never
//! re-reads a span more than a constant number of times.

use super::ascii_window::Window;
use super::classes::{Class, Classes};
use std::ops::Range;

/// A `str`'s bytes with the class table: the state every scanner walks over.
#[derive(Clone, Copy)]
pub struct Text<'a> {
    pub bytes: &'a [u8],
    pub classes: &'a Classes,
}

/// What a maximal run of white space starting at some position looks like.
pub struct SpaceRun {
    /// End of the run (the first non-space character, or the end of the text).
    pub end: usize,
    /// Start of the run's last character.
    pub last_start: usize,
    /// End of the last `\r` or `\n` in the run, if it has one.
    pub last_newline_end: Option<usize>,
}

impl<'a> Text<'a> {
    pub fn new(text: &'a str, classes: &'a Classes) -> Self {
        Text { bytes: text.as_bytes(), classes }
    }

    /// Appends the pieces found one after the other from `start`, each beginning where the
    /// previous ended, until the end of the text, until `limit` pieces are out, or once a piece
    /// ends at or after `stop`; returns where the next piece would start. A piece depends only on the text from its start on (the
    /// patterns have no look-behind), so a scan stopped early resumes from that position with
    /// exactly the pieces one pass would give.
    ///
    /// `ascii_piece` decides a piece from the class masks of the window at its start (given the
    /// piece's offset in it), or returns `None` (non-ASCII bytes, the end of the text, a long
    /// run) for `next_piece` to decide it character by character (`None` at the end).
    #[inline(always)]
    pub fn tile(
        &self,
        mut start: usize,
        limit: usize,
        stop: usize,
        out: &mut Vec<Range<usize>>,
        ascii_piece: impl Fn(&Text, &Window, usize) -> Option<usize>,
        next_piece: impl Fn(&Text, usize) -> Option<usize>,
    ) -> usize {
        let mut window = Window::at(self.bytes, start);
        for _ in 0..limit {
            if start >= stop {
                break;
            }
            window.reach(self.bytes, start);
            let end = match ascii_piece(self, &window, start - window.base) {
                Some(end) => end,
                None => match next_piece(self, start) {
                    Some(end) => end,
                    None => break,
                },
            };
            // Every alternative of the patterns takes at least one character; should a scanner
            // ever break that, end with the rest of the text as one piece instead of looping.
            debug_assert!(end > start, "empty piece at {start}");
            let end = if end > start { end } else { self.len() };
            out.push(start..end);
            start = end;
        }
        start
    }

    #[inline(always)]
    pub fn len(&self) -> usize {
        self.bytes.len()
    }

    #[inline(always)]
    pub fn byte(&self, i: usize) -> Option<u8> {
        self.bytes.get(i).copied()
    }

    /// Class and byte length of the character at `i`, `None` at the end.
    #[inline(always)]
    pub fn at(&self, i: usize) -> Option<(Class, usize)> {
        self.classes.at(self.bytes, i)
    }

    /// Class of the character at `i`, `None` at the end.
    #[inline(always)]
    pub fn class(&self, i: usize) -> Option<Class> {
        self.at(i).map(|(class, _)| class)
    }

    /// End of the maximal run of characters whose class satisfies `keep`, starting at `i`.
    #[inline(always)]
    pub fn run(&self, mut i: usize, keep: impl Fn(Class) -> bool) -> usize {
        while let Some(&b) = self.bytes.get(i) {
            if b < 0x80 {
                if !keep(self.classes.ascii(b)) {
                    break;
                }
                i += 1;
            } else {
                match self.at(i) {
                    Some((class, len)) if keep(class) => i += len,
                    _ => break,
                }
            }
        }
        i
    }

    /// [`Text::run`] that checks eight ASCII bytes at a time: `ascii_mask` sets the high bit of
    /// each byte of a word that `keep` accepts, and must agree with `keep` on every ASCII byte.
    /// A word of kept bytes is skipped whole; anything else takes one scalar step.
    #[inline(always)]
    pub fn run_words(&self, mut i: usize, ascii_mask: impl Fn(u64) -> u64, keep: impl Fn(Class) -> bool) -> usize {
        loop {
            if let Some(word) = self.bytes.get(i..i + 8).and_then(|w| <[u8; 8]>::try_from(w).ok()) {
                let kept = ascii_mask(u64::from_le_bytes(word)) & HIGH_BITS;
                let skip = (!kept & HIGH_BITS).trailing_zeros() as usize / 8;
                i += skip;
                if skip == 8 {
                    continue;
                }
            }
            match self.bytes.get(i) {
                None => return i,
                Some(&b) if b < 0x80 => {
                    if !keep(self.classes.ascii(b)) {
                        return i;
                    }
                    i += 1;
                }
                Some(_) => match self.at(i) {
                    Some((class, len)) if keep(class) => i += len,
                    _ => return i,
                },
            }
        }
    }

    /// End of the maximal run of bytes in `set` (ASCII bytes only) starting at `i`.
    #[inline(always)]
    pub fn run_bytes(&self, mut i: usize, set: &[u8]) -> usize {
        while self.byte(i).is_some_and(|b| set.contains(&b)) {
            i += 1;
        }
        i
    }

    /// End of at most `max` characters of `\p{N}` from `i` (`\p{N}{1,max}`, greedy).
    #[inline(always)]
    pub fn digits(&self, mut i: usize, max: usize) -> usize {
        for _ in 0..max {
            match self.at(i) {
                Some((Class::Number, len)) => i += len,
                _ => break,
            }
        }
        i
    }

    /// The maximal run of white space from `i` (which must be white space).
    #[inline(always)]
    pub fn space_run(&self, start: usize) -> SpaceRun {
        let mut i = start;
        let mut last_start = start;
        let mut last_newline_end = None;
        while let Some(&b) = self.bytes.get(i) {
            let len = if b < 0x80 {
                if self.classes.ascii(b) != Class::Space {
                    break;
                }
                if b == b'\n' || b == b'\r' {
                    last_newline_end = Some(i + 1);
                }
                1
            } else {
                match self.at(i) {
                    Some((Class::Space, len)) => len,
                    _ => break,
                }
            };
            last_start = i;
            i += len;
        }
        SpaceRun { end: i, last_start, last_newline_end }
    }

    /// End of `\s+(?!\S)|\s+` at `start`: the whole run if it reaches the end of the text,
    /// else all but its last character (which then precedes the next word), else one character.
    #[inline(always)]
    pub fn space_tail(&self, run: &SpaceRun, start: usize) -> usize {
        if run.end == self.len() || run.last_start == start {
            run.end
        } else {
            run.last_start
        }
    }

    /// Length of an apostrophe contraction `'s|'t|'re|'ve|'m|'ll|'d` at `i`, 0 if there is none.
    /// With `fold` the letters match case-insensitively as the regex crate folds them: ASCII case
    /// plus U+017F LATIN SMALL LETTER LONG S for `s` (no other letter of these has a fold).
    #[inline(always)]
    pub fn contraction(&self, i: usize, fold: bool) -> usize {
        if self.byte(i) != Some(b'\'') {
            return 0;
        }
        let letter = |k: usize, want: u8| match self.byte(i + k) {
            Some(b) if b == want => true,
            Some(b) => fold && (b | 0x20) == want,
            None => false,
        };
        if letter(1, b's') || letter(1, b't') || letter(1, b'm') || letter(1, b'd') {
            return 2;
        }
        if (letter(1, b'r') || letter(1, b'v')) && letter(2, b'e') {
            return 3;
        }
        if letter(1, b'l') && letter(2, b'l') {
            return 3;
        }
        if fold && self.byte(i + 1) == Some(0xC5) && self.byte(i + 2) == Some(0xBF) {
            return 3;
        }
        0
    }
}

const HIGH_BITS: u64 = 0x8080_8080_8080_8080;
const LOW_7: u64 = 0x7F7F_7F7F_7F7F_7F7F;

/// High bit set in each byte of `word` that is an ASCII byte in `lo..=hi` (`hi < 0x7F`).
#[inline(always)]
fn ascii_in_range(word: u64, lo: u8, hi: u8) -> u64 {
    // Bytes are reduced to 7 bits first so the per-byte additions cannot carry into a neighbour.
    let low = word & LOW_7;
    let at_least_lo = low + 0x0101_0101_0101_0101 * (0x80 - lo as u64);
    let above_hi = low + 0x0101_0101_0101_0101 * (0x7F - hi as u64);
    at_least_lo & !above_hi & !word & HIGH_BITS
}

/// ASCII letters `A-Z a-z` (`\p{L}` on ASCII).
#[inline(always)]
pub fn ascii_letters(word: u64) -> u64 {
    ascii_in_range(word | 0x2020_2020_2020_2020, b'a', b'z') & !word & HIGH_BITS
}

/// ASCII lowercase letters (o200k's lower set on ASCII).
#[inline(always)]
pub fn ascii_lower(word: u64) -> u64 {
    ascii_in_range(word, b'a', b'z')
}

/// ASCII uppercase letters (o200k's upper set on ASCII).
#[inline(always)]
pub fn ascii_upper(word: u64) -> u64 {
    ascii_in_range(word, b'A', b'Z')
}
