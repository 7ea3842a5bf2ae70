//! Where a word of a character-level BPE may be cut without changing its tokens, so that a
//! text without spaces (a Chinese or Japanese document is one word under SentencePiece's
//! pipelines) still reaches the model, and the thread's word caches, in short parts.
//!
//! A merge makes a token whose text is the two halves' texts together. So if no token has
//! character `b` right after character `a`, no symbol ever spans the point between an `a` and
//! the `b` after it, and BPE on the two sides is BPE on each side alone: each side's merges
//! happen in the same order (lowest rank first, leftmost on ties), whatever the other side does.
//! The same holds for the frozen user-defined pieces of a `.model`, matched left to right: one
//! spanning the point would have `ab` in it, and for the lattice of a `.model` Unigram, whose
//! edges are pieces and one-character unknowns (`sentencepiece::unigram_words`).
//!
//! Pairs of two ASCII characters are kept exactly, a bit each (2 KB, read a byte at a time over
//! runs of ASCII that no cut falls in). The other adjacent pairs are a one-hash bit filter: a
//! pair a token has always answers "maybe", a pair none has answers "no" except for a few
//! collisions, which only mean a cut not taken, never a wrong one. At 16 bits per listed pair
//! about 1 in 16 absent pairs collides. Memory: at most 2^`MAX_BITS_LOG2` / 8 bytes (1 MB) per
//! model plus the 2 KB and the characters' ids (`CharIds`), built at load, read-only afterwards
//! (shared by threads, nothing to redo after `fork`).
//!
//! A character the vocabulary lacks becomes the unknown token, which some models fuse with its
//! unknown neighbours, or the bytes of byte fallback, which a merge of byte tokens might join
//! across characters: the model says, by an `Unknowns` rule, which cuts beside such characters
//! keep its answer. What depends on the place in the word (a continuation prefix, an end-of-word
//! suffix, a whole-word lookup) rules cuts out altogether: the model builds no `PairCuts` then.

use super::char_ids::CharIds;
use crate::error::Result;
use std::ops::Range;

const MIN_BITS_LOG2: u32 = 12;
/// 2^23 bits: 1 MB, for vocabularies with over half a million distinct adjacent pairs.
const MAX_BITS_LOG2: u32 = 23;
const BITS_PER_PAIR: usize = 16;

/// Where a cut may fall beside a character that is not a token alone.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unknowns {
    /// Anywhere: such a character is tokenized alone (bytes no merge joins, or the unknown
    /// token unfused) whatever is around it.
    StandAlone,
    /// Not between two of them: runs of them fuse into one unknown token.
    FuseInRuns,
    /// Never: what they become may merge with a neighbour.
    MayMerge,
}

#[derive(Debug, Clone)]
pub struct PairCuts {
    /// Pairs of two ASCII characters, exactly: bit `a * 128 + b` (2 KB, stays in L1). Prose
    /// and code are mostly such pairs, and nearly all of them are in some token.
    ascii_pairs: Box<[u64; 256]>,
    /// The filter of the other pairs.
    bits: Box<[u64]>,
    /// 64 minus log2 of the number of bits: a hash's top bits pick the bit.
    shift: u32,
    /// The ids of the characters that are tokens alone.
    chars: CharIds,
    unknowns: Unknowns,
}

