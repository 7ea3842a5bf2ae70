//! Unigram: the model of T5, ALBERT, XLM-R, mBART and most SentencePiece models. Each piece has a
//! log-probability; a word is cut into the pieces whose scores sum highest (see `viterbi`).
//!
//! The `model` object of an HF `tokenizer.json` with `"type": "Unigram"`, read as HF reads it:
//! every piece (control ones too) can match text, a repeated piece answers with its last id, a
//! character no piece starts with costs the lowest score minus 10 and becomes the unknown
//! token, runs of unknown tokens are fused into one, and with `byte_fallback` a fused unknown
//! run is spelled as its `<0xNN>` byte tokens when the vocabulary has them all.

mod viterbi;

use super::char_trie::CharTrie;
use super::trie::Trie;
use crate::error::Result;
use rustc_hash::FxHashMap;
use serde::{Deserialize, Serialize};
use std::cell::RefCell;

/// How far below the lowest piece score an unknown character is scored (SentencePiece's value).
const UNKNOWN_PENALTY: f64 = 10.0;

#[derive(Debug, Clone, Serialize, Deserialize)]
struct UnigramSpec {
    #[serde(default)]
    unk_id: Option<usize>,
    vocab: Vec<(String, f64)>,
    #[serde(default)]
    byte_fallback: bool,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(try_from = "UnigramSpec", into = "UnigramSpec")]
pub struct Unigram {
    pieces: Vec<(String, f64)>,
    /// The pieces' scores by id, apart from their strings: the lattice reads one per candidate,
    /// and a 250k vocabulary's scores alone stay in the CPU caches far better.
    scores: Vec<f64>,
    unk_id: Option<u32>,
    byte_fallback: bool,
    /// Piece → id (the last id of a repeated piece, as HF).
    ids: FxHashMap<String, u32>,
    trie: Trie,
    /// The same pieces by character (unless a piece is empty): the faster walk.
    lattice: Option<CharTrie>,
    unknown_score: f64,
    /// Ids of `<0x00>`..`<0xFF>` that exist (byte fallback).
    byte_ids: Vec<Option<u32>>,
    /// Names this model in a thread's word caches (see `word_cache`).
    owner: u64,
}

impl TryFrom<UnigramSpec> for Unigram {
    type Error = String;
    fn try_from(spec: UnigramSpec) -> std::result::Result<Self, String> {
        Unigram::new(spec.vocab, spec.unk_id, spec.byte_fallback)
    }
}

impl From<Unigram> for UnigramSpec {
    fn from(u: Unigram) -> Self {
        UnigramSpec { unk_id: u.unk_id.map(|id| id as usize), vocab: u.pieces, byte_fallback: u.byte_fallback }
    }
}

/// Buffers of the best-path search, reused across words.
#[derive(Default)]
pub struct UnigramScratch {
    best: Vec<viterbi::Best>,
    matches: Vec<(u32, u32)>,
    path: Vec<(u32, u32, u32)>,
    /// The char trie's codes of the word's characters (`NO_CODE` without one), and their byte
    /// starts (and the word's length).
    codes: Vec<u32>,
    starts: Vec<u32>,
}

crate::scratch_fields!(UnigramScratch: best, matches, path, codes, starts);

thread_local! {
    static SCRATCH: RefCell<UnigramScratch> = RefCell::new(UnigramScratch::default());
}

/// Bytes this thread's lattice buffers hold (tests).
#[cfg(test)]
pub(crate) fn retained_scratch_bytes() -> usize {
    SCRATCH.with(|cell| crate::utils::memory::Scratch::retained_bytes(&*cell.borrow()))
}

impl Unigram {
    pub fn new(
        pieces: Vec<(String, f64)>,
        unk_id: Option<usize>,
        byte_fallback: bool,
    ) -> std::result::Result<Self, String> {
        if let Some(unk) = unk_id {
            if pieces.is_empty() {
                return Err("vocab: empty, but an unknown token (unk_id) is set".to_string());
            }
            if unk >= pieces.len() {
                return Err(format!("unk_id: {unk} is beyond the {} pieces of the vocabulary", pieces.len()));
            }
        }
        if pieces.len() > u32::MAX as usize {
            return Err("vocab: more pieces than 32-bit ids can number".to_string());
        }
        let mut ids = FxHashMap::default();
        let mut min_score = f64::INFINITY;
        for (id, (piece, score)) in pieces.iter().enumerate() {
            ids.insert(piece.clone(), id as u32);
            min_score = min_score.min(*score);
        }
        let trie = Trie::build(pieces.iter().enumerate().map(|(id, (p, _))| (p.as_bytes(), id as u32)));
        // An empty piece never matches (the byte trie reports no empty prefix; the char trie
        // refuses one). Scores are float64 here, looked up by id.
        let lattice = CharTrie::build(ids.iter().filter(|(p, _)| !p.is_empty()).map(|(p, &id)| (p.as_str(), id, 0.0)));
        let byte_ids = crate::models::byte_token_ids(|t| ids.get(t).copied());
        let scores = pieces.iter().map(|(_, score)| *score).collect();
        Ok(Unigram {
            lattice,
            scores,
            pieces,
            unk_id: unk_id.map(|u| u as u32),
            byte_fallback,
            ids,
            trie,
            unknown_score: min_score - UNKNOWN_PENALTY,
            byte_ids,
            owner: crate::models::piece_cache::next_owner(),
        })
    }

