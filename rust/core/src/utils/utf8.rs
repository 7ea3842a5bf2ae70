//! UTF-8 checks of input buffers (corpus lines, JSON Lines, raw bytes, files) at SIMD speed, and
//! one character decoded at a time.
//!
//! The standard library checks text that is not ASCII about a byte at a time (~1 GB/s here on
//! Chinese or Russian), which was a tenth to a quarter of encoding a CJK corpus line by line;
//! `simdutf8` checks it at tens of GB/s. Only its yes-or-no answer is used: a buffer it refuses
//! is checked again by the standard library, whose error says where and why.

use std::str::Utf8Error;

/// `std::str::from_utf8`, with the same answer and the same error.
#[inline]
pub fn from_utf8(bytes: &[u8]) -> Result<&str, Utf8Error> {
    match simdutf8::basic::from_utf8(bytes) {
        Ok(text) => Ok(text),
        Err(_) => std::str::from_utf8(bytes),
    }
}

/// Length of the UTF-8 character that `lead` starts (0 for a byte that starts none).
pub fn char_len(lead: u8) -> usize {
    match lead {
        0xC2..=0xDF => 2,
        0xE0..=0xEF => 3,
        0xF0..=0xF4 => 4,
        _ => 0,
    }
}

/// The character at the start of `bytes` (multi-byte only): its code point and length; `None`
/// unless `bytes` starts with a well-formed sequence of two to four bytes (the Unicode
/// standard's table of them: no overlong form, no surrogate, nothing above U+10FFFF), as
/// `std::str::from_utf8` would accept it.
///
/// Decoded here rather than by `from_utf8` on the character's bytes: byte-level BPE asks this of
/// every character of every non-ASCII piece its caches do not answer (`models::bpe::atoms`;
/// session 41, o200k over fresh slices in one process, each A/B run with its slices swapped:
/// Russian +2-3%, the multilingual mix +0.3-1.6%, German level).
#[inline]
pub fn char_at(bytes: &[u8]) -> Option<(u32, usize)> {
    let lead = *bytes.first()?;
    let second = *bytes.get(1)?;
    let len = char_len(lead);
    // The second byte's range depends on the lead (these four rule out overlong forms,
    // surrogates and code points past U+10FFFF); later bytes are any continuation byte.
    let seconds = match lead {
        0xE0 => 0xA0..=0xBF,
        0xED => 0x80..=0x9F,
        0xF0 => 0x90..=0xBF,
        0xF4 => 0x80..=0x8F,
        _ => 0x80..=0xBF,
    };
    if len == 0 || !seconds.contains(&second) {
        return None;
    }
    let mut code = (lead as u32 & (0x7F >> len)) << 6 | (second as u32 & 0x3F);
    for &b in bytes.get(2..len)? {
        if b & 0xC0 != 0x80 {
            return None;
        }
        code = code << 6 | (b as u32 & 0x3F);
    }
    Some((code, len))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// What `char_at` must answer: `std::str::from_utf8` on the character's bytes.
    fn char_by_std(bytes: &[u8]) -> Option<(u32, usize)> {
        let len = char_len(*bytes.first()?);
        let encoded = bytes.get(..len).filter(|_| len >= 2)?;
        let c = std::str::from_utf8(encoded).ok()?.chars().next()?;
        Some((c as u32, len))
    }

    /// Every lead byte with every second byte and every third (and, for four-byte leads, a
    /// spread of fourth bytes across each boundary), and every input cut short.
    #[test]
    fn chars_decode_as_the_standard_library_does() {
        let fourth = [0x00, 0x3F, 0x7F, 0x80, 0x81, 0x9F, 0xA0, 0xBF, 0xC0, 0xF5, 0xFF];
        for lead in 0..=255u8 {
            for second in 0..=255u8 {
                assert_eq!(char_at(&[lead, second]), char_by_std(&[lead, second]), "{lead:x} {second:x}");
                for third in 0..=255u8 {
                    let three = [lead, second, third];
                    assert_eq!(char_at(&three), char_by_std(&three), "{three:x?}");
                    if lead >= 0xF0 {
                        for &b in &fourth {
                            let four = [lead, second, third, b];
                            assert_eq!(char_at(&four), char_by_std(&four), "{four:x?}");
                        }
                    }
                }
            }
            assert_eq!(char_at(&[lead]), None);
        }
        assert_eq!(char_at(&[]), None);
        // Every character of the text, and what follows a character is not read.
        let text = "é—x😀中\u{10FFFF}\u{800}\u{FFFF}\u{10000}ÿ";
        for (at, c) in text.char_indices().filter(|(_, c)| c.len_utf8() > 1) {
            let with_rest = format!("{c}\u{80}");
            assert_eq!(char_at(&text.as_bytes()[at..]), Some((c as u32, c.len_utf8())));
            assert_eq!(char_at(with_rest.as_bytes()), Some((c as u32, c.len_utf8())));
        }
    }

    proptest! {
        /// Any bytes, valid or not (text with invalid bytes spliced in): the standard library's
        /// answer, error position and length included.
        #[test]
        fn answers_as_the_standard_library(text in "\\PC{0,200}", cuts in prop::collection::vec((0usize..400, any::<u8>()), 0..3)) {
            let mut bytes = text.into_bytes();
            for (at, byte) in cuts {
                let at = at.min(bytes.len());
                bytes.insert(at, byte);
            }
            let ours = from_utf8(&bytes).map_err(|e| (e.valid_up_to(), e.error_len()));
            let std = std::str::from_utf8(&bytes).map_err(|e| (e.valid_up_to(), e.error_len()));
            prop_assert_eq!(ours, std);
        }
    }

    #[test]
    fn long_texts_of_every_width() {
        let text = "ascii, Grüße, привет, 中文字符, 😀 ".repeat(2000);
        assert_eq!(from_utf8(text.as_bytes()), Ok(text.as_str()));
        let mut broken = text.clone().into_bytes();
        let middle = broken.len() / 2;
        broken[middle] = 0xFF;
        assert_eq!(
            from_utf8(&broken).unwrap_err().valid_up_to(),
            std::str::from_utf8(&broken).unwrap_err().valid_up_to()
        );
    }
}
