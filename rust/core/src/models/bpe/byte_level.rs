//! Byte-level BPE (GPT-2 and after): pieces are raw bytes, looked up without building the
//! byte-level string. The tables built from the vocabulary for that (one-byte tokens, tokens
//! by bytes, the short-piece table and the long-piece search) live here, with the two entry
//! points: `tokenize_bytes` for one piece with offsets, `ids_of_pieces` for a block of pieces
//! when only ids are wanted.

use super::atoms::CharAtoms;
use super::backtrack::{LongPieceEncoder, SearchScratch};
use super::merge::{merge_word, Symbol};
use super::substring_merge::{merge_short_piece, TokensBySubstring, TwoByteTokens};
use super::Bpe;
use crate::error::{Error, Result};
use crate::models::piece_cache::longer::{self, LongPieces, LongerPieces};
use crate::models::piece_cache::{
    answer, key_group, next_owner, short_key, Answer, RecentPieces, ShortTokens, GROUP, MAX_SHORT_TOKEN,
};
use crate::utils::byte_alphabet::{byte_to_char, decode_chars, encode_bytes_with_positions};
use rustc_hash::FxHashMap;
use std::ops::Range;

/// The vocabulary seen from raw bytes: what a byte-level BPE starts from.
#[derive(Debug, Clone)]
pub(super) struct ByteTables {
    /// Id of the one-byte token of each byte (its byte-level character).
    pub(super) single: [Option<u32>; 256],
    /// The tokens of more than `MAX_SHORT_TOKEN` bytes by their bytes, for the longer pieces
    /// that are whole tokens and the longer substrings `substring_merge` asks about (`short`
    /// holds the rest). Only those: 13k of the 200k tokens of o200k, a map that stays in the CPU
    /// caches where one of the whole vocabulary (200k boxed keys) missed at every probe and
    /// every key compare (session 41, `bench_peers` with the old and new builds alternated,
    /// three runs each: German +3% under o200k and +6% under llama3, the multilingual mix +3%
    /// under both, English level under o200k and +4% under llama3, nothing slower).
    pub(super) longer_tokens: FxHashMap<Box<[u8]>, u32>,
    /// The search for long pieces (None if some byte has no token, or tokens carry a prefix
    /// or suffix).
    pub(super) long: Option<LongPieceEncoder>,
    /// Whole tokens of up to `MAX_SHORT_TOKEN` bytes (see `piece_cache`).
    pub(super) short: ShortTokens,
    /// Present when short pieces merge by asking `short` about their substrings
    /// (`substring_merge`): the model is from ranks and `short` holds all its whole tokens of
    /// up to `MAX_SHORT_TOKEN` bytes.
    pub(super) two_bytes: Option<TwoByteTokens>,
    /// Characters that merging may start from whole (None when no character qualifies or
    /// tokens carry a prefix or suffix).
    pub(super) atoms: Option<CharAtoms>,
    /// Byte length of each token (by id; 0 for ids that are not tokens), for the offsets of
    /// cached encodings, which keep only ids.
    byte_lens: Box<[u8]>,
    /// Names these tables in a thread's `RecentPieces`; clones of the model share it (and
    /// their encodings).
    serial: u64,
}

impl ByteTables {
    /// The tables to ask about substrings, when the model merges by them (`two_bytes`).
    #[inline]
    pub(super) fn by_substring(&self) -> Option<TokensBySubstring<'_>> {
        let two_bytes = self.two_bytes.as_ref()?;
        Some(TokensBySubstring { tokens: &self.short, two_bytes, longer_tokens: &self.longer_tokens })
    }

    #[inline]
    fn byte_len(&self, id: u32) -> usize {
        self.byte_lens.get(id as usize).map_or(0, |&len| len as usize)
    }
}

/// Byte-level pieces longer than this take the search of `backtrack` instead of the merge
/// loop, which costs O(n log n) with a heap and thrashes the caches on megabyte pieces.
const LONG_PIECE: usize = 48;

/// The top bit of each of the 15 bytes of text of a short key (`short_key`): set in the bytes of
/// non-ASCII characters.
const HIGH_BITS: u128 = 0x0080_8080_8080_8080_8080_8080_8080_8080;

