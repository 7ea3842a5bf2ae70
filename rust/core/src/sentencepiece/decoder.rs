//! Decoding as the `sentencepiece` library does it for a `.model`: CONTROL pieces vanish, the
//! UNKNOWN piece reads as the unknown surface (" ⁇ " by default), a run of BYTE pieces is read
//! as UTF-8 (each byte of an invalid sequence becomes U+FFFD), `▁` becomes a space, and the
//! space the normalizer put in front is dropped from the first piece that starts with one (with
//! `remove_extra_whitespaces`, from every such piece until some text has been produced).

use super::normalizer::SPACE_SYMBOL;
use super::proto::PieceType;
use crate::decode::byte_of_token;
use rustc_hash::FxHashMap;

#[derive(Debug, Clone)]
pub struct SentencePieceDecoder {
    /// The type of each piece by its text, for pieces given as text.
    kinds: FxHashMap<String, PieceType>,
    /// The type of each piece by id: ids are decoded by their own type, as the library decodes
    /// them, even where two pieces share a text (a NORMAL piece and a CONTROL one).
    kinds_by_id: Vec<PieceType>,
    unknown_piece: String,
    unknown_surface: String,
    strips_leading_space: bool,
    removes_extra_whitespaces: bool,
}

impl SentencePieceDecoder {
    pub fn new(
        kinds: FxHashMap<String, PieceType>,
        kinds_by_id: Vec<PieceType>,
        unknown_piece: String,
        unknown_surface: String,
        add_dummy_prefix: bool,
        remove_extra_whitespaces: bool,
    ) -> Self {
        SentencePieceDecoder {
            kinds,
            kinds_by_id,
            unknown_piece,
            unknown_surface,
            strips_leading_space: add_dummy_prefix || remove_extra_whitespaces,
            removes_extra_whitespaces: remove_extra_whitespaces,
        }
    }

    fn kind(&self, piece: &str) -> PieceType {
        self.kinds.get(piece).copied().unwrap_or(PieceType::Unknown)
    }

    /// The text of pieces given by their text (each one's type found from it).
    pub fn decode(&self, pieces: &[&str]) -> String {
        self.decode_typed(pieces.iter().map(|piece| (self.kind(piece), *piece)))
    }

    /// The text of pieces given as (id, text): each one's type is its id's.
    pub fn decode_ids<'a>(&self, pieces: impl IntoIterator<Item = (u32, &'a str)>) -> String {
        let kind_of = |id: u32| self.kinds_by_id.get(id as usize).copied().unwrap_or(PieceType::Unknown);
        self.decode_typed(pieces.into_iter().map(|(id, piece)| (kind_of(id), piece)))
    }

    fn decode_typed<'a>(&self, pieces: impl Iterator<Item = (PieceType, &'a str)>) -> String {
        let mut text = String::new();
        let mut bytes: Vec<u8> = Vec::new();
        let mut at_start = true;
        let mut start_space_seen = false;
        for (kind, piece) in pieces {
            if kind == PieceType::Byte {
                bytes.push(byte_of_token(piece).unwrap_or(0));
                continue;
            }
            push_bytes(&mut text, &mut bytes);
            if start_space_seen || !text.is_empty() {
                at_start = false;
            }
            start_space_seen = false;
            match kind {
                PieceType::Control => {}
                PieceType::Unknown if piece == self.unknown_piece => text.push_str(&self.unknown_surface),
                PieceType::Unknown => text.push_str(piece),
                _ => {
                    let mut rest: &str = piece;
                    if at_start && self.strips_leading_space {
                        if let Some(after) = rest.strip_prefix(SPACE_SYMBOL) {
                            rest = after;
                            start_space_seen = !self.removes_extra_whitespaces;
                        }
                    }
                    text.push_str(&rest.replace(SPACE_SYMBOL, " "));
                }
            }
        }
        push_bytes(&mut text, &mut bytes);
        text
    }
}

/// Appends bytes read as UTF-8 one character at a time, U+FFFD for each byte that does not
/// start a valid character.
fn push_bytes(text: &mut String, bytes: &mut Vec<u8>) {
    let mut rest = &bytes[..];
    while !rest.is_empty() {
        match std::str::from_utf8(rest) {
            Ok(valid) => {
                text.push_str(valid);
                break;
            }
            Err(e) if e.valid_up_to() > 0 => {
                let (valid, after) = rest.split_at(e.valid_up_to());
                text.push_str(std::str::from_utf8(valid).unwrap_or_default());
                rest = after;
            }
            Err(_) => {
                text.push('\u{FFFD}');
                rest = &rest[1..];
            }
        }
    }
    bytes.clear();
}
