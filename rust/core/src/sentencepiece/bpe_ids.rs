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
    /// Over the merge ids of the pieces (see `merge_ids`).
    merges: Merges,
    /// Merge ids of the characters that are pieces.
    chars: CharIds,
    /// The piece id of each merge id, and the merge id of each piece id.
    piece_of: Box<[u32]>,
    merge_id_of: Box<[u32]>,
}

impl IdBpe {
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
        let (piece_of, merge_id_of) = merge_ids(pieces.len(), &listed);
        let to_merge_id = |id: u32| merge_id_of.get(id as usize).copied().unwrap_or(UNKNOWN);
        for (left, right, _, merged) in &mut listed {
            (*left, *right, *merged) = (to_merge_id(*left), to_merge_id(*right), to_merge_id(*merged));
        }
        let chars = CharIds::build(encodable.iter().map(|(text, &id)| (text.as_str(), to_merge_id(id))));
        Some(IdBpe { merges: Merges::build(listed), chars, piece_of, merge_id_of })
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
                let id = self.merge_id_of.get(id as usize).copied().unwrap_or(UNKNOWN);
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
        for symbol in symbols.iter_mut() {
            symbol.id = self.piece_of.get(symbol.id as usize).copied().unwrap_or(UNKNOWN);
        }
    }
}

/// Numbers the pieces for the merge table, whose dense grid answers the pairs of the first 512
/// numbers without hashing (`models::bpe::merge_table`). A SentencePiece model lists its
/// single characters last (Mistral: ids 28705 to 31999), so by piece id every pair of Cyrillic
/// or CJK characters went through the hash map. Merge ids put first the pieces that are halves
/// of the most merges (the alphabets' common letters, then the common short pieces), whatever
/// their script. Returns (piece id of each merge id, merge id of each piece id).
fn merge_ids(pieces: usize, listed: &[(u32, u32, u32, u32)]) -> (Box<[u32]>, Box<[u32]>) {
    let mut halves_in = vec![0u32; pieces];
    for &(left, right, _, _) in listed {
        for half in [left, right] {
            if let Some(count) = halves_in.get_mut(half as usize) {
                *count += 1;
            }
        }
    }
    let mut piece_of: Vec<u32> = (0..pieces as u32).collect();
    piece_of.sort_by_key(|&id| (std::cmp::Reverse(halves_in[id as usize]), id));
    let mut merge_id_of = vec![UNKNOWN; pieces];
    for (merge_id, &id) in piece_of.iter().enumerate() {
        merge_id_of[id as usize] = merge_id as u32;
    }
    (piece_of.into_boxed_slice(), merge_id_of.into_boxed_slice())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn merge_ids_put_the_most_used_halves_first_and_map_both_ways() {
        // Piece 4 is a half of three merges, piece 2 of two, piece 0 of one; 1 and 3 of none.
        let listed = [(4, 2, 0, 1), (4, 4, 1, 3), (2, 0, 2, 3)];
        let (piece_of, merge_id_of) = merge_ids(5, &listed);
        assert_eq!(&piece_of[..], &[4, 2, 0, 1, 3]);
        for (merge_id, &piece) in piece_of.iter().enumerate() {
            assert_eq!(merge_id_of[piece as usize], merge_id as u32);
        }
    }
}
