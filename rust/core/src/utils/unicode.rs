//! Character classes shared by normalizers and pre-tokenizers.
//!
//! We use the same Unicode tables as HF `tokenizers` (`unicode_categories` and
//! `unicode-normalization-alignments`) on purpose: exact parity depends on the table
//! version, not only on the rule.

use std::sync::atomic::{AtomicU8, Ordering};
use unicode_categories::UnicodeCategories;
use unicode_normalization_alignments::char::{canonical_combining_class, decompose_canonical};

/// Whitespace as BERT sees it: tab, newline and carriage return, plus Unicode White_Space.
#[inline]
pub fn is_bert_whitespace(c: char) -> bool {
    matches!(c, '\t' | '\n' | '\r') || c.is_whitespace()
}

/// Control characters (Cc, Cf, Co) that BERT's clean-up removes; tab/newline/CR are kept.
#[inline]
pub fn is_bert_control(c: char) -> bool {
    match c {
        '\t' | '\n' | '\r' => false,
        _ => c.is_other(),
    }
}

/// ASCII punctuation (which includes symbols such as `$` and `+`) or Unicode P*.
#[inline]
pub fn is_bert_punctuation(c: char) -> bool {
    c.is_ascii_punctuation() || c.is_punctuation()
}

/// CJK ideographs that BERT surrounds with spaces. The range 0x2B920.. (not 0x2B820..)
/// is what HF `tokenizers` uses, so we keep it for parity.
#[inline]
pub fn is_chinese_char(c: char) -> bool {
    matches!(c as u32,
        0x4E00..=0x9FFF
        | 0x3400..=0x4DBF
        | 0x20000..=0x2A6DF
        | 0x2A700..=0x2B73F
        | 0x2B740..=0x2B81F
        | 0x2B920..=0x2CEAF
        | 0xF900..=0xFAFF
        | 0x2F800..=0x2FA1F)
}

/// Nonspacing marks (Mn) only: what BERT's accent stripping removes. Spacing (Mc) and
/// enclosing (Me) marks stay, unlike in the `StripAccents` normalizer.
#[inline]
pub fn is_nonspacing_mark(c: char) -> bool {
    c.is_mark_nonspacing()
}

/// Marks of any kind (Mn, Mc, Me): what the `StripAccents` normalizer removes.
#[inline]
pub fn is_combining_mark(c: char) -> bool {
    unicode_normalization_alignments::char::is_combining_mark(c)
}

/// `\w` of the regex crate (Unicode aware), used to decide whether an added token stands alone.
#[inline]
pub fn is_word_char(c: char) -> bool {
    regex_syntax::is_word_character(c)
}

/// What BERT's normalizer and pre-tokenizer ask of a non-ASCII character, answered once per
/// code point (see `bert_flags`).
pub mod bert_flag {
    /// Dropped by cleaning: `\0`, U+FFFD and `is_bert_control`.
    pub const CONTROL: u8 = 1;
    /// `is_bert_whitespace`.
    pub const WHITESPACE: u8 = 2;
    /// `is_bert_punctuation`.
    pub const PUNCT: u8 = 4;
    /// Lowercasing gives the character itself.
    pub const SAME_LOWERCASED: u8 = 8;
    /// Accent stripping gives the character itself: its canonical decomposition is itself, it
    /// is not a nonspacing mark and has no combining class.
    pub const SAME_STRIPPED: u8 = 16;
    /// Set on every filled entry, so that 0 means "not computed yet".
    pub const KNOWN: u8 = 128;
}

/// One byte per code point, filled on first use. The questions cost several binary searches
/// over the Unicode category tables each (a third of all the time of BERT on non-Latin text);
/// the answer is a pure function of the character, so threads that race to fill an entry store
/// the same byte, no lock is held, and a forked child inherits valid entries. Bounded: 1.1 MB
/// of address space, of which only the pages of the scripts met are ever touched.
static BERT_FLAGS: [AtomicU8; 0x11_0000] = [const { AtomicU8::new(0) }; 0x11_0000];

/// The `bert_flag` bits of `c`.
#[inline]
pub fn bert_flags(c: char) -> u8 {
    let Some(slot) = BERT_FLAGS.get(c as usize) else { return compute_bert_flags(c) };
    match slot.load(Ordering::Relaxed) {
        0 => {
            let flags = compute_bert_flags(c);
            slot.store(flags, Ordering::Relaxed);
            flags
        }
        flags => flags,
    }
}

#[cold]
fn compute_bert_flags(c: char) -> u8 {
    use bert_flag::*;
    let mut flags = KNOWN;
    if c == '\0' || c == '\u{fffd}' || is_bert_control(c) {
        flags |= CONTROL;
    }
    if is_bert_whitespace(c) {
        flags |= WHITESPACE;
    }
    if is_bert_punctuation(c) {
        flags |= PUNCT;
    }
    let mut lowered = c.to_lowercase();
    if lowered.next() == Some(c) && lowered.next().is_none() {
        flags |= SAME_LOWERCASED;
    }
    let mut parts = 0;
    let mut same = true;
    decompose_canonical(c, |d| {
        parts += 1;
        same &= d == c;
    });
    // A kept mark with a combining class may be moved by NFD's reordering: not "itself".
    if parts == 1 && same && !is_nonspacing_mark(c) && canonical_combining_class(c) == 0 {
        flags |= SAME_STRIPPED;
    }
    flags
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn remembered_flags_are_the_computed_ones_for_every_code_point() {
        use bert_flag::*;
        for c in (0..0x11_0000u32).filter_map(char::from_u32) {
            let flags = bert_flags(c);
            assert_eq!(flags, compute_bert_flags(c), "{c:?}");
            assert_eq!(bert_flags(c), flags, "{c:?} second lookup");
            assert_eq!(flags & PUNCT != 0, is_bert_punctuation(c));
            assert_eq!(flags & WHITESPACE != 0, is_bert_whitespace(c));
        }
        // A few known answers: accented letters decompose, uppercase letters lower, marks drop.
        assert_eq!(bert_flags('é') & SAME_STRIPPED, 0);
        assert_ne!(bert_flags('é') & SAME_LOWERCASED, 0);
        assert_eq!(bert_flags('Ж') & SAME_LOWERCASED, 0);
        assert_ne!(bert_flags('ж') & (SAME_LOWERCASED | SAME_STRIPPED), 0);
        assert_eq!(bert_flags('\u{301}') & SAME_STRIPPED, 0);
        assert_ne!(bert_flags('\u{3000}') & WHITESPACE, 0);
        assert_ne!(bert_flags('\u{200b}') & CONTROL, 0);
        assert_ne!(bert_flags('。') & PUNCT, 0);
    }
}
