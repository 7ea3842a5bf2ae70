//! Short pieces answered without running BPE: nearly every piece of real text is at most 15
//! bytes, and most of them are whole tokens.
//!
//! A piece of up to 15 bytes is packed with its length into a `u128` key, so looking it up is
//! one multiply to hash and one 16-byte compare, with no pointer to follow and no byte loop.
//! Two tables use that key:
//! - `ShortTokens`, built when the model is loaded and never changed: every token of up to 15
//!   bytes whose own encoding is itself (all tokens when the file asks for whole-piece lookups,
//!   `ignore_merges`). A first-seen word that is a token is already a hit; shared by all
//!   threads, read only.
//! - `RecentPieces`, one per thread (it lives in the thread's scratch buffers): the encodings of
//!   the short pieces the thread met last, up to 3 tokens each, looked up first (it stays in
//!   the L2 cache, where a probe of the vocabulary-sized `ShortTokens` is mostly a miss), in a direct-mapped array of
//!   `RECENT_SLOTS` entries (512 KB). A new piece overwrites whatever shared its slot, so the
//!   memory is fixed; an entry holds the exact encoding of its key, so what was encoded before
//!   changes how fast a piece is encoded, never its ids. The table remembers which model filled
//!   it and starts empty for another. Being per thread, it needs no lock, and a forked child
//!   keeps the forking thread's table, which no other thread was writing.

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

#[inline]
fn hash(key: u128) -> u64 {
    let (lo, hi) = (key as u64, (key >> 64) as u64);
    (lo ^ hi.rotate_left(23)).wrapping_mul(0x9E37_79B9_7F4A_7C15)
}

/// Whole tokens of up to 15 bytes by key: open addressing, linear probing, at most half full.
#[derive(Debug, Clone)]
pub struct ShortTokens {
    keys: Box<[u128]>,
    ids: Box<[u32]>,
    /// `64 - log2(slots)`: the top bits of the hash pick the first slot.
    shift: u32,
}

impl ShortTokens {
    /// `tokens` are (key, id) pairs with distinct keys.
    pub fn build(tokens: &[(u128, u32)]) -> ShortTokens {
        let slots = (tokens.len() * 2).next_power_of_two().max(16);
        let mut keys = vec![0u128; slots].into_boxed_slice();
        let mut ids = vec![0u32; slots].into_boxed_slice();
        let shift = 64 - slots.trailing_zeros();
        let mask = slots - 1;
        for &(key, id) in tokens {
            let mut at = (hash(key) >> shift) as usize;
            while keys[at] != 0 && keys[at] != key {
                at = (at + 1) & mask;
            }
            keys[at] = key;
            ids[at] = id;
        }
        ShortTokens { keys, ids, shift }
    }

    #[inline]
    pub fn get(&self, key: u128) -> Option<u32> {
        let mask = self.keys.len() - 1;
        let mut at = (hash(key) >> self.shift) as usize;
        loop {
            let found = self.keys[at];
            if found == key {
                return Some(self.ids[at]);
            }
            if found == 0 {
                return None;
            }
            at = (at + 1) & mask;
        }
    }
}

/// Entries of a thread's `RecentPieces`: 16384 x 32 bytes = 512 KB, about an L2 cache.
pub const RECENT_SLOTS: usize = 1 << 14;
const RECENT_SHIFT: u32 = 64 - RECENT_SLOTS.trailing_zeros();

/// The encoding of one short piece: up to 3 ids, and where each token ends in the piece.
#[derive(Debug, Clone, Copy, Default)]
#[repr(C, align(32))]
struct Entry {
    key: u128,
    ids: [u32; 3],
    /// Number of tokens in bits 0..2, then the end offset of each token, 4 bits each.
    ends: u32,
}

/// A thread's cache of short pieces that are not tokens (see the module comment).
#[derive(Debug, Default)]
pub struct RecentPieces {
    /// The model whose encodings the entries hold (0: none yet).
    owner: u64,
    entries: Vec<Entry>,
}

impl RecentPieces {
    /// Makes the table that of model `owner`, emptying it if it held another's.
    #[inline]
    pub fn claim(&mut self, owner: u64) {
        if self.owner != owner {
            self.entries.clear();
            self.entries.resize(RECENT_SLOTS, Entry::default());
            self.owner = owner;
        }
    }

    /// Calls `emit(id, start, end)` for each token of the piece with this key, if cached.
    #[inline]
    pub fn emit_cached(&self, key: u128, mut emit: impl FnMut(u32, usize, usize)) -> bool {
        let Some(entry) = self.entries.get((hash(key) >> RECENT_SHIFT) as usize) else { return false };
        if entry.key != key {
            return false;
        }
        let mut start = 0;
        for k in 0..(entry.ends & 3) as usize {
            let end = ((entry.ends >> (2 + 4 * k)) & 15) as usize;
            emit(entry.ids[k], start, end);
            start = end;
        }
        true
    }

    /// Remembers the encoding of a piece as (id, end) pairs; encodings of more than 3 tokens
    /// are not kept.
    #[inline]
    pub fn insert(&mut self, key: u128, tokens: impl ExactSizeIterator<Item = (u32, usize)>) {
        if tokens.len() > 3 || tokens.len() == 0 {
            return;
        }
        let Some(entry) = self.entries.get_mut((hash(key) >> RECENT_SHIFT) as usize) else { return };
        let mut new = Entry { key, ids: [0; 3], ends: tokens.len() as u32 };
        for (k, (id, end)) in tokens.enumerate() {
            new.ids[k] = id;
            new.ends |= (end as u32 & 15) << (2 + 4 * k);
        }
        *entry = new;
    }
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

    #[test]
    fn short_tokens_find_exactly_what_was_put() {
        let words: Vec<Vec<u8>> = (0..5000u32).map(|i| format!("w{i}").into_bytes()).collect();
        let entries: Vec<(u128, u32)> =
            words.iter().enumerate().map(|(i, w)| (short_key(w).unwrap(), i as u32)).collect();
        let table = ShortTokens::build(&entries);
        for (i, w) in words.iter().enumerate() {
            assert_eq!(table.get(short_key(w).unwrap()), Some(i as u32));
        }
        assert_eq!(table.get(short_key(b"w5000").unwrap()), None);
        assert_eq!(table.get(short_key(b"x").unwrap()), None);
    }

    #[test]
    fn recent_pieces_give_back_ids_and_offsets_and_forget_on_another_model() {
        let mut recent = RecentPieces::default();
        recent.claim(7);
        let key = short_key(b"hello!").unwrap();
        assert!(!recent.emit_cached(key, |_, _, _| {}));
        recent.insert(key, [(10, 5), (11, 6)].into_iter());
        let mut got = Vec::new();
        assert!(recent.emit_cached(key, |id, s, e| got.push((id, s, e))));
        assert_eq!(got, vec![(10, 0, 5), (11, 5, 6)]);
        recent.insert(short_key(b"four").unwrap(), [(1, 1), (2, 2), (3, 3), (4, 4)].into_iter());
        assert!(!recent.emit_cached(short_key(b"four").unwrap(), |_, _, _| {}));
        recent.claim(8);
        assert!(!recent.emit_cached(key, |_, _, _| {}));
    }
}
