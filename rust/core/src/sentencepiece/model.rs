//! The model of a SentencePiece `.model` file: its pieces with their scores and types, and
//! encoding as the `sentencepiece` library does it (BPE in `bpe.rs`, Unigram in `unigram.rs`).
//!
//! Piece types decide what text can become: NORMAL, USER_DEFINED and UNUSED pieces are the
//! ones encoding can produce (USER_DEFINED ones are matched whole, before anything else;
//! UNUSED ones are split back into the pieces they were merged from); CONTROL pieces (`<s>`,
//! `</s>`) never match text; UNKNOWN is the piece for text no other piece covers (a model with
//! byte fallback may have none); BYTE pieces (`<0x00>`..`<0xFF>`, all 256) spell an unknown
//! piece's bytes when the model has byte fallback. The checks at load are the library's
//! (sentencepiece 0.2.3): a model it refuses is refused here.

use super::bpe_ids::IdBpe;
use super::proto::{ModelProto, ModelType, PieceType};
use super::{bpe, unigram};
use crate::error::Result;
use crate::models::char_trie::CharTrie;
use crate::models::pair_cuts::{PairCuts, Unknowns};
use crate::models::trie::Trie;
use crate::utils::memory::Scratch as _;
use rustc_hash::FxHashMap;
use std::cell::RefCell;

thread_local! {
    static SYMBOLS: RefCell<Vec<crate::models::bpe::Symbol>> = const { RefCell::new(Vec::new()) };
}

/// Bytes this thread's BPE symbols hold (tests).
#[cfg(test)]
pub(crate) fn retained_scratch_bytes() -> usize {
    use crate::utils::memory::Scratch;
    SYMBOLS.with(|cell| cell.borrow().retained_bytes())
}

/// Stands for unknown text in a model without an UNKNOWN piece (one with byte fallback, whose
/// unknown text always becomes byte pieces, so this id never reaches the output).
pub(super) const NO_UNKNOWN: u32 = u32::MAX;

/// The library refuses pieces of this many bytes or more.
const MAX_PIECE_BYTES: usize = 8000;

