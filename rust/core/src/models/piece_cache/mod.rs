//! Short pieces answered without running the model (BPE merges, WordPiece's trie walks):
//! nearly every piece of real text is at most 15 bytes, and most of them are whole tokens.
//!
//! A piece of up to 15 bytes is packed with its length into a `u128` key, so looking it up is
//! one multiply to hash and one 16-byte compare, with no pointer to follow and no byte loop.
//! Two tables use that key:
//! - `ShortTokens`, built when the model is loaded and never changed: every token of up to
//!   `MAX_SHORT_TOKEN` bytes whose own encoding is itself (all tokens when the file asks for
//!   whole-piece lookups, `ignore_merges`). A first-seen word that is a token is already a hit;
//!   shared by all threads, read only.
//! - `RecentPieces`, one per thread (it lives in the thread's scratch buffers): the encodings of
//!   the short pieces the thread met last, up to `recent::RECENT_MAX_TOKENS` ids each, looked up
//!   first (it stays in the L2 cache, where a probe of the vocabulary-sized `ShortTokens` is
//!   mostly a miss), in a direct-mapped array of `recent::RECENT_SLOTS` entries of half a cache
//!   line (1 MB, and 128 KB for the rare longer encodings; see `recent`). A new piece overwrites
//!   whatever shared its slot, so the memory is fixed; an entry holds the exact encoding of its
//!   key, so what was encoded before changes how fast a piece is encoded, never its ids. The
//!   table remembers which model filled it and starts empty for another. Being per thread, it
//!   needs no lock, and a forked child keeps the forking thread's table, which no other thread
//!   was writing.
//!
//! Pieces of 16 to 48 bytes have a table of their own, [`longer::LongerPieces`], consulted only
//! once the short tables could not answer.

pub mod longer;
mod recent;

pub use recent::RecentPieces;

use crate::utils::huge_pages::HugeTable;
use crate::utils::prefetch::prefetch;

/// What the caches say of one piece: its ids were appended (or it is empty), or the model must
/// encode it, with its key when it is short enough to be remembered afterwards.
pub enum Answer {
    Done,
    Encode(Option<u128>),
}

/// Pieces keyed at once by `key_group`.
///
/// Measured in session 38 on o200k over the same 0.7 MB of English after 64 MB of other writes
/// (as in the benchmarks, where other libraries run between two calls), in one process,
/// alternating, against keying each piece as it is answered: groups of 16 pieces +5-8%, 32 +10%,
/// 64 +13-15%, 128 +4-10%; with the CPU caches warm, +3-4% at every size.
pub const GROUP: usize = 64;

/// Writes the `piece_key` of each piece of `group` (at most `GROUP` byte ranges of `text`) to
/// `keys`, and starts loading, for each, the thread's recent-pieces slot and the slot of `whole`
/// where its probe begins (both tables place a key by the same hash); `longer` is given the
/// bytes of each piece too long for a key, for the caller's own requests. Once other work has
/// pushed the tables out of the CPU caches, the misses of a group then overlap instead of being
/// waited for one piece at a time. Errs on a range outside `text`.
///
/// The whole-token slot is requested here for every piece, though most pieces of prose are
/// then answered by the recent table: `answer` requested it for every piece too, but just
/// before the recent table was asked, too late to hide a miss. A group ahead, it is on its way
/// while the 63 pieces before are answered (session 40, alternating fresh slices after 64 MB of
/// other writes, in one process: o200k English +11-17%, German +9-20%, random base64 +14-31%;
/// cl100k English +8%; gpt2 English +5-14%; BERT level to +9%; nothing slower).
#[inline(always)]
pub fn key_group(
    text: &[u8],
    group: &[std::ops::Range<usize>],
    recent: &RecentPieces,
    whole: &ShortTokens,
    keys: &mut [u128; GROUP],
    mut longer: impl FnMut(&[u8]),
) -> crate::error::Result<()> {
    for (key, piece) in keys.iter_mut().zip(group) {
        if piece.start > piece.end || piece.end > text.len() {
            return Err(crate::error::Error::InvalidArgument(format!(
                "piece {piece:?} is outside a text of {} bytes",
                text.len()
            )));
        }
        *key = piece_key(text, piece);
        if *key == u128::MAX {
            longer(text.get(piece.clone()).unwrap_or_default());
        }
        let hashed = hash(*key);
        recent.prefetch_hashed(hashed);
        whole.prefetch_hashed(hashed);
    }
    Ok(())
}

