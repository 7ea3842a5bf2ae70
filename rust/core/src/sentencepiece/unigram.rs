//! SentencePiece Unigram, as the library encodes a `.model`: the best-scoring cut of the whole
//! normalized text, found left to right over character starts (see `models::unigram` for the
//! `tokenizer.json` form, which HF scores per pre-token in double precision).
//!
//! The arithmetic is the library's, to the bit: 32-bit float scores summed in 32-bit floats
//! along the whole text, so two cuts of equal score in exact arithmetic can differ after
//! rounding, and the library's wheels resolve such ties this way (checked on real corpora, where
//! double precision picks the other cut). A user-defined piece of `length` bytes scores
//! `0.1 * (length - 1)`, above every normal piece, so it is always taken; UNUSED pieces are never
//! taken. Ties keep the first candidate (earliest start, then shortest).
//!
//! So that long texts keep float32 precision, the library (since 0.2.2) moves the origin of the
//! scores whenever the best score where a step starts leaves ±100,000: it subtracts that score
//! from every position reached so far, from the step's start up to the furthest end reached. The
//! cuts then depend on where those resets fall, so they are done at the same places here.
//!
//! `encode_word` runs the same loop over one word of a text (a stretch no piece crosses), from
//! the best score where the word starts, and says whether its cut can be reused wherever the
//! word appears again (see `unigram_words`).

use super::model::SentencePieceModel;
use super::proto::PieceType;
use crate::models::char_trie::{CharTrie, NO_CODE};
use crate::utils::memory::Scratch;
use std::cell::RefCell;

const UNKNOWN_PENALTY: f32 = 10.0;
pub(super) const SCORE_RESET_THRESHOLD: f32 = 100_000.0;
const UNREACHED: u32 = u32::MAX;

/// A position no path has reached yet.
const UNREACHED_BEST: Best = Best { score: 0.0, runner_up: f32::NEG_INFINITY, start: UNREACHED, id: 0 };

#[derive(Clone, Copy)]
struct Best {
    score: f32,
    /// The best score among the other candidates for this position (how clear the choice was).
    runner_up: f32,
    start: u32,
    id: u32,
}

/// A thread's buffers for one text: the best path into each character position (a third of the
/// byte positions of CJK text: a 10 MB text is 50 MB of lattice, not 160), the char trie's codes
/// of the text's characters (read once, walked from every position) with their byte starts, the
/// byte trie's matches.
#[derive(Default)]
struct Lattice {
    best: Vec<Best>,
    /// Per character, its code in the model's char trie (`NO_CODE` when the model walks bytes).
    codes: Vec<u32>,
    starts: Vec<u32>,
    matches: Vec<(u32, u32)>,
    /// The ends of a path's pieces, last first (`emit_path`).
    path: Vec<u32>,
    /// The character position (in the word) of local position 0: positions before it were
    /// settled and dropped (`settle`). Paths name their starts by word position.
    base: usize,
}

crate::scratch_fields!(Lattice: best, codes, starts, matches, path);

thread_local! {
    static SCRATCH: RefCell<Lattice> = RefCell::new(Lattice::default());
}

/// Bytes this thread's lattice buffers hold (tests).
#[cfg(test)]
pub(crate) fn retained_scratch_bytes() -> usize {
    SCRATCH.with(|cell| cell.borrow().retained_bytes())
}

/// The score a piece adds to a path through it (the library's, user-defined pieces included).
pub(super) fn path_score(kind: PieceType, score: f32, length: usize) -> f32 {
    match kind {
        PieceType::UserDefined => (0.1 * (length as f64 - 1.0)) as f32,
        _ => score,
    }
}

/// The lowest score an unknown character adds to a path.
pub(super) fn unknown_score(model: &SentencePieceModel) -> f32 {
    model.min_score - UNKNOWN_PENALTY
}