impl PairCuts {
    /// The filter of every pair of adjacent characters in `tokens` (text, id), and the ids of
    /// the characters that are tokens alone.
    pub fn build<'a>(tokens: impl IntoIterator<Item = (&'a str, u32)>, unknowns: Unknowns) -> PairCuts {
        // Every pair's bit at the largest size first (no list of pairs to sort and dedup: a
        // large vocabulary has millions), then folded down to 16 bits per distinct pair: a
        // smaller table's bit is the larger one's index shifted right, so folding ORs neighbours.
        let mut full = vec![0u64; (1usize << MAX_BITS_LOG2) / 64];
        let full_shift = 64 - MAX_BITS_LOG2;
        let mut singles = Vec::new();
        let mut ascii_pairs = Box::new([0u64; 256]);
        for (token, id) in tokens {
            let mut chars = token.chars();
            let Some(mut before) = chars.next() else { continue };
            if token.len() == before.len_utf8() {
                singles.push((token, id));
            }
            for c in chars {
                let (words, bit) = match ascii_pair_bit(before, c) {
                    Some(bit) => (&mut ascii_pairs[..], bit),
                    None => (&mut full[..], (pair_hash(before, c) >> full_shift) as usize),
                };
                if let Some(word) = words.get_mut(bit / 64) {
                    *word |= 1 << (bit % 64);
                }
                before = c;
            }
        }
        // Distinct pairs, give or take the few that share a bit.
        let distinct: usize = full.iter().map(|w| w.count_ones() as usize).sum();
        let wanted = (distinct.max(1) * BITS_PER_PAIR).next_power_of_two().trailing_zeros();
        let log2 = wanted.clamp(MIN_BITS_LOG2, MAX_BITS_LOG2);
        let shift = 64 - log2;
        let group = 1usize << (MAX_BITS_LOG2 - log2); // bits of `full` per bit kept
        let mut bits = vec![0u64; (1usize << log2) / 64].into_boxed_slice();
        for (word_index, &word) in full.iter().enumerate() {
            let mut rest = word;
            while rest != 0 {
                let bit = (word_index * 64 + rest.trailing_zeros() as usize) / group;
                bits[bit / 64] |= 1 << (bit % 64);
                rest &= rest - 1;
            }
        }
        PairCuts { ascii_pairs, bits, shift, chars: CharIds::build(singles), unknowns }
    }

    /// The id of `c` when it is a token alone.
    #[inline]
    pub fn token_id(&self, c: char) -> Option<u32> {
        self.chars.get(c)
    }

    /// Whether some token may have `b` right after `a` (false: surely none has).
    #[inline]
    fn may_pair(&self, a: char, b: char) -> bool {
        if let Some(bit) = ascii_pair_bit(a, b) {
            return self.ascii_pairs.get(bit / 64).is_some_and(|w| w & (1 << (bit % 64)) != 0);
        }
        let bit = (pair_hash(a, b) >> self.shift) as usize;
        // `bit` < 2^(64 - shift), the number of bits, so the word index is in bounds.
        self.bits.get(bit / 64).is_none_or(|w| w & (1 << (bit % 64)) != 0)
    }

    #[inline(always)]
    fn ascii_may_pair(&self, a: u8, b: u8) -> bool {
        let bit = ((a as usize) << 7) | b as usize;
        self.ascii_pairs.get(bit / 64).is_some_and(|w| w & (1 << (bit % 64)) != 0)
    }

    /// Calls `each(part, single)` on the parts of `text[range]`, in order, cut between two
    /// characters that no token has side by side, when the `Unknowns` rule allows it. `single`
    /// is the id of a part that is one character that is a token: its only token, which needs no
    /// model and no cache.
    pub fn words(
        &self,
        text: &str,
        range: Range<usize>,
        mut each: impl FnMut(Range<usize>, Option<u32>) -> Result<()>,
    ) -> Result<()> {
        let Some(part) = text.get(range.clone()) else {
            return each(range, None);
        };
        let bytes = part.as_bytes();
        let Some(mut before) = part.chars().next() else {
            return Ok(());
        };
        let mut at = before.len_utf8();
        let mut start = 0;
        // The id of `before` when the last step looked it up (in text without spaces, where
        // nearly every step is a cut, each character is then looked up once, not twice).
        let mut before_id: Option<Option<u32>> = None;
        while at < bytes.len() {
            // A run of ASCII characters whose every pair some token has (English words, code):
            // no cut, nothing to decode, one L1 bit per byte.
            if before.is_ascii() {
                let mut last = before as u8;
                while let Some(&b) = bytes.get(at) {
                    if !b.is_ascii() || !self.ascii_may_pair(last, b) {
                        break;
                    }
                    (last, at, before_id) = (b, at + 1, None);
                }
                before = last as char;
            }
            let Some(c) = part.get(at..).and_then(|rest| rest.chars().next()) else { break };
            let mut c_id = None;
            if !self.may_pair(before, c) {
                let ids = (before_id.unwrap_or_else(|| self.token_id(before)), self.token_id(c));
                let cut = match self.unknowns {
                    Unknowns::StandAlone => true,
                    Unknowns::FuseInRuns => ids.0.is_some() || ids.1.is_some(),
                    Unknowns::MayMerge => ids.0.is_some() && ids.1.is_some(),
                };
                if cut {
                    let single = ids.0.filter(|_| at - start == before.len_utf8());
                    each(range.start + start..range.start + at, single)?;
                    start = at;
                }
                c_id = Some(ids.1);
            }
            before = c;
            before_id = c_id;
            at += c.len_utf8();
        }
        let single = (part.len() - start == before.len_utf8()).then(|| self.token_id(before)).flatten();
        each(range.start + start..range.end, single)
    }
}

