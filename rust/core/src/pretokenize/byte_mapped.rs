//! The steps of a Sequence that come after its ByteLevel step (Falcon's `Digits` and `Split`).
//!
//! HF's ByteLevel step maps every byte of a piece to a printable character (`Ġ` for a space,
//! `Ã` and `¼` for the two bytes of `ü`), and the steps after it cut that mapped text. So they
//! can cut inside a character of the input: `¼` is numeric, and a `Digits` step isolates the
//! second byte of every `ü`. Here each piece is mapped the same way, the steps cut the mapped
//! piece, and as a byte is one character of it, each cut falls at the byte of the same index:
//! the pieces stay ranges of the unmapped text (which the byte-level model reads as bytes).

use super::PreTokenizer;
use crate::error::{Error, Result};
use crate::utils::byte_alphabet::encode_bytes_with_positions;
use std::ops::Range;

/// Replaces `pieces` (ranges of `text`) by their pieces under `steps`, run on each piece's
/// byte-mapped text.
pub(super) fn split(steps: &[PreTokenizer], text: &str, pieces: &mut Vec<Range<usize>>) -> Result<()> {
    let bytes = text.as_bytes();
    let mut mapped = String::new();
    let mut byte_of = Vec::new();
    let (mut cut, mut scratch) = (Vec::new(), Vec::new());
    let mut out = Vec::with_capacity(pieces.len());
    for piece in pieces.iter() {
        let raw = bytes
            .get(piece.clone())
            .ok_or_else(|| Error::InvalidArgument(format!("piece {piece:?} is outside the text")))?;
        encode_bytes_with_positions(raw, &mut mapped, &mut byte_of);
        cut.clear();
        cut.push(0..mapped.len());
        for step in steps {
            step.split(&mapped, &mut cut, &mut scratch)?;
        }
        for r in &cut {
            let (Some(&start), Some(&end)) = (byte_of.get(r.start), byte_of.get(r.end)) else {
                return Err(Error::InvalidArgument(format!("a pre-tokenizer step cut {r:?} outside its piece")));
            };
            out.push(piece.start + start..piece.start + end);
        }
    }
    *pieces = out;
    Ok(())
}

impl PreTokenizer {
    /// Why the steps after this pre-tokenizer's ByteLevel step cannot be run on byte-mapped
    /// pieces, if they cannot: the ByteLevel must be a step of the outermost Sequence (the
    /// steps after it are found there), and no Metaspace may follow it (it would rewrite the
    /// unmapped piece).
    pub fn check_steps_after_byte_level(&self) -> std::result::Result<(), String> {
        let PreTokenizer::Sequence { pretokenizers } = self else { return Ok(()) };
        let Some(at) = pretokenizers.iter().position(|p| matches!(p, PreTokenizer::ByteLevel { .. })) else {
            return Err("pre_tokenizer: a step after a ByteLevel inside a nested Sequence is not supported".to_string());
        };
        if pretokenizers.get(at + 1..).unwrap_or_default().iter().any(PreTokenizer::has_metaspace) {
            return Err("pre_tokenizer: a Metaspace after a ByteLevel is not supported".to_string());
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn steps_cut_the_mapped_bytes_at_the_same_index() {
        // "ü" is C3 BC, mapped to "Ã¼"; "¼" is numeric, so Digits joins it to the "1" after it.
        let text = "aü1 x";
        let digits = [PreTokenizer::Digits { individual_digits: false }];
        let mut pieces = vec![0..4, 4..6];
        split(&digits, text, &mut pieces).unwrap();
        assert_eq!(pieces, vec![0..2, 2..4, 4..6]);
        let bad = vec![0..7];
        assert!(split(&digits, text, &mut bad.clone()).is_err());
    }

    #[test]
    fn only_an_outer_byte_level_without_a_metaspace_after_it_is_accepted() {
        let byte_level = PreTokenizer::ByteLevel { add_prefix_space: false, trim_offsets: true, use_regex: true };
        let digits = PreTokenizer::Digits { individual_digits: true };
        let outer = PreTokenizer::Sequence { pretokenizers: vec![byte_level.clone(), digits.clone()] };
        assert!(outer.check_steps_after_byte_level().is_ok());
        let nested = PreTokenizer::Sequence {
            pretokenizers: vec![PreTokenizer::Sequence { pretokenizers: vec![byte_level.clone()] }, digits],
        };
        assert!(nested.check_steps_after_byte_level().is_err());
        let metaspace: PreTokenizer =
            serde_json::from_str(r#"{"type": "Metaspace", "replacement": "\u2581"}"#).unwrap();
        let after = PreTokenizer::Sequence { pretokenizers: vec![byte_level, metaspace] };
        assert!(after.check_steps_after_byte_level().is_err());
    }
}