/// The pieces of `text`: (start, end, id) in order (the whole text as one word, from score 0).
pub fn encode(model: &SentencePieceModel, text: &str) -> Vec<(usize, usize, u32)> {
    let mut pieces = Vec::new();
    encode_word(model, text, 0.0, false, |start, end, id| pieces.push((start, end, id)));
    pieces
}

/// A word's cut when the best path reaches its start with score `here`.
pub(super) struct WordCut {
    /// The best score at the word's end.
    pub end_score: f32,
    /// Whether the same cut is the library's wherever this word follows any other text: no
    /// score reset inside it, no unknown piece, and every choice on its path won by more than
    /// float32 rounding could change at any score the library lets a path reach.
    pub reusable: bool,
}

/// The library's loop over `word` from best score `here` at its start; calls `each(start,
/// end, id)` for the pieces of its best path in order (byte offsets within the word). Whether
/// the cut is reusable is judged only when `judge` (a word too long to be cached is not worth
/// the pass over its lattice).
pub(super) fn encode_word(
    model: &SentencePieceModel,
    word: &str,
    here: f32,
    judge: bool,
    each: impl FnMut(usize, usize, u32),
) -> WordCut {
    // A long word is settled as it goes (see `Lattice::settle`); a word whose cut is judged
    // needs its whole lattice, and is short.
    let settle_every = (!judge && word.len() > SETTLED_ABOVE_BYTES).then_some((SETTLE_EVERY, model.longest_piece));
    encode_word_settling(model, word, here, judge, settle_every, each)
}

/// `encode_word`, settling every `settle_every.0` characters when given (`fill_best`).
fn encode_word_settling(
    model: &SentencePieceModel,
    word: &str,
    here: f32,
    judge: bool,
    settle_every: Option<(usize, usize)>,
    mut each: impl FnMut(usize, usize, u32),
) -> WordCut {
    SCRATCH.with(|cell| {
        let lattice = &mut *cell.borrow_mut();
        let reset = fill_best(model, word, here, lattice, settle_every, &mut each);
        let best = &lattice.best;
        let end_score = best.last().map_or(here, |b| b.score);
        let reusable = judge && !reset && clear_choices(best, here) && path_has_no_unknown(best, model.unk_id);
        lattice.emit_path(best.len().saturating_sub(1), &mut each);
        lattice.release_excess();
        WordCut { end_score, reusable }
    })
}

/// Words longer than this (in bytes) are settled as they go: their lattice would otherwise be
/// ~24 bytes a character (80 MB for 10 MB of CJK text), fresh memory for each such word.
const SETTLED_ABOVE_BYTES: usize = 1 << 18;
/// Characters between two looks for a point that every later path goes through.
const SETTLE_EVERY: usize = 1 << 14;

impl Lattice {
    /// Calls `each` for the pieces of the best path into local position `end`, which starts at
    /// local position 0, in order, with byte offsets within the word. The path is linked
    /// backwards (each end names its start): one walk back collects its ends, and the pieces
    /// come out in order from that list (walking the links again, turned around, was a second
    /// chain of dependent loads through the whole lattice).
    fn emit_path(&mut self, end: usize, each: &mut impl FnMut(usize, usize, u32)) {
        let Lattice { best, starts, path, base, .. } = self;
        path.clear();
        let mut at = end;
        while at > 0 {
            path.push(at as u32);
            at = (best[at].start as usize).saturating_sub(*base);
        }
        let mut start = 0usize;
        for &end in path.iter().rev() {
            let end = end as usize;
            each(starts[start] as usize, starts[end] as usize, best[end].id);
            start = end;
        }
    }

