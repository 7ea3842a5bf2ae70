//! Characters as atoms: byte-level BPE on text of other scripts, started from whole characters
//! and cut where no merge can cross.
//!
//! A Cyrillic, Indic or CJK character is 2 to 4 bytes, and the vocabulary nearly always has it as
//! one token, which the merge loop rebuilds byte by byte in every new word: half or more of the
//! symbols, pair lookups and merges of such a word go to putting its characters back together.
//! Starting from the character's token gives the same ids when three things hold:
//! - the character's bytes, merged alone, give that one token;
//! - no token that holds part of the character and bytes outside it can form where it stands
//!   (its "fragments": a token ending in a proper prefix of the character's bytes, with the
//!   bytes before it in the word, or starting with a proper suffix of them, with the bytes
//!   after): no merge then joins its bytes with the outside before they are whole;
//! - every merge that takes the character's token as an operand ranks above every merge the
//!   character's own bytes use. Until its token is whole, merges elsewhere in the word happen
//!   only while they rank at most as high as the character's pending merges, so they are lower
//!   than any merge taking the token; a start from the token makes those same merges first,
//!   and the two starts reach the same state once the character is whole.
//!
//! And between two adjacent atoms whose characters no token holds side by side, no merge can
//! cross (it would make such a token): the word is cut there into segments that merge alone,
//! short ones where a word of CJK is a long run of characters without spaces.
//!
//! Built at load with the other byte tables; where no character qualifies there are no atoms,
//! and nothing changes.

use super::backtrack::{LongPieceEncoder, SearchScratch};
use super::merge::{merge_word, Merges, Symbol};
use crate::utils::utf8::{char_at, char_len};
use rustc_hash::{FxHashMap, FxHashSet};

/// No atom at this code point in `CharAtoms::bmp`.
const NONE: u32 = 0;

/// The fragments around one character, and the bytes they could start or end with.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
struct Fragments {
    /// Byte strings that, right before the character, complete a token ending inside it.
    heads: Vec<Box<[u8]>>,
    /// Byte strings that, right after it, complete a token starting inside it.
    tails: Vec<Box<[u8]>>,
}

/// `Fragments` with the last bytes of its heads and the first bytes of its tails as bit sets:
/// where the byte next to the character is in neither, no fragment can match (nearly always).
#[derive(Debug, Clone)]
struct Rule {
    fragments: Fragments,
    head_ends: [u64; 4],
    tail_starts: [u64; 4],
}

fn has_bit(set: &[u64; 4], byte: u8) -> bool {
    set[(byte >> 6) as usize] >> (byte & 63) & 1 == 1
}

fn set_bit(set: &mut [u64; 4], byte: u8) {
    set[(byte >> 6) as usize] |= 1 << (byte & 63);
}

#[derive(Debug, Clone, Copy)]
struct Atom {
    id: u32,
    rule: u32,
}

/// See the module comment.
#[derive(Debug, Clone)]
pub(super) struct CharAtoms {
    /// Basic-plane code point → index + 1 in `atoms` (`NONE`: not an atom).
    bmp: Box<[u32]>,
    /// Code points above the basic plane → index in `atoms`.
    astral: FxHashMap<u32, u32>,
    atoms: Vec<Atom>,
    rules: Vec<Rule>,
    /// `first << 21 | second` for each two characters that follow each other in some token.
    neighbours: FxHashSet<u64>,
}

/// The lowest rank of a merge taking each token (by id) as an operand.
fn lowest_operand_ranks(merges: &Merges, id_bound: usize) -> Vec<u32> {
    let mut lowest = vec![u32::MAX; id_bound];
    merges.for_each(|left, right, rank, _| {
        for operand in [left, right] {
            if let Some(slot) = lowest.get_mut(operand as usize) {
                *slot = (*slot).min(rank);
            }
        }
    });
    lowest
}