    /// Calls `emit(id, start, end)` for each token of `word`, with byte offsets into `word`.
    pub fn tokenize(&self, word: &str, mut emit: impl FnMut(u32, usize, usize)) -> Result<()> {
        if word.is_empty() {
            return Ok(());
        }
        SCRATCH.with(|cell| {
            let mut guard = cell.borrow_mut();
            let s = &mut *guard;
            let result = viterbi::best_path(self, word, s).and_then(|()| {
                s.path.iter().try_for_each(|&(start, end, id)| {
                    self.emit_token(word, start as usize, end as usize, id, &mut emit)
                })
            });
            crate::utils::memory::Scratch::release_excess(s);
            result
        })
    }

    /// One token of the best path; a fused run of unknown characters is looked up again (HF
    /// does), then spelled in bytes or left as the unknown token.
    fn emit_token(
        &self,
        word: &str,
        start: usize,
        end: usize,
        id: u32,
        emit: &mut impl FnMut(u32, usize, usize),
    ) -> Result<()> {
        if Some(id) != self.unk_id {
            emit(id, start, end);
            return Ok(());
        }
        let text = &word[start..end];
        if let Some(&found) = self.ids.get(text) {
            emit(found, start, end);
            return Ok(());
        }
        if self.byte_fallback {
            let bytes: Option<Vec<u32>> = text.bytes().map(|b| self.byte_ids[b as usize]).collect();
            if let Some(bytes) = bytes {
                bytes.into_iter().for_each(|b| emit(b, start, end));
                return Ok(());
            }
        }
        emit(id, start, end);
        Ok(())
    }

    fn score(&self, id: u32) -> f64 {
        self.scores[id as usize]
    }

    pub fn owner(&self) -> u64 {
        self.owner
    }

    pub fn is_unknown(&self, id: u32) -> bool {
        self.unk_id == Some(id)
    }

    pub fn id_to_token(&self, id: u32) -> Option<&str> {
        self.pieces.get(id as usize).map(|(p, _)| p.as_str())
    }

    pub fn token_to_id(&self, token: &str) -> Option<u32> {
        self.ids.get(token).copied()
    }

    pub fn vocab(&self) -> &FxHashMap<String, u32> {
        &self.ids
    }

    pub fn id_bound(&self) -> usize {
        self.pieces.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn model(pieces: &[(&str, f64)], unk: Option<usize>, byte_fallback: bool) -> Unigram {
        Unigram::new(pieces.iter().map(|(p, s)| (p.to_string(), *s)).collect(), unk, byte_fallback).unwrap()
    }

    fn run(m: &Unigram, word: &str) -> Vec<(u32, usize, usize)> {
        let mut out = Vec::new();
        m.tokenize(word, |id, s, e| out.push((id, s, e))).unwrap();
        out
    }

    #[test]
    fn the_highest_total_score_wins() {
        let m = model(
            &[("<unk>", 0.0), ("a", -1.0), ("b", -1.0), ("ab", -1.5), ("abc", -4.0), ("c", -1.0)],
            Some(0),
            false,
        );
        assert_eq!(run(&m, "ab"), vec![(3, 0, 2)]);
        // "ab" + "c" (-2.5) beats "abc" (-4) and "a" "b" "c" (-3).
        assert_eq!(run(&m, "abc"), vec![(3, 0, 2), (5, 2, 3)]);
    }

    #[test]
    fn unknown_characters_fuse_and_fall_back_to_bytes() {
        let m = model(&[("<unk>", 0.0), ("a", -1.0)], Some(0), false);
        assert_eq!(run(&m, "xéa"), vec![(0, 0, 3), (1, 3, 4)]);
        let mut pieces: Vec<(String, f64)> = vec![("<unk>".into(), 0.0), ("a".into(), -1.0)];
        pieces.extend((0..=255u8).map(|b| (format!("<0x{b:02X}>"), -5.0)));
        let m = Unigram::new(pieces, Some(0), true).unwrap();
        assert_eq!(run(&m, "é"), vec![(2 + 0xC3, 0, 2), (2 + 0xA9, 0, 2)]);
    }

    #[test]
    fn a_text_needing_a_missing_unknown_token_is_an_error() {
        let m = model(&[("a", -1.0)], None, false);
        assert!(m.tokenize("ab", |_, _, _| {}).unwrap_err().to_string().contains("unk_id"));
        assert!(Unigram::new(vec![("a".into(), 0.0)], Some(3), false).unwrap_err().contains("unk_id"));
    }
}