/// Buffers a BPE model reuses between words.
#[derive(Debug, Default)]
pub struct BpeScratch {
    pub symbols: Vec<Symbol>,
    /// The segment being merged, for `CharAtoms::merge`.
    segment: Vec<Symbol>,
    search: SearchScratch,
    recent: RecentPieces,
    longer: LongerPieces,
    long: LongPieces,
}

crate::scratch_fields!(BpeScratch: symbols, segment, search);

impl BpeScratch {
    /// The encoding of a piece of 16 to 256 bytes that this thread's table of its length holds
    /// (for the tables of model `serial`).
    fn cached_long_piece(&mut self, word: &[u8], serial: u64) -> Option<&[u32]> {
        if longer::held(word.len()) {
            self.longer.claim(serial);
            self.longer.ids(word)
        } else if LongPieces::holds(word.len()) {
            self.long.claim(serial);
            self.long.ids(word)
        } else {
            None
        }
    }

    /// Remembers the encoding in `symbols` of `word` (whose key is `key` if it is short) in the
    /// thread's table of its length, if any.
    fn remember(&mut self, word: &[u8], key: Option<u128>, serial: u64) {
        let ids = self.symbols.iter().map(|s| s.id);
        if let Some(key) = key {
            self.recent.claim(serial);
            self.recent.insert(key, ids);
        } else if longer::held(word.len()) {
            self.longer.claim(serial);
            self.longer.insert(word, ids);
        } else if LongPieces::holds(word.len()) {
            self.long.claim(serial);
            self.long.insert(word, ids);
        }
    }
}

/// Emits a cached encoding of a piece of `len` bytes, with offsets from the tokens' byte
/// lengths: the entry is the piece's exact encoding, so they tile it.
fn emit_with_lengths(ids: &[u32], len: usize, tables: &ByteTables, emit: &mut impl FnMut(u32, usize, usize)) {
    let mut start = 0;
    for &id in ids {
        let end = (start + tables.byte_len(id)).min(len);
        emit(id, start, end);
        start = end;
    }
}

/// `symbols` become the bytes of `word` as their one-byte tokens; false if some byte has none.
fn byte_symbols(word: &[u8], single: &[Option<u32>; 256], symbols: &mut Vec<Symbol>) -> bool {
    symbols.clear();
    for (i, &b) in word.iter().enumerate() {
        let Some(id) = single[b as usize] else { return false };
        symbols.push(Symbol { id, start: i as u32, end: i as u32 + 1 });
    }
    true
}

impl Bpe {
    /// The tables, built on first use; `prepare_byte_level` builds them at load.
    pub(super) fn byte_tables(&self) -> &ByteTables {
        self.byte_level.get_or_init(|| {
            let mut single = [None; 256];
            for (b, slot) in single.iter_mut().enumerate() {
                *slot = self.spec.vocab.get(byte_to_char(b as u8).to_string().as_str()).copied();
            }
            let by_bytes = self.tokens_by_bytes();
            // The long-piece search and the atoms are built side by side on the pool (the
            // atoms' scan of the vocabulary would otherwise add to the load).
            let (long, atoms) = if self.is_plain() {
                crate::utils::parallel::run(|| {
                    rayon::join(
                        || {
                            let tokens = by_bytes.iter().map(|(b, &id)| (&b[..], id));
                            LongPieceEncoder::build(tokens, &single, &self.merges, self.id_bound())
                        },
                        || CharAtoms::build(&by_bytes, &single, &self.merges, self.id_bound()),
                    )
                })
            } else {
                (None, None)
            };
            let whole = self.short_tokens(&by_bytes, &single, long.as_ref());
            let short = ShortTokens::build(&whole);
            let by_substrings = self.spec.merges_of_ranks && self.is_plain() && short.is_complete();
            let two_bytes = by_substrings.then(|| TwoByteTokens::build(&short));
            let mut byte_lens = vec![0u8; self.id_bound()].into_boxed_slice();
            for (bytes, &id) in &by_bytes {
                if let Some(len) = byte_lens.get_mut(id as usize) {
                    *len = bytes.len().min(255) as u8;
                }
            }
            let longer_tokens = by_bytes.into_iter().filter(|(bytes, _)| bytes.len() > MAX_SHORT_TOKEN).collect();
            let serial = next_owner();
            Box::new(ByteTables { single, longer_tokens, long, short, two_bytes, atoms, byte_lens, serial })
        })
    }