/// The key of a piece for `answer`: 0 for an empty piece, `u128::MAX` for one longer than
/// `MAX_SHORT` (no key is either), the piece's key otherwise. The piece must lie in `text`.
#[inline(always)]
fn piece_key(text: &[u8], piece: &std::ops::Range<usize>) -> u128 {
    match piece.end.saturating_sub(piece.start) {
        0 => 0,
        len @ 1..=MAX_SHORT => key_in_text(text, piece.start, len),
        _ => u128::MAX,
    }
}

/// The lookup both models run on each piece of an ids-only block, by its key from `key_group`
/// (which has requested both slots): the thread's recent pieces, then the table of whole tokens
/// (remembered in the thread's cache when found there). One- and two-byte pieces take the same
/// path as the rest: a branch on the length would be mispredicted at every change between
/// punctuation and words.
#[inline(always)]
pub fn answer(key: u128, recent: &mut RecentPieces, whole: &ShortTokens, ids: &mut Vec<u32>) -> Answer {
    match key {
        0 => return Answer::Done,
        u128::MAX => return Answer::Encode(None),
        _ => {}
    }
    if recent.append_cached(key, ids) {
        return Answer::Done;
    }
    if let Some(id) = whole.get(key) {
        ids.push(id);
        recent.insert(key, std::iter::once(id));
        return Answer::Done;
    }
    Answer::Encode(Some(key))
}

/// A fresh name for the tables of one model, which a thread's `RecentPieces` is claimed by:
/// unique across models of every kind, so two models never read each other's entries.
pub fn next_owner() -> u64 {
    static OWNERS: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);
    OWNERS.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
}

/// Longest piece the tables hold: 15 bytes and the length fill a `u128`.
pub const MAX_SHORT: usize = 15;

/// The key of a piece of 1 to 15 bytes: its bytes, zero-padded, with the length in the last
/// byte. No key is 0, which marks an empty slot.
#[inline]
pub fn short_key(piece: &[u8]) -> Option<u128> {
    if piece.is_empty() || piece.len() > MAX_SHORT {
        return None;
    }
    let mut buf = [0u8; 16];
    buf[..piece.len()].copy_from_slice(piece);
    buf[15] = piece.len() as u8;
    Some(u128::from_le_bytes(buf))
}

/// The key of the piece `text[start..start + len]`, `1 <= len <= MAX_SHORT`: where 16 bytes
/// can be read from `start`, one unaligned load with the bytes past the piece masked off (no
/// copy through a buffer, which the CPU cannot forward to the wide load that follows).
#[inline(always)]
pub fn key_in_text(text: &[u8], start: usize, len: usize) -> u128 {
    debug_assert!((1..=MAX_SHORT).contains(&len));
    match text.get(start..start + 16) {
        Some(window) => {
            let mut bytes = [0u8; 16];
            bytes.copy_from_slice(window);
            let kept = u128::from_le_bytes(bytes) & ((1u128 << (8 * len)) - 1);
            kept | ((len as u128) << 120)
        }
        None => short_key(&text[start..start + len]).unwrap_or_default(),
    }
}

/// The key of bytes `start..end` of the piece of `key`, `1 <= end - start`, `end <=` its length.
#[inline(always)]
pub fn substring_key(key: u128, start: usize, end: usize) -> u128 {
    debug_assert!(start < end && end <= key_len(key));
    let len = end - start;
    ((key >> (8 * start)) & ((1u128 << (8 * len)) - 1)) | ((len as u128) << 120)
}

#[inline]
pub(crate) fn hash(key: u128) -> u64 {
    let (lo, hi) = (key as u64, (key >> 64) as u64);
    (lo ^ hi.rotate_left(23)).wrapping_mul(0x9E37_79B9_7F4A_7C15)
}

/// Longest token `ShortTokens` holds: a key of up to 12 bytes leaves bytes 12..15 zero, room
/// for the id beside the key in the same 16 bytes. Longer whole-token words (rare) are encoded
/// by merging the first time and then come from `RecentPieces`.
pub const MAX_SHORT_TOKEN: usize = 12;
/// Bytes 12..15 of an entry: the id plus one (0 marks an empty slot).
const ID_SHIFT: u32 = 96;
const KEY_BITS: u128 = !(0xFF_FFFF << ID_SHIFT);

