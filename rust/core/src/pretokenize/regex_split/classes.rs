//! The Unicode character classes the known split patterns test, one lookup per character.
//!
//! The patterns only ever ask a handful of questions of a character: is it a letter, and which case
//! (`\p{Lu}\p{Lt}` / `\p{Ll}` / `\p{Lm}\p{Lo}`), a mark (`\p{M}`), a number (`\p{N}`), or white space
//! (`\s`, the `White_Space` property). Those sets are disjoint, so a character has exactly one
//! [`Class`]. The table is built once from the regex crate's own Unicode tables (parsed through
//! `regex-syntax`), so the scanners see exactly the classes `fancy-regex` and `regex` see, and a
//! lookup is two array reads instead of the binary searches a regex class test would do.

use once_cell::race::OnceBox;

use regex_syntax::hir::{Class as HirClass, HirKind};
use rustc_hash::FxHashMap;

/// The one class of a character, as far as the known split patterns can tell.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[repr(u8)]
pub enum Class {
    /// `\p{Lu}` or `\p{Lt}`: upper- or titlecase letter.
    Upper,
    /// `\p{Ll}`: lowercase letter.
    Lower,
    /// `\p{Lm}` or `\p{Lo}`: a letter without case (CJK, modifier letters, ...).
    Caseless,
    /// `\p{M}`: a combining mark; not a letter, but counted with letters by o200k.
    Mark,
    /// `\p{N}`.
    Number,
    /// `\s`: Unicode `White_Space`.
    Space,
    /// Anything else: punctuation, symbols, controls, unassigned code points.
    Other,
}

impl Class {
    /// `\p{L}`.
    #[inline]
    pub fn is_letter(self) -> bool {
        matches!(self, Class::Upper | Class::Lower | Class::Caseless)
    }

    /// `[^\s\p{L}\p{N}]`: what the patterns call punctuation.
    #[inline]
    pub fn is_punct(self) -> bool {
        matches!(self, Class::Mark | Class::Other)
    }

    /// `[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]`: o200k's "upper" set.
    #[inline]
    pub fn is_o200k_upper(self) -> bool {
        matches!(self, Class::Upper | Class::Caseless | Class::Mark)
    }

    /// `[\p{Ll}\p{Lm}\p{Lo}\p{M}]`: o200k's "lower" set.
    #[inline]
    pub fn is_o200k_lower(self) -> bool {
        matches!(self, Class::Lower | Class::Caseless | Class::Mark)
    }
}

const BLOCK_BITS: u32 = 7;
const BLOCK: usize = 1 << BLOCK_BITS;
const CODE_POINTS: usize = 0x11_0000;
const BLOCKS: usize = CODE_POINTS / BLOCK;

/// A two-level table from code point to [`Class`]: identical 128-code-point blocks are stored once.
pub struct Classes {
    ascii: [Class; 128],
    block_of: Box<[u16; BLOCKS]>,
    blocks: Vec<[Class; BLOCK]>,
}

/// The shared table, built on first use (a few milliseconds). A lock-free race to fill it
/// (OnceBox): a child forked while another thread builds it builds its own instead of waiting
/// on a thread the fork did not copy.
pub fn classes() -> &'static Classes {
    static TABLE: OnceBox<Classes> = OnceBox::new();
    TABLE.get_or_init(|| Box::new(Classes::build().expect("the regex crate's Unicode classes parse and are disjoint")))
}

