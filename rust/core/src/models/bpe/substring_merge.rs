//! The merges of a short piece under a model whose merge ranks are its token ids (a `.tiktoken`
//! file, see `ranks`): two adjacent symbols merge when their bytes together are a token, the
//! lowest such token first, the leftmost among equals. That is tiktoken's own rule, and the
//! merge table of `ranks` ranks every split of a token by that token.
//!
//! Asked this way, a pair is a question about a substring of the piece, which is known before
//! any merge is made: byte pairs come from a small grid (`TwoByteTokens`), every longer
//! substring's slot in the table of short tokens is prefetched at once, and the merges then run
//! on answers already on their way to the CPU cache. The merge table is asked by
//! pair of ids, which are known only once the merges before have been made: on a first-seen
//! piece that was a chain of cache misses, two per merge (about 500 ns for an English word under
//! o200k, 200 ns for the short pieces of random base64).
//!
//! The table of short tokens holds every token of up to `MAX_SHORT_TOKEN` bytes when the model
//! looks whole pieces up (`ignore_merges`, as every model from ranks does), and otherwise the
//! tokens that a piece of exactly their bytes merges into. The second is enough: a merge inside
//! a longer piece that makes token T only ever picks pairs within T's bytes, each the lowest
//! (leftmost among equals) of the pairs within them at its turn, which is the order those
//! merges take on T's bytes alone; so T is made somewhere only if T's own bytes make it, and a
//! pair whose bytes are another token is never picked.

use super::merge::Symbol;
use crate::models::piece_cache::{short_key, substring_key, ShortTokens, MAX_SHORT, MAX_SHORT_TOKEN};
use rustc_hash::FxHashMap;

/// Not a token: a rank that never wins.
const NONE: u32 = u32::MAX;

/// The two-byte tokens by their bytes (`NONE` where two bytes are not a token), as the table
/// of short tokens has them: the first pairs of every piece, asked of 256 KB that stay in the
/// CPU cache, while the slots of the longer substrings are on their way.
#[derive(Debug, Clone)]
pub(super) struct TwoByteTokens(Box<[u32]>);

impl TwoByteTokens {
    pub(super) fn build(tokens: &ShortTokens) -> TwoByteTokens {
        let id = |pair: u16| short_key(&pair.to_le_bytes()).and_then(|key| tokens.get(key));
        TwoByteTokens((0..=u16::MAX).map(|pair| id(pair).unwrap_or(NONE)).collect())
    }

    #[inline(always)]
    fn get(&self, first: u8, second: u8) -> u32 {
        self.0.get(first as usize | (second as usize) << 8).copied().unwrap_or(NONE)
    }
}

/// The tables a model from ranks answers substrings from: `tokens` (complete, see the module
/// comment), `two_bytes` (built from it) and `longer_tokens` (the tokens of more than
/// `MAX_SHORT_TOKEN` bytes by their bytes, for the rare pair whose bytes are more than `tokens`
/// holds).
#[derive(Clone, Copy)]
pub(super) struct TokensBySubstring<'a> {
    pub tokens: &'a ShortTokens,
    pub two_bytes: &'a TwoByteTokens,
    pub longer_tokens: &'a FxHashMap<Box<[u8]>, u32>,
}