    /// Every token by its bytes.
    fn tokens_by_bytes(&self) -> FxHashMap<Box<[u8]>, u32> {
        self.spec.vocab.iter().filter_map(|(t, &id)| Some((decode_chars(t)?.into_boxed_slice(), id))).collect()
    }

    /// The tokens of up to `MAX_SHORT_TOKEN` bytes that a piece of exactly their bytes encodes
    /// to: all of them under whole-piece lookup (`ignore_merges`), else those the merges
    /// rebuild, which the long-piece search already found (its reachable tokens) when there is
    /// one, and are otherwise found here by merging each token's bytes.
    fn short_tokens(
        &self,
        by_bytes: &FxHashMap<Box<[u8]>, u32>,
        single: &[Option<u32>; 256],
        long: Option<&LongPieceEncoder>,
    ) -> Vec<(u128, u32)> {
        let short: Vec<(u128, &[u8], u32)> = (by_bytes.iter())
            .filter(|(bytes, _)| bytes.len() <= MAX_SHORT_TOKEN)
            .filter_map(|(bytes, &id)| Some((short_key(bytes)?, &bytes[..], id)))
            .collect();
        if self.spec.ignore_merges {
            return short.into_iter().map(|(key, _, id)| (key, id)).collect();
        }
        if let Some(long) = long {
            return short.into_iter().filter(|&(_, _, id)| long.reaches(id)).map(|(key, _, id)| (key, id)).collect();
        }
        let rebuilt = |symbols: &mut Vec<Symbol>, bytes: &[u8], id: u32| {
            if !byte_symbols(bytes, single, symbols) {
                return false;
            }
            merge_word(symbols, &self.merges);
            matches!(symbols[..], [only] if only.id == id)
        };
        crate::utils::parallel::run(|| {
            use rayon::prelude::*;
            (short.par_iter())
                .map_init(Vec::new, |symbols, &(key, bytes, id)| rebuilt(symbols, bytes, id).then_some((key, id)))
                .flatten()
                .collect()
        })
    }

    /// Builds what byte-level input needs (the byte tables and the long-piece search) now,
    /// at load, so that the first call costs what the fifth does.
    pub fn prepare_byte_level(&self) {
        self.byte_tables();
    }

    /// Allocates this thread's piece caches for this model now (see `Model::prepare_thread`).
    pub(crate) fn prepare_thread_caches(&self, scratch: &mut BpeScratch) {
        if self.is_plain() {
            let serial = self.byte_tables().serial;
            scratch.recent.claim(serial);
            scratch.longer.claim(serial);
            scratch.long.claim(serial);
        }
    }

    /// Tokenizes a piece of a byte-level tokenizer (GPT-2 and after): the symbols start as the
    /// piece's bytes, looked up without building the byte-level string. Offsets are bytes of
    /// `word`. A vocabulary missing some one-byte token falls back to the character path.
    pub fn tokenize_bytes(
        &self,
        word: &[u8],
        scratch: &mut BpeScratch,
        mut emit: impl FnMut(u32, usize, usize),
    ) -> Result<()> {
        if word.is_empty() {
            return Ok(());
        }
        if !self.is_plain() {
            // A continuing-subword prefix or an end-of-word suffix decorates the symbols (HF
            // trains byte-level BPE with one when asked): the tables below assume a token is
            // its bytes, so such a model takes the general path over the byte-level string.
            return self.tokenize_bytes_as_chars(word, &mut scratch.symbols, emit);
        }
        let tables = self.byte_tables();
        if let [b] = *word {
            if let Some(id) = tables.single[b as usize] {
                emit(id, 0, 1);
                return Ok(());
            }
        }
        let key = short_key(word);
        if let Some(key) = key {
            // The thread's recent pieces first: they stay in cache, where a probe of the
            // vocabulary-sized table of whole tokens is most often a cache miss.
            scratch.recent.claim(tables.serial);
            if let Some(cached) = scratch.recent.ids(key) {
                emit_with_lengths(cached, word.len(), tables, &mut emit);
                return Ok(());
            }
            if let Some(id) = tables.short.get(key) {
                emit(id, 0, word.len());
                scratch.recent.insert(key, std::iter::once(id));
                return Ok(());
            }
        }
        self.encode_uncached(word, key, tables, scratch, emit)
    }

