//! A piece of text being normalized, with the way back to the original.
//!
//! For every byte of the normalized text we keep the range of original *characters* it came
//! from, so token offsets come out directly in characters of the caller's string (what
//! Python users index with). Alignment follows the rules of HF `tokenizers` so that offsets
//! agree exactly: a character produced from another one takes that character's range; an
//! inserted character takes the range of the character before it. When offsets are not
//! wanted (`track == false`) no alignment is kept at all, which is the fast path.

use crate::utils::splice::Spliced;
use std::ops::Range;

/// Bytes of a long text whose alignment `Normalized::reset` builds between two looks for Ctrl-C.
const ALIGN_SLICE: usize = 1 << 20;

#[derive(Debug, Clone, Default)]
pub struct Normalized {
    text: String,
    align: Vec<(u32, u32)>,
    track: bool,
}

crate::scratch_fields!(Normalized: text, align);

impl Normalized {
    /// Starts from `original`, whose first character is character `char_base` of the input.
    pub fn new(original: &str, char_base: u32, track: bool) -> Self {
        let mut n = Normalized { text: original.to_string(), align: Vec::new(), track };
        if track {
            n.align.reserve(original.len());
            n.align_as_original(original.as_bytes(), char_base);
        }
        n
    }

    /// Reuses the buffers for a new piece of text. A long text's alignment (8 bytes per byte of
    /// text, so a 20 MB document writes 160 MB) is built a slice at a time, looking for Ctrl-C
    /// between slices: it fails with `Error::Interrupted` once the call is interrupted.
    pub fn reset(&mut self, original: &str, char_base: u32, track: bool) -> crate::Result<()> {
        self.reset_untracked(original);
        self.track = track;
        if track {
            // Reserved up front: growing by doubling would copy a long text's alignment
            // several times over.
            self.align.reserve(original.len());
            let mut base = char_base;
            for slice in original.as_bytes().chunks(ALIGN_SLICE) {
                crate::utils::parallel::check_interrupt()?;
                base = self.align_as_original(slice, base);
            }
        }
        Ok(())
    }

    /// `reset` for a text whose offsets are not wanted, which has nothing to interrupt.
    pub fn reset_untracked(&mut self, original: &str) {
        self.track = false;
        self.text.clear();
        self.text.push_str(original);
        self.align.clear();
    }

    /// Appends the alignment of unchanged `bytes`, whose first character start is character
    /// `next_char`: every byte of a character takes that character's range. Continuation bytes
    /// at the front (a slice cut inside a character) take the character before. Returns the
    /// index of the next character. Branch-free: a character starts at each byte that is not a
    /// continuation byte.
    fn align_as_original(&mut self, bytes: &[u8], next_char: u32) -> u32 {
        let mut next = next_char;
        self.align.extend(bytes.iter().map(|&b| {
            next += u32::from(b & 0xC0 != 0x80);
            (next - 1, next)
        }));
        next
    }

    /// Replaces the content with text built by a caller that already knows the alignment
    /// (fast paths of specific normalizers). `align` must hold one entry per byte when tracking.
    pub fn set(&mut self, text: String, align: Vec<(u32, u32)>) {
        debug_assert!(!self.track || align.len() == text.len());
        self.text = text;
        self.align = align;
    }

    pub fn take_buffers(&mut self) -> (String, Vec<(u32, u32)>) {
        (std::mem::take(&mut self.text), std::mem::take(&mut self.align))
    }

    pub fn text(&self) -> &str {
        &self.text
    }

    pub fn tracks(&self) -> bool {
        self.track
    }

    pub fn alignments(&self) -> &[(u32, u32)] {
        &self.align
    }

    /// Range of original characters covered by a non-empty byte range of the normalized text.
    #[inline]
    pub fn original_span(&self, range: Range<usize>) -> (u32, u32) {
        if !self.track || range.start >= range.end {
            return (0, 0);
        }
        match (self.align.get(range.start), self.align.get(range.end - 1)) {
            (Some(first), Some(last)) => (first.0, last.1),
            _ => (0, 0),
        }
    }

    /// A copy of the byte range `range` with `prefix` put in front, as HF's `prepend` does: the
    /// new character takes the range of the first character of the piece.
    pub fn with_prefix(&self, range: Range<usize>, prefix: char) -> Normalized {
        let mut text = String::with_capacity(range.len() + prefix.len_utf8());
        text.push(prefix);
        text.push_str(&self.text[range.clone()]);
        let mut align = Vec::new();
        if self.track {
            let first = self.align.get(range.start).copied().unwrap_or((0, 0));
            align.extend(std::iter::repeat_n(first, prefix.len_utf8()));
            align.extend_from_slice(&self.align[range]);
        }
        Normalized { text, align, track: self.track }
    }

    /// A copy of the byte range `range` (a whole number of characters), with its alignment.
    pub fn slice(&self, range: Range<usize>) -> Normalized {
        let align = if self.track { self.align[range.clone()].to_vec() } else { Vec::new() };
        Normalized { text: self.text[range].to_string(), align, track: self.track }
    }

