//! Nmt: the clean-up of SentencePiece's `nmt_nfkc` rules without the NFKC part, as HF defines it:
//! ASCII control characters are dropped and other white-space-like characters become spaces.

use crate::tokenizer::normalized_text::Normalized;

fn dropped(c: char) -> bool {
    matches!(c as u32, 0x01..=0x08 | 0x0B | 0x0E..=0x1F | 0x7F | 0x8F | 0x9F)
}

fn as_space(c: char) -> char {
    match c as u32 {
        0x09 | 0x0A | 0x0C | 0x0D | 0x1680 | 0x200B..=0x200F | 0x2028 | 0x2029 | 0x2581 | 0xFEFF | 0xFFFD => ' ',
        _ => c,
    }
}

pub fn apply(n: &mut Normalized) {
    let untouched = n.text().bytes().all(|b| (0x20..0x7F).contains(&b));
    if untouched {
        return;
    }
    n.filter(|c| !dropped(c));
    n.map(as_space);
}