    /// The ids of `pieces` of `text` (byte ranges, in order) appended to `ids`: what
    /// `tokenize_bytes` gives for each, without offsets. This is the loop of ragged batches, so
    /// it is `tokenize_bytes` with every per-piece cost that can be hoisted taken out: the
    /// tables and the thread's cache are claimed once per block, and a short piece's key is one
    /// 16-byte load from the text, masked, instead of a copy into a buffer.
    pub fn ids_of_pieces(
        &self,
        text: &[u8],
        pieces: &[Range<usize>],
        scratch: &mut BpeScratch,
        ids: &mut Vec<u32>,
    ) -> Result<()> {
        if !self.is_plain() {
            // See `tokenize_bytes`: decorated symbols take the general path.
            for piece in pieces {
                let word = text.get(piece.clone()).ok_or_else(|| {
                    Error::InvalidArgument(format!("piece {piece:?} is outside a text of {} bytes", text.len()))
                })?;
                self.tokenize_bytes_as_chars(word, &mut scratch.symbols, |id, _, _| ids.push(id))?;
            }
            return Ok(());
        }
        let tables = self.byte_tables();
        scratch.recent.claim(tables.serial);
        scratch.longer.claim(tables.serial);
        ids.reserve(pieces.len());
        let mut keys = [0u128; GROUP];
        for group in pieces.chunks(GROUP) {
            // Pieces of 16 to 48 bytes have their entry in the thread's table of longer pieces
            // requested with the rest (session 40, measured as `key_group`'s requests were, on
            // top of them: the multilingual mix +6%, code +4%, English +3%, German level).
            let BpeScratch { recent, longer, .. } = &*scratch;
            key_group(text, group, recent, &tables.short, &mut keys, |bytes| longer.prefetch(bytes))?;
            for (&key, piece) in keys.iter().zip(group) {
                let Answer::Encode(key) = answer(key, &mut scratch.recent, &tables.short, ids) else { continue };
                let word = text.get(piece.clone()).unwrap_or_default();
                self.encode_uncached(word, key, tables, scratch, |id, _, _| ids.push(id))?;
            }
        }
        Ok(())
    }