/// Merges `word` (2 to `MAX_SHORT` bytes) into `symbols`, asking `tables` about each pair;
/// false, with `symbols` unspecified, for a piece of another length or with a byte that has no
/// token. `packed` is the piece's key (`short_key(word)`), which the caller already holds:
/// packing it again here went through a buffer that the CPU cannot forward to the wide load
/// after it (session 33, in one process over alternating fresh slices of o200k: +3-4% on random
/// base64).
///
/// Pieces of 13 to 15 bytes (long words: " unterminated", "fundamentally") took the merge loop
/// before, at microseconds each with its merge table cold: about 330 per MB of English
/// documents.
pub(super) fn merge_short_piece(
    word: &[u8],
    packed: u128,
    single: &[Option<u32>; 256],
    tables: TokensBySubstring,
    symbols: &mut Vec<Symbol>,
) -> bool {
    let TokensBySubstring { tokens, two_bytes, longer_tokens } = tables;
    let n = word.len();
    debug_assert!(tokens.is_complete());
    if !(2..=MAX_SHORT).contains(&n) || word.iter().any(|&b| single[b as usize].is_none()) {
        return false;
    }
    debug_assert_eq!(short_key(word), Some(packed));
    let key = |start: usize, end: usize| substring_key(packed, start, end);
    // Every substring of three bytes or more that a merge could ask about and `tokens` may
    // hold; the whole piece is left out (the caller looked it up already, or, for a piece of 13
    // to 15 bytes without whole-piece lookup, it is asked only at the last merge, if at all).
    tokens.prefetch_substrings(packed, 3..=(n - 1).min(MAX_SHORT_TOKEN));
    let token = |start: usize, end: usize| match end - start {
        len if len <= MAX_SHORT_TOKEN => tokens.get(key(start, end)),
        _ => word.get(start..end).and_then(|bytes| longer_tokens.get(bytes).copied()),
    };
    let rank = |start: usize, end: usize| token(start, end).unwrap_or(NONE);

    // Symbol k is word[starts[k]..starts[k + 1]]; pair[k] is the token of symbols k and k + 1
    // together (its id is its rank), NONE if they do not merge.
    let mut starts = [0u8; MAX_SHORT + 1];
    let mut pair = [NONE; MAX_SHORT];
    for (k, start) in starts.iter_mut().enumerate().take(n + 1) {
        *start = k as u8;
    }
    for (slot, bytes) in pair.iter_mut().zip(word.windows(2)) {
        *slot = two_bytes.get(bytes[0], bytes[1]);
    }
    let mut count = n;
    loop {
        let mut best = 0;
        for k in 1..count - 1 {
            if pair[k] < pair[best] {
                best = k;
            }
        }
        if pair[best] == NONE {
            break;
        }
        // Symbols best and best + 1 become one: the boundary between them goes.
        for k in best + 1..count {
            starts[k] = starts[k + 1];
        }
        for k in best + 1..count - 1 {
            pair[k] = pair[k + 1];
        }
        count -= 1;
        let at = |k: usize| starts[k] as usize;
        pair[best] = if best + 1 < count { rank(at(best), at(best + 2)) } else { NONE };
        if best > 0 {
            pair[best - 1] = rank(at(best - 1), at(best + 1));
        }
        if count == 1 {
            break;
        }
    }
    symbols.clear();
    for k in 0..count {
        let (start, end) = (starts[k] as usize, starts[k + 1] as usize);
        let id = match end - start {
            1 => word.get(start).and_then(|&b| single[b as usize]),
            2 => word.get(start..end).map(|two| two_bytes.get(two[0], two[1])).filter(|&id| id != NONE),
            _ => token(start, end),
        };
        let Some(id) = id else { return false };
        symbols.push(Symbol { id, start: start as u32, end: end as u32 });
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::models::bpe::merge::merged_from_bytes;
    use crate::models::bpe::Bpe;
    use proptest::prelude::*;

    fn by_substrings(bpe: &Bpe, word: &[u8]) -> Vec<Symbol> {
        let tables = bpe.byte_tables();
        let by_substring = tables.by_substring().expect("a model from ranks merges by substrings");
        let mut symbols = Vec::new();
        let key = short_key(word).unwrap();
        assert!(merge_short_piece(word, key, &tables.single, by_substring, &mut symbols), "{word:?}");
        symbols
    }

    /// Small vocabularies over three letters, where merges compete and overlap (a token made
    /// from two different splits, ties between equal pairs): the same symbols as the merge
    /// table of `ranks` gives by pairs of ids, for whole tokens and the rest alike.
    fn ranks_of(tokens: &[Vec<u8>]) -> Vec<(Vec<u8>, u32)> {
        let mut ranks: Vec<(Vec<u8>, u32)> = (0..=255u8).map(|b| (vec![b], b as u32)).collect();
        for token in tokens {
            let known = |part: &[u8]| ranks.iter().any(|(t, _)| t == part);
            let splits = (1..token.len()).any(|cut| known(&token[..cut]) && known(&token[cut..]));
            if splits && !known(token) {
                let rank = ranks.len() as u32;
                ranks.push((token.clone(), rank));
            }
        }
        ranks
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(400))]
        #[test]
        fn equals_merging_by_pairs_on_small_vocabularies(
            tokens in prop::collection::vec(prop::collection::vec(prop::sample::select(b"abc".to_vec()), 2..6), 1..14),
            words in prop::collection::vec(prop::collection::vec(prop::sample::select(b"abc".to_vec()), 2..=MAX_SHORT), 1..40),
        ) {
            let bpe = Bpe::from_ranks(&ranks_of(&tokens)).unwrap();
            let tables = bpe.byte_tables();
            for word in &words {
                prop_assert_eq!(by_substrings(&bpe, word), merged_from_bytes(word, &tables.single, &bpe.merges), "{:?}", word);
            }
        }
    }

    /// Every piece of up to 15 bytes of real text under cl100k and gpt2, ASCII or not (pieces
    /// of 13 to 15 bytes ask the tokens of 13 and 14 bytes, which the table of short tokens
    /// does not hold).
    #[test]
    fn equals_merging_by_pairs_under_real_vocabularies() {
        let root = concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared/data/");
        let corpus = std::fs::read_to_string(format!("{root}corpora/de_manpages_3MB.txt")).unwrap();
        let code = std::fs::read_to_string(format!("{root}corpora/code_python_stdlib_3MB.txt")).unwrap();
        let text: String = corpus.chars().take(300_000).chain(code.chars().take(300_000)).collect();
        for file in ["cl100k_base/cl100k_base.tiktoken", "gpt2/gpt2.tiktoken"] {
            let ranks = std::fs::read_to_string(format!("{root}tokenizers/{file}")).unwrap();
            let bpe = Bpe::from_ranks(&crate::formats::tiktoken::parse_ranks(&ranks).unwrap()).unwrap();
            let tables = bpe.byte_tables();
            let mut checked = std::collections::HashSet::new();
            // Encodings with a token of more bytes than the table of short tokens holds, that is
            // not the whole piece: those asked `longer_tokens`.
            let mut longer_parts = 0;
            // Every substring of 2 to 15 bytes that starts at a word, not only the pieces a
            // pattern would cut: more of them are not whole tokens.
            let bytes = text.as_bytes();
            for start in 0..bytes.len() {
                if start > 0 && bytes[start - 1].is_ascii_alphanumeric() {
                    continue;
                }
                for len in 2..=MAX_SHORT.min(bytes.len() - start) {
                    let word = &bytes[start..start + len];
                    if checked.insert(word) {
                        let merged = merged_from_bytes(word, &tables.single, &bpe.merges);
                        let part = |s: &Symbol| (s.end - s.start) as usize;
                        longer_parts += merged.iter().any(|s| (MAX_SHORT_TOKEN + 1..len).contains(&part(s))) as usize;
                        assert_eq!(by_substrings(&bpe, word), merged, "{file}: {:?}", String::from_utf8_lossy(word));
                    }
                }
            }
            assert!(longer_parts > 20, "{file}: {longer_parts} pieces with a token of 13 or 14 bytes");
            assert!(checked.len() > 100_000, "{}", checked.len());
        }
    }

    #[test]
    fn other_lengths_are_turned_down() {
        let root = concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared/data/tokenizers/gpt2/gpt2.tiktoken");
        let bpe =
            Bpe::from_ranks(&crate::formats::tiktoken::parse_ranks(&std::fs::read_to_string(root).unwrap()).unwrap())
                .unwrap();
        let tables = bpe.byte_tables();
        let mut symbols = Vec::new();
        let by_substring = tables.by_substring().unwrap();
        for word in [&b"a"[..], b"", b"sixteen bytes..."] {
            let key = short_key(word).unwrap_or(1);
            assert!(!merge_short_piece(word, key, &tables.single, by_substring, &mut symbols), "{word:?}");
        }
    }

    #[test]
    fn a_merge_list_is_not_asked_by_substrings() {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared/data/tokenizers/gpt2/tokenizer.json");
        let file = crate::formats::hf_json::parse(&std::fs::read_to_string(path).unwrap()).unwrap();
        let crate::models::Model::Bpe(listed) = file.model else { panic!("gpt2 is a BPE") };
        assert!(listed.byte_tables().two_bytes.is_none(), "a merge list is asked by pairs of ids");
        // (A model from ranks whose short tokens do not all fit, see `piece_cache`'s tests of
        // `is_complete`, asks the merge table too.)
    }
}
