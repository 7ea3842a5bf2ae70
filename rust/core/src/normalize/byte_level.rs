//! ByteLevel as a normalizer: every byte of the text becomes its character in GPT-2's byte
//! alphabet. The characters of one input character's bytes all point back to it.

use crate::tokenizer::normalized_text::Normalized;
use crate::utils::byte_alphabet::byte_to_char;

pub fn apply(n: &mut Normalized) {
    if n.text().is_empty() {
        return;
    }
    let text = n.text().to_string();
    let mut buf = [0u8; 4];
    let changes = text.chars().flat_map(|c| {
        let bytes = c.encode_utf8(&mut buf).as_bytes().to_vec();
        bytes.into_iter().enumerate().map(|(i, b)| (byte_to_char(b), isize::from(i > 0)))
    });
    let changes: Vec<(char, isize)> = changes.collect();
    n.transform(changes, 0);
}
