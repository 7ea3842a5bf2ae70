//! The ids of the tokens that are one character, looked up by character without hashing a
//! string: character-level models (SentencePiece BPE, `tokenizer.json` BPE without byte-level
//! mapping) start every new word by finding each character's token, and a `String` key per
//! character was a tenth of their time on CJK text.
//!
//! ASCII is a flat array; the rest of the Basic Multilingual Plane is split into blocks of 256
//! code points, only the blocks that hold a token are stored (at most 256 KB, 1 KB per block);
//! characters past it (emoji, rare CJK) go through a hash map. Built at load, read-only after.

use rustc_hash::FxHashMap;

/// No token: the slot of a character that is not a token alone.
const NOT_A_TOKEN: u32 = u32::MAX;

#[derive(Debug, Clone)]
pub struct CharIds {
    ascii: [u32; 128],
    /// Per block of 256 BMP code points: the block's index in `bmp_blocks` plus one, or 0 for a
    /// block with no token.
    bmp_block_of: Box<[u16; 256]>,
    bmp_blocks: Vec<[u32; 256]>,
    beyond_bmp: FxHashMap<char, u32>,
}

impl CharIds {
    /// The table of the one-character tokens among `tokens` (text, id); longer ones are
    /// skipped. A character listed twice keeps its last id (callers pass distinct texts).
    pub fn build<'a>(tokens: impl IntoIterator<Item = (&'a str, u32)>) -> CharIds {
        let mut table = CharIds {
            ascii: [NOT_A_TOKEN; 128],
            bmp_block_of: Box::new([0; 256]),
            bmp_blocks: Vec::new(),
            beyond_bmp: FxHashMap::default(),
        };
        for (token, id) in tokens {
            let mut chars = token.chars();
            if let (Some(c), None) = (chars.next(), chars.next()) {
                table.insert(c, id);
            }
        }
        table
    }

    fn insert(&mut self, c: char, id: u32) {
        let code = c as usize;
        if let Some(slot) = self.ascii.get_mut(code) {
            *slot = id;
        } else if let Some(block) = self.bmp_block_of.get_mut(code >> 8) {
            if *block == 0 {
                self.bmp_blocks.push([NOT_A_TOKEN; 256]);
                *block = self.bmp_blocks.len() as u16;
            }
            if let Some(block) = self.bmp_blocks.get_mut(*block as usize - 1) {
                block[code & 0xFF] = id;
            }
        } else {
            self.beyond_bmp.insert(c, id);
        }
    }

    /// The id of `c` when it is a token alone.
    #[inline]
    pub fn get(&self, c: char) -> Option<u32> {
        let code = c as usize;
        let id = match (self.ascii.get(code), self.bmp_block_of.get(code >> 8)) {
            (Some(&id), _) => id,
            (None, Some(0)) => NOT_A_TOKEN,
            (None, Some(&block)) => self.bmp_blocks.get(block as usize - 1).map_or(NOT_A_TOKEN, |b| b[code & 0xFF]),
            (None, None) => return self.beyond_bmp.get(&c).copied(),
        };
        (id != NOT_A_TOKEN).then_some(id)
    }

    /// The id of the ASCII character `b` (< 128) when it is a token alone: one load.
    #[inline(always)]
    pub fn ascii(&self, b: u8) -> Option<u32> {
        self.ascii.get(b as usize).copied().filter(|&id| id != NOT_A_TOKEN)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_exactly_the_one_character_tokens_in_every_range() {
        let singles = [("a", 5), ("é", 6), ("中", 7), ("😀", 8), ("\u{FFFF}", 10), ("\u{10FFFF}", 11)];
        // A token of two characters is not an entry of its first one.
        let table = CharIds::build(singles.into_iter().chain([("ab", 9), ("bc", 12)]));
        for (text, id) in singles {
            assert_eq!(table.get(text.chars().next().unwrap()), Some(id), "{text:?}");
        }
        for absent in ['b', 'è', '国', '😁', '\u{0}', '\u{7F}', '\u{80}', '\u{10000}'] {
            assert_eq!(table.get(absent), None, "{absent:?}");
        }
        assert_eq!(table.ascii(b'a'), Some(5));
        assert_eq!(table.ascii(b'b'), None);
        // Only the blocks with a token are stored: é (block 0), 中 (0x4E), U+FFFF (0xFF).
        assert_eq!(table.bmp_blocks.len(), 3);
    }
}
