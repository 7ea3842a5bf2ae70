//! What BERT's normalizer makes of one character, where that needs more than its Unicode
//! flags: a Hangul syllable's jamo, an accented letter stripped and lowercased, and the whole
//! per-character rule for the two-byte UTF-8 characters (Latin accents, Greek, Cyrillic,
//! Armenian, Hebrew, Arabic), answered from one table per setting.

use crate::utils::unicode::{bert_flag, bert_flags, is_chinese_char, is_nonspacing_mark};
use std::sync::atomic::{AtomicU32, Ordering};
use unicode_normalization_alignments::char::{canonical_combining_class, decompose_canonical};

/// The canonical decomposition of a precomposed Hangul syllable (U+AC00..=U+D7A3): its leading
/// consonant, vowel and, when it has one, trailing consonant, by the arithmetic of the Unicode
/// standard (section 3.12); `None` for any other character.
pub(super) fn hangul_jamo(c: char) -> Option<[Option<char>; 3]> {
    const FIRST: u32 = 0xAC00;
    const VOWELS_TIMES_TRAILS: u32 = 21 * 28;
    const TRAILS: u32 = 28;
    let index = (c as u32).checked_sub(FIRST).filter(|&s| s < 19 * VOWELS_TIMES_TRAILS)?;
    let lead = char::from_u32(0x1100 + index / VOWELS_TIMES_TRAILS);
    let vowel = char::from_u32(0x1161 + (index % VOWELS_TIMES_TRAILS) / TRAILS);
    let trail = (index % TRAILS != 0).then(|| char::from_u32(0x11A7 + index % TRAILS)).flatten();
    Some([lead, vowel, trail])
}

/// What accent stripping then lowercasing makes of one character (and, from `two_byte_char`,
/// the whole per-character rule of a setting).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Stripped {
    /// Nothing: a nonspacing mark (or a character cleaning drops).
    Dropped,
    One(char),
    /// Several characters, a kept mark with a combining class (which NFD's reordering may move),
    /// or anything else the per-character path must decide (white space under cleaning).
    Several,
}

/// `Stripped` per code point of the BMP, filled on first use like `bert_flags`: 0 not known
/// yet, `DROPPED`, `SEVERAL`, or the character plus `CHAR_BASE`. A decomposition lookup and a
/// lowercasing binary search per accented character were most of the normalizer's time on
/// Greek, Vietnamese or Devanagari text. The entry is a pure function of the character, so
/// threads racing to fill it store the same value, and a forked child inherits valid entries.
/// Bounded: 256 KB of address space, of which only the pages of the scripts met are touched.
static STRIPPED_LOWERCASED: [AtomicU32; 0x1_0000] = [const { AtomicU32::new(0) }; 0x1_0000];
const DROPPED: u32 = 1;
const SEVERAL: u32 = 2;
const CHAR_BASE: u32 = 3;

#[inline]
pub(super) fn stripped_lowercased(c: char) -> Stripped {
    STRIPPED_LOWERCASED.get(c as usize).map_or(Stripped::Several, |slot| remembered(slot, || strip_and_lowercase(c)))
}

/// The answer kept in `slot` (see `STRIPPED_LOWERCASED` for the encoding), computed by
/// `compute` and stored when the slot is still 0.
#[inline(always)]
fn remembered(slot: &AtomicU32, compute: impl FnOnce() -> Stripped) -> Stripped {
    let mut entry = slot.load(Ordering::Relaxed);
    if entry == 0 {
        entry = match compute() {
            Stripped::Dropped => DROPPED,
            Stripped::One(d) => d as u32 + CHAR_BASE,
            Stripped::Several => SEVERAL,
        };
        slot.store(entry, Ordering::Relaxed);
    }
    match entry {
        DROPPED => Stripped::Dropped,
        SEVERAL => Stripped::Several,
        entry => char::from_u32(entry - CHAR_BASE).map_or(Stripped::Several, Stripped::One),
    }
}

/// The per-character rule: canonical decomposition, nonspacing marks dropped, lowercased.
#[cold]
fn strip_and_lowercase(c: char) -> Stripped {
    let mut out = Vec::new();
    let mut kept_mark = false;
    decompose_canonical(c, |d| {
        if !is_nonspacing_mark(d) {
            kept_mark |= canonical_combining_class(d) != 0;
            out.extend(d.to_lowercase());
        }
    });
    match (kept_mark, out.as_slice()) {
        (false, []) => Stripped::Dropped,
        (false, &[one]) => Stripped::One(one),
        _ => Stripped::Several,
    }
}

