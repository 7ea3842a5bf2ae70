//! UTF-8 checks of input buffers (corpus lines, JSON Lines, raw bytes, files) at SIMD speed.
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

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

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
