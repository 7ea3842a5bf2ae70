//! Random strings over an alphabet that stresses the patterns, for every spelling.

use super::{compare, engines};
use proptest::prelude::*;

/// Fragments the random strings are made of: every class the patterns tell apart, the characters
/// they name (`'`, space, `\r`, `\n`, `/`), contraction letters in both cases and their non-ASCII
/// folds, Unicode white space of every kind, marks, letters of every case, numbers of every kind.
const ALPHABET: &[&str] = &[
    // ASCII letters, including every contraction letter in both cases.
    "a",
    "b",
    "k",
    "x",
    "Z",
    "Q",
    "s",
    "t",
    "r",
    "e",
    "v",
    "m",
    "l",
    "d",
    "S",
    "T",
    "R",
    "E",
    "V",
    "M",
    "L",
    "D",
    // Non-ASCII folds: long s, Kelvin sign; other case oddities.
    "\u{17F}",
    "\u{212A}",
    "ß",
    "ẞ",
    "İ",
    "ı",
    "Σ",
    "ς",
    "ﬆ",
    // Titlecase, modifier and other letters, 4-byte letters.
    "ǅ",
    "ǈ",
    "ᾈ",
    "ʰ",
    "ª",
    "中",
    "文",
    "の",
    "ア",
    "한",
    "𝐀",
    "𝑎",
    // Marks: nonspacing, spacing (Devanagari), enclosing, variation selector.
    "\u{301}",
    "\u{308}",
    "\u{93F}",
    "\u{20DD}",
    "\u{FE0F}",
    // Numbers: ASCII, Arabic-Indic, Devanagari, other and letter numbers, 4-byte digit.
    "0",
    "1",
    "7",
    "٣",
    "३",
    "½",
    "Ⅻ",
    "𝟎",
    // Punctuation and symbols, both apostrophes.
    "'",
    "'",
    "\u{2019}",
    ".",
    ",",
    "!",
    "?",
    "/",
    "-",
    "(",
    ")",
    "\"",
    "#",
    "$",
    "€",
    "©",
    // White space of every kind.
    " ",
    " ",
    " ",
    "\t",
    "\r",
    "\n",
    "\n",
    "\r\n",
    "\u{B}",
    "\u{C}",
    "\u{A0}",
    "\u{85}",
    "\u{1680}",
    "\u{2000}",
    "\u{2005}",
    "\u{200A}",
    "\u{2028}",
    "\u{2029}",
    "\u{202F}",
    "\u{205F}",
    "\u{3000}",
    // Look-alikes of white space that are not: ZWSP, Mongolian vowel separator, ZWJ, NUL.
    "\u{200B}",
    "\u{180E}",
    "\u{200D}",
    "\u{0}",
    // Emoji (with a skin-tone modifier, which is a symbol), private use, unassigned.
    "😀",
    "👍",
    "\u{1F3FD}",
    "\u{E000}",
    "\u{10FFFF}",
    // Whole contractions and words, so that the interesting sequences are frequent.
    "'s",
    "'S",
    "'ll",
    "'LL",
    "'re",
    "'Ve",
    "'d",
    "'\u{17F}",
    " the",
    " The",
    "HTTP",
    "Server",
    "don't",
    "  ",
    "\n\n",
];

fn text() -> impl Strategy<Value = String> {
    proptest::collection::vec(proptest::sample::select(ALPHABET), 0..48).prop_map(|parts| parts.concat())
}

fn cases() -> u32 {
    if cfg!(debug_assertions) {
        2_000
    } else {
        20_000
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: cases(), failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn random_strings_match_the_engine_for_every_spelling(text in text()) {
        for (known, engine) in engines() {
            if let Err(message) = compare(*known, engine, &text) {
                prop_assert!(false, "{}", message);
            }
        }
    }
}

/// ASCII text longer than the scanners' 64-byte window of class masks (where the fast path
/// decides pieces), with a non-ASCII character now and then: every ASCII byte, the contractions
/// and runs that cross the window's edges.
fn ascii_text() -> impl Strategy<Value = String> {
    let ascii: Vec<String> = (0u8..0x80).map(|b| (b as char).to_string()).collect();
    let extra =
        ["'s", "'LL", "'ve", " the", "HTTPServer", "camelCase", "    ", "\n\n", "\r\n ", "123456", " \u{A0}", "é"];
    let fragments: Vec<String> = ascii.into_iter().chain(extra.iter().map(|s| s.to_string())).collect();
    proptest::collection::vec(proptest::sample::select(fragments), 0..160).prop_map(|parts| parts.concat())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: cases() / 4, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn long_ascii_strings_match_the_engine_for_every_spelling(text in ascii_text()) {
        for (known, engine) in engines() {
            if let Err(message) = compare(*known, engine, &text) {
                prop_assert!(false, "{}", message);
            }
        }
    }
}
