//! `.model` Unigram ids a word at a time, from the thread's word caches.
//!
//! The library scores one path over the whole text in float32, so a word's cut could in
//! principle depend on the score its start is reached with. It does not when the vocabulary has
//! no piece with `▁` after another character (no piece crosses the point before such a `▁`, so
//! the text splits into words there; words are cut further between two characters no piece has
//! side by side, `pair_cuts`, which splits text without spaces into short parts that repeat) and
//! each choice on the word's path won by more than float32
//! rounding can move at any score the library lets a path reach: `unigram::encode_word` says
//! when, and only such cuts are cached. A cached word then costs a lookup and the float32 sums
//! along its pieces, which give the score the next word starts from exactly as the library's
//! loop stores it. Words that may see a score reset, hold an unknown piece or follow one are
//! always run in place. Words are looked up 64 at a time (`Run::flush`), so that the loads of
//! their cache slots and scores overlap.

use super::model::{SentencePieceModel, Tokens};
use super::unigram::{self, SCORE_RESET_THRESHOLD};
use crate::error::Result;
use crate::models::piece_cache::{longer, MAX_SHORT};
use crate::models::word_cache::{metaspace_words, WordCaches, WordGroup};
use std::ops::Range;

/// Appends the ids of `text` (one normalized text) to `ids`, as `SentencePieceModel::tokenize`
/// gives them.
pub fn unigram_ids(model: &SentencePieceModel, text: &str, words: &mut WordCaches, ids: &mut Vec<u32>) -> Result<()> {
    let mut run = Run {
        model,
        text,
        words,
        ids,
        lowest_per_byte: unigram::unknown_score(model).min(0.0),
        here: 0.0,
        tokens: Tokens::default(),
        group: WordGroup::default(),
    };
    // A part: a word, or a piece of one cut where no piece has the two characters around the
    // cut side by side (`pair_cuts`), which no edge of the lattice crosses either. `single` is
    // the id of a part that is one character and a piece: its only path.
    metaspace_words(text, 0..text.len(), |word| match model.word_cuts() {
        Some(cuts) => cuts.words(text, word, |part, single| run.push(part, single)),
        None => run.push(word, None),
    })?;
    run.flush()?;
    let Run { mut tokens, ids, .. } = run;
    tokens.finish(model, &mut |id, _, _| ids.push(id));
    Ok(())
}

/// One text's walk: the score the next part starts from, as the library's loop has it there.
struct Run<'a> {
    model: &'a SentencePieceModel,
    text: &'a str,
    words: &'a mut WordCaches,
    ids: &'a mut Vec<u32>,
    /// The least a best path can gain per byte (the unknown piece's score, or 0): how far a
    /// part can move `here` down, for the tests of resets.
    lowest_per_byte: f32,
    here: f32,
    /// The unknown piece waiting for its run to end, if any.
    tokens: Tokens,
    /// The parts found and not yet answered.
    group: WordGroup,
}

impl Run<'_> {
    #[inline]
    fn push(&mut self, range: Range<usize>, single: Option<u32>) -> Result<()> {
        if self.group.is_full() {
            self.flush()?;
        }
        self.group.push(range, single);
        Ok(())
    }

    /// Answers the waiting parts. Their cache slots are all requested first, so that their
    /// misses overlap; then each run of parts the cache answers (or that are one piece) has its
    /// ids appended and only afterwards its scores summed, in the library's order, so that the
    /// loads of those scores overlap too. That is exact only where no part of the run can see a
    /// reset or needs the model: the run starts with no unknown piece pending and far enough
    /// from the reset threshold that all its bytes cannot reach it, and stops at the first part
    /// the cache cannot answer, which goes through `part` as before.
    fn flush(&mut self) -> Result<()> {
        let n = self.group.request(self.words, self.model.owner(), self.text.as_bytes());
        let end = self.group.part(n.saturating_sub(1)).0.end;
        let mut at = 0;
        while at < n {
            let (first, _, _) = self.group.part(at);
            if !self.tokens.is_pending() && self.far_from_reset(end - first.start, n - at) {
                let before = self.ids.len();
                while at < n {
                    let (part, single, key) = self.group.part(at);
                    if let Some(id) = single {
                        self.ids.push(id);
                    } else if !self.words.append_cached(key, self.text.as_bytes(), part, self.ids) {
                        break;
                    }
                    at += 1;
                }
                // The library stores these sums, in this order, at each piece's end.
                let new = self.ids.get(before..).unwrap_or_default();
                self.here = new.iter().fold(self.here, |h, &id| h + self.model.path_score(id));
                if at == n {
                    break;
                }
            }
            let (part, single, _) = self.group.part(at);
            self.part(part, single)?;
            at += 1;
        }
        Ok(())
    }

    /// Whether `parts` parts of `bytes` bytes in all, from the score `here`, surely meet no
    /// reset: `part`'s test for one part, over all of them (each part's sums may round by far
    /// less than the one point each is allowed).
    #[inline]
    fn far_from_reset(&self, bytes: usize, parts: usize) -> bool {
        let (bytes, margin) = (bytes as f32, parts as f32 + 1.0);
        self.here + bytes * self.lowest_per_byte - margin >= -SCORE_RESET_THRESHOLD
            && self.here + bytes * self.model.max_gain_per_byte + margin <= SCORE_RESET_THRESHOLD
    }

    /// Appends the ids of one part, from the cache when it may.
    fn part(&mut self, range: Range<usize>, single: Option<u32>) -> Result<()> {
        let (model, text) = (self.model, self.text);
        let word = text.get(range.clone()).unwrap_or_default();
        // The reset the library makes where this part starts (nothing past it is reached yet).
        if !(-SCORE_RESET_THRESHOLD..=SCORE_RESET_THRESHOLD).contains(&self.here) {
            self.here = 0.0;
        }
        let bytes = word.len() as f32;
        let may_reset = self.here + bytes * self.lowest_per_byte - 1.0 < -SCORE_RESET_THRESHOLD
            || self.here + bytes * model.max_gain_per_byte + 1.0 > SCORE_RESET_THRESHOLD;
        if may_reset || self.tokens.is_pending() {
            in_place(model, word, &mut self.here, &mut self.tokens, self.ids);
            return Ok(());
        }
        if let Some(id) = single {
            self.ids.push(id);
            self.here += model.path_score(id);
            return Ok(());
        }
        let before = self.ids.len();
        let (here, tokens) = (&mut self.here, &mut self.tokens);
        let cached = self.words.ids_of_word_if(model.owner(), text.as_bytes(), range, self.ids, |ids| {
            Ok(in_place(model, word, here, tokens, ids))
        })?;
        if cached {
            // The library stores these sums, in this order, at each piece's end.
            let new = self.ids.get(before..).unwrap_or_default();
            self.here = new.iter().fold(self.here, |h, &id| h + model.path_score(id));
        }
        Ok(())
    }
}

/// Runs the library's loop over `word` from score `here` (updated to the word's end), appends
/// its tokens, and says whether its cut may be cached.
fn in_place(model: &SentencePieceModel, word: &str, here: &mut f32, tokens: &mut Tokens, ids: &mut Vec<u32>) -> bool {
    let judge = longer::held(word.len()) || word.len() <= MAX_SHORT;
    let cut = unigram::encode_word(model, word, *here, judge, |start, end, id| {
        tokens.piece(model, word.as_bytes(), start, end, id, &mut |id, _, _| ids.push(id))
    });
    *here = cut.end_score;
    cut.reusable
}