/// The bit of a pair of two ASCII characters in `ascii_pairs`.
#[inline(always)]
fn ascii_pair_bit(a: char, b: char) -> Option<usize> {
    (a.is_ascii() && b.is_ascii()).then_some(((a as usize) << 7) | b as usize)
}

#[inline]
fn pair_hash(a: char, b: char) -> u64 {
    (((a as u64) << 21) | b as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn build<'a>(tokens: impl IntoIterator<Item = &'a str>) -> PairCuts {
        PairCuts::build(tokens.into_iter().zip(0..), Unknowns::MayMerge)
    }

    fn parts(cuts: &PairCuts, text: &str) -> Vec<String> {
        let mut out = Vec::new();
        cuts.words(text, 0..text.len(), |r, single| {
            let part = &text[r];
            // A part that is one character that is a token comes with that token's id.
            let alone = part.chars().count() == 1;
            assert_eq!(single, part.chars().next().and_then(|c| cuts.token_id(c)).filter(|_| alone));
            out.push(part.to_string());
            Ok(())
        })
        .unwrap();
        out
    }

    #[test]
    fn cuts_only_between_characters_no_token_joins() {
        let singles = ["▁", "t", "h", "e", "日", "本", "語", "a", "b", "x"];
        let cuts = build(["▁the", "日本", "ab"].into_iter().chain(singles));
        assert_eq!(parts(&cuts, "▁the日本語"), ["▁the", "日本", "語"]);
        assert_eq!(parts(&cuts, "xab▁th"), ["x", "ab", "▁th"]);
        assert_eq!(parts(&cuts, "a"), ["a"]);
        assert!(parts(&cuts, "").is_empty());
        // Every listed pair answers "maybe", however many there are.
        let many: Vec<String> = (0..5000u32)
            .filter_map(|i| Some(format!("{}{}", char::from_u32(0x4E00 + i)?, char::from_u32(0x4E01 + i)?)))
            .collect();
        let singles: Vec<String> = many.iter().flat_map(|t| t.chars().map(String::from)).collect();
        let cuts = build(many.iter().chain(&singles).map(String::as_str));
        for token in &many {
            assert_eq!(parts(&cuts, token), [token.clone()]);
        }
    }

    #[test]
    fn cuts_beside_a_character_that_is_not_a_token_as_the_model_says() {
        // `y` and `z` are no tokens.
        let tokens = ["ab", "a", "b", "x"].into_iter().zip(0..);
        let may_merge = PairCuts::build(tokens.clone(), Unknowns::MayMerge);
        assert_eq!(parts(&may_merge, "xyab"), ["xyab"]);
        assert_eq!(parts(&may_merge, "xaby"), ["x", "aby"]);
        assert_eq!(parts(&may_merge, "bxa"), ["b", "x", "a"]);
        let fused = PairCuts::build(tokens.clone(), Unknowns::FuseInRuns);
        assert_eq!(parts(&fused, "xyzab"), ["x", "yz", "ab"]);
        let alone = PairCuts::build(tokens, Unknowns::StandAlone);
        assert_eq!(parts(&alone, "xyzab"), ["x", "y", "z", "ab"]);
    }

    #[test]
    fn a_single_character_part_comes_with_its_id() {
        let tokens = [("ab", 7), ("a", 3), ("b", 4), ("語", 9), ("😀", 11), ("é", 12)];
        let cuts = PairCuts::build(tokens, Unknowns::MayMerge);
        assert_eq!(cuts.token_id('😀'), Some(11));
        assert_eq!(cuts.token_id('é'), Some(12));
        assert_eq!(cuts.token_id('ê'), None);
        assert_eq!(cuts.token_id('😁'), None);
        assert_eq!(cuts.token_id('本'), None);
        let text = "語ab語";
        let mut out = Vec::new();
        cuts.words(text, 0..text.len(), |r, single| {
            out.push((r, single));
            Ok(())
        })
        .unwrap();
        assert_eq!(out, [(0..3, Some(9)), (3..5, None), (5..8, Some(9))]);
    }
}