impl CharAtoms {
    /// The atoms of a byte-level vocabulary (`tokens`: every token's bytes and id), or `None`
    /// when no character qualifies.
    pub fn build(
        tokens: &FxHashMap<Box<[u8]>, u32>,
        single: &[Option<u32>; 256],
        merges: &Merges,
        id_bound: usize,
    ) -> Option<CharAtoms> {
        let lowest_operand = lowest_operand_ranks(merges, id_bound);
        // Fragments by the part of a character they hold: heads by the character's prefix
        // they end with, tails by the suffix they start with.
        let mut heads: FxHashMap<&[u8], Vec<Box<[u8]>>> = FxHashMap::default();
        let mut tails: FxHashMap<&[u8], Vec<Box<[u8]>>> = FxHashMap::default();
        let mut neighbours = FxHashSet::default();
        // Only tokens with a byte of a multi-byte character can hold a fragment or two atoms.
        for token in tokens.keys().filter(|t| !t.is_ascii()) {
            for start in 1..token.len() {
                let part = &token[start..];
                let needs = char_len(part[0]);
                if needs > part.len() && part[1..].iter().all(|&b| b & 0xC0 == 0x80) {
                    heads.entry(part).or_default().push(token[..start].into());
                }
            }
            let continuing = token.iter().take(3).take_while(|&&b| b & 0xC0 == 0x80).count();
            for end in 1..=continuing.min(token.len() - 1) {
                tails.entry(&token[..end]).or_default().push(token[end..].into());
            }
            for chunk in token.utf8_chunks() {
                let mut chars = chunk.valid().chars().map(|c| c as u64).peekable();
                while let (Some(a), Some(&b)) = (chars.next(), chars.peek()) {
                    if a >= 0x80 && b >= 0x80 {
                        neighbours.insert(a << 21 | b);
                    }
                }
            }
        }
        let mut rules: Vec<Rule> = Vec::new();
        let mut rule_of: FxHashMap<Fragments, u32> = FxHashMap::default();
        let mut atoms = Vec::new();
        let mut bmp = vec![NONE; 0x1_0000].into_boxed_slice();
        let mut astral = FxHashMap::default();
        for (token, &id) in tokens {
            let Some((code, len)) = char_at(token) else { continue };
            if len != token.len() {
                continue;
            }
            // The character's own merges give its token, and every merge taking the token
            // ranks after all of them.
            match merge_alone(token, single, merges) {
                Some((made, highest))
                    if made == id && lowest_operand.get(id as usize).is_some_and(|&r| r > highest) => {}
                _ => continue,
            }
            let mut fragments = Fragments::default();
            for cut in 1..len {
                fragments.heads.extend(heads.get(&token[..cut]).into_iter().flatten().cloned());
                fragments.tails.extend(tails.get(&token[cut..]).into_iter().flatten().cloned());
            }
            for list in [&mut fragments.heads, &mut fragments.tails] {
                list.sort_unstable();
                list.dedup();
            }
            let rule = *rule_of.entry(fragments.clone()).or_insert_with(|| {
                let (mut head_ends, mut tail_starts) = ([0; 4], [0; 4]);
                fragments.heads.iter().filter_map(|h| h.last()).for_each(|&b| set_bit(&mut head_ends, b));
                fragments.tails.iter().filter_map(|t| t.first()).for_each(|&b| set_bit(&mut tail_starts, b));
                rules.push(Rule { fragments, head_ends, tail_starts });
                rules.len() as u32 - 1
            });
            atoms.push(Atom { id, rule });
            let index = atoms.len() as u32 - 1;
            match bmp.get_mut(code as usize) {
                Some(slot) => *slot = index + 1,
                None => {
                    astral.insert(code, index);
                }
            }
        }
        (!atoms.is_empty()).then_some(CharAtoms { bmp, astral, atoms, rules, neighbours })
    }

