//! A thread's cache of the encodings of the short pieces it met last (see the module comment of
//! `piece_cache`): direct-mapped, fixed in size, exact.
//!
//! Nearly every piece encodes to one to four tokens, so an entry is half a cache line: the
//! piece's key (`u128`, whose last byte holds the piece's length in its low four bits) with the
//! token count in the high four bits of that byte, and four ids. Twice the entries of 64-byte
//! ones fit in the same megabyte, so fewer pieces evict each other and come back to be merged
//! again. The few encodings of five to `RECENT_MAX_TOKENS` tokens (runs of spaces under GPT-2,
//! long non-token words) keep their ids in a small table of whole lines beside it, and their
//! entry in the main table says so.

use super::hash;

/// Entries of the main table: 32768 x 32 bytes = 1 MB, half the L2 cache of a core of the
/// machine it was tuned on.
pub const RECENT_SLOTS: usize = 1 << 15;
const RECENT_SHIFT: u32 = 64 - RECENT_SLOTS.trailing_zeros();

/// Entries of the table of longer encodings: 2048 x 64 bytes = 128 KB.
const SPILL_SLOTS: usize = 1 << 11;
const SPILL_SHIFT: u32 = 64 - SPILL_SLOTS.trailing_zeros();

/// Ids an entry of the main table holds.
const INLINE_IDS: usize = 4;

/// Most tokens an encoding may have to be cached. Eleven fill a line of the table of longer
/// encodings; a short piece of more tokens (a run of twelve spaces under GPT-2) is rare enough
/// to take the merge loop each time. Runs of a few spaces (code indentation under GPT-2, which
/// has no multi-space tokens) are frequent and need the room.
pub const RECENT_MAX_TOKENS: usize = 11;

/// Where a key keeps its token count: the high half of its last byte (the low half is the
/// piece's length, at most 15).
const COUNT_SHIFT: u32 = 124;
const KEY_BITS: u128 = !(0xF << COUNT_SHIFT);
/// The count of an entry whose ids are in the table of longer encodings.
const SPILLED: u128 = 0xF;

/// One piece's encoding of up to `INLINE_IDS` tokens, or a pointer to the table of longer ones.
#[derive(Debug, Clone, Copy, Default)]
#[repr(C, align(32))]
struct Entry {
    /// The piece's key with the count in its high bits; 0 marks an empty slot (no key is 0).
    tagged: u128,
    ids: [u32; INLINE_IDS],
}

/// One piece's encoding of more than `INLINE_IDS` tokens.
#[derive(Debug, Clone, Copy, Default)]
#[repr(C, align(64))]
struct LongerEntry {
    key: u128,
    count: u32,
    ids: [u32; RECENT_MAX_TOKENS],
}

/// A thread's cache of short pieces (see the module comment).
#[derive(Debug, Default)]
pub struct RecentPieces {
    /// The model whose encodings the entries hold (0: none yet).
    owner: u64,
    entries: Vec<Entry>,
    longer: Vec<LongerEntry>,
}

impl RecentPieces {
    /// Makes the table that of model `owner`, emptying it if it held another's.
    #[inline]
    pub fn claim(&mut self, owner: u64) {
        if self.owner != owner {
            self.entries.clear();
            self.entries.resize(RECENT_SLOTS, Entry::default());
            self.longer.clear();
            self.longer.resize(SPILL_SLOTS, LongerEntry::default());
            self.owner = owner;
        }
    }

    /// Whether the table is allocated and holds model `owner`'s encodings.
    #[cfg(test)]
    pub fn is_claimed_by(&self, owner: u64) -> bool {
        self.owner == owner && self.entries.len() == RECENT_SLOTS && self.longer.len() == SPILL_SLOTS
    }

    /// The ids of a piece whose main entry says they were spilled, if still there (another
    /// longer encoding may have taken their slot since).
    #[cold]
    fn spilled(&self, key: u128) -> Option<&[u32]> {
        let entry = self.longer.get((hash(key) >> SPILL_SHIFT) as usize)?;
        if entry.key != key {
            return None;
        }
        entry.ids.get(..entry.count as usize)
    }

