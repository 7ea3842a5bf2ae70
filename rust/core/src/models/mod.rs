//! Models turn one pre-tokenized word into token ids.

pub mod bpe;
pub(crate) mod char_ids;
pub(crate) mod char_trie;
pub(crate) mod pair_cuts;
pub(crate) mod piece_cache;
pub(crate) mod trie;
pub mod unigram;
mod vocab;
pub mod word_cache;
mod word_level;
pub mod wordpiece;

pub use bpe::Bpe;
pub use unigram::Unigram;
pub use vocab::{byte_token_ids, ids_to_tokens, serialize_vocab_by_id};
pub use word_level::WordLevel;
pub use wordpiece::WordPiece;

use crate::error::Result;
use serde::{Deserialize, Serialize};

/// Type names a `model` may have in a file we accept.
pub const SUPPORTED: &[&str] = &["WordPiece", "BPE", "Unigram", "WordLevel"];

/// The `model` of a `tokenizer.json`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(tag = "type")]
pub enum Model {
    WordPiece(WordPiece),
    #[serde(rename = "BPE")]
    Bpe(Bpe),
    Unigram(Unigram),
    WordLevel(WordLevel),
    /// The model of a SentencePiece `.model` (no `tokenizer.json` form).
    #[serde(skip)]
    SentencePiece(Box<crate::sentencepiece::SentencePieceModel>),
}

/// Buffers a model reuses between words.
#[derive(Default)]
pub struct ModelScratch {
    bpe: bpe::BpeScratch,
    /// WordPiece's cache of the words this thread met last (see `piece_cache`).
    wordpiece: piece_cache::RecentPieces,
    /// Whole words of the models that encode word by word (see `word_cache`).
    words: word_cache::WordCaches,
}

// The caches are fixed-size and stay; only the BPE buffers grow with a word.
crate::scratch_fields!(ModelScratch: bpe);

impl Model {
    /// Calls `emit(id, start, end)` for each token of `word` (byte offsets into it). With
    /// `byte_level` (a ByteLevel pre-tokenizer), the model reads the word's bytes: BPE starts from
    /// them (GPT-2 style), any other model from their byte-level characters (see `tokenize_piece`).
    #[inline]
    pub fn tokenize(
        &self,
        word: &str,
        byte_level: bool,
        scratch: &mut ModelScratch,
        emit: impl FnMut(u32, usize, usize),
    ) -> Result<()> {
        match byte_level {
            true => self.tokenize_piece(word.as_bytes(), true, scratch, emit),
            false => self.tokenize_text(word, scratch, emit),
        }
    }

    /// `tokenize` of a piece given as bytes. Only with `byte_level` may a piece cut a character
    /// (pre-tokenizer steps after a ByteLevel cut the byte-mapped text, where every byte is a
    /// character); otherwise such a piece is an error.
    #[inline]
    pub fn tokenize_piece(
        &self,
        word: &[u8],
        byte_level: bool,
        scratch: &mut ModelScratch,
        emit: impl FnMut(u32, usize, usize),
    ) -> Result<()> {
        match self {
            Model::Bpe(b) if byte_level && b.dropout().is_some() => {
                b.tokenize_bytes_as_chars(word, &mut scratch.bpe.symbols, emit)
            }
            Model::Bpe(b) if byte_level => b.tokenize_bytes(word, &mut scratch.bpe, emit),
            _ if byte_level => self.tokenize_byte_mapped(word, scratch, emit),
            _ => match std::str::from_utf8(word) {
                Ok(word) => self.tokenize_text(word, scratch, emit),
                Err(_) => Err(crate::Error::InvalidArgument(
                    "a pre-tokenizer piece cuts a character, and the model reads characters".to_string(),
                )),
            },
        }
    }