    /// When every path into the positions `k + 1 - longest ..= k` (local; their best paths are
    /// final) goes through one point, emits the pieces up to that point and drops the lattice
    /// before it. Every path to a later position goes through one of those positions (no piece
    /// is longer), and a best path is made of best paths, so the text's best path goes through
    /// that point too, and its pieces up to there are already known. Returns how many positions
    /// were dropped.
    fn settle(&mut self, k: usize, longest: usize, each: &mut impl FnMut(usize, usize, u32)) -> usize {
        // Walk the latest of the window's paths back until they all meet; every path meets at
        // local position 0 (the point settled last, or the word's start) if not before.
        let back = |b: &Best, base: usize| (b.start as usize).saturating_sub(base);
        let window = k.saturating_sub(longest - 1)..=k;
        let mut ends: Vec<usize> = window.filter(|&w| w == 0 || self.best[w].start != UNREACHED).collect();
        loop {
            let (latest, earliest) = (ends.iter().copied().max(), ends.iter().copied().min());
            let (Some(latest), Some(earliest)) = (latest, earliest) else { return 0 };
            if latest == earliest {
                break;
            }
            for end in ends.iter_mut().filter(|end| **end == latest) {
                *end = back(&self.best[latest], self.base);
            }
        }
        let point = ends[0];
        if point == 0 {
            return 0;
        }
        self.emit_path(point, each);
        self.best.drain(..point);
        self.codes.drain(..point);
        self.starts.drain(..point);
        self.base += point;
        point
    }
}

/// Whether no piece on the best path is the unknown piece.
fn path_has_no_unknown(best: &[Best], unk_id: u32) -> bool {
    let mut end = best.len().saturating_sub(1);
    while end > 0 {
        let b = best[end];
        if b.id == unk_id {
            return false;
        }
        end = b.start as usize;
    }
    true
}

/// Whether each choice on the best path beat its runner-up by enough that rounding at any reachable
/// score keeps it. Every best score carries at most half an ulp of error per character before
/// it, at this start score and at any other; a choice stands wherever its exact margin exceeds
/// twice that, so the margin seen here must exceed both errors twice over. Scores the library
/// lets a path reach stay within the reset threshold plus the word's own span.
fn clear_choices(best: &[Best], here: f32) -> bool {
    let span = best.iter().filter(|b| b.start != UNREACHED).map(|b| (b.score - here).abs()).fold(0.0f32, f32::max);
    let widest = SCORE_RESET_THRESHOLD + span + 1.0;
    let ulp = widest.next_up() - widest;
    let chars = best.len().saturating_sub(1);
    let needed = 2.0 * chars as f32 * ulp;
    let mut end = chars;
    while end > 0 {
        let Some(b) = best.get(end) else { return false };
        if b.score - b.runner_up <= needed {
            return false;
        }
        end = b.start as usize;
    }
    true
}

