//! Byte-level decoding: tokens are written in GPT-2's byte alphabet; map each character back
//! to its byte and read the bytes as UTF-8, replacing invalid sequences with U+FFFD as HF does.

use crate::utils::byte_alphabet::char_to_byte;

/// The bytes tokens stand for. A character outside the byte alphabet (in an added token)
/// stands for its own UTF-8 bytes.
pub fn token_bytes(tokens: &[&str]) -> Vec<u8> {
    let mut bytes = Vec::with_capacity(tokens.iter().map(|t| t.len()).sum());
    let mut buf = [0u8; 4];
    for t in tokens {
        for c in t.chars() {
            match char_to_byte(c) {
                Some(b) => bytes.push(b),
                None => bytes.extend_from_slice(c.encode_utf8(&mut buf).as_bytes()),
            }
        }
    }
    bytes
}

pub fn decode(tokens: &[&str]) -> String {
    String::from_utf8_lossy(&token_bytes(tokens)).into_owned()
}