    /// The model over the characters of `word` (no byte-level mapping).
    ///
    /// A BPE without a pre-tokenizer (a SentencePiece model, or its `tokenizer.json`) sees a
    /// whole document as one word: its merges would run over millions of symbols at once (a
    /// 2 MB document took 1.6 s, against 44 ms for its ids alone). It is cut into the same
    /// parts the ids-only path encodes one by one (`ids_of_pieces`), where no token can span a
    /// cut, and each part's offsets are moved to where the part starts.
    #[inline]
    fn tokenize_text(
        &self,
        word: &str,
        scratch: &mut ModelScratch,
        mut emit: impl FnMut(u32, usize, usize),
    ) -> Result<()> {
        match self {
            Model::WordPiece(w) => w.tokenize(word, emit),
            Model::Bpe(b) if b.dropout().is_none() && word.len() > CUT_WORDS_ABOVE => {
                encode_by_parts(word, b.word_cuts(), false, &mut emit, |text, emit| {
                    b.tokenize(text, &mut scratch.bpe.symbols, emit)
                })
            }
            Model::Bpe(b) => b.tokenize(word, &mut scratch.bpe.symbols, emit),
            Model::Unigram(u) => u.tokenize(word, emit),
            Model::WordLevel(w) => w.tokenize(word, emit),
            Model::SentencePiece(s) if !s.unigram_by_words() && word.len() > CUT_WORDS_ABOVE => {
                encode_by_parts(word, s.word_cuts(), s.cuts_at_metaspace(), &mut emit, |text, emit| {
                    s.tokenize(text, emit)
                })
            }
            Model::SentencePiece(s) => s.tokenize(word, emit),
        }
    }

    /// A piece after a ByteLevel step, for a model other than BPE: HF hands it its bytes written
    /// in the byte-level alphabet (`Ġthe`), and the offsets come back a byte per character.
    fn tokenize_byte_mapped(
        &self,
        word: &[u8],
        scratch: &mut ModelScratch,
        mut emit: impl FnMut(u32, usize, usize),
    ) -> Result<()> {
        let (mut mapped, mut byte_at) = (String::new(), Vec::new());
        crate::utils::byte_alphabet::encode_bytes_with_positions(word, &mut mapped, &mut byte_at);
        let at = |offset: usize| byte_at.get(offset).copied().unwrap_or(word.len());
        self.tokenize_text(&mapped, scratch, |id, s, e| emit(id, at(s), at(e)))
    }

