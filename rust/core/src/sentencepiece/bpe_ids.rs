//! SentencePiece BPE on ids instead of strings, for the models where that is the same thing
//! (nearly all: no UNUSED pieces, every character of a piece is a piece itself, no text is both
//! an encodable and a reserved piece).
//!
//! The library merges the adjacent pair whose concatenation is a piece of the highest score,
//! the leftmost on ties, hashing the concatenated text of every candidate. Here every way of
//! writing a piece as two pieces is listed once, at load, with the piece's rank among the
//! distinct scores (best first); then a word is BPE with a merge table, as for a `tokenizer.json`
//! (`models::bpe::merge_word`: lowest rank first, leftmost on ties, the same order). Symbols that
//! are user-defined pieces never merge (the library freezes them), so no pair has one as a half.

use super::proto::PieceType;
use crate::models::bpe::{merge_word, Merges, Symbol};
use crate::models::char_ids::CharIds;
use rustc_hash::FxHashMap;

/// No piece: an unknown character's symbol, which pairs with nothing (a character that is only
/// a reserved piece, CONTROL say, is unknown text too, as the library reads it since 0.2.3).
pub(super) const UNKNOWN: u32 = u32::MAX;

#[derive(Debug, Clone)]
pub struct IdBpe {
    merges: Merges,
    /// Ids of the characters that are pieces.
    chars: CharIds,
}

impl IdBpe {
    /// The merge table (for tests).
    #[cfg(test)]
    pub(super) fn merges(&self) -> &Merges {
        &self.merges
    }

    /// The tables, or `None` when the model is one of the few that need the string form.
    pub fn build(pieces: &[(String, f32, PieceType)], encodable: &FxHashMap<String, u32>) -> Option<IdBpe> {
        let mut scores: Vec<f32> = Vec::new();
        for (text, score, kind) in pieces {
            match kind {
                PieceType::Unused => return None,
                PieceType::Normal | PieceType::UserDefined => {}
                // Text that is also an encodable piece: the library would answer the reserved id.
                _ if encodable.contains_key(text) => return None,
                _ => continue,
            }
            if text.chars().any(|c| !encodable.contains_key(c.encode_utf8(&mut [0u8; 4]) as &str)) {
                return None;
            }
            scores.push(*score);
        }
        // The library orders scores by their bits (-0.0 below +0.0, NaN above +inf): IEEE total
        // order, under which two scores tie only when their bits are equal.
        scores.sort_by(|a, b| b.total_cmp(a));
        scores.dedup_by(|a, b| a.to_bits() == b.to_bits());
        let rank_of = |score: f32| scores.binary_search_by(|s| score.total_cmp(s)).unwrap_or(0) as u32;
        let halves = |text: &str| -> Option<u32> {
            let id = *encodable.get(text)?;
            (pieces[id as usize].2 != PieceType::UserDefined).then_some(id)
        };
        let mut listed = Vec::new();
        for (id, (text, score, kind)) in pieces.iter().enumerate() {
            if !matches!(kind, PieceType::Normal | PieceType::UserDefined) {
                continue;
            }
            let rank = rank_of(*score);
            for (split, _) in text.char_indices().skip(1) {
                if let (Some(left), Some(right)) = (halves(&text[..split]), halves(&text[split..])) {
                    listed.push((left, right, rank, id as u32));
                }
            }
        }
        let chars = CharIds::build(encodable.iter().map(|(text, &id)| (text.as_str(), id)));
        Some(IdBpe { merges: Merges::build(listed), chars })
    }

    /// Leaves in `symbols` the pieces of `text`, the library's answer; `user_defined` finds a
    /// user-defined piece at a position (a frozen symbol). Unknown text is a symbol of id
    /// `UNKNOWN`, one per character.
    pub fn encode(&self, text: &str, user_defined: impl Fn(&[u8]) -> Option<(u32, usize)>, symbols: &mut Vec<Symbol>) {
        symbols.clear();
        let bytes = text.as_bytes();
        let mut at = 0;
        while at < bytes.len() {
            if let Some((id, len)) = user_defined(&bytes[at..]).filter(|&(_, len)| text.is_char_boundary(at + len)) {
                symbols.push(Symbol { id, start: at as u32, end: (at + len) as u32 });
                at += len;
                continue;
            }
            let b = bytes[at];
            let (id, len) = if b < 128 {
                (self.chars.ascii(b), 1)
            } else {
                let c = text[at..].chars().next().unwrap_or('\u{FFFD}');
                (self.chars.get(c), c.len_utf8())
            };
            symbols.push(Symbol { id: id.unwrap_or(UNKNOWN), start: at as u32, end: (at + len) as u32 });
            at += len;
        }
        merge_word(symbols, &self.merges);
    }
}
