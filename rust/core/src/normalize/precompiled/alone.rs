//! Characters that are graphemes of their own when next to one another, without running the
//! grapheme segmentation: HF's `Precompiled` rewrites text a grapheme at a time, and cutting
//! graphemes (a category lookup per character) costs more than the rewrite on most text.
//!
//! By the rules of UAX #29, two characters whose Grapheme_Cluster_Break is Other, that are not
//! Extended_Pictographic and have no Indic_Conjunct_Break property always have a boundary
//! between them (only the last rule, "break everywhere", applies), and so do ASCII characters
//! next to those or to each other, CR LF aside. `STANDING_ALONE` lists such ranges of letters and
//! punctuation of common scripts; a test checks every one of them against the segmentation we
//! use (`unicode-segmentation`), so a Unicode update that changes any of them fails there.

/// Ranges of non-ASCII characters that are graphemes of their own next to each other or ASCII.
const STANDING_ALONE: &[(char, char)] = &[
    ('\u{00C0}', '\u{024F}'), // Latin-1 letters, Latin Extended-A and -B
    ('\u{0370}', '\u{0377}'), // Greek
    ('\u{037A}', '\u{037F}'),
    ('\u{0384}', '\u{03FF}'),
    ('\u{0400}', '\u{0482}'), // Cyrillic (U+0483..U+0489 are combining)
    ('\u{048A}', '\u{052F}'),
    ('\u{05D0}', '\u{05EA}'), // Hebrew letters
    ('\u{0621}', '\u{064A}'), // Arabic letters
    ('\u{0E01}', '\u{0E30}'), // Thai consonants and the vowels that are not marks
    ('\u{0E32}', '\u{0E32}'),
    ('\u{0E3F}', '\u{0E46}'),
    ('\u{2010}', '\u{2027}'), // dashes, quotes, ellipsis
    ('\u{3000}', '\u{3029}'), // CJK spaces and punctuation (U+302A.. are marks)
    ('\u{3041}', '\u{3096}'), // Hiragana (U+3099, U+309A are marks)
    ('\u{309B}', '\u{30FF}'), // Katakana
    ('\u{3400}', '\u{4DBF}'), // CJK Unified Ideographs Extension A
    ('\u{4E00}', '\u{9FFF}'), // CJK Unified Ideographs
    ('\u{FF01}', '\u{FF9D}'), // full- and half-width forms (U+FF9E, U+FF9F are marks)
];

/// Whether `c` is ASCII or in `STANDING_ALONE`: between two such characters (CR LF aside)
/// there is always a grapheme boundary.
#[inline]
pub fn stands_alone(c: char) -> bool {
    if c.is_ascii() {
        return true;
    }
    // A binary search over a few ranges: the Cyrillic and CJK ones are found in three steps.
    let i = STANDING_ALONE.partition_point(|&(_, last)| last < c);
    STANDING_ALONE.get(i).is_some_and(|&(first, _)| first <= c)
}

#[cfg(test)]
mod tests {
    use super::*;
    use unicode_segmentation::UnicodeSegmentation;

    fn graphemes(s: &str) -> usize {
        s.graphemes(true).count()
    }

    /// Every listed character, tested as the rules single out the cases where a boundary is
    /// not taken: after a Prepend or a Hangul jamo/syllable, before an Extend, ZWJ or
    /// SpacingMark, an Indic consonant after a linker, a pictograph after ZWJ, regional
    /// indicator pairs, controls (which break before an Extend).
    #[test]
    fn every_listed_character_stands_alone_in_unicode_segmentation() {
        let mut checked = 0;
        for &(first, last) in STANDING_ALONE {
            assert!(first <= last && !first.is_ascii());
            for c in (first..=last).filter(|c| stands_alone(*c)) {
                // Each probe and its number of graphemes when `c` behaves as listed.
                let probes = [
                    (format!("a{c}"), 2),
                    (format!("{c}a"), 2),
                    (format!("{c}{c}"), 2),
                    (format!("\u{1100}{c}"), 2),
                    (format!("{c}\u{11A8}"), 2),
                    (format!("{c}\u{1161}"), 2),
                    (format!("\u{0915}\u{094D}{c}"), 2),
                    (format!("\u{1F600}\u{200D}{c}"), 2),
                    (format!("\u{1F1E6}{c}"), 2),
                    // A Prepend joins what follows unless it is a control.
                    (format!("\u{0600}{c}"), 1),
                ];
                for (probe, expected) in &probes {
                    assert_eq!(graphemes(probe), *expected, "U+{:04X} in {probe:?}", c as u32);
                }
                // Not a control: a mark after it joins it.
                assert_eq!(graphemes(&format!("{c}\u{0301}")), 1, "U+{:04X}", c as u32);
                checked += 1;
            }
        }
        assert!(checked > 28_000);
    }

    #[test]
    fn pairs_of_standing_characters_always_break() {
        let ascii: Vec<char> = (0u8..128).map(char::from).collect();
        let listed: Vec<char> =
            STANDING_ALONE.iter().flat_map(|&(a, b)| (a..=b).step_by(7)).chain(ascii.iter().copied()).collect();
        let mut state = 0x2545_F491_4F6C_DD1Du64;
        for _ in 0..200_000 {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            let a = listed[(state % listed.len() as u64) as usize];
            let b = listed[((state >> 32) % listed.len() as u64) as usize];
            let pair = format!("{a}{b}");
            let expected = if (a, b) == ('\r', '\n') { 1 } else { 2 };
            assert_eq!(graphemes(&pair), expected, "{pair:?}");
        }
        assert!(stands_alone('a') && stands_alone('ж') && stands_alone('中') && !stands_alone('\u{0301}'));
        assert!(!stands_alone('\u{0483}') && !stands_alone('가') && !stands_alone('😀') && !stands_alone('\u{00A9}'));
    }
}
