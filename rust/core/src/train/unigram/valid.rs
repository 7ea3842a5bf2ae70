//! Which substrings may become pieces, by the `sentencepiece` trainer's rules
//! (`IsValidSentencePiece`): at most `max_chars` characters, `▁` only in front, one Unicode
//! script per piece (Hiragana and Katakana count as Han, combining marks as the character
//! before), digits apart from letters unless told otherwise, none of the trainer's marks.

use super::words::{BOUNDARY_CHAR, UNKNOWN_CHAR};
use unicode_script::{Script, UnicodeScript};

#[derive(Debug, Clone, Copy)]
pub struct PieceRules {
    pub max_chars: usize,
    pub split_by_unicode_script: bool,
    pub split_by_number: bool,
    pub split_digits: bool,
}

/// The library's decimal digits: ASCII and full-width.
fn is_decimal(c: char) -> bool {
    c.is_ascii_digit() || ('\u{FF10}'..='\u{FF19}').contains(&c)
}

impl PieceRules {
    pub fn is_valid(&self, piece: &str) -> bool {
        let chars = piece.chars().count();
        if chars == 0 || chars > self.max_chars {
            return false;
        }
        // `None` is the library's "any" script, which matches every other.
        let mut previous: Option<Script> = None;
        for (pos, c) in piece.chars().enumerate() {
            if c == UNKNOWN_CHAR || c == '\0' || c == BOUNDARY_CHAR || c == ' ' {
                return false;
            }
            if c == '\u{2581}' {
                if pos > 0 {
                    return false;
                }
                continue;
            }
            let mut script = match c.script() {
                Script::Hiragana | Script::Katakana | Script::Han => Some(Script::Han),
                _ if c == '\u{30FC}' => Some(Script::Han),
                Script::Inherited => previous,
                // Characters the library's table lacks are Common there.
                Script::Unknown => Some(Script::Common),
                other => Some(other),
            };
            if is_decimal(c) {
                if !self.split_by_number {
                    script = None;
                }
                if self.split_digits && chars > 1 {
                    return false;
                }
            }
            if self.split_by_unicode_script {
                if let (Some(s), Some(p)) = (script, previous) {
                    if s != p {
                        return false;
                    }
                }
            }
            previous = script;
        }
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_library_rules() {
        let rules =
            PieceRules { max_chars: 4, split_by_unicode_script: true, split_by_number: true, split_digits: false };
        for ok in ["▁the", "the", "12", "ひらカ", "e\u{301}t", ".,"] {
            assert!(rules.is_valid(ok), "{ok}");
        }
        for bad in ["", "▁those", "a▁", "a1", "a.", "aé漢", "a\u{1f}", "a\u{2585}", "a b"] {
            assert!(!rules.is_valid(bad), "{bad}");
        }
        let loose = PieceRules { split_by_number: false, ..rules };
        assert!(loose.is_valid("a1") && !loose.is_valid("a."));
        let digits = PieceRules { split_digits: true, ..rules };
        assert!(!digits.is_valid("12") && digits.is_valid("1"));
    }
}
