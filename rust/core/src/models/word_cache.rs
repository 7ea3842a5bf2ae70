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
//! token has `▁` there (`metaspace_words`). Each part is a cached word. The Unigram models
//! gather their parts into a `WordGroup` and key them all before looking any up, so that the
//! misses of the CPU caches on their slots overlap.

use super::piece_cache::longer::{self, LongerPieces};
use super::piece_cache::{hash, key_in_text, RecentPieces, MAX_SHORT};
use crate::error::Result;
use std::ops::Range;

const META: &str = "\u{2581}";

/// `WordCaches::key_requested`'s key of a word that `LongerPieces` may hold (no short key is all
/// ones: a length of 15 leaves its last byte 15).
const LONGER_KEY: u128 = u128::MAX;

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

    /// The key of the word `text[word]` in the caches of model `owner` (claimed for it):
    /// `LONGER_KEY` stands for a word of 16 to 48 bytes, which `LongerPieces` finds by its bytes;
    /// 0 for a word no cache holds (empty, longer, or outside `text`).
    #[inline(always)]
    fn key(&mut self, owner: u64, text: &[u8], word: Range<usize>) -> u128 {
        let Some(bytes) = text.get(word.clone()) else { return 0 };
        if (1..=MAX_SHORT).contains(&bytes.len()) {
            self.short.claim(owner);
            key_in_text(text, word.start, bytes.len())
        } else if longer::held(bytes.len()) {
            self.longer.claim(owner);
            LONGER_KEY
        } else {
            0
        }
    }

    /// `key`, once the CPU has been asked to load the word's slot: a caller that keys a group of
    /// words before looking them up has the misses of their slots overlap.
    #[inline(always)]
    pub fn key_requested(&mut self, owner: u64, text: &[u8], word: Range<usize>) -> u128 {
        let key = self.key(owner, text, word.clone());
        match key {
            0 => {}
            LONGER_KEY => self.longer.prefetch(text.get(word).unwrap_or_default()),
            key => self.short.prefetch_hashed(hash(key)),
        }
        key
    }

    /// Appends the cached ids of the word `text[word]`, of `key` (from `key_requested`, with no
    /// other model's claim since), to `ids`, and says whether it could.
    #[inline(always)]
    pub fn append_cached(&self, key: u128, text: &[u8], word: Range<usize>, ids: &mut Vec<u32>) -> bool {
        match key {
            0 => false,
            LONGER_KEY => match text.get(word).and_then(|bytes| self.longer.ids(bytes)) {
                Some(cached) => {
                    ids.extend_from_slice(cached);
                    true
                }
                None => false,
            },
            key => self.short.append_cached(key, ids),
        }
    }

    /// Remembers `new`, the ids of the word `text[word]` of `key` (from `key`).
    #[inline]
    fn remember(&mut self, key: u128, text: &[u8], word: Range<usize>, new: &[u32]) {
        match key {
            0 => {}
            LONGER_KEY => self.longer.insert(text.get(word).unwrap_or_default(), new.iter().copied()),
            key => self.short.insert(key, new.iter().copied()),
        }
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
        let key = self.key(owner, text, word.clone());
        if self.append_cached(key, text, word.clone(), ids) {
            return Ok(true);
        }
        let before = ids.len();
        if !encode(ids)? {
            return Ok(false);
        }
        self.remember(key, text, word, ids.get(before..).unwrap_or_default());
        Ok(false)
    }
}

/// Parts keyed and requested from the caches at once (`WordGroup`), as `piece_cache::GROUP` for
/// byte-level BPE.
pub const WORD_GROUP: usize = 64;

/// Parts of a text waiting to be answered together, in text order, each with the id of its only
/// token when it is one character that is a token (`pair_cuts`). Keying them all and requesting
/// their cache slots before answering the first has the slots' misses overlap, where answering
/// each part as it is found waits for every miss in turn.
pub struct WordGroup {
    parts: [(usize, usize); WORD_GROUP],
    singles: [Option<u32>; WORD_GROUP],
    keys: [u128; WORD_GROUP],
    len: usize,
}

impl Default for WordGroup {
    fn default() -> Self {
        WordGroup { parts: [(0, 0); WORD_GROUP], singles: [None; WORD_GROUP], keys: [0; WORD_GROUP], len: 0 }
    }
}

impl WordGroup {
    pub fn is_full(&self) -> bool {
        self.len == WORD_GROUP
    }

    /// Adds a part after the others; a full group (`is_full`) must be answered first.
    #[inline]
    pub fn push(&mut self, part: Range<usize>, single: Option<u32>) {
        if let (Some(slot), Some(one)) = (self.parts.get_mut(self.len), self.singles.get_mut(self.len)) {
            (*slot, *one) = ((part.start, part.end), single);
            self.len += 1;
        }
    }

