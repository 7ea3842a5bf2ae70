//! WordPiece: greedy longest-match-first segmentation of a word into vocabulary entries, the
//! pieces after the first carrying the continuation prefix (`##`).
//!
//! Each match is a longest-prefix walk in a trie (one for word starts, one for continuations
//! with the prefix already stripped), so a word costs at most (number of pieces) x (longest
//! entry) byte steps instead of the quadratic shrink-and-hash of the textbook loop. A word
//! with an unmatchable rest, or longer than `max_input_chars_per_word`, becomes the unknown token.

use crate::error::{Error, Result};
use crate::models::piece_cache::{
    answer, key_group, next_owner, short_key, Answer, RecentPieces, ShortTokens, GROUP, MAX_SHORT_TOKEN,
};
use crate::models::trie::Trie;
use rustc_hash::FxHashMap;
use serde::{Deserialize, Serialize};
use smallvec::SmallVec;
use std::ops::Range;

/// Pieces of a word kept on the stack (1.5 KB): words of random base64 or long compounds take up
/// to a few dozen; only longer ones spill to the heap.
const INLINE_PIECES: usize = 64;

fn default_unk() -> String {
    "[UNK]".to_string()
}
fn default_prefix() -> String {
    "##".to_string()
}
fn default_max_chars() -> usize {
    100
}

/// The `model` object of a WordPiece `tokenizer.json`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct WordPieceSpec {
    #[serde(default = "default_unk")]
    pub unk_token: String,
    #[serde(default = "default_prefix")]
    pub continuing_subword_prefix: String,
    #[serde(default = "default_max_chars")]
    pub max_input_chars_per_word: usize,
    #[serde(serialize_with = "crate::models::serialize_vocab_by_id")]
    pub vocab: FxHashMap<String, u32>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(try_from = "WordPieceSpec", into = "WordPieceSpec")]
pub struct WordPiece {
    spec: WordPieceSpec,
    unk_id: Option<u32>,
    id_to_token: Vec<Option<String>>,
    starts: Trie,
    continuations: Trie,
    /// Words that are tokens, by key: such a word is its own token, its longest prefix in the
    /// vocabulary being itself.
    whole: ShortTokens,
    /// Names this model in a thread's `RecentPieces`.
    owner: u64,
}

impl TryFrom<WordPieceSpec> for WordPiece {
    type Error = String;
    fn try_from(spec: WordPieceSpec) -> std::result::Result<Self, String> {
        let id_to_token = crate::models::ids_to_tokens(&spec.vocab)?;
        let starts = Trie::build(spec.vocab.iter().map(|(t, &id)| (t.as_bytes(), id)));
        let prefix = spec.continuing_subword_prefix.as_str();
        let continuations = Trie::build(
            spec.vocab.iter().filter_map(|(t, &id)| t.strip_prefix(prefix).map(|rest| (rest.as_bytes(), id))),
        );
        let unk_id = spec.vocab.get(&spec.unk_token).copied();
        let max_chars = spec.max_input_chars_per_word;
        let whole: Vec<(u128, u32)> = (spec.vocab.iter())
            .filter(|(t, _)| t.len() <= MAX_SHORT_TOKEN && t.chars().count() <= max_chars)
            .filter_map(|(t, &id)| Some((short_key(t.as_bytes())?, id)))
            .collect();
        let whole = ShortTokens::build(&whole);
        Ok(WordPiece { spec, unk_id, id_to_token, starts, continuations, whole, owner: next_owner() })
    }
}

impl From<WordPiece> for WordPieceSpec {
    fn from(w: WordPiece) -> Self {
        w.spec
    }
}

impl WordPiece {
    pub fn from_vocab(vocab: FxHashMap<String, u32>) -> Result<WordPiece> {
        let spec = WordPieceSpec {
            unk_token: default_unk(),
            continuing_subword_prefix: default_prefix(),
            max_input_chars_per_word: default_max_chars(),
            vocab,
        };
        WordPiece::try_from(spec).map_err(Error::Config)
    }

    /// Calls `emit(id, start, end)` for each piece of `word`, with byte offsets into `word`.
    #[inline]
    pub fn tokenize(&self, word: &str, mut emit: impl FnMut(u32, usize, usize)) -> Result<()> {
        let bytes = word.as_bytes();
        // Cheap bound first: a word of at most max bytes has at most max chars.
        let too_long = bytes.len() > self.spec.max_input_chars_per_word
            && word.chars().count() > self.spec.max_input_chars_per_word;
        if !too_long {
            if let Some((id, len)) = self.starts.longest_prefix(bytes) {
                if len == bytes.len() {
                    emit(id, 0, len);
                    return Ok(());
                }
                if self.segment_rest(bytes, len, id, &mut emit) {
                    return Ok(());
                }
            }
        }
        let unk = self.unk_id.ok_or_else(|| {
            Error::Config(format!("model.unk_token: {:?} is not in the vocabulary", self.spec.unk_token))
        })?;
        emit(unk, 0, bytes.len());
        Ok(())
    }