    /// The atom of the character `code` of `len` bytes at `word[at..]`, if it is one there.
    #[inline]
    fn atom_at(&self, word: &[u8], at: usize, code: u32, len: usize) -> Option<u32> {
        let index = match self.bmp.get(code as usize) {
            Some(&NONE) => return None,
            Some(&slot) => slot - 1,
            None => *self.astral.get(&code)?,
        };
        let atom = self.atoms.get(index as usize)?;
        let rule = self.rules.get(atom.rule as usize)?;
        if let Some(&before) = at.checked_sub(1).and_then(|i| word.get(i)) {
            if has_bit(&rule.head_ends, before) && rule.fragments.heads.iter().any(|h| word[..at].ends_with(h)) {
                return None;
            }
        }
        let end = at + len;
        if let Some(&after) = word.get(end) {
            if has_bit(&rule.tail_starts, after) && rule.fragments.tails.iter().any(|t| word[end..].starts_with(t)) {
                return None;
            }
        }
        Some(atom.id)
    }

    /// Merges `word` into `out` (its symbols, with byte offsets in the word) from atoms where
    /// it can, segment by segment; a segment of more than `long_from` bytes goes to `long` (a
    /// segment merges alone as it does in its word, and the long-piece search stays fast on
    /// runs without a cut, where a heap over their atoms does not). False if some byte has no
    /// token.
    #[allow(clippy::too_many_arguments)]
    pub fn merge(
        &self,
        word: &[u8],
        single: &[Option<u32>; 256],
        merges: &Merges,
        long: Option<(&LongPieceEncoder, usize)>,
        search: &mut SearchScratch,
        segment: &mut Vec<Symbol>,
        out: &mut Vec<Symbol>,
    ) -> bool {
        out.clear();
        segment.clear();
        let mut flush = |segment: &mut Vec<Symbol>, out: &mut Vec<Symbol>| {
            let (Some(first), Some(last)) = (segment.first(), segment.last()) else { return };
            let (start, end) = (first.start, last.end);
            if let Some((long, _)) = long.filter(|&(_, from)| (end - start) as usize > from) {
                if long.encode(&word[start as usize..end as usize], merges, search, segment) {
                    out.extend(segment.drain(..).map(|s| Symbol {
                        id: s.id,
                        start: s.start + start,
                        end: s.end + start,
                    }));
                    return;
                }
            }
            merge_word(segment, merges);
            out.append(segment);
        };
        // The code point of the atom the segment ends with, if it ends with one.
        let mut last_atom = None;
        let mut at = 0;
        while at < word.len() {
            if let Some((code, len)) = char_at(&word[at..]) {
                if let Some(id) = self.atom_at(word, at, code, len) {
                    if last_atom
                        .is_some_and(|last: u32| !self.neighbours.contains(&((last as u64) << 21 | code as u64)))
                    {
                        flush(segment, out);
                    }
                    segment.push(Symbol { id, start: at as u32, end: (at + len) as u32 });
                    last_atom = Some(code);
                    at += len;
                    continue;
                }
                for (i, &b) in word[at..at + len].iter().enumerate() {
                    let Some(id) = single[b as usize] else { return false };
                    segment.push(Symbol { id, start: (at + i) as u32, end: (at + i + 1) as u32 });
                }
                at += len;
            } else {
                let Some(id) = single[word[at] as usize] else { return false };
                segment.push(Symbol { id, start: at as u32, end: at as u32 + 1 });
                at += 1;
            }
            last_atom = None;
        }
        flush(segment, out);
        true
    }
}