    /// Keys the waiting parts and requests their slots in `caches` (claimed for model `owner`),
    /// and empties the group: returns how many parts there were, to be read by `part` until the
    /// next `push`.
    #[inline]
    pub fn request(&mut self, caches: &mut WordCaches, owner: u64, text: &[u8]) -> usize {
        let n = std::mem::take(&mut self.len);
        for (key, &(start, end)) in self.keys.iter_mut().zip(&self.parts).take(n) {
            *key = caches.key_requested(owner, text, start..end);
        }
        n
    }

    /// Part `i` of the last `request`: its range, its single token's id, its key (0: none).
    #[inline(always)]
    pub fn part(&self, i: usize) -> (Range<usize>, Option<u32>, u128) {
        let (start, end) = self.parts.get(i).copied().unwrap_or_default();
        (start..end, self.singles.get(i).copied().flatten(), self.keys.get(i).copied().unwrap_or_default())
    }
}

impl WordCaches {
    /// Appends the ids of each part of `group` to `ids`, in order, for a model whose ids of a
    /// word depend on nothing but its bytes: from the caches, or by `encode(part, ids)` (which
    /// appends them), remembered afterwards. Empties the group.
    pub fn answer_group(
        &mut self,
        owner: u64,
        text: &[u8],
        group: &mut WordGroup,
        ids: &mut Vec<u32>,
        mut encode: impl FnMut(Range<usize>, &mut Vec<u32>) -> Result<()>,
    ) -> Result<()> {
        let n = group.request(self, owner, text);
        for i in 0..n {
            let (part, single, key) = group.part(i);
            if let Some(id) = single {
                ids.push(id);
            } else if !self.append_cached(key, text, part.clone(), ids) {
                let before = ids.len();
                encode(part.clone(), ids)?;
                self.remember(key, text, part, ids.get(before..).unwrap_or_default());
            }
        }
        Ok(())
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

    /// Ids of a word by a rule of its bytes (as a model's would be), one per 4 bytes.
    fn spelled(text: &[u8], word: Range<usize>, ids: &mut Vec<u32>) {
        ids.extend(text[word].chunks(4).map(|c| c.iter().map(|&b| b as u32).sum::<u32>() * 7 + 1));
    }

    #[test]
    fn a_group_answers_each_part_as_the_model_does_and_encodes_only_what_no_cache_holds() {
        let long = "x".repeat(60);
        // 4, 8, 16, 48 and 60 bytes: short keys, the shortest and longest `LongerPieces` holds, and
        // a word no cache holds.
        let longest = format!("▁{}", "y".repeat(45));
        let words = ["▁a", "▁short", "▁sixteen_bytes", &longest, &long];
        assert_eq!(words.map(str::len), [4, 8, 16, 48, 60]);
        let text: String = words.concat();
        let bytes = text.as_bytes();
        let mut parts = Vec::new();
        let mut at = 0;
        for w in words {
            parts.push(at..at + w.len());
            at += w.len();
        }
        let mut expected = Vec::new();
        for p in &parts {
            spelled(bytes, p.clone(), &mut expected);
        }
        expected.push(99); // the single one-character part below
        let mut caches = WordCaches::default();
        let mut encoded = Vec::new();
        for round in 0..3 {
            // Round 2 is of another model: nothing of the first one's may answer it.
            let owner = if round == 2 { 2 } else { 1 };
            let mut group = WordGroup::default();
            for p in &parts {
                assert!(!group.is_full());
                group.push(p.clone(), None);
            }
            group.push(0..1, Some(99));
            let mut ids = Vec::new();
            encoded.clear();
            caches
                .answer_group(owner, bytes, &mut group, &mut ids, |w, ids| {
                    encoded.push(w.clone());
                    spelled(bytes, w, ids);
                    Ok(())
                })
                .unwrap();
            assert_eq!(ids, expected, "round {round}");
            match round {
                // Only the word too long for any cache is encoded again.
                1 => assert_eq!(encoded, [parts[4].clone()]),
                _ => assert_eq!(encoded, parts),
            }
        }
        // Keys: none for an empty part or one outside the text.
        assert_eq!(caches.key_requested(1, bytes, 3..3), 0);
        assert_eq!(caches.key_requested(1, bytes, 0..bytes.len() + 1), 0);
        let mut ids = Vec::new();
        assert!(!caches.append_cached(0, bytes, 0..2, &mut ids) && ids.is_empty());
    }

    #[test]
    fn a_full_group_takes_no_more_parts() {
        let mut group = WordGroup::default();
        for i in 0..WORD_GROUP {
            group.push(i..i + 1, None);
        }
        assert!(group.is_full());
        group.push(0..5, None);
        let mut caches = WordCaches::default();
        let text = vec![b'a'; WORD_GROUP + 8];
        assert_eq!(group.request(&mut caches, 1, &text), WORD_GROUP);
        assert_eq!(group.part(WORD_GROUP - 1).0, WORD_GROUP - 1..WORD_GROUP);
        assert!(!group.is_full());
    }

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