/// The byte a BYTE piece spells: exactly `<0xNN>`, two upper-case hex digits, as the library reads it.
fn spelled_byte(text: &str) -> Option<u8> {
    let b = crate::decode::byte_of_token(text)?;
    (text == format!("<0x{b:02X}>")).then_some(b)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Algorithm {
    Bpe,
    Unigram,
}

#[derive(Debug, Clone)]
pub struct SentencePieceModel {
    pub(super) algorithm: Algorithm,
    pub(super) pieces: Vec<(String, f32, PieceType)>,
    /// NORMAL, USER_DEFINED and UNUSED pieces: what encoding can produce.
    pub(super) encodable: FxHashMap<String, u32>,
    /// Every piece, as the library's `PieceToId` finds it (other types first).
    pub(super) ids: FxHashMap<String, u32>,
    /// The UNKNOWN piece, or `NO_UNKNOWN` (byte fallback only).
    pub(super) unk_id: u32,
    pub(super) byte_fallback: bool,
    /// The encodable pieces as a trie: Unigram's lattice when `lattice` cannot hold them, and
    /// empty otherwise.
    pub(super) trie: Trie,
    /// Unigram: the NORMAL and USER_DEFINED pieces (the ones a path may take) by character.
    pub(super) lattice: Option<CharTrie>,
    /// User-defined pieces, matched whole before anything else.
    pub(super) user_defined: Option<Trie>,
    /// Lowest score of NORMAL pieces (the library's `min_score_`): unknown characters score below it.
    pub(super) min_score: f32,
    /// Per id, what a Unigram path gains through the piece (user-defined pieces score by length).
    path_scores: Vec<f32>,
    /// The most a Unigram path can gain per byte of text (bounds where a score reset can fall).
    pub(super) max_gain_per_byte: f32,
    /// Unigram: the longest piece the lattice may take, in characters (in bytes when the
    /// lattice walks bytes, which bound the characters), at least 1 (the unknown piece).
    pub(super) longest_piece: usize,
    /// A bit per id: whether the piece is CONTROL. Asked of every piece emitted, so it is kept
    /// apart from `pieces` (a 250k vocabulary's bits fit in the L1 cache, its pieces in none).
    control: Vec<u64>,
    /// BPE on ids, when it gives the library's answer (see `bpe_ids`).
    id_bpe: Option<IdBpe>,
    /// Ids of the `<0x00>`..`<0xFF>` pieces, by byte (byte fallback).
    byte_ids: Vec<Option<u32>>,
    /// Names this model in a thread's word caches.
    owner: u64,
    /// BPE whose text may be cut before each `▁` after another character (see `word_cache`).
    cuts_at_metaspace: bool,
    /// Where BPE on ids, or Unigram by words, may cut a text into parts encoded alone (see
    /// `pair_cuts`).
    word_cuts: Option<PairCuts>,
    /// Unigram whose text may be cut so, its words cached when that is exact (see `unigram_words`).
    unigram_by_words: bool,
}

/// Whether text may become a piece of this type (CONTROL, UNKNOWN and BYTE pieces are reserved).
pub(super) fn is_encodable(kind: PieceType) -> bool {
    matches!(kind, PieceType::Normal | PieceType::UserDefined | PieceType::Unused)
}

impl SentencePieceModel {
    /// The model of `proto`'s pieces and trainer spec. The pieces' texts are moved out of
    /// `proto` (not copied: a quarter of a million strings for XLM-R), which is left with
    /// pieces without text.
    pub fn from_proto(proto: &mut ModelProto) -> std::result::Result<SentencePieceModel, String> {
        let trainer = proto.trainer_spec.clone().unwrap_or_default();
        let algorithm = match trainer.model_type() {
            ModelType::Bpe => Algorithm::Bpe,
            ModelType::Unigram => Algorithm::Unigram,
            other => {
                return Err(format!(
                    "trainer_spec.model_type: {other:?} models are not supported (BPE and UNIGRAM are)"
                ))
            }
        };
        if proto.pieces.len() >= u32::MAX as usize {
            return Err("pieces: more than 32-bit ids can number".to_string());
        }
        let byte_fallback = trainer.byte_fallback();
        // The library refuses any piece this long before it looks at anything else.
        if let Some(i) = proto.pieces.iter().position(|p| p.piece.as_ref().is_some_and(|t| t.len() >= MAX_PIECE_BYTES))
        {
            return Err(format!("pieces[{i}]: a piece of {MAX_PIECE_BYTES} bytes or more"));
        }
        let mut pieces = Vec::with_capacity(proto.pieces.len());
        let mut encodable = FxHashMap::default();
        let mut reserved = FxHashMap::default();
        let mut unk_id = None;
        let mut min_score = f32::MAX;
        let mut byte_found = [false; 256];
        for (i, p) in proto.pieces.iter_mut().enumerate() {
            let text = p.piece.take().unwrap_or_default();
            if text.is_empty() {
                return Err(format!("pieces[{i}]: a piece must not be empty"));
            }
            let kind = PieceType::try_from(p.r#type.unwrap_or(PieceType::Normal as i32))
                .map_err(|_| format!("pieces[{i}]: unknown piece type {:?}", p.r#type))?;
            // Converters put a raw NUL piece beside `<0x00>`; with byte fallback the library
            // retypes any such piece UNUSED (so it is neither matched nor hidden when decoded).
            let kind = if byte_fallback && text == "\0" { PieceType::Unused } else { kind };
            let score = p.score.unwrap_or(0.0);
            // BPE orders any score, infinities and NaN included, by its bits (as `total_cmp`);
            // Unigram sums scores, and the library refuses a model that cannot.
            if algorithm == Algorithm::Unigram && !score.is_finite() {
                return Err(format!("pieces[{i}]: score {score} is not a finite number"));
            }
            if text == "\0" && kind == PieceType::Unused {
                // Not indexed: text never becomes this piece, its id still decodes to it.
                pieces.push((text, score, kind));
                continue;
            }
            if text.contains('\0') {
                return Err(format!("pieces[{i}]: {text:?} holds a NUL character"));
            }
            let is_encodable = is_encodable(kind);
            // BPE keeps every piece in one index (the library's reason: a control piece must not
            // be a merge), so there a text can be one piece only; Unigram has one per side.
            let clash = match (is_encodable, algorithm) {
                (true, Algorithm::Bpe) => reserved.contains_key(&text),
                (false, Algorithm::Bpe) => encodable.contains_key(&text),
                (_, Algorithm::Unigram) => false,
            };
            let map = if is_encodable { &mut encodable } else { &mut reserved };
            if clash || map.insert(text.clone(), i as u32).is_some() {
                return Err(format!("pieces[{i}]: {text:?} is already defined"));
            }
            match kind {
                PieceType::Unknown if unk_id.is_some() => return Err(format!("pieces[{i}]: a second UNKNOWN piece")),
                PieceType::Unknown => unk_id = Some(i as u32),
                PieceType::Byte if !byte_fallback => {
                    return Err(format!("pieces[{i}]: a BYTE piece in a model without byte_fallback"))
                }
                PieceType::Byte => match spelled_byte(&text) {
                    Some(b) => byte_found[b as usize] = true,
                    None => return Err(format!("pieces[{i}]: BYTE piece {text:?} is not <0x00>..<0xFF>")),
                },
                PieceType::Normal => min_score = min_score.min(score),
                _ => {}
            }
            pieces.push((text, score, kind));
        }
        // With byte fallback, unknown text is spelled in bytes: the UNKNOWN piece is optional
        // (sentencepiece 0.2.3), but all 256 byte pieces must be there.
        if byte_fallback && byte_found.contains(&false) {
            return Err(
                "pieces: byte_fallback is on but the 256 BYTE pieces <0x00>..<0xFF> are not all there".to_string()
            );
        }
        let unk_id = match unk_id {
            Some(id) => id,
            None if byte_fallback => NO_UNKNOWN,
            None => return Err("pieces: the model has no UNKNOWN piece".to_string()),
        };
        // The library's Unigram builds its trie from these pieces and refuses to build an empty one.
        if algorithm == Algorithm::Unigram && encodable.is_empty() {
            return Err("pieces: a Unigram model with no NORMAL, USER_DEFINED or UNUSED piece".to_string());
        }
        let path_scores: Vec<f32> =
            pieces.iter().map(|(text, score, kind)| unigram::path_score(*kind, *score, text.len())).collect();
        let max_gain_per_byte = (pieces.iter().zip(&path_scores))
            .filter(|((_, _, kind), _)| matches!(kind, PieceType::Normal | PieceType::UserDefined))
            .map(|((text, _, _), &gain)| gain / text.len() as f32)
            .fold(0.0f32, f32::max);
        let mut ids = encodable.clone();
        ids.extend(reserved.iter().map(|(k, &v)| (k.clone(), v)));
        let user: Vec<(&[u8], u32)> = (pieces.iter().enumerate())
            .filter(|(_, (_, _, kind))| *kind == PieceType::UserDefined)
            .map(|(i, (p, _, _))| (p.as_bytes(), i as u32))
            .collect();
        let user_defined = (!user.is_empty()).then(|| Trie::build(user));
        // The encodable pieces in id order: their texts lie in memory in that order, where the
        // map's keys are visited in hash order, a cache miss each (20 ms on XLM-R's 250k).
        let encodable_texts = || {
            (pieces.iter())
                .filter(|(text, _, kind)| is_encodable(*kind) && text != "\0")
                .map(|(text, _, _)| text.as_str())
        };
        let cuts_at_metaspace = algorithm == Algorithm::Bpe
            && encodable.contains_key("\u{2581}")
            && crate::models::word_cache::cuts_before_metaspace(encodable_texts());
        let lattice = match algorithm {
            Algorithm::Unigram => CharTrie::build(
                (pieces.iter().enumerate())
                    .filter(|(_, (_, _, kind))| matches!(kind, PieceType::Normal | PieceType::UserDefined))
                    .map(|(id, (text, _, _))| (text.as_str(), id as u32, path_scores[id])),
            ),
            Algorithm::Bpe => None,
        };
        // The byte trie is Unigram's lattice only where the char trie could not be built; BPE
        // merges by pairs and never walks it. (Built always, it was a fifth of loading XLM-R.)
        let trie = match (&lattice, algorithm) {
            (None, Algorithm::Unigram) => Trie::build(encodable.iter().map(|(p, &id)| (p.as_bytes(), id))),
            _ => Trie::default(),
        };
        let unigram_by_words =
            algorithm == Algorithm::Unigram && crate::models::word_cache::cuts_before_metaspace(encodable_texts());
        let id_bpe = match algorithm {
            Algorithm::Bpe => IdBpe::build(&pieces, &encodable),
            Algorithm::Unigram => None,
        };
        let byte_ids = crate::models::byte_token_ids(|t| ids.get(t).copied());
        // BPE on ids merges exactly the encodable pieces, and its symbols are their characters
        // (all encodable, see `IdBpe::build`). A character that is not one never merges; byte
        // fallback spells it alone, otherwise a run of them is one unknown token. Unigram's
        // lattice has no edge across such a point either (its edges are encodable pieces and
        // one-character unknowns), so a text without spaces is cut there too, into parts that
        // repeat and are cached (see `unigram_words`).
        let unknowns = if byte_fallback { Unknowns::StandAlone } else { Unknowns::FuseInRuns };
        let word_cuts = if id_bpe.is_some() {
            Some(PairCuts::build(encodable.iter().map(|(t, &id)| (t.as_str(), id)), unknowns))
        } else if unigram_by_words {
            // The lattice's pieces only: an UNUSED piece is encodable text but no edge.
            let in_lattice = (pieces.iter().enumerate())
                .filter(|(_, (_, _, kind))| matches!(kind, PieceType::Normal | PieceType::UserDefined))
                .map(|(id, (text, _, _))| (text.as_str(), id as u32));
            Some(PairCuts::build(in_lattice, unknowns))
        } else {
            None
        };
        let mut control = vec![0u64; pieces.len().div_ceil(64)];
        for (id, _) in pieces.iter().enumerate().filter(|(_, p)| p.2 == PieceType::Control) {
            control[id / 64] |= 1 << (id % 64);
        }
        let longest_piece = match &lattice {
            Some(_) => pieces.iter().map(|(piece, _, _)| piece.chars().count()).max(),
            None => pieces.iter().map(|(piece, _, _)| piece.len()).max(),
        };
        let longest_piece = longest_piece.unwrap_or(1).max(1);
        Ok(SentencePieceModel {
            control,
            word_cuts,
            byte_ids,
            id_bpe,
            owner: crate::models::piece_cache::next_owner(),
            cuts_at_metaspace,
            unigram_by_words,
            algorithm,
            pieces,
            encodable,
            ids,
            unk_id,
            byte_fallback,
            trie,
            lattice,
            user_defined,
            min_score,
            path_scores,
            max_gain_per_byte,
            longest_piece,
        })
    }

    pub fn owner(&self) -> u64 {
        self.owner
    }

    pub fn cuts_at_metaspace(&self) -> bool {
        self.cuts_at_metaspace
    }

    /// Where a text may be cut into parts encoded alone, if anywhere (see `pair_cuts`).
    pub fn word_cuts(&self) -> Option<&PairCuts> {
        self.word_cuts.as_ref()
    }

    pub fn unigram_by_words(&self) -> bool {
        self.unigram_by_words
    }

    pub fn user_defined_trie(&self) -> Option<Trie> {
        self.user_defined.clone()
    }

    /// The type of piece `id`; `NO_UNKNOWN` (no such piece) is unknown text.
    pub(super) fn kind(&self, id: u32) -> PieceType {
        self.pieces.get(id as usize).map_or(PieceType::Unknown, |p| p.2)
    }

    /// Whether piece `id` is CONTROL (as `kind`, from the compact bits).
    #[inline]
    fn is_control(&self, id: u32) -> bool {
        self.control.get(id as usize / 64).is_some_and(|bits| bits >> (id % 64) & 1 == 1)
    }

    pub(super) fn score(&self, id: u32) -> f32 {
        self.pieces.get(id as usize).map_or(f32::NEG_INFINITY, |p| p.1)
    }

    /// Calls `emit(id, start, end)` for the tokens of a normalized text (byte offsets into it),
    /// as the library's `Encode` lists them: a run of unknown pieces is one token, or with byte
    /// fallback the `<0xNN>` pieces of its bytes.
    pub fn tokenize(&self, text: &str, mut emit: impl FnMut(u32, usize, usize)) -> Result<()> {
        if let (Algorithm::Bpe, Some(id_bpe)) = (self.algorithm, &self.id_bpe) {
            return SYMBOLS.with(|cell| {
                let user_defined = |bytes: &[u8]| self.user_defined.as_ref().and_then(|t| t.longest_prefix(bytes));
                let symbols = &mut *cell.borrow_mut();
                id_bpe.encode(text, user_defined, symbols);
                let mut tokens = Tokens::default();
                for s in symbols.iter() {
                    let (start, end) = (s.start as usize, s.end as usize);
                    if s.id == super::bpe_ids::UNKNOWN {
                        tokens.piece(self, text.as_bytes(), start, end, self.unk_id, &mut emit);
                    } else {
                        // A NORMAL or USER_DEFINED piece (the only ones BPE on ids makes): no
                        // need to look its type up.
                        tokens.finish(self, &mut emit);
                        emit(s.id, start, end);
                    }
                }
                tokens.finish(self, &mut emit);
                symbols.release_excess();
                Ok(())
            });
        }
        let pieces = match self.algorithm {
            Algorithm::Bpe => bpe::encode(self, text),
            Algorithm::Unigram => unigram::encode(self, text),
        };
        let mut tokens = Tokens::default();
        for (start, end, id) in pieces {
            tokens.piece(self, text.as_bytes(), start, end, id, &mut emit);
        }
        tokens.finish(self, &mut emit);
        Ok(())
    }

    /// The score a path gains through piece `id` (Unigram).
    #[inline]
    pub(super) fn path_score(&self, id: u32) -> f32 {
        self.path_scores.get(id as usize).copied().unwrap_or(f32::NEG_INFINITY)
    }

    pub fn id_to_token(&self, id: u32) -> Option<&str> {
        self.pieces.get(id as usize).map(|(p, _, _)| p.as_str())
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

/// Turns a model's pieces into the library's tokens: a run of unknown pieces is one token
/// (or, with byte fallback, the `<0xNN>` pieces of its bytes); a CONTROL piece covers no text.
#[derive(Default)]
pub(super) struct Tokens {
    /// The run of unknown pieces not yet emitted: its start and end.
    pending_unknown: Option<(usize, usize)>,
}

impl Tokens {
    /// The next piece, `text[start..end]`, with its id.
    #[inline]
    pub fn piece(
        &mut self,
        model: &SentencePieceModel,
        text: &[u8],
        start: usize,
        end: usize,
        id: u32,
        emit: &mut impl FnMut(u32, usize, usize),
    ) {
        // The model has one UNKNOWN piece at most (`from_proto` refuses a second).
        let unknown = id == model.unk_id;
        if unknown && model.byte_fallback {
            for &b in text.get(start..end).unwrap_or_default() {
                emit(model.byte_ids[b as usize].unwrap_or(model.unk_id), start, end);
            }
            return;
        }
        if unknown {
            self.pending_unknown = Some(match self.pending_unknown {
                Some((s, _)) => (s, end),
                None => (start, end),
            });
            return;
        }
        self.finish(model, emit);
        let (s, e) = if model.is_control(id) { (start, start) } else { (start, end) };
        emit(id, s, e);
    }

    /// Emits the pending run of unknown pieces, if any.
    #[inline]
    pub fn finish(&mut self, model: &SentencePieceModel, emit: &mut impl FnMut(u32, usize, usize)) {
        if let Some((s, e)) = self.pending_unknown.take() {
            emit(model.unk_id, s, e);
        }
    }

    pub fn is_pending(&self) -> bool {
        self.pending_unknown.is_some()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use prost::Message;

    const SHARED: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared/data");
    const LOCAL: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../tests/data/sentencepiece");

    /// The id form of BPE (used whenever it applies) against the library's string form (kept
    /// for the models it does not apply to), on real text with spaces as `▁`.
    #[test]
    fn bpe_on_ids_answers_as_bpe_on_strings() {
        let corpus = std::fs::read_to_string(format!("{SHARED}/corpora/de_manpages_3MB.txt")).unwrap();
        let mut text: String = corpus.chars().take(200_000).collect();
        // Pieces of other scripts have merge ids far from their piece ids (`bpe_ids::merge_ids`).
        let japanese = std::fs::read_to_string(format!("{LOCAL}/ja_wagahaiwa_nekodearu_200KB.txt")).unwrap();
        text.extend(japanese.chars().take(30_000));
        text.push_str("日本語 😀 e\u{301} [REFERENCE_DOC_1] [INST]x\u{0} Съешь же ещё этих мягких французских булок");
        let text = text.replace(' ', "\u{2581}");
        let models = [
            format!("{SHARED}/tokenizers/sentencepiece/mistral_v1.model"),
            format!("{SHARED}/tokenizers/sentencepiece/botchan_en_bpe_1000.model"),
            format!("{LOCAL}/mistral_v3.model"),
        ];
        for path in models {
            let mut proto = super::super::proto::ModelProto::decode(std::fs::read(&path).unwrap().as_slice()).unwrap();
            let model = SentencePieceModel::from_proto(&mut proto).unwrap();
            let id_bpe = model.id_bpe.as_ref().unwrap_or_else(|| panic!("{path}: no id form"));
            // Their characters are their last ids: the merge grid is indexed through slots.
            assert!(id_bpe.merges().uses_slots() || path.contains("botchan"), "{path}");
            for line in text.split('\n') {
                let strings = bpe::encode(&model, line);
                let user = |bytes: &[u8]| model.user_defined.as_ref().and_then(|t| t.longest_prefix(bytes));
                let mut symbols = Vec::new();
                id_bpe.encode(line, user, &mut symbols);
                let unknown = |id| if id == super::super::bpe_ids::UNKNOWN { model.unk_id } else { id };
                let ids: Vec<_> = symbols.iter().map(|s| (s.start as usize, s.end as usize, unknown(s.id))).collect();
                assert_eq!(ids, strings, "{path}: {line:?}");
            }
        }
    }
}