/// Fills the lattice for `text` (a best path per character position and one past the end) as
/// the library's loop does, starting from score `start_score`. Returns whether a score reset
/// happened. With `settle_every = Some((every, longest))`, every `every` characters the pieces
/// every later path must take are passed to `each` and dropped (`Lattice::settle`): what is
/// left is the lattice after the last of those points.
fn fill_best(
    model: &SentencePieceModel,
    text: &str,
    start_score: f32,
    lattice: &mut Lattice,
    settle_every: Option<(usize, usize)>,
    each: &mut impl FnMut(usize, usize, u32),
) -> bool {
    let bytes = text.as_bytes();
    lattice.base = 0;
    lattice.codes.clear();
    lattice.starts.clear();
    lattice.starts.push(0);
    lattice.best.clear();
    lattice.best.push(Best { score: start_score, ..UNREACHED_BEST });
    // Bytes of `text` whose characters are in the lattice; characters are read ahead of the
    // position being filled by at least the longest piece (all at once when not settling).
    let mut read = 0;
    let (ahead, mut next_settle) = match settle_every {
        Some((every, longest)) => (longest + 1, every),
        None => (usize::MAX, usize::MAX),
    };
    let unknown_score = unknown_score(model);
    let mut reset = false;
    // The furthest end (in characters) any candidate has reached: where a score reset stops.
    let mut frontier = 0;
    let mut k = 0;
    loop {
        if read < bytes.len() && lattice.codes.len() - k < ahead {
            let count = settle_every.map_or(usize::MAX, |(every, longest)| every + longest);
            read = lattice.read_chars(model.lattice.as_ref(), text, read, count);
        }
        if k >= lattice.codes.len() {
            break;
        }
        let origin = (lattice.base + k) as u32;
        let Lattice { best, codes, starts, matches, .. } = &mut *lattice;
        let mut here = best[k].score;
        if !(-SCORE_RESET_THRESHOLD..=SCORE_RESET_THRESHOLD).contains(&here) {
            for (offset, position) in best[k..=frontier.max(k)].iter_mut().enumerate() {
                if offset == 0 || position.start != UNREACHED {
                    position.score -= here;
                }
            }
            here = 0.0;
            reset = true;
        }
        let mut single = false;
        match &model.lattice {
            Some(trie) => trie.prefixes(&codes[k..], |id, gain, length| {
                let end = k + length;
                frontier = frontier.max(end);
                offer(&mut best[end], gain + here, origin, id);
                single |= length == 1;
            }),
            None => {
                matches.clear();
                let at = starts[k] as usize;
                model.trie.prefixes(&bytes[at..], matches);
                for &(id, len) in matches.iter() {
                    // Pieces are whole characters: find the character their end starts.
                    let Ok(length) = starts[k..].binary_search(&(at as u32 + len)) else { continue };
                    if model.kind(id) == PieceType::Unused {
                        continue;
                    }
                    let end = k + length;
                    frontier = frontier.max(end);
                    offer(&mut best[end], model.path_score(id) + here, origin, id);
                    single |= length == 1;
                }
            }
        }
        if !single {
            frontier = frontier.max(k + 1);
            offer(&mut best[k + 1], unknown_score + here, origin, model.unk_id);
        }
        k += 1;
        if k >= next_settle {
            let longest = settle_every.map_or(1, |(_, longest)| longest);
            let dropped = lattice.settle(k, longest, each);
            (k, frontier) = (k - dropped, frontier - dropped);
            next_settle = k + settle_every.map_or(usize::MAX, |(every, _)| every);
        }
    }
    reset
}

impl Lattice {
    /// Reads up to `count` more characters of `text` from byte `from` into the lattice (their
    /// codes in `trie`, byte starts and unreached positions); returns the byte reading stopped at.
    fn read_chars(&mut self, trie: Option<&CharTrie>, text: &str, from: usize, count: usize) -> usize {
        // The last start is the offset after the last character read: characters go before it.
        self.starts.pop();
        let rest = text.get(from..).unwrap_or_default();
        let room = rest.len().min(count);
        self.codes.reserve(room);
        self.starts.reserve(room + 1);
        let mut end = text.len();
        for (read, (at, c)) in rest.char_indices().enumerate() {
            if read == count {
                end = from + at;
                break;
            }
            self.codes.push(trie.map_or(NO_CODE, |trie| trie.code(c)));
            self.starts.push((from + at) as u32);
        }
        self.starts.push(end as u32);
        self.best.resize(self.codes.len() + 1, UNREACHED_BEST);
        end
    }
}

/// How many pieces start at the characters of `text` (every match of the lattice's trie walks;
/// for the profiling harness). 0 when the model walks bytes.
pub fn count_piece_starts(model: &SentencePieceModel, text: &str) -> usize {
    let Some(trie) = &model.lattice else { return 0 };
    let codes: Vec<u32> = text.chars().map(|c| trie.code(c)).collect();
    let mut found = 0;
    for k in 0..codes.len() {
        trie.prefixes(&codes[k..], |_, _, _| found += 1);
    }
    found
}

