//! GPT-2's reversible map between bytes and printable characters.
//!
//! Byte-level BPE vocabularies store tokens as strings in which every byte is a character:
//! printable Latin-1 bytes stand for themselves, the 68 others (controls, space, DEL, NBSP,
//! soft hyphen) are shifted to U+0100 and up, in byte order. `tokenizer.json` files use this
//! alphabet; `.tiktoken` files store raw bytes, which we map into it.

use std::sync::OnceLock;

fn is_printable(b: u8) -> bool {
    matches!(b, b'!'..=b'~' | 0xA1..=0xAC | 0xAE..=0xFF)
}

struct Tables {
    to_char: [char; 256],
    /// Indexed by code point - for the 256 + 68 characters in use; `None` elsewhere.
    to_byte: Vec<Option<u8>>,
}

fn tables() -> &'static Tables {
    static T: OnceLock<Tables> = OnceLock::new();
    T.get_or_init(|| {
        let mut to_char = ['\0'; 256];
        let mut shifted = 0u32;
        for b in 0..=255u8 {
            to_char[b as usize] = if is_printable(b) {
                b as char
            } else {
                shifted += 1;
                char::from_u32(255 + shifted).unwrap_or('\0')
            };
        }
        let mut to_byte = vec![None; 256 + 68 + 1];
        for (b, &c) in to_char.iter().enumerate() {
            to_byte[c as usize] = Some(b as u8);
        }
        Tables { to_char, to_byte }
    })
}

/// The character that stands for `b`.
#[inline]
pub fn byte_to_char(b: u8) -> char {
    tables().to_char[b as usize]
}

/// The byte a character stands for, if it is one of the 256.
#[inline]
pub fn char_to_byte(c: char) -> Option<u8> {
    tables().to_byte.get(c as usize).copied().flatten()
}

/// Bytes written in the byte-level alphabet.
pub fn encode_bytes(bytes: &[u8]) -> String {
    bytes.iter().map(|&b| byte_to_char(b)).collect()
}

/// The bytes of a string in the byte-level alphabet; `None` if a character is outside it.
pub fn decode_chars(s: &str) -> Option<Vec<u8>> {
    s.chars().map(char_to_byte).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_map_is_a_bijection_with_gpt2_landmarks() {
        assert_eq!(byte_to_char(b' '), '\u{120}'); // Ġ
        assert_eq!(byte_to_char(b'\n'), '\u{10A}'); // Ċ
        assert_eq!(byte_to_char(b'a'), 'a');
        assert_eq!(byte_to_char(0xAD), '\u{143}');
        for b in 0..=255u8 {
            assert_eq!(char_to_byte(byte_to_char(b)), Some(b));
        }
        assert_eq!(char_to_byte('\u{3000}'), None);
        assert_eq!(decode_chars(&encode_bytes(b"hi \xff")), Some(b"hi \xff".to_vec()));
    }
}