    /// Puts `prefix` in front of a non-empty text, as HF's `prepend` does: the new characters
    /// take the alignment of the first character.
    pub fn prepend(&mut self, prefix: &str) {
        if self.text.is_empty() {
            return;
        }
        if prefix.is_empty() {
            // HF still rewrites the first character, as if inserted before anything: it then
            // covers no original text (an empty span at its start).
            if self.track {
                let first_len = self.text.chars().next().map_or(0, char::len_utf8);
                let start = self.align[0].0;
                self.align[..first_len].iter_mut().for_each(|a| *a = (start, start));
            }
            return;
        }
        self.text.insert_str(0, prefix);
        if self.track {
            let first = self.align[0];
            self.align.splice(0..0, std::iter::repeat_n(first, prefix.len()));
        }
    }

    /// Replaces every `from` by `to` (HF's `replace` with a character pattern).
    pub fn replace_char(&mut self, from: char, to: &str) {
        let mut buf = [0u8; 4];
        let from_str: &str = from.encode_utf8(&mut buf);
        if !self.text.contains(from) {
            return;
        }
        // memchr's search: `str::replace` walks a one-character pattern with the general
        // string searcher, several times slower on the spaces of prose.
        let found = memchr::memmem::find_iter(self.text.as_bytes(), from_str.as_bytes());
        if !self.track {
            let mut text = Spliced::new(&self.text, self.text.len() + self.text.len() / 4);
            for at in found {
                text.replace(at..at + from_str.len(), to);
            }
            self.text = text.finish();
            return;
        }
        let matches: Vec<Range<usize>> = found.map(|i| i..i + from_str.len()).collect();
        self.replace_ranges(&matches, to);
    }

    /// Removes leading and/or trailing white space (HF's `lstrip` / `rstrip`).
    pub fn strip(&mut self, left: bool, right: bool) {
        let text = self.text.as_str();
        let end = if right { text.trim_end().len() } else { text.len() };
        let start = if left { end - text[..end].trim_start().len() } else { 0 };
        if start == 0 && end == self.text.len() {
            return;
        }
        self.text.truncate(end);
        self.text.drain(..start);
        if self.track {
            self.align.truncate(end);
            self.align.drain(..start);
        }
    }

    /// Keeps the characters for which `keep` is true; kept ones keep their alignment.
    pub fn filter(&mut self, keep: impl Fn(char) -> bool) {
        self.rebuild(|c, emit| {
            if keep(c) {
                emit(c, false)
            }
        });
    }

    /// Replaces every character by `f(c)`, alignment unchanged.
    pub fn map(&mut self, f: impl Fn(char) -> char) {
        self.rebuild(|c, emit| emit(f(c), false));
    }

    /// Rebuilds the text character by character. `step` calls `emit(c, inserted)` for each output
    /// character; all output of one input character takes that character's alignment, which is
    /// what HF's transform gives for per-character rewrites (lowercase, padding around CJK, ...).
    pub fn rebuild(&mut self, mut step: impl FnMut(char, &mut dyn FnMut(char, bool))) {
        let mut text = String::with_capacity(self.text.len() + self.text.len() / 8);
        let mut align = Vec::with_capacity(if self.track { self.align.len() } else { 0 });
        let track = self.track;
        for (b, c) in self.text.char_indices() {
            let a = if track { self.align[b] } else { (0, 0) };
            step(c, &mut |out: char, _inserted: bool| {
                text.push(out);
                if track {
                    for _ in 0..out.len_utf8() {
                        align.push(a);
                    }
                }
            });
        }
        self.text = text;
        self.align = align;
    }

    /// HF's general transform: `changes` yields each output character with the number of input
    /// characters it stands for minus one (positive: inserted, negative: consumes more), after
    /// skipping `initial_removed` input characters. Used for Unicode normalization forms, whose
    /// reordering and composition span characters.
    pub fn transform(&mut self, changes: impl IntoIterator<Item = (char, isize)>, initial_removed: usize) {
        let old = std::mem::take(&mut self.text);
        let old_align = std::mem::take(&mut self.align);
        let mut old_chars = old.char_indices().peekable();
        let mut offset = 0usize;
        for _ in 0..initial_removed {
            if let Some((_, c)) = old_chars.next() {
                offset += c.len_utf8();
            }
        }
        let mut text = String::with_capacity(old.len());
        let mut align = Vec::with_capacity(old_align.len());
        for (c, change) in changes {
            let a = if !self.track {
                (0, 0)
            } else if change > 0 {
                if offset == 0 {
                    (0, 0)
                } else {
                    old_align.get(offset - 1).copied().unwrap_or((0, 0))
                }
            } else {
                old_align.get(offset).copied().unwrap_or((0, 0))
            };
            if change <= 0 {
                if let Some((_, oc)) = old_chars.next() {
                    offset += oc.len_utf8();
                }
            }
            if change < 0 {
                for _ in 0..(-change) {
                    if let Some((_, oc)) = old_chars.next() {
                        offset += oc.len_utf8();
                    }
                }
            }
            text.push(c);
            if self.track {
                for _ in 0..c.len_utf8() {
                    align.push(a);
                }
            }
        }
        self.text = text;
        self.align = align;
    }