    /// Appends the ids of `pieces` of `text` (byte ranges, in order): `tokenize` of each, ids
    /// only. Byte-level BPE answers a block at a time (see `Bpe::ids_of_pieces`).
    pub fn ids_of_pieces(
        &self,
        text: &str,
        pieces: &[std::ops::Range<usize>],
        byte_level: bool,
        scratch: &mut ModelScratch,
        ids: &mut Vec<u32>,
    ) -> Result<()> {
        let bytes = text.as_bytes();
        if byte_level && !matches!(self, Model::Bpe(_)) {
            // Pieces of byte-mapped text: rare (a ByteLevel step before a model other than BPE),
            // so the per-piece path.
            for piece in pieces {
                let word = bytes.get(piece.clone()).ok_or_else(|| {
                    crate::Error::InvalidArgument(format!("piece {piece:?} is not a span of the text"))
                })?;
                self.tokenize_byte_mapped(word, scratch, |id, _, _| ids.push(id))?;
            }
            return Ok(());
        }
        let ModelScratch { bpe, wordpiece, words } = scratch;
        let span = |piece: &std::ops::Range<usize>| {
            text.get(piece.clone())
                .ok_or_else(|| crate::Error::InvalidArgument(format!("piece {piece:?} is not a span of the text")))
        };
        match (self, byte_level) {
            // Dropout draws anew for each word: no caches, the word-by-word path below.
            (Model::Bpe(b), _) if b.dropout().is_some() => {}
            (Model::Bpe(b), true) => return b.ids_of_pieces(bytes, pieces, bpe, ids),
            (Model::WordPiece(w), _) => return w.ids_of_pieces(text, pieces, wordpiece, ids),
            (Model::Bpe(b), false) => {
                let mut word = |w: std::ops::Range<usize>, single: Option<u32>| {
                    if let Some(id) = single {
                        ids.push(id);
                        return Ok(());
                    }
                    let part = span(&w)?;
                    words.ids_of_word(b.owner(), bytes, w, ids, |ids| {
                        b.tokenize(part, &mut bpe.symbols, |id, _, _| ids.push(id))
                    })
                };
                for piece in pieces {
                    span(piece)?;
                    match b.word_cuts() {
                        Some(cuts) => cuts.words(text, piece.clone(), &mut word)?,
                        None => word(piece.clone(), None)?,
                    }
                }
                return Ok(());
            }
            (Model::Unigram(u), _) => {
                let mut group = word_cache::WordGroup::default();
                for chunk in pieces.chunks(word_cache::WORD_GROUP) {
                    // A range outside the text has no key: `encode` below reports it.
                    for piece in chunk {
                        group.push(piece.clone(), None);
                    }
                    words.answer_group(u.owner(), bytes, &mut group, ids, |piece, ids| {
                        u.tokenize(span(&piece)?, |id, _, _| ids.push(id))
                    })?;
                }
                return Ok(());
            }
            (Model::SentencePiece(s), _) if s.unigram_by_words() => {
                for piece in pieces {
                    crate::sentencepiece::unigram_ids(s, span(piece)?, words, ids)?;
                }
                return Ok(());
            }
            (Model::SentencePiece(s), _) if s.cuts_at_metaspace() || s.word_cuts().is_some() => {
                let mut word = |w: std::ops::Range<usize>, single: Option<u32>| {
                    if let Some(id) = single {
                        ids.push(id);
                        return Ok(());
                    }
                    let part = span(&w)?;
                    words.ids_of_word(s.owner(), bytes, w, ids, |ids| s.tokenize(part, |id, _, _| ids.push(id)))
                };
                for piece in pieces {
                    span(piece)?;
                    match s.word_cuts() {
                        Some(cuts) => cuts.words(text, piece.clone(), &mut word)?,
                        None => word_cache::metaspace_words(text, piece.clone(), |w| word(w, None))?,
                    }
                }
                return Ok(());
            }
            _ => {}
        }
        for piece in pieces {
            let word = text
                .get(piece.clone())
                .ok_or_else(|| crate::Error::InvalidArgument(format!("piece {piece:?} is not a span of the text")))?;
            self.tokenize(word, byte_level, scratch, |id, _, _| ids.push(id))?;
        }
        Ok(())
    }

    /// Builds the tables the model fills lazily now, so that the first call is not slower
    /// than the next ones.
    pub fn prepare(&self, byte_level: bool) {
        match (self, byte_level) {
            (Model::Bpe(b), true) => b.prepare_byte_level(),
            (Model::Bpe(b), false) if b.dropout().is_none() => b.prepare_word_cuts(),
            _ => {}
        }
    }

    /// Allocates the calling thread's piece caches for this model (zeroed tables of 1-2 MB) now,
    /// at load, instead of in the thread's first call: on the host this was measured on, first
    /// writes to fresh memory cost about 2 ms per such call (page faults backed anew by the
    /// hypervisor). Other threads (the pool's) still allocate theirs on first use.
    pub fn prepare_thread(&self, byte_level: bool, scratch: &mut ModelScratch) {
        match (self, byte_level) {
            (Model::Bpe(b), true) if b.dropout().is_none() => b.prepare_thread_caches(&mut scratch.bpe),
            (Model::WordPiece(w), _) => scratch.wordpiece.claim(w.owner()),
            _ => {}
        }
    }

    /// Whether `prepare_thread` (or a call) allocated these caches for this model on the thread
    /// that owns `scratch` (tests).
    #[cfg(test)]
    pub fn thread_caches_ready(&self, byte_level: bool, scratch: &ModelScratch) -> bool {
        match (self, byte_level) {
            (Model::Bpe(b), true) => b.thread_caches_ready(&scratch.bpe),
            (Model::WordPiece(w), _) => scratch.wordpiece.is_claimed_by(w.owner()),
            _ => false,
        }
    }

