//! The class table and the contraction folding agree with the regex crate on all of Unicode.

use super::super::classes::{classes, Class};
use super::super::scan::Text;

/// A class-membership test of the scanners.
type Membership = fn(Class) -> bool;

/// An eight-bytes-at-a-time membership test of the scanners.
type WordMask = fn(u64) -> u64;

/// Every Unicode scalar value, in order.
fn all_chars() -> impl Iterator<Item = char> {
    (0..=0x10FFFFu32).filter_map(char::from_u32)
}

/// The characters the regex crate's `pattern` matches alone, as a bitmap over code points.
fn matched_by(pattern: &str) -> Vec<bool> {
    let regex = regex::Regex::new(pattern).unwrap();
    let mut text = String::new();
    let mut code_point_at = Vec::new();
    for c in all_chars() {
        code_point_at.resize(text.len() + 1, u32::MAX);
        code_point_at[text.len()] = c as u32;
        text.push(c);
    }
    let mut hits = vec![false; 0x110000];
    for found in regex.find_iter(&text) {
        assert_eq!(found.len(), text[found.start()..].chars().next().unwrap().len_utf8(), "{pattern} matched >1 char");
        hits[code_point_at[found.start()] as usize] = true;
    }
    hits
}

#[test]
fn class_table_equals_regex_classes_on_all_of_unicode() {
    let table = classes();
    let checks: [(&str, Membership); 7] = [
        (r"\p{L}", Class::is_letter),
        (r"\p{N}", |c| c == Class::Number),
        (r"\s", |c| c == Class::Space),
        (r"[^\s\p{L}\p{N}]", Class::is_punct),
        (r"[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]", Class::is_o200k_upper),
        (r"[\p{Ll}\p{Lm}\p{Lo}\p{M}]", Class::is_o200k_lower),
        (r"\p{Ll}", |c| c == Class::Lower),
    ];
    for (pattern, member) in checks {
        let hits = matched_by(pattern);
        for c in all_chars() {
            assert_eq!(member(table.of(c as u32)), hits[c as usize], "{pattern} on U+{:04X}", c as u32);
        }
    }
    let mut buffer = [0u8; 4];
    for c in all_chars() {
        let bytes = c.encode_utf8(&mut buffer).as_bytes();
        assert_eq!(table.at(bytes, 0), Some((table.of(c as u32), c.len_utf8())), "U+{:04X}", c as u32);
    }
}

#[test]
fn contraction_letters_fold_as_the_regex_crate_folds() {
    let table = classes();
    // Each contraction shape with one slot, and the class of characters the slot takes.
    let shapes: [(&str, &str, &str, &str); 6] = [
        ("(?i)[sdmt]", "'", "", "sdmt"),
        ("(?i)[rv]", "'", "e", "rv"),
        ("(?i)e", "'r", "", "e"),
        ("(?i)e", "'v", "", "e"),
        ("(?i)l", "'", "l", "l"),
        ("(?i)l", "'l", "", "l"),
    ];
    for (pattern, before, after, exact_letters) in shapes {
        let hits = matched_by(pattern);
        for c in all_chars() {
            let text = format!("{before}{c}{after}");
            let folded = Text::new(&text, table).contraction(0, true) == text.len();
            assert_eq!(folded, hits[c as usize], "{pattern} in {text:?} (U+{:04X})", c as u32);
            let exact = Text::new(&text, table).contraction(0, false) == text.len();
            assert_eq!(exact, exact_letters.contains(c), "{text:?} (U+{:04X})", c as u32);
        }
    }
    // The non-ASCII folds the brief names: long s is an `s`, the Kelvin sign a `k` (which no
    // contraction has, so it must not start one).
    assert!(matched_by("(?i)s")['\u{17F}' as usize]);
    assert!(matched_by("(?i)k")['\u{212A}' as usize]);
    assert_eq!(Text::new("'\u{17F}", table).contraction(0, true), 3);
    assert_eq!(Text::new("'\u{212A}", table).contraction(0, true), 0);
}

#[test]
fn word_masks_agree_with_classes_on_every_ascii_byte_and_lane() {
    use super::super::scan::{ascii_letters, ascii_lower, ascii_upper};
    let table = classes();
    let masks: [(WordMask, Membership); 3] =
        [(ascii_letters, Class::is_letter), (ascii_lower, Class::is_o200k_lower), (ascii_upper, Class::is_o200k_upper)];
    for (mask, keep) in masks {
        for lane in 0..8 {
            for filler in [0u8, b'a', b'Z', 0x7F, 0x80, 0xFF] {
                for b in 0..=255u8 {
                    let mut word = [filler; 8];
                    word[lane] = b;
                    let hit = mask(u64::from_le_bytes(word)) >> (lane * 8 + 7) & 1 == 1;
                    assert_eq!(
                        hit,
                        b < 0x80 && keep(table.ascii(b)),
                        "byte {b:#04x} in lane {lane} among {filler:#04x}"
                    );
                }
            }
        }
    }
}