/// The merging of a character's bytes alone (at most 4), as `merge_word` does it (lowest rank
/// first, leftmost among equals): the token it ends as, if one, and the highest rank it used.
fn merge_alone(bytes: &[u8], single: &[Option<u32>; 256], merges: &Merges) -> Option<(u32, u32)> {
    let mut ids = bytes.iter().map(|&b| single[b as usize]).collect::<Option<Vec<u32>>>()?;
    let mut highest = 0;
    while ids.len() > 1 {
        let best = (0..ids.len() - 1)
            .filter_map(|i| merges.get(ids[i], ids[i + 1]).map(|(rank, merged)| (rank, i, merged)))
            .min()?;
        let (rank, at, merged) = best;
        highest = highest.max(rank);
        ids.splice(at..at + 2, [merged]);
    }
    Some((ids[0], highest))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::models::bpe::merge::merged_from_bytes;
    use crate::models::bpe::Bpe;

    /// A byte vocabulary (ids = byte values) plus merges of (left bytes, right bytes), ranked in
    /// order; merged tokens get ids from 256 on.
    fn vocab(merge_list: &[(&[u8], &[u8])]) -> (FxHashMap<Box<[u8]>, u32>, Merges) {
        let mut tokens: FxHashMap<Box<[u8]>, u32> = (0..=255u8).map(|b| (Box::from([b]), b as u32)).collect();
        let mut listed = Vec::new();
        for (rank, (a, b)) in merge_list.iter().enumerate() {
            let joined: Box<[u8]> = [*a, *b].concat().into();
            let next = tokens.len() as u32;
            let id = *tokens.entry(joined).or_insert(next);
            listed.push((tokens[*a], tokens[*b], rank as u32, id));
        }
        (tokens, Merges::build(listed))
    }

    fn singles() -> [Option<u32>; 256] {
        std::array::from_fn(|b| Some(b as u32))
    }

    fn by_bytes(word: &[u8], merges: &Merges) -> Vec<Symbol> {
        merged_from_bytes(word, &singles(), merges)
    }

    fn by_atoms(atoms: &CharAtoms, word: &[u8], single: &[Option<u32>; 256], merges: &Merges) -> Vec<Symbol> {
        by_atoms_or_search(atoms, word, single, merges, None)
    }

    fn by_atoms_or_search(
        atoms: &CharAtoms,
        word: &[u8],
        single: &[Option<u32>; 256],
        merges: &Merges,
        long: Option<(&LongPieceEncoder, usize)>,
    ) -> Vec<Symbol> {
        let mut out = Vec::new();
        assert!(atoms.merge(word, single, merges, long, &mut SearchScratch::default(), &mut Vec::new(), &mut out));
        out
    }

    const E_ACUTE: &[u8] = "é".as_bytes();

    #[test]
    fn a_fragment_before_or_after_the_character_keeps_it_in_bytes() {
        // "xÃ" (x + é's first byte) merges before é does: in "xé" the character never forms.
        let (tokens, merges) = vocab(&[(b"x", &E_ACUTE[..1]), (&E_ACUTE[..1], &E_ACUTE[1..]), (&E_ACUTE[1..], b"y")]);
        let atoms = CharAtoms::build(&tokens, &singles(), &merges, tokens.len() + 1).expect("é is an atom elsewhere");
        for word in ["xé", "é", "aé", "éy", "xéy", "éé", "aéb", "xéx"] {
            let word = word.as_bytes();
            assert_eq!(by_atoms(&atoms, word, &singles(), &merges), by_bytes(word, &merges), "{word:?}");
        }
        // The head "x" and tail "y" are what the check found.
        assert_eq!(by_bytes("xé".as_bytes(), &merges).len(), 2);
        assert_eq!(by_bytes("éy".as_bytes(), &merges).len(), 2);
    }

    #[test]
    fn a_character_taken_by_a_merge_ranked_before_its_own_is_no_atom() {
        // é (256) is made at rank 5, and "é" + "a" (257) ranks 2: starting from é whole could
        // take that merge before merges the bytes would make first, so é is no atom.
        let mut tokens: FxHashMap<Box<[u8]>, u32> = (0..=255u8).map(|b| (Box::from([b]), b as u32)).collect();
        tokens.insert("é".as_bytes().into(), 256);
        tokens.insert("éa".as_bytes().into(), 257);
        let early = Merges::build([(E_ACUTE[0] as u32, E_ACUTE[1] as u32, 5, 256), (256, b'a' as u32, 2, 257)]);
        assert!(CharAtoms::build(&tokens, &singles(), &early, 258).is_none());
        let late = Merges::build([(E_ACUTE[0] as u32, E_ACUTE[1] as u32, 5, 256), (256, b'a' as u32, 6, 257)]);
        assert!(CharAtoms::build(&tokens, &singles(), &late, 258).is_some());
    }

    #[test]
    fn words_are_cut_between_characters_no_token_holds_together() {
        let (tokens, merges) = vocab(&[
            (&E_ACUTE[..1], &E_ACUTE[1..]),
            ("ö".as_bytes()[..1].as_ref(), "ö".as_bytes()[1..].as_ref()),
            ("é".as_bytes(), "é".as_bytes()),
        ]);
        let atoms = CharAtoms::build(&tokens, &singles(), &merges, tokens.len() + 1).unwrap();
        assert!(atoms.neighbours.contains(&(('é' as u64) << 21 | 'é' as u64)));
        assert!(!atoms.neighbours.contains(&(('é' as u64) << 21 | 'ö' as u64)));
        for word in ["éé", "éö", "ééöéé", "öéééö", "é é", "éaé"] {
            let word = word.as_bytes();
            assert_eq!(by_atoms(&atoms, word, &singles(), &merges), by_bytes(word, &merges), "{word:?}");
        }
    }

    /// Random words of many scripts, ASCII and stray bytes: from atoms, the same symbols as from
    /// bytes, under real vocabularies (the byte path is checked against tiktoken elsewhere).
    #[test]
    fn equals_merging_from_bytes_under_real_vocabularies() {
        let root = concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared/data/tokenizers/");
        let samples = [
            "Привет, как дела? Ёжик в тумане",
            "日本語のテキストを分割する。東京都",
            "中文分词测试，北京欢迎你",
            "नमस्ते दुनिया हिन्दी",
            "مرحبا بالعالم العربية",
            "Ελληνικά γράμματα",
            "עברית שלום",
            "한국어 텍스트",
            "ภาษาไทย",
            "🙂👍🏽 emoji",
            "naïve café Zürich",
            "\u{301}\u{308}e\u{301}",
        ];
        let pool: Vec<char> = samples.iter().flat_map(|s| s.chars()).collect();
        for file in ["cl100k_base/cl100k_base.tiktoken", "gpt2/gpt2.tiktoken"] {
            let text = std::fs::read_to_string(format!("{root}{file}")).unwrap();
            let bpe = Bpe::from_ranks(&crate::formats::tiktoken::parse_ranks(&text).unwrap()).unwrap();
            let tables = bpe.byte_tables();
            let atoms = tables.atoms.as_ref().expect("atoms are built");
            let mut rng = crate::utils::test_random::Lcg::new(12_345);
            let mut next = |n: u64| rng.below(n);
            for round in 0..20_000 {
                // Every tenth word is long, its long segments through the long-piece search.
                let (parts, long) = match round % 10 {
                    0 => (next(120) + 20, tables.long.as_ref().map(|l| (l, 16))),
                    _ => (next(24) + 1, None),
                };
                let mut word = Vec::new();
                for _ in 0..parts {
                    match next(10) {
                        0 => word.push(next(256) as u8),
                        1 => word.extend(char::from_u32(next(0x3_0000) as u32).unwrap_or('x').to_string().bytes()),
                        2 => word.push(b" .,a"[next(4) as usize]),
                        _ => word.extend(pool[next(pool.len() as u64) as usize].to_string().bytes()),
                    }
                }
                assert_eq!(
                    by_atoms_or_search(atoms, &word, &tables.single, &bpe.merges, long),
                    merged_from_bytes(&word, &tables.single, &bpe.merges),
                    "{file}: {word:?}"
                );
            }
        }
    }
}
