//! Whole words answered from the thread's caches, for models that encode word by word
//! (Unigram, character-level BPE, SentencePiece BPE): a text's words repeat, and a word's ids
//! depend on nothing but its bytes, so each distinct word runs the model once per thread while
//! it stays cached. Words of up to 15 bytes use the thread's `RecentPieces`, of 16 to 48 bytes
//! its `LongerPieces` (both bounded, direct-mapped, exact: see `piece_cache`); longer ones are
//! always encoded.
//!
//! SentencePiece texts reach the model as one word (the legacy Llama pipeline, `.model` files).
//! Character-level BPE cuts them between any two characters no token joins (`pair_cuts`); the
//! `.model` Unigram, and BPE on strings, cut before each `▁` after another character when no
//! token has `▁` there (`metaspace_words`). Each part is a cached word.

use super::piece_cache::longer::{self, LongerPieces};
use super::piece_cache::{key_in_text, RecentPieces, MAX_SHORT};
use crate::error::Result;
use std::ops::Range;

const META: &str = "\u{2581}";

#[derive(Default)]
pub struct WordCaches {
    short: RecentPieces,
    longer: LongerPieces,
}

impl WordCaches {
    /// Appends the ids of the word `text[word]` to `ids`: from the caches of model `owner`, or
    /// by `encode` (which appends them), remembered afterwards. The word comes with its text so
    /// that its key is read from the text in one load.
    #[inline]
    pub fn ids_of_word(
        &mut self,
        owner: u64,
        text: &[u8],
        word: Range<usize>,
        ids: &mut Vec<u32>,
        encode: impl FnOnce(&mut Vec<u32>) -> Result<()>,
    ) -> Result<()> {
        self.ids_of_word_if(owner, text, word, ids, |ids| encode(ids).map(|()| true)).map(|_| ())
    }

    /// As `ids_of_word`, for a model whose answer for a word may depend on more than its bytes:
    /// `encode` says whether its answer may be remembered. Returns whether the ids came from the
    /// caches.
    #[inline]
    pub fn ids_of_word_if(
        &mut self,
        owner: u64,
        text: &[u8],
        word: Range<usize>,
        ids: &mut Vec<u32>,
        encode: impl FnOnce(&mut Vec<u32>) -> Result<bool>,
    ) -> Result<bool> {
        let word_bytes = text.get(word.clone()).unwrap_or_default();
        let key = (1..=MAX_SHORT).contains(&word_bytes.len()).then(|| key_in_text(text, word.start, word_bytes.len()));
        let word = word_bytes;
        if let Some(key) = key {
            self.short.claim(owner);
            if self.short.append_cached(key, ids) {
                return Ok(true);
            }
        } else if longer::held(word.len()) {
            self.longer.claim(owner);
            if let Some(cached) = self.longer.ids(word) {
                ids.extend_from_slice(cached);
                return Ok(true);
            }
        }
        let before = ids.len();
        if !encode(ids)? {
            return Ok(false);
        }
        let new = ids.get(before..).unwrap_or_default();
        match key {
            Some(key) => self.short.insert(key, new.iter().copied()),
            None if longer::held(word.len()) => self.longer.insert(word, new.iter().copied()),
            None => {}
        }
        Ok(false)
    }
}

/// Whether no token has `▁` right after another character: then `metaspace_words` may cut.
pub fn cuts_before_metaspace<'a>(tokens: impl IntoIterator<Item = &'a str>) -> bool {
    // Bytes, not characters: a quarter of a million tokens are checked at load, and most hold
    // no `▁` past their start (decoding them char by char was 20 ms of loading XLM-R).
    let meta = META.as_bytes();
    let finder = memchr::memmem::Finder::new(meta);
    tokens.into_iter().all(|t| {
        let bytes = t.as_bytes();
        finder.find_iter(bytes).all(|at| at == 0 || bytes[..at].ends_with(meta))
    })
}

/// Calls `each` on the parts of `text[range]` cut before every `▁` that follows another
/// character, in order.
pub fn metaspace_words(
    text: &str,
    range: Range<usize>,
    mut each: impl FnMut(Range<usize>) -> Result<()>,
) -> Result<()> {
    let bytes = text.as_bytes();
    let mut start = range.start;
    for found in memchr::memmem::find_iter(&bytes[range.clone()], META.as_bytes()) {
        let at = range.start + found;
        // The byte before is the end of another character unless it ends a `▁` itself.
        let after_other = at > start && !bytes[..at].ends_with(META.as_bytes());
        if after_other {
            each(start..at)?;
            start = at;
        }
    }
    if start < range.end {
        each(start..range.end)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cuts_only_before_a_meta_character_after_another() {
        let text = "▁Hello▁▁world▁x▁";
        let mut parts = Vec::new();
        metaspace_words(text, 0..text.len(), |r| {
            parts.push(&text[r]);
            Ok(())
        })
        .unwrap();
        assert_eq!(parts, ["▁Hello", "▁▁world", "▁x", "▁"]);
        assert!(cuts_before_metaspace(["▁▁", "▁a", "ab", "▁▁▁x", "", "é"]));
        for token in ["a▁b", "a▁", "▁a▁", "▁▁a▁▁", "é▁", "\u{2580}▁", "▁\u{2581}x\u{2581}"] {
            assert!(!cuts_before_metaspace(["▁ok", token]), "{token:?}");
        }
    }
}