impl Classes {
    /// Sweeps the classes' ranges block by block (no table of every code point: writing 1.1 MB
    /// of fresh memory was most of the few milliseconds the first call after a load paid here).
    fn build() -> Result<Classes, String> {
        let sources = [
            (r"[\p{Lu}\p{Lt}]", Class::Upper),
            (r"\p{Ll}", Class::Lower),
            (r"[\p{Lm}\p{Lo}]", Class::Caseless),
            (r"\p{M}", Class::Mark),
            (r"\p{N}", Class::Number),
            (r"\s", Class::Space),
        ];
        let mut ranges: Vec<(usize, usize, Class, &str)> = Vec::new();
        for (pattern, class) in sources {
            for (start, end) in unicode_ranges(pattern)? {
                ranges.push((start as usize, end as usize, class, pattern));
            }
        }
        ranges.sort_unstable_by_key(|&(start, ..)| start);
        if let Some(pair) = ranges.windows(2).find(|pair| pair[1].0 <= pair[0].1) {
            return Err(format!("{} overlaps {}", pair[1].3, pair[0].3));
        }
        let mut block_of = Box::new([0u16; BLOCKS]);
        let mut blocks: Vec<[Class; BLOCK]> = Vec::new();
        // Blocks by their bytes (hashed eight at a time, not a class at a time).
        let mut seen: FxHashMap<[u8; BLOCK], u16> = FxHashMap::default();
        let mut before: Option<([Class; BLOCK], u16)> = None;
        let mut next = 0;
        for (index, slot) in block_of.iter_mut().enumerate() {
            let (first, last) = (index * BLOCK, index * BLOCK + BLOCK - 1);
            while ranges.get(next).is_some_and(|&(_, end, ..)| end < first) {
                next += 1;
            }
            let mut block = [Class::Other; BLOCK];
            for &(start, end, class, _) in ranges[next..].iter().take_while(|&&(start, ..)| start <= last) {
                for cell in &mut block[start.max(first) - first..=end.min(last) - first] {
                    *cell = class;
                }
            }
            // Most blocks repeat the one before (unassigned planes, ideographs): no hashing then.
            if let Some(&(_, id)) = before.as_ref().filter(|(previous, _)| *previous == block) {
                *slot = id;
                continue;
            }
            let id = *seen.entry(block.map(|class| class as u8)).or_insert_with(|| {
                blocks.push(block);
                (blocks.len() - 1) as u16
            });
            *slot = id;
            before = Some((block, id));
        }
        let mut ascii = [Class::Other; 128];
        ascii.copy_from_slice(&blocks[block_of[0] as usize][..128]);
        Ok(Classes { ascii, block_of, blocks })
    }

    /// The class of an ASCII byte (`b < 0x80`); other bytes read as [`Class::Other`].
    #[inline(always)]
    pub fn ascii(&self, b: u8) -> Class {
        self.ascii.get(b as usize).copied().unwrap_or(Class::Other)
    }

    /// The class of a code point.
    #[inline(always)]
    pub fn of(&self, cp: u32) -> Class {
        let block = self.block_of.get((cp >> BLOCK_BITS) as usize).copied().unwrap_or(0) as usize;
        match self.blocks.get(block) {
            Some(classes) => classes[cp as usize & (BLOCK - 1)],
            None => Class::Other,
        }
    }

    /// The class and UTF-8 length of the character starting at byte `i` of a `str`'s bytes, or
    /// `None` at the end. `i` must be a character boundary (it always is in the scanners, which
    /// only step by whole characters).
    #[inline(always)]
    pub fn at(&self, bytes: &[u8], i: usize) -> Option<(Class, usize)> {
        let b0 = *bytes.get(i)?;
        if b0 < 0x80 {
            return Some((self.ascii(b0), 1));
        }
        let (cp, len) = decode_multibyte(bytes, i, b0);
        Some((self.of(cp), len))
    }
}

/// Decodes the non-ASCII character whose first byte `b0` sits at `i` (valid UTF-8 assumed, as
/// the bytes come from a `str`; a truncated sequence still yields a length ≥ 1 and no panic).
#[inline(always)]
fn decode_multibyte(bytes: &[u8], i: usize, b0: u8) -> (u32, usize) {
    let cont = |k: usize| (bytes.get(i + k).copied().unwrap_or(0x80) & 0x3F) as u32;
    if b0 < 0xE0 {
        (((b0 as u32 & 0x1F) << 6) | cont(1), 2)
    } else if b0 < 0xF0 {
        (((b0 as u32 & 0x0F) << 12) | (cont(1) << 6) | cont(2), 3)
    } else {
        (((b0 as u32 & 0x07) << 18) | (cont(1) << 12) | (cont(2) << 6) | cont(3), 4)
    }
}

/// The code point ranges of a Unicode class expression, as the regex crate compiles it.
fn unicode_ranges(pattern: &str) -> Result<Vec<(char, char)>, String> {
    let hir = regex_syntax::Parser::new().parse(pattern).map_err(|e| e.to_string())?;
    match hir.kind() {
        HirKind::Class(HirClass::Unicode(class)) => Ok(class.ranges().iter().map(|r| (r.start(), r.end())).collect()),
        other => Err(format!("{pattern} is not a Unicode class: {other:?}")),
    }
}