/// Whole tokens of up to `MAX_SHORT_TOKEN` bytes by key: open addressing, linear probing, at
/// most half full. An entry is the key with the id in its unused bytes, so a probe reads one
/// 16-byte slot (one cache miss on this vocabulary-sized table, not one for the key and another
/// for the id).
#[derive(Debug, Clone)]
pub struct ShortTokens {
    /// On huge pages where possible (see `utils::huge_pages`): probes land on random pages.
    slots: HugeTable<u128>,
    /// `64 - log2(slots)`: the top bits of the hash pick the first slot.
    shift: u32,
    /// Every token given to `build` is held (none was too long, had too large an id, or was
    /// lost for want of memory): a miss then means "not a whole token", which
    /// `bpe::substring_merge` relies on.
    complete: bool,
}

impl ShortTokens {
    /// `tokens` are (key, id) pairs with distinct keys; those longer than `MAX_SHORT_TOKEN`
    /// bytes or with an id of 2^24 - 1 or more are left out.
    pub fn build(tokens: &[(u128, u32)]) -> ShortTokens {
        let fits = |&&(key, id): &&(u128, u32)| key_len(key) <= MAX_SHORT_TOKEN && id < 0xFF_FFFF;
        let count = tokens.iter().filter(fits).count();
        let n = (count * 2).next_power_of_two().max(16);
        // Without the memory, an empty table: every piece then takes the model (exact, slower)
        // instead of the load failing.
        let Ok(mut slots) = HugeTable::zeroed(n, "the table of whole tokens") else {
            return ShortTokens { slots: HugeTable::empty(), shift: 63, complete: false };
        };
        let shift = 64 - n.trailing_zeros();
        let mask = n - 1;
        for &(key, id) in tokens.iter().filter(fits) {
            let mut at = (hash(key) >> shift) as usize;
            while slots[at] != 0 && slots[at] & KEY_BITS != key {
                at = (at + 1) & mask;
            }
            slots[at] = key | (((id + 1) as u128) << ID_SHIFT);
        }
        ShortTokens { slots, shift, complete: count == tokens.len() }
    }

    /// Whether every token given to `build` is held.
    pub fn is_complete(&self) -> bool {
        self.complete
    }

    /// Starts loading the slot where `key`'s probe begins, without waiting for it: a probe of
    /// this vocabulary-sized table is mostly a miss in every CPU cache. Requested before the
    /// thread's recent pieces are consulted, the probe is under way when they miss (session 7:
    /// +4-12% on prose, code and the multilingual mix, +24% on random base64, every family);
    /// `key_group` requests it a group of pieces earlier still (session 40).
    #[inline(always)]
    pub fn prefetch(&self, key: u128) {
        self.prefetch_hashed(hash(key));
    }

    /// `prefetch` of the key whose `hash` this is.
    #[inline(always)]
    pub fn prefetch_hashed(&self, hashed: u64) {
        if let Some(slot) = self.slots.get((hashed >> self.shift) as usize) {
            prefetch(slot);
        }
    }

    /// `prefetch` of the keys of every substring of the piece of `key` whose length is in
    /// `lengths` and shorter than the piece.
    #[inline(always)]
    pub fn prefetch_substrings(&self, key: u128, lengths: std::ops::RangeInclusive<usize>) {
        let n = key_len(key);
        for len in *lengths.start()..(*lengths.end() + 1).min(n) {
            for start in 0..=n - len {
                self.prefetch(substring_key(key, start, start + len));
            }
        }
    }

    #[inline]
    pub fn get(&self, key: u128) -> Option<u32> {
        if key_len(key) > MAX_SHORT_TOKEN {
            return None;
        }
        let mask = self.slots.len().wrapping_sub(1);
        let mut at = (hash(key) >> self.shift) as usize;
        loop {
            let found = *self.slots.get(at)?;
            if found & KEY_BITS == key {
                return Some(((found >> ID_SHIFT) as u32 & 0xFF_FFFF) - 1);
            }
            if found == 0 {
                return None;
            }
            at = (at + 1) & mask;
        }
    }
}

