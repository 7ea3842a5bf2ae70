//! GPT-2's reversible map between bytes and printable characters.
//!
//! Byte-level BPE vocabularies store tokens as strings in which every byte is a character:
//! printable Latin-1 bytes stand for themselves, the 68 others (controls, space, DEL, NBSP,
//! soft hyphen) are shifted to U+0100 and up, in byte order. `tokenizer.json` files use this
//! alphabet; `.tiktoken` files store raw bytes, which we map into it.

const fn is_printable(b: u8) -> bool {
    matches!(b, b'!'..=b'~' | 0xA1..=0xAC | 0xAE..=0xFF)
}

/// Both directions of the map, computed at compile time (no lazy table to fill at run time,
/// so nothing for a `fork` to catch half-built).
const TO_CHAR: [char; 256] = {
    let mut to_char = ['\0'; 256];
    let mut shifted = 0u32;
    let mut b = 0usize;
    while b < 256 {
        to_char[b] = if is_printable(b as u8) {
            b as u8 as char
        } else {
            shifted += 1;
            match char::from_u32(255 + shifted) {
                Some(c) => c,
                None => '\0',
            }
        };
        b += 1;
    }
    to_char
};

/// Indexed by code point: the 256 + 68 characters in use; `None` elsewhere.
const TO_BYTE: [Option<u8>; 256 + 68 + 1] = {
    let mut to_byte = [None; 256 + 68 + 1];
    let mut b = 0usize;
    while b < 256 {
        to_byte[TO_CHAR[b] as usize] = Some(b as u8);
        b += 1;
    }
    to_byte
};

/// The character that stands for `b`.
#[inline]
pub fn byte_to_char(b: u8) -> char {
    TO_CHAR[b as usize]
}

/// The byte a character stands for, if it is one of the 256.
#[inline]
pub fn char_to_byte(c: char) -> Option<u8> {
    TO_BYTE.get(c as usize).copied().flatten()
}

/// Bytes written in the byte-level alphabet.
pub fn encode_bytes(bytes: &[u8]) -> String {
    bytes.iter().map(|&b| byte_to_char(b)).collect()
}

/// `bytes` written in the byte-level alphabet into `mapped` (cleared first), and into `byte_at`
/// the index of the byte behind each byte of `mapped`, then `bytes.len()` for its end: a byte is
/// one character of `mapped` (of one or two bytes), so a cut of `mapped` at a character boundary
/// `m` is a cut of `bytes` at `byte_at[m]`.
pub fn encode_bytes_with_positions(bytes: &[u8], mapped: &mut String, byte_at: &mut Vec<usize>) {
    mapped.clear();
    byte_at.clear();
    for (k, &b) in bytes.iter().enumerate() {
        mapped.push(byte_to_char(b));
        byte_at.resize(mapped.len(), k);
    }
    byte_at.push(bytes.len());
}

/// The bytes of a string in the byte-level alphabet; `None` if a character is outside it.
pub fn decode_chars(s: &str) -> Option<Vec<u8>> {
    s.chars().map(char_to_byte).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn positions_name_the_byte_behind_each_mapped_byte() {
        let (mut mapped, mut byte_at) = (String::from("stale"), vec![9]);
        encode_bytes_with_positions("a ü".as_bytes(), &mut mapped, &mut byte_at);
        assert_eq!(mapped, "aĠÃ¼");
        // "a" is one byte, "Ġ", "Ã" and "¼" two each.
        assert_eq!(byte_at, vec![0, 1, 1, 2, 2, 3, 3, 4]);
        encode_bytes_with_positions(b"", &mut mapped, &mut byte_at);
        assert_eq!((mapped.as_str(), byte_at.as_slice()), ("", &[0][..]));
    }

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