    /// BPE-dropout's seed, when the model is a BPE with dropout on.
    pub fn dropout_seed(&self) -> Option<u64> {
        match self {
            Model::Bpe(b) => b.dropout().map(|(_, seed)| seed),
            _ => None,
        }
    }

    /// Whether a token with this id is named by the text it covers rather than by the
    /// vocabulary: HF's Unigram names an unknown token so.
    #[inline]
    pub fn names_token_by_text(&self, id: u32) -> bool {
        matches!(self, Model::Unigram(u) if u.is_unknown(id))
    }

    pub fn id_to_token(&self, id: u32) -> Option<&str> {
        match self {
            Model::WordPiece(w) => w.id_to_token(id),
            Model::Bpe(b) => b.id_to_token(id),
            Model::Unigram(u) => u.id_to_token(id),
            Model::WordLevel(w) => w.id_to_token(id),
            Model::SentencePiece(s) => s.id_to_token(id),
        }
    }

    pub fn token_to_id(&self, token: &str) -> Option<u32> {
        match self {
            Model::WordPiece(w) => w.token_to_id(token),
            Model::Bpe(b) => b.token_to_id(token),
            Model::Unigram(u) => u.token_to_id(token),
            Model::WordLevel(w) => w.token_to_id(token),
            Model::SentencePiece(s) => s.token_to_id(token),
        }
    }

    pub fn vocab(&self) -> &rustc_hash::FxHashMap<String, u32> {
        match self {
            Model::WordPiece(w) => w.vocab(),
            Model::Bpe(b) => b.vocab(),
            Model::Unigram(u) => u.vocab(),
            Model::WordLevel(w) => w.vocab(),
            Model::SentencePiece(s) => s.vocab(),
        }
    }

    pub fn id_bound(&self) -> usize {
        match self {
            Model::WordPiece(w) => w.id_bound(),
            Model::Bpe(b) => b.id_bound(),
            Model::Unigram(u) => u.id_bound(),
            Model::WordLevel(w) => w.id_bound(),
            Model::SentencePiece(s) => s.id_bound(),
        }
    }
}

/// Words longer than this are cut into parts before a BPE without a pre-tokenizer merges them
/// (`Model::tokenize_text`); shorter ones cost no more whole.
const CUT_WORDS_ABOVE: usize = 256;

/// Encodes `word` part by part with `tokenize`, cut by `cuts` or else, with `at_metaspace`,
/// before each `▁` after another character (the cuts `ids_of_pieces` makes), and hands the
/// tokens to `emit` with offsets in `word`. Looks for Ctrl-C between parts: a document is one
/// word here.
fn encode_by_parts(
    word: &str,
    cuts: Option<&pair_cuts::PairCuts>,
    at_metaspace: bool,
    emit: &mut impl FnMut(u32, usize, usize),
    mut tokenize: impl FnMut(&str, &mut dyn FnMut(u32, usize, usize)) -> Result<()>,
) -> Result<()> {
    let mut part = |part: std::ops::Range<usize>, single: Option<u32>| -> Result<()> {
        if let Some(id) = single {
            emit(id, part.start, part.end);
            return Ok(());
        }
        crate::utils::parallel::check_interrupt()?;
        let text = word
            .get(part.clone())
            .ok_or_else(|| crate::Error::InvalidArgument(format!("part {part:?} is not a span of the word")))?;
        tokenize(text, &mut |id, s, e| emit(id, part.start + s, part.start + e))
    };
    match cuts {
        Some(cuts) => cuts.words(word, 0..word.len(), part),
        None if at_metaspace => word_cache::metaspace_words(word, 0..word.len(), |p| part(p, None)),
        None => part(0..word.len(), None),
    }
}