/// The piece length a key holds (its last byte).
#[inline(always)]
fn key_len(key: u128) -> usize {
    (key >> 120) as usize
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_differ_by_length_and_bytes() {
        assert_ne!(short_key(b"a"), short_key(b"a\0"));
        assert_ne!(short_key(b"ab"), short_key(b"ba"));
        assert_eq!(short_key(b""), None);
        assert_eq!(short_key(&[b'x'; 16]), None);
        assert!(short_key(&[0u8; 15]).is_some_and(|k| k != 0));
    }

    /// A group's keys are the pieces' own (read from the text near its end too, where no 16
    /// bytes follow), 0 for an empty piece and `u128::MAX` for one too long to have a key, whose
    /// bytes go to the caller's `longer`, in order; a range outside the text is an error, not a
    /// read past it.
    #[test]
    #[allow(clippy::reversed_empty_ranges)] // a reversed range is one of the inputs refused
    fn a_group_is_keyed_as_its_pieces_are() {
        let text = b"the quick brown fox jumps over a lazy dog, twice";
        let mut recent = RecentPieces::default();
        recent.claim(1);
        let whole = ShortTokens::build(&[(short_key(b"the").unwrap(), 1)]);
        let mut rng = crate::utils::test_random::Lcg::new(3);
        for _ in 0..2000 {
            let count = 1 + rng.below(GROUP as u64) as usize;
            let group: Vec<std::ops::Range<usize>> = (0..count)
                .map(|_| {
                    let start = rng.below(text.len() as u64 + 1) as usize;
                    start..start + rng.below((text.len() - start) as u64 + 1) as usize
                })
                .collect();
            let mut keys = [7u128; GROUP];
            let mut too_long = Vec::new();
            key_group(text, &group, &recent, &whole, &mut keys, |bytes| too_long.push(bytes.to_vec())).unwrap();
            let expected_long: Vec<Vec<u8>> =
                group.iter().filter(|p| p.len() > MAX_SHORT).map(|p| text[p.clone()].to_vec()).collect();
            assert_eq!(too_long, expected_long);
            for (piece, &key) in group.iter().zip(&keys) {
                let expected = match piece.len() {
                    0 => 0,
                    1..=MAX_SHORT => short_key(&text[piece.clone()]).unwrap(),
                    _ => u128::MAX,
                };
                assert_eq!(key, expected, "{piece:?}");
            }
        }
        let mut keys = [0u128; GROUP];
        for outside in [40..text.len() + 1, 5..3, text.len() + 1..text.len() + 2] {
            let err = key_group(text, &[0..2, outside.clone()], &recent, &whole, &mut keys, |_| {}).unwrap_err();
            assert!(err.to_string().contains(&format!("{outside:?}")), "{err}");
        }
    }

    #[test]
    fn a_table_without_memory_finds_nothing_and_does_not_fail() {
        let empty = ShortTokens { slots: HugeTable::empty(), shift: 63, complete: false };
        assert_eq!(empty.get(short_key(b"a").unwrap()), None);
        empty.prefetch(short_key(b"abc").unwrap());
    }

    #[test]
    fn short_tokens_find_exactly_what_was_put() {
        let mut words: Vec<Vec<u8>> = (0..5000u32).map(|i| format!("w{i}").into_bytes()).collect();
        words.push(b"twelve bytes".to_vec());
        let entries: Vec<(u128, u32)> =
            words.iter().enumerate().map(|(i, w)| (short_key(w).unwrap(), i as u32)).collect();
        let table = ShortTokens::build(&entries);
        for (i, w) in words.iter().enumerate() {
            assert_eq!(table.get(short_key(w).unwrap()), Some(i as u32));
        }
        assert_eq!(table.get(short_key(b"w5000").unwrap()), None);
        assert_eq!(table.get(short_key(b"x").unwrap()), None);
        assert!(table.is_complete());
        // Tokens longer than MAX_SHORT_TOKEN bytes are not held (they are found by merging),
        // nor ids that do not fit beside the key: the table then says it is not complete.
        let long = short_key(b"thirteen byte").unwrap();
        let without_long = ShortTokens::build(&[(long, 3), (short_key(b"a").unwrap(), 4)]);
        assert_eq!(without_long.get(long), None);
        assert!(!without_long.is_complete());
        let large = short_key(b"ab").unwrap();
        let without_large = ShortTokens::build(&[(large, 0xFF_FFFF)]);
        assert_eq!(without_large.get(large), None);
        assert!(!without_large.is_complete());
        assert!(ShortTokens::build(&[(large, 0xFF_FFFE)]).is_complete());
    }
}