/// Code points below this are one or two bytes of UTF-8.
const TWO_BYTE_END: usize = 0x800;

/// What `per_char` makes of each code point below U+0800 under each setting (clean_text, strip,
/// lowercase), as a `Stripped` (`Several`: anything the general path must decide, such as white
/// space or several characters), kept and filled on first use as `STRIPPED_LOWERCASED` is (a
/// pure function of the character and the setting, so racing threads store the same value and
/// a forked child inherits valid entries). One lookup replaces the flags, the two settings'
/// tests and the stripping table of the general path, which were a third of BERT's time on
/// Cyrillic or Greek text. Bounded: 8 x 8 KB.
static TWO_BYTE: [[AtomicU32; TWO_BYTE_END]; 8] = [const { [const { AtomicU32::new(0) }; TWO_BYTE_END] }; 8];

/// The rule of `BertNormalizer::per_char` for the character of `code` (U+0080..U+07FF, the code
/// point of a two-byte UTF-8 sequence) under the setting: what the general path would make of
/// it, from a table (`Several`: the general path must decide).
#[inline(always)]
pub(super) fn two_byte_char(code: u32, clean_text: bool, strip: bool, lowercase: bool) -> Stripped {
    let setting = clean_text as usize | (strip as usize) << 1 | (lowercase as usize) << 2;
    let Some(slot) = TWO_BYTE.get(setting).and_then(|table| table.get(code as usize)) else {
        return Stripped::Several;
    };
    remembered(slot, || {
        char::from_u32(code).map_or(Stripped::Several, |c| two_byte_rule(c, clean_text, strip, lowercase))
    })
}

/// `per_char`'s steps for one character, up to where they would emit several characters or a
/// space (those take the general path).
#[cold]
fn two_byte_rule(c: char, clean_text: bool, strip: bool, lowercase: bool) -> Stripped {
    let flags = bert_flags(c);
    if clean_text && flags & bert_flag::CONTROL != 0 {
        return Stripped::Dropped;
    }
    if (clean_text && flags & bert_flag::WHITESPACE != 0) || c.is_ascii() || is_chinese_char(c) {
        return Stripped::Several;
    }
    let unchanged =
        (!lowercase || flags & bert_flag::SAME_LOWERCASED != 0) && (!strip || flags & bert_flag::SAME_STRIPPED != 0);
    if unchanged {
        return Stripped::One(c);
    }
    if strip && lowercase {
        return stripped_lowercased(c);
    }
    Stripped::Several
}

#[cfg(test)]
mod tests {
    use super::*;
    use unicode_normalization_alignments::UnicodeNormalization;

    /// The arithmetic gives what the decomposition tables give, for every syllable and no other
    /// character, and what it gives is left alone by the rest of stripping and by lowercasing.
    #[test]
    fn hangul_syllables_decompose_by_arithmetic_as_the_tables_say() {
        let mut syllables = 0;
        for code in 0..=0x10FFFFu32 {
            let Some(c) = char::from_u32(code) else { continue };
            let Some(jamo) = hangul_jamo(c) else {
                assert!(!(0xAC00..=0xD7A3).contains(&code), "{code:#x}");
                continue;
            };
            syllables += 1;
            let mut tables = Vec::new();
            decompose_canonical(c, |d| tables.push(d));
            assert_eq!(jamo.iter().flatten().copied().collect::<Vec<_>>(), tables, "{code:#x}");
            for j in tables {
                assert!(!is_nonspacing_mark(j) && canonical_combining_class(j) == 0, "{j:?}");
                assert_eq!(j.to_lowercase().collect::<String>(), j.to_string(), "{j:?}");
            }
        }
        assert_eq!(syllables, 11172);
    }

    #[test]
    fn the_table_answers_as_the_rule_for_every_bmp_character() {
        // The table is filled on first use: ask twice, so both the computed and the stored
        // answer are checked, against the whole normalizer on the character alone.
        for c in (0x80..0x1_0000).filter_map(char::from_u32) {
            let first = stripped_lowercased(c);
            assert_eq!(stripped_lowercased(c), first, "{c:?}");
            assert_eq!(first, strip_and_lowercase(c), "{c:?}");
            let by_rule: String = c
                .to_string()
                .nfd()
                .map(|(d, _)| d)
                .filter(|&d| !is_nonspacing_mark(d))
                .flat_map(char::to_lowercase)
                .collect();
            match first {
                Stripped::Dropped => assert_eq!(by_rule, "", "{c:?}"),
                Stripped::One(d) => assert_eq!(by_rule, d.to_string(), "{c:?}"),
                Stripped::Several => {}
            }
        }
    }
}