    /// Names this model in a thread's `RecentPieces`.
    pub(crate) fn owner(&self) -> u64 {
        self.owner
    }

    /// The ids of `pieces` of `text` (byte ranges, in order) appended to `ids`: `tokenize` of
    /// each, ids only, with short words answered from the vocabulary's whole words and the
    /// thread's `recent` words before walking the tries.
    pub fn ids_of_pieces(
        &self,
        text: &str,
        pieces: &[Range<usize>],
        recent: &mut RecentPieces,
        ids: &mut Vec<u32>,
    ) -> Result<()> {
        recent.claim(self.owner);
        let mut keys = [0u128; GROUP];
        for group in pieces.chunks(GROUP) {
            key_group(text.as_bytes(), group, recent, &self.whole, &mut keys, |_| {})?;
            for (&key, piece) in keys.iter().zip(group) {
                let Some(word) = text.get(piece.clone()) else {
                    return Err(Error::InvalidArgument(format!("piece {piece:?} is not a span of the text")));
                };
                let Answer::Encode(key) = answer(key, recent, &self.whole, ids) else { continue };
                let before = ids.len();
                self.tokenize(word, |id, _, _| ids.push(id))?;
                if let (Some(key), Some(new)) = (key, ids.get(before..)) {
                    recent.insert(key, new.iter().copied());
                }
            }
        }
        Ok(())
    }

    /// Segments the remainder after a first piece; emits nothing and returns false if some part
    /// cannot be matched (then the whole word is unknown).
    #[inline]
    fn segment_rest(
        &self,
        bytes: &[u8],
        first_len: usize,
        first_id: u32,
        emit: &mut impl FnMut(u32, usize, usize),
    ) -> bool {
        // On the stack up to `INLINE_PIECES` pieces, without initializing the slots: a heap
        // vector per longer word was a malloc, reallocs and a free per word of random base64,
        // which two threads made contend for the allocator (two threads ran at 0.6x of one).
        let mut pieces: SmallVec<[(u32, usize, usize); INLINE_PIECES]> = SmallVec::new();
        pieces.push((first_id, 0, first_len));
        let mut start = first_len;
        while start < bytes.len() {
            match self.continuations.longest_prefix(&bytes[start..]) {
                Some((id, len)) => {
                    pieces.push((id, start, start + len));
                    start += len;
                }
                None => return false,
            }
        }
        for &(id, s, e) in &pieces {
            emit(id, s, e);
        }
        true
    }

    pub fn id_to_token(&self, id: u32) -> Option<&str> {
        self.id_to_token.get(id as usize).and_then(|t| t.as_deref())
    }

    pub fn token_to_id(&self, token: &str) -> Option<u32> {
        self.spec.vocab.get(token).copied()
    }

    pub fn vocab(&self) -> &FxHashMap<String, u32> {
        &self.spec.vocab
    }

    /// One past the largest id.
    pub fn id_bound(&self) -> usize {
        self.id_to_token.len()
    }

    pub fn continuing_subword_prefix(&self) -> &str {
        &self.spec.continuing_subword_prefix
    }

    pub fn unk_token(&self) -> &str {
        &self.spec.unk_token
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn model(words: &[&str]) -> WordPiece {
        let vocab = words.iter().enumerate().map(|(i, w)| (w.to_string(), i as u32)).collect();
        WordPiece::from_vocab(vocab).unwrap()
    }

    fn run(m: &WordPiece, word: &str) -> Vec<(u32, usize, usize)> {
        let mut out = Vec::new();
        m.tokenize(word, |id, s, e| out.push((id, s, e))).unwrap();
        out
    }

    #[test]
    fn greedy_longest_match_with_prefix() {
        let m = model(&["[UNK]", "un", "##aff", "##able", "unaff", "##a"]);
        assert_eq!(run(&m, "unaffable"), vec![(4, 0, 5), (3, 5, 9)]);
        assert_eq!(run(&m, "unx"), vec![(0, 0, 3)]);
    }

    #[test]
    fn overlong_word_is_unknown() {
        let mut vocab: FxHashMap<String, u32> = FxHashMap::default();
        vocab.insert("[UNK]".into(), 0);
        vocab.insert("a".into(), 1);
        vocab.insert("##a".into(), 2);
        let m = WordPiece::from_vocab(vocab).unwrap();
        assert_eq!(run(&m, &"a".repeat(100)).len(), 100);
        assert_eq!(run(&m, &"a".repeat(101)), vec![(0, 0, 101)]);
    }
}