    /// Starts loading the entry of the piece whose key has this `hash` (see
    /// `piece_cache::key_group`).
    #[inline(always)]
    pub fn prefetch_hashed(&self, hashed: u64) {
        if let Some(entry) = self.entries.get((hashed >> RECENT_SHIFT) as usize) {
            crate::utils::prefetch::prefetch(entry);
        }
    }

    /// The ids of the piece with this key, if cached.
    #[inline(always)]
    pub fn ids(&self, key: u128) -> Option<&[u32]> {
        let entry = self.entries.get((hash(key) >> RECENT_SHIFT) as usize)?;
        if entry.tagged & KEY_BITS != key {
            return None;
        }
        match entry.tagged >> COUNT_SHIFT {
            SPILLED => self.spilled(key),
            count => entry.ids.get(..count as usize),
        }
    }

    /// Appends the ids of the piece with this key to `out`, if cached. The four ids of an entry
    /// are copied whatever its count and the length then advanced by the count: no branch on
    /// the count, which changes from piece to piece and defeats the branch predictor.
    #[inline(always)]
    pub fn append_cached(&self, key: u128, out: &mut Vec<u32>) -> bool {
        let Some(entry) = self.entries.get((hash(key) >> RECENT_SHIFT) as usize) else { return false };
        if entry.tagged & KEY_BITS != key {
            return false;
        }
        let count = (entry.tagged >> COUNT_SHIFT) as usize;
        if count <= INLINE_IDS {
            out.reserve(INLINE_IDS);
            let len = out.len();
            if let Some(spare) = out.spare_capacity_mut().get_mut(..INLINE_IDS) {
                for (slot, &id) in spare.iter_mut().zip(&entry.ids) {
                    slot.write(id);
                }
                // SAFETY: the capacity holds INLINE_IDS more ids, and the first
                // `count <= INLINE_IDS` of them were just written.
                unsafe { out.set_len(len + count) };
                return true;
            }
        }
        match self.spilled(key) {
            Some(ids) => {
                out.extend_from_slice(ids);
                true
            }
            None => false,
        }
    }