    /// Replaces each byte range of `matches` (sorted, non-overlapping) by `content`. The
    /// replacement takes the alignment of the last replaced byte, as in HF; an empty range
    /// inserts `content` with the alignment of the byte before it (at the start: an empty span
    /// at the first character).
    pub fn replace_ranges(&mut self, matches: &[Range<usize>], content: &str) {
        if matches.is_empty() {
            return;
        }
        let mut text = Spliced::new(&self.text, self.text.len());
        let mut align = Vec::with_capacity(self.align.len());
        for (k, m) in matches.iter().enumerate() {
            // A whole document can be one piece here: once the call is interrupted, stop and
            // leave the text as it was; the caller's next look for Ctrl-C reports it.
            if k % (1 << 16) == (1 << 16) - 1 && crate::utils::parallel::check_interrupt().is_err() {
                return;
            }
            if self.track {
                align.extend_from_slice(&self.align[text.copied()..m.start]);
                let a = match m.end {
                    0 => self.align.first().map_or((0, 0), |a| (a.0, a.0)),
                    end => self.align[end - 1],
                };
                align.extend(std::iter::repeat_n(a, content.len()));
            }
            text.replace(m.clone(), content);
        }
        if self.track {
            align.extend_from_slice(&self.align[text.copied()..]);
        }
        self.text = text.finish();
        self.align = align;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn alignment_counts_characters_not_bytes() {
        let n = Normalized::new("héllo", 10, true);
        assert_eq!(n.original_span(0..1), (10, 11));
        assert_eq!(n.original_span(1..3), (11, 12));
        assert_eq!(n.original_span(0..6), (10, 15));
    }

    #[test]
    fn a_long_text_is_aligned_across_its_slices() {
        // Characters of 1 to 4 bytes, so the slice boundaries fall inside characters too.
        let text: String = "aé€😀".repeat(ALIGN_SLICE / 10 * 3 + 7);
        let mut n = Normalized::default();
        n.reset(&text, 5, true).unwrap();
        let mut at = 0;
        for (k, c) in text.chars().enumerate() {
            let range = at..at + c.len_utf8();
            let expected = (5 + k as u32, 6 + k as u32);
            assert!(n.alignments()[range.clone()].iter().all(|&a| a == expected), "char {k} at {range:?}");
            at = range.end;
        }
        assert_eq!(n.alignments().len(), text.len());
    }

    #[test]
    fn building_a_long_alignment_stops_when_the_call_is_interrupted() {
        use std::sync::atomic::AtomicBool;
        use std::sync::Arc;
        let text = "x".repeat(3 * ALIGN_SLICE);
        let mut n = Normalized::default();
        let raised = Some(Arc::new(AtomicBool::new(true)));
        let result = crate::utils::parallel::with_interrupt(raised, || n.reset(&text, 0, true));
        assert!(matches!(result, Err(crate::Error::Interrupted)), "{result:?}");
        // Without offsets there is no alignment to build, and nothing to interrupt.
        let raised = Some(Arc::new(AtomicBool::new(true)));
        crate::utils::parallel::with_interrupt(raised, || n.reset(&text, 0, false)).unwrap();
        assert_eq!(n.text(), text);
    }

    #[test]
    fn an_interrupted_replacement_leaves_the_text_as_it_was() {
        use std::sync::atomic::AtomicBool;
        use std::sync::Arc;
        let text = "a b ".repeat(1 << 17);
        let spaces: Vec<Range<usize>> = (0..text.len()).filter(|i| i % 2 == 1).map(|i| i..i + 1).collect();
        let mut n = Normalized::new(&text, 0, true);
        let raised = Some(Arc::new(AtomicBool::new(true)));
        crate::utils::parallel::with_interrupt(raised, || n.replace_ranges(&spaces, "_"));
        assert_eq!(n.text(), text);
        assert_eq!(n.alignments().len(), text.len());
        n.replace_ranges(&spaces, "_");
        assert_eq!(n.text(), text.replace(' ', "_"));
    }

    #[test]
    fn filter_keeps_alignment_of_kept_chars() {
        let mut n = Normalized::new("a\u{0}b", 0, true);
        n.filter(|c| c != '\u{0}');
        assert_eq!(n.text(), "ab");
        assert_eq!(n.original_span(1..2), (2, 3));
    }

    #[test]
    fn replacement_takes_the_last_replaced_char() {
        let mut n = Normalized::new("abcd", 0, true);
        n.replace_ranges(&[1..3], "XYZ");
        assert_eq!(n.text(), "aXYZd");
        assert_eq!(n.original_span(1..4), (2, 3));
        assert_eq!(n.original_span(4..5), (3, 4));
    }
}
