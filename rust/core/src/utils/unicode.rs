//! Character classes shared by normalizers and pre-tokenizers.
//!
//! We use the same Unicode tables as HF `tokenizers` (`unicode_categories` and
//! `unicode-normalization-alignments`) on purpose: exact parity depends on the table
//! version, not only on the rule.

use unicode_categories::UnicodeCategories;

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