    /// A piece that no table answers: whole-piece lookup, the thread's tables of longer pieces,
    /// substring merges, the long-piece search or the merge loop; the encoding is then
    /// remembered in the thread's table for the piece's length.
    fn encode_uncached(
        &self,
        word: &[u8],
        key: Option<u128>,
        tables: &ByteTables,
        scratch: &mut BpeScratch,
        mut emit: impl FnMut(u32, usize, usize),
    ) -> Result<()> {
        // Whole-piece lookup: tokens up to MAX_SHORT_TOKEN bytes were in `tables.short`.
        if word.len() > MAX_SHORT_TOKEN && self.spec.ignore_merges {
            if let Some(&id) = tables.longer_tokens.get(word) {
                emit(id, 0, word.len());
                // Tokens of 13 to 15 bytes (indentation runs, long words) are not in
                // `tables.short` but fit a key: remembered, they are not looked up again.
                if let Some(key) = key {
                    scratch.recent.claim(tables.serial);
                    scratch.recent.insert(key, std::iter::once(id));
                }
                return Ok(());
            }
        }
        let merged = 'merged: {
            // Short pieces of a model from ranks by substrings (first: they are most of the
            // pieces that get here). Pieces of 13 to 15 bytes only when ASCII: long words then
            // merge several times faster than by the merge loop (session 39, o200k on fresh
            // slices of English documents, alternating in one process: +5-10% in all), while
            // non-ASCII ones are cheaper from their characters (`atoms`; by substrings, the time
            // of pieces no table answered rose 15% on Russian and the multilingual mix). So are
            // shorter pieces whose bytes are mostly those of other characters: four CJK
            // characters merge as four atoms instead of twelve bytes (session 42, the Rust
            // harness over alternating fresh slices, each run paired with its swapped run: o200k
            // Chinese +18-24%, Russian +5-8%, the multilingual mix +0-4%; cl100k Chinese +10-13%
            // and the mix +5-7%; gpt2's mix +3-6%; German, an umlaut among Latin letters, level).
            let from_characters =
                |key: u128| tables.atoms.is_some() && (key & HIGH_BITS).count_ones() as usize * 2 > word.len();
            let by_substrings = (word.len() <= MAX_SHORT_TOKEN && !key.is_some_and(from_characters)) || word.is_ascii();
            if let (Some(by_substring), Some(key)) = (tables.by_substring().filter(|_| by_substrings), key) {
                if merge_short_piece(word, key, &tables.single, by_substring, &mut scratch.symbols) {
                    break 'merged true;
                }
            }
            if let Some(cached) = scratch.cached_long_piece(word, tables.serial) {
                emit_with_lengths(cached, word.len(), tables, &mut emit);
                return Ok(());
            }
            // Pieces over LONG_PIECE bytes of ASCII (or without atoms) by the long-piece search;
            // the rest, or a piece the search turns down, by the merge loop, from atoms where
            // the piece has some.
            let symbols = &mut scratch.symbols;
            let by_atoms = tables.atoms.as_ref().filter(|_| !word.is_ascii());
            if let Some(long) = tables.long.as_ref().filter(|_| word.len() > LONG_PIECE && by_atoms.is_none()) {
                if long.encode(word, &self.merges, &mut scratch.search, symbols) {
                    break 'merged true;
                }
            }
            match by_atoms {
                Some(atoms) => {
                    let long = tables.long.as_ref().map(|long| (long, LONG_PIECE));
                    atoms.merge(
                        word,
                        &tables.single,
                        &self.merges,
                        long,
                        &mut scratch.search,
                        &mut scratch.segment,
                        symbols,
                    )
                }
                None => {
                    byte_symbols(word, &tables.single, symbols) && {
                        merge_word(symbols, &self.merges);
                        true
                    }
                }
            }
        };
        let symbols = &mut scratch.symbols;
        if !merged {
            return self.tokenize_bytes_as_chars(word, symbols, emit);
        }
        for s in symbols.iter() {
            emit(s.id, s.start as usize, s.end as usize);
        }
        scratch.remember(word, key, tables.serial);
        Ok(())
    }

    /// Whether this thread's piece caches are allocated for this model.
    #[cfg(test)]
    pub(crate) fn thread_caches_ready(&self, scratch: &BpeScratch) -> bool {
        let serial = self.byte_tables().serial;
        scratch.recent.is_claimed_by(serial)
            && scratch.longer.is_claimed_by(serial)
            && scratch.long.is_claimed_by(serial)
    }

    /// No prefix or suffix decorates the symbols: the search's assumption that a token is its
    /// bytes.
    fn is_plain(&self) -> bool {
        self.spec.continuing_subword_prefix.as_deref().is_none_or(str::is_empty)
            && self.spec.end_of_word_suffix.as_deref().is_none_or(str::is_empty)
    }

    /// The general path for byte-level input: the byte-level string through `tokenize`, with
    /// offsets mapped back from its characters (one per byte) to bytes.
    pub(crate) fn tokenize_bytes_as_chars(
        &self,
        word: &[u8],
        symbols: &mut Vec<Symbol>,
        mut emit: impl FnMut(u32, usize, usize),
    ) -> Result<()> {
        let (mut mapped, mut byte_of_offset) = (String::new(), Vec::new());
        encode_bytes_with_positions(word, &mut mapped, &mut byte_of_offset);
        let at = |offset: usize| byte_of_offset.get(offset).copied().unwrap_or(word.len());
        self.tokenize(&mapped, symbols, |id, s, e| emit(id, at(s), at(e)))
    }
}

#[cfg(test)]
mod tests {
    use crate::models::Model;