    /// Remembers the encoding of a piece; encodings of more than `RECENT_MAX_TOKENS` tokens are
    /// not kept.
    #[inline]
    pub fn insert(&mut self, key: u128, ids: impl ExactSizeIterator<Item = u32>) {
        let count = ids.len();
        if count > RECENT_MAX_TOKENS || count == 0 || key & !KEY_BITS != 0 {
            return;
        }
        let hashed = hash(key);
        let Some(entry) = self.entries.get_mut((hashed >> RECENT_SHIFT) as usize) else { return };
        if count <= INLINE_IDS {
            let mut new = Entry { tagged: key | (count as u128) << COUNT_SHIFT, ids: [0; INLINE_IDS] };
            for (slot, id) in new.ids.iter_mut().zip(ids) {
                *slot = id;
            }
            *entry = new;
            return;
        }
        let Some(longer) = self.longer.get_mut((hashed >> SPILL_SHIFT) as usize) else { return };
        let mut new = LongerEntry { key, count: count as u32, ids: [0; RECENT_MAX_TOKENS] };
        for (slot, id) in new.ids.iter_mut().zip(ids) {
            *slot = id;
        }
        *longer = new;
        *entry = Entry { tagged: key | SPILLED << COUNT_SHIFT, ids: [0; INLINE_IDS] };
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::models::piece_cache::short_key;

    #[test]
    fn recent_pieces_give_back_ids_up_to_the_limit_and_forget_on_another_model() {
        let mut recent = RecentPieces::default();
        recent.claim(7);
        let key = short_key(b"hello!").unwrap();
        assert_eq!(recent.ids(key), None);
        recent.insert(key, [10, 11].into_iter());
        assert_eq!(recent.ids(key), Some(&[10, 11][..]));
        let spaces = short_key(b"           ").unwrap();
        recent.insert(spaces, [220; RECENT_MAX_TOKENS].into_iter());
        assert_eq!(recent.ids(spaces), Some(&[220; RECENT_MAX_TOKENS][..]));
        let longer = short_key(b"            ").unwrap();
        recent.insert(longer, [220; RECENT_MAX_TOKENS + 1].into_iter());
        assert_eq!(recent.ids(longer), None);
        recent.claim(8);
        assert_eq!(recent.ids(key), None);
    }

    #[test]
    fn appending_cached_ids_adds_exactly_the_entry() {
        let mut recent = RecentPieces::default();
        recent.claim(1);
        for count in 1..=RECENT_MAX_TOKENS {
            let piece = vec![b'x'; count];
            let key = short_key(&piece).unwrap();
            let ids: Vec<u32> = (0..count as u32).map(|i| 100 + i).collect();
            recent.insert(key, ids.iter().copied());
            let mut out = vec![7u32];
            assert!(recent.append_cached(key, &mut out));
            assert_eq!(out[1..], ids[..], "count {count}");
            // The next append starts right after: nothing past the count was kept.
            assert!(recent.append_cached(key, &mut out));
            assert_eq!(out.len(), 1 + 2 * count);
        }
        let mut out = Vec::new();
        assert!(!recent.append_cached(short_key(b"never seen").unwrap(), &mut out));
        assert!(out.is_empty());
    }

    /// Encodings of five tokens or more live in the table of longer encodings; when another
    /// longer encoding takes their slot there, their piece is a miss, never someone else's ids.
    #[test]
    fn longer_encodings_are_exact_or_missing() {
        let mut recent = RecentPieces::default();
        recent.claim(3);
        let keys: Vec<u128> = (0..20_000u32).map(|i| short_key(format!("p{i}").as_bytes()).unwrap()).collect();
        let ids_of = |i: usize| -> Vec<u32> { (0..5 + (i % 7) as u32).map(|k| i as u32 * 16 + k).collect() };
        for (i, &key) in keys.iter().enumerate() {
            recent.insert(key, ids_of(i).into_iter());
        }
        let (mut found, mut missing) = (0, 0);
        for (i, &key) in keys.iter().enumerate() {
            let mut out = vec![1u32];
            match recent.ids(key) {
                Some(ids) => {
                    assert_eq!(ids, &ids_of(i)[..], "piece {i}");
                    assert!(recent.append_cached(key, &mut out));
                    assert_eq!(out[1..], ids_of(i)[..]);
                    found += 1;
                }
                None => {
                    assert!(!recent.append_cached(key, &mut out));
                    assert_eq!(out, [1]);
                    missing += 1;
                }
            }
        }
        // 20,000 pieces over 2,048 lines of longer encodings: most were evicted, some stayed.
        assert!(found > 500 && missing > 10_000, "{found} found, {missing} missing");
        // A short encoding overwrites the main entry of a spilled piece with the same slot.
        let short = short_key(b"ab").unwrap();
        recent.insert(short, [9, 8].into_iter());
        assert_eq!(recent.ids(short), Some(&[9, 8][..]));
    }

    /// Twice the entries of the 64-byte layout in the same megabyte: 16,384 distinct pieces of
    /// one or two ids inserted in turn are nearly all still there afterwards.
    #[test]
    fn short_encodings_fill_half_lines() {
        assert_eq!(std::mem::size_of::<Entry>(), 32);
        assert_eq!(RECENT_SLOTS * std::mem::size_of::<Entry>(), 1 << 20);
        let mut recent = RecentPieces::default();
        recent.claim(5);
        let keys: Vec<u128> = (0..16_384u32).map(|i| short_key(format!("w{i}").as_bytes()).unwrap()).collect();
        for (i, &key) in keys.iter().enumerate() {
            recent.insert(key, [i as u32, 7].into_iter().take(1 + i % 2));
        }
        let kept =
            keys.iter().enumerate().filter(|&(i, &key)| recent.ids(key).is_some_and(|ids| ids[0] == i as u32)).count();
        // Last writer wins a slot: 32,768 slots keep about 32,768 (1 - e^(-1/2)) = 12,900 of
        // these keys when hashed at random (11,896 with this hash); 16,384 lines of 64 bytes
        // would keep at most 16,384 (1 - 1/e) = 10,357.
        assert!(kept > 11_000, "{kept} of 16384 kept");
    }
}
