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
//! always run in place.

use super::model::{SentencePieceModel, Tokens};
use super::unigram::{self, SCORE_RESET_THRESHOLD};
use crate::error::Result;
use crate::models::piece_cache::{longer, MAX_SHORT};
use crate::models::word_cache::{metaspace_words, WordCaches};
use std::ops::Range;

/// Appends the ids of `text` (one normalized text) to `ids`, as `SentencePieceModel::tokenize`
/// gives them.
pub fn unigram_ids(model: &SentencePieceModel, text: &str, words: &mut WordCaches, ids: &mut Vec<u32>) -> Result<()> {
    let lowest_per_byte = unigram::unknown_score(model).min(0.0);
    let mut here = 0.0f32;
    let mut tokens = Tokens::default();
    // One part: a word, or a piece of one cut where no piece has the two characters around the
    // cut side by side (`pair_cuts`), which no edge of the lattice crosses either. `single` is
    // the id of a part that is one character and a piece: its only path.
    let mut part = |range: Range<usize>, single: Option<u32>| -> Result<()> {
        let word = text.get(range.clone()).unwrap_or_default();
        // The reset the library makes where this part starts (nothing past it is reached yet).
        if !(-SCORE_RESET_THRESHOLD..=SCORE_RESET_THRESHOLD).contains(&here) {
            here = 0.0;
        }
        let bytes = word.len() as f32;
        let may_reset = here + bytes * lowest_per_byte - 1.0 < -SCORE_RESET_THRESHOLD
            || here + bytes * model.max_gain_per_byte + 1.0 > SCORE_RESET_THRESHOLD;
        if may_reset || tokens.is_pending() {
            in_place(model, word, &mut here, &mut tokens, ids);
            return Ok(());
        }
        if let Some(id) = single {
            ids.push(id);
            here += model.path_score(id);
            return Ok(());
        }
        let before = ids.len();
        let cached = words.ids_of_word_if(model.owner(), text.as_bytes(), range, ids, |ids| {
            Ok(in_place(model, word, &mut here, &mut tokens, ids))
        })?;
        if cached {
            // The library stores these sums, in this order, at each piece's end.
            here = ids.get(before..).unwrap_or_default().iter().fold(here, |h, &id| h + model.path_score(id));
        }
        Ok(())
    };
    metaspace_words(text, 0..text.len(), |word| match model.word_cuts() {
        Some(cuts) => cuts.words(text, word, &mut part),
        None => part(word, None),
    })?;
    tokens.finish(model, &mut |id, _, _| ids.push(id));
    Ok(())
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
