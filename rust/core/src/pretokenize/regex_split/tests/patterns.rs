//! Hand-picked inputs: the subtle corners of each pattern, with the pieces spelled out where the
//! behaviour is surprising.

use super::super::known::SPELLINGS;
use super::super::{KnownPattern, RegexSplitter, Splitter};
use super::{assert_all_spellings, pieces, scanned};

const CORNERS: &[&str] = &[
    "",
    "a",
    " ",
    "\n",
    "Hello, world! It's 2024: 12345 tokens.",
    "I'M HE'S they'RE we'Ve you'LL she'D 'tis '",
    "'s's'S'ſ'\u{212A}'ll'LL'lL're'Re'rE've",
    "don't DON'T Don'T dOn'T o'\u{17F}",
    "  leading and trailing  ",
    "a  b   c\t\td \u{A0}e\u{3000}f",
    "line\nline\r\nline\n\n\nend\n",
    "x \n  \n\t y",
    "\n  ",
    " \n",
    "\r\n\r\n  ",
    "  \u{85}\u{2028}\u{2029}x",
    "...hello ...  ,,, (x) [y] {z} a/b/c //\n/\n/x",
    "!!\n\n!!\r\n/",
    "1234567 12 3 4567890 ٣٤٥٦ ३४५ ½Ⅻ",
    "e\u{301}t\u{301}\u{301} \u{301}A. \u{301}Ab \u{301}'s A\u{301}B",
    "\u{301}A.",
    "HTTPServer XMLHttpRequest iPhone McDonald's ǅemal ǈuka",
    "ĲssEL ßtraße İstanbul ΣΊΣΥΦΟΣ ς",
    "中文字符 日本語のテキスト 한국어",
    "emoji 😀👍🏽 👨\u{200D}👩 ♥\u{FE0F}",
    "ʰʰa ªb ABCʰ ABCʰD ABʰCDe",
    "\u{0}\u{7F}\u{FFFD}\u{10FFFF}\u{E000}",
    "\u{180E}x\u{200B}y",
    "𝐀𝐁𝐂 𝟎𝟏𝟐𝟑",
    "tab\tbefore\tword \tmixed\t ",
    "'hello 'World '123 '!",
];

#[test]
fn corners_match_the_engine_for_every_spelling() {
    for text in CORNERS {
        assert_all_spellings(text);
    }
}

#[test]
fn every_spelling_is_recognised_and_compiles() {
    for &(spelling, known) in SPELLINGS {
        assert_eq!(KnownPattern::from_regex(spelling), Some(known));
        assert_eq!(Splitter::new(spelling).unwrap().known(), Some(known));
        RegexSplitter::new(spelling).unwrap();
    }
    for known in KnownPattern::ALL {
        assert_eq!(KnownPattern::from_regex(known.pattern()), Some(known));
    }
    assert_eq!(KnownPattern::from_regex(r"\w+|[^\w\s]+"), None);
    assert!(Splitter::new("(unclosed").is_err());
}

#[test]
fn names() {
    assert_eq!(KnownPattern::from_name("gpt2"), Some(KnownPattern::Gpt2));
    assert_eq!(KnownPattern::from_name("r50k_base"), Some(KnownPattern::Gpt2));
    // The name means what tiktoken means by it today: the spelling with `\s++$`.
    assert_eq!(KnownPattern::from_name("cl100k_base"), Some(KnownPattern::Cl100kTrailingSpace));
    assert_eq!(KnownPattern::from_name("llama3"), Some(KnownPattern::Cl100k));
    assert_eq!(KnownPattern::from_name("qwen2"), Some(KnownPattern::Qwen2));
    assert_eq!(KnownPattern::from_name("o200k_base"), Some(KnownPattern::O200k));
    assert_eq!(KnownPattern::from_name("bert"), None);
}

fn split(known: KnownPattern, text: &str) -> Vec<&str> {
    pieces(text, &scanned(known, text))
}

#[test]
fn surprising_pieces_spelled_out() {
    use KnownPattern::*;
    // Contractions are case-insensitive from cl100k on, and `ſ` folds to `s`.
    assert_eq!(split(Gpt2, "'S'ſ"), ["'", "S", "'", "ſ"]);
    assert_eq!(split(Cl100k, "'S'ſ"), ["'S", "'ſ"]);
    // The Kelvin sign folds to `k`, which no contraction has: it is just a letter after `'`.
    assert_eq!(split(Cl100k, "'\u{212A}s"), ["'\u{212A}s"]);
    // Newest tiktoken cl100k keeps trailing white space whole even across a newline.
    assert_eq!(split(Cl100k, "a\n  "), ["a", "\n", "  "]);
    assert_eq!(split(Cl100kTrailingSpace, "a\n  "), ["a", "\n  "]);
    assert_eq!(split(Cl100kTrailingSpace, "a\n  b"), ["a", "\n", " ", " b"]);
    // Qwen2 cuts digits one by one, cl100k in threes.
    assert_eq!(split(Qwen2, "12345"), ["1", "2", "3", "4", "5"]);
    assert_eq!(split(Cl100k, "12345"), ["123", "45"]);
    // o200k: a mark before capitals is a piece alone (the first alternative wins with the mark as
    // its only `W`); capitals not followed by a lowercase letter give back up to the last caseless
    // letter; capitals followed by one stay with the word.
    assert_eq!(split(O200k, "\u{301}A."), ["\u{301}", "A", "."]);
    assert_eq!(split(O200k, "ABʰCD."), ["ABʰ", "CD", "."]);
    assert_eq!(split(O200k, "HTTPServer"), ["HTTPServer"]);
    assert_eq!(split(O200k, "DON'T don't"), ["DON'T", " don't"]);
    assert_eq!(split(O200k, "a/b\n/c"), ["a", "/b", "\n", "/c"]);
}