    #[test]
    fn the_search_reaches_exactly_the_tokens_merging_rebuilds() {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared/data/tokenizers/gpt2/tokenizer.json");
        let file = crate::formats::hf_json::parse(&std::fs::read_to_string(path).unwrap()).unwrap();
        let Model::Bpe(bpe) = file.model else { panic!("gpt2 is a BPE") };
        let tables = bpe.byte_tables();
        let long = tables.long.as_ref().expect("every byte of gpt2 has a token");
        let by_bytes = bpe.tokens_by_bytes();
        let mut from_search = bpe.short_tokens(&by_bytes, &tables.single, Some(long));
        let mut from_merging = bpe.short_tokens(&by_bytes, &tables.single, None);
        from_search.sort_unstable();
        from_merging.sort_unstable();
        assert!(from_search.len() > 40_000, "{}", from_search.len());
        assert_eq!(from_search, from_merging);
    }

    /// Short pieces of every mix of ASCII and other characters, whichever way they are merged
    /// (by substrings from bytes, or from characters when their bytes are mostly non-ASCII):
    /// the symbols of merging their bytes by the merge table, under a model from ranks.
    #[test]
    fn short_pieces_merge_as_their_bytes_do_whichever_way_they_take() {
        let root = concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared/data/tokenizers/");
        let ranks = std::fs::read_to_string(format!("{root}cl100k_base/cl100k_base.tiktoken")).unwrap();
        let bpe = super::Bpe::from_ranks(&crate::formats::tiktoken::parse_ranks(&ranks).unwrap()).unwrap();
        let tables = bpe.byte_tables();
        assert!(tables.atoms.is_some() && tables.two_bytes.is_some());
        let pool: Vec<char> =
            "Привет мир 中文分词测试 日本語のテキスト नमस्ते Ελληνικά naïve über a1 .,-".chars().collect();
        let mut rng = crate::utils::test_random::Lcg::new(42);
        let (mut from_characters, mut from_bytes) = (0, 0);
        for _ in 0..30_000 {
            let mut word = Vec::new();
            let want = 2 + rng.below(11) as usize;
            while word.len() < want {
                let c = pool[rng.below(pool.len() as u64) as usize];
                if word.len() + c.len_utf8() > want {
                    break;
                }
                word.extend(c.to_string().bytes());
            }
            let expected = super::super::merge::merged_from_bytes(&word, &tables.single, &bpe.merges);
            let mut got = Vec::new();
            let mut scratch = super::BpeScratch::default();
            bpe.tokenize_bytes(&word, &mut scratch, |id, start, end| {
                got.push(super::Symbol { id, start: start as u32, end: end as u32 })
            })
            .unwrap();
            assert_eq!(got, expected, "{:?}", String::from_utf8_lossy(&word));
            if word.iter().filter(|&&b| b >= 0x80).count() * 2 > word.len() {
                from_characters += 1;
            } else {
                from_bytes += 1;
            }
        }
        assert!(from_characters > 3_000 && from_bytes > 3_000, "{from_characters} {from_bytes}");
    }

    #[test]
    fn long_pieces_come_back_from_the_cache_as_encoded() {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared/data/tokenizers/gpt2/tokenizer.json");
        let file = crate::formats::hf_json::parse(&std::fs::read_to_string(path).unwrap()).unwrap();
        let Model::Bpe(bpe) = file.model else { panic!("gpt2 is a BPE") };
        let pieces: Vec<Vec<u8>> = vec![
            format!("+{}+{}+\n", "-".repeat(40), "=".repeat(30)).into_bytes(),
            "#".repeat(70).into_bytes(),
            " ".repeat(60).into_bytes(),
            "-".repeat(256).into_bytes(),
            "é—x".repeat(20).into_bytes(),
        ];
        let text: Vec<u8> = pieces.concat();
        let mut ranges = Vec::new();
        for p in &pieces {
            let start = ranges.last().map_or(0, |r: &std::ops::Range<usize>| r.end);
            ranges.push(start..start + p.len());
        }
        let mut fresh = Vec::new();
        for p in &pieces {
            bpe.tokenize_bytes(p, &mut super::BpeScratch::default(), |id, _, _| fresh.push(id)).unwrap();
        }
        let mut scratch = super::BpeScratch::default();
        for round in 0..2 {
            let mut ids = Vec::new();
            bpe.ids_of_pieces(&text, &ranges, &mut scratch, &mut ids).unwrap();
            assert_eq!(ids, fresh, "round {round}");
        }
        for p in &pieces {
            assert!(scratch.long.ids(p).is_some(), "{} bytes not cached", p.len());
        }
    }
}