/// A path reaching `target` from `start` with `score`: kept if it is the first or strictly best.
#[inline]
fn offer(target: &mut Best, score: f32, start: u32, id: u32) {
    if target.start == UNREACHED {
        *target = Best { score, runner_up: f32::NEG_INFINITY, start, id };
    } else if score > target.score {
        *target = Best { score, runner_up: target.score, start, id };
    } else {
        target.runner_up = target.runner_up.max(score);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sentencepiece::proto::ModelProto;
    use proptest::prelude::*;
    use prost::Message;

    fn model(path: &str) -> SentencePieceModel {
        let mut proto = ModelProto::decode(std::fs::read(path).unwrap().as_slice()).unwrap();
        SentencePieceModel::from_proto(&mut proto).unwrap()
    }

    fn models() -> &'static [SentencePieceModel; 2] {
        static MODELS: std::sync::OnceLock<[SentencePieceModel; 2]> = std::sync::OnceLock::new();
        MODELS.get_or_init(|| {
            [
                model(concat!(
                    env!("CARGO_MANIFEST_DIR"),
                    "/../../../shared/data/tokenizers/sentencepiece/botchan_en_unigram_1000.model"
                )),
                model(concat!(env!("CARGO_MANIFEST_DIR"), "/../../tests/data/sentencepiece/ja_unigram_8000.model")),
            ]
        })
    }

    /// The pieces and end score of `text` as one word, settled every `every` characters or not.
    fn cut(model: &SentencePieceModel, text: &str, every: Option<usize>) -> (Vec<(usize, usize, u32)>, u32) {
        let mut pieces = Vec::new();
        let settle = every.map(|every| (every, model.longest_piece));
        let cut = encode_word_settling(model, text, 0.0, false, settle, |s, e, id| pieces.push((s, e, id)));
        (pieces, cut.end_score.to_bits())
    }

    /// Settling drops nothing and changes no choice: the same pieces and end score as the whole
    /// lattice, at any interval, on text long enough for many score resets (German without its
    /// spaces, Japanese), and the lattice left is short.
    #[test]
    fn settling_gives_the_whole_lattice_cut_on_real_text() {
        let root = concat!(env!("CARGO_MANIFEST_DIR"), "/../..");
        let german = std::fs::read_to_string(format!("{root}/../shared/data/corpora/de_manpages_3MB.txt")).unwrap();
        let german: String = german.chars().filter(|c| !c.is_whitespace()).take(60_000).collect();
        let japanese =
            std::fs::read_to_string(format!("{root}/tests/data/sentencepiece/ja_wagahaiwa_nekodearu_200KB.txt"))
                .unwrap();
        let japanese: String = japanese.chars().filter(|c| !c.is_whitespace()).take(30_000).collect();
        for model in models() {
            for text in [&german, &japanese] {
                let whole = cut(model, text, None);
                assert!(whole.0.len() > 1000);
                for every in [1, 7, 500, 4096] {
                    assert_eq!(cut(model, text, Some(every)), whole, "every {every}");
                }
            }
        }
        // What is kept is the lattice after the last settled point: a few characters here, not
        // the whole text's 500,000 positions.
        let model = &models()[0];
        let long = "thequickbrownfox".repeat(1 << 15);
        let mut lattice = Lattice::default();
        let mut pieces = 0;
        fill_best(model, &long, 0.0, &mut lattice, Some((SETTLE_EVERY, model.longest_piece)), &mut |_, _, _| {
            pieces += 1
        });
        assert!(pieces > 100_000, "{pieces}");
        assert!(lattice.best.len() < 2 * SETTLE_EVERY, "{}", lattice.best.len());
        assert!(lattice.best.capacity() < 4 * SETTLE_EVERY, "{}", lattice.best.capacity());
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(200))]
        /// The same on generated text of known and unknown characters (unknown runs fuse, so a
        /// settled point may fall inside one).
        #[test]
        fn settling_gives_the_whole_lattice_cut(
            text in prop::collection::vec(prop::sample::select(vec!["a", "b", "e", "th", "ing", "の", "は", "猫", "😀", "\u{301}", "x"]), 0..400),
            every in 1usize..40,
        ) {
            let text: String = text.concat();
            for model in models() {
                prop_assert_eq!(cut(model, &text, Some(every)), cut(model, &text, None));
            }
        }
    }
}
