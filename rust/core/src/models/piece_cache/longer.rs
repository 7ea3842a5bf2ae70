//! A thread's cache of the pieces too long for a `u128` key (16 to `LONGER_MAX_BYTES` bytes):
//! long identifiers, indentation and separator runs, words with their leading punctuation.
//! They are a few percent of the pieces of code and prose, but each costs a merge run of dozens
//! of pair lookups, and most recur (measured on the shared corpora under o200k_base: three in
//! four misses of 16 to 48 bytes had been encoded before in the same process).
//!
//! Direct-mapped like `RecentPieces`: `LONGER_SLOTS` entries of 128 bytes (512 KB per thread,
//! allocated on the first long piece), each holding the piece's bytes, compared in full on a
//! lookup, so an entry gives the exact encoding of its piece or nothing; a new piece overwrites
//! its slot. Per thread, it needs no lock, and a forked child keeps the forking thread's table.

/// Longest piece `LongerPieces` holds; longer ones take `LongPieces`.
pub const LONGER_MAX_BYTES: usize = 48;
/// Most tokens an entry of `LongerPieces` holds; a piece of more is encoded each time.
pub const LONGER_MAX_TOKENS: usize = 16;
const LONGER_SLOTS: usize = 1 << 12;

/// Pieces of 16 to 48 bytes: 4096 entries of 128 bytes (512 KB).
pub type LongerPieces = PieceTable<{ super::MAX_SHORT + 1 }, LONGER_MAX_BYTES, LONGER_MAX_TOKENS, LONGER_SLOTS>;

/// Pieces of 49 to 256 bytes, which the long-piece search encodes at some 50 ns a byte: the
/// borders of text tables, comment rulers, runs of dashes or spaces, which recur within a
/// corpus (en_python_docs: 1,583 such pieces in 4 MB, 364 distinct, 3% of its bytes and a
/// tenth of its encoding time before this table). 512 entries of 576 bytes (288 KB).
pub type LongPieces = PieceTable<{ LONGER_MAX_BYTES + 1 }, 256, 64, 512>;

/// Whether a piece of this many bytes is one `LongerPieces` holds.
#[inline(always)]
pub fn held(len: usize) -> bool {
    LongerPieces::holds(len)
}

/// One cached piece: its bytes, compared in full on a lookup, and its ids.
#[derive(Clone, Copy)]
#[repr(C, align(64))]
struct Entry<const BYTES: usize, const IDS: usize> {
    /// Piece length; 0 marks an empty slot (no table holds empty pieces).
    len: u16,
    count: u16,
    bytes: [u8; BYTES],
    ids: [u32; IDS],
}

impl<const BYTES: usize, const IDS: usize> Entry<BYTES, IDS> {
    const EMPTY: Self = Entry { len: 0, count: 0, bytes: [0; BYTES], ids: [0; IDS] };
}

/// A thread's direct-mapped table of pieces of `MIN` to `MAX` bytes with at most `IDS` tokens,
/// `SLOTS` entries (see the module comment).
pub struct PieceTable<const MIN: usize, const MAX: usize, const IDS: usize, const SLOTS: usize> {
    /// The model whose encodings the entries hold (0: none yet).
    owner: u64,
    entries: Vec<Entry<MAX, IDS>>,
}

impl<const MIN: usize, const MAX: usize, const IDS: usize, const SLOTS: usize> Default
    for PieceTable<MIN, MAX, IDS, SLOTS>
{
    fn default() -> Self {
        PieceTable { owner: 0, entries: Vec::new() }
    }
}

impl<const MIN: usize, const MAX: usize, const IDS: usize, const SLOTS: usize> std::fmt::Debug
    for PieceTable<MIN, MAX, IDS, SLOTS>
{
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PieceTable").field("owner", &self.owner).field("slots", &self.entries.len()).finish()
    }
}

/// Slot of a piece among `slots` (a power of two): its bytes folded eight at a time, then
/// multiplied (a hash for spreading pieces over slots, never trusted for equality).
#[inline(always)]
fn slot(piece: &[u8], slots: usize) -> usize {
    let mut h = piece.len() as u64;
    let mut chunks = piece.chunks_exact(8);
    for chunk in &mut chunks {
        let word = u64::from_le_bytes(chunk.try_into().unwrap_or_default());
        h = (h ^ word).wrapping_mul(0x9E37_79B9_7F4A_7C15).rotate_left(29);
    }
    let mut tail = [0u8; 8];
    tail[..chunks.remainder().len()].copy_from_slice(chunks.remainder());
    h = (h ^ u64::from_le_bytes(tail)).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    (h >> (64 - slots.trailing_zeros())) as usize
}

impl<const MIN: usize, const MAX: usize, const IDS: usize, const SLOTS: usize> PieceTable<MIN, MAX, IDS, SLOTS> {
    /// Whether a piece of this many bytes is one the table holds.
    #[inline(always)]
    pub fn holds(len: usize) -> bool {
        (MIN..=MAX).contains(&len)
    }

    /// Makes the table that of model `owner`, emptying it if it held another's; the entries are
    /// allocated here, on a thread's first piece of these lengths.
    #[inline]
    pub fn claim(&mut self, owner: u64) {
        if self.owner != owner {
            self.entries.clear();
            self.entries.resize(SLOTS, Entry::EMPTY);
            self.owner = owner;
        }
    }

    /// Whether the table is allocated and holds model `owner`'s encodings.
    #[cfg(test)]
    pub fn is_claimed_by(&self, owner: u64) -> bool {
        self.owner == owner && self.entries.len() == SLOTS
    }

    /// Starts loading the entry of `piece` (both its lines), without waiting for it; nothing
    /// for a piece of a length the table does not hold.
    #[inline(always)]
    pub fn prefetch(&self, piece: &[u8]) {
        if !Self::holds(piece.len()) {
            return;
        }
        if let Some(entry) = self.entries.get(slot(piece, SLOTS)) {
            crate::utils::prefetch::prefetch(entry);
            crate::utils::prefetch::prefetch(&entry.ids[IDS - 1]);
        }
    }

    /// The ids of `piece`, if cached (call `claim` first).
    #[inline]
    pub fn ids(&self, piece: &[u8]) -> Option<&[u32]> {
        let entry = self.entries.get(slot(piece, SLOTS))?;
        let len = entry.len as usize;
        if len != piece.len() || entry.bytes.get(..len)? != piece {
            return None;
        }
        entry.ids.get(..entry.count as usize)
    }

    /// Remembers the encoding of `piece` (call `claim` first); pieces outside `holds` and
    /// encodings of more than `IDS` tokens are not kept.
    pub fn insert(&mut self, piece: &[u8], ids: impl ExactSizeIterator<Item = u32>) {
        if !Self::holds(piece.len()) || ids.len() > IDS || ids.len() == 0 || piece.len() > u16::MAX as usize {
            return;
        }
        let at = slot(piece, SLOTS);
        let Some(entry) = self.entries.get_mut(at) else { return };
        let mut new = Entry::EMPTY;
        new.len = piece.len() as u16;
        new.count = ids.len() as u16;
        new.bytes[..piece.len()].copy_from_slice(piece);
        for (slot, id) in new.ids.iter_mut().zip(ids) {
            *slot = id;
        }
        *entry = new;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gives_back_exactly_what_was_put_and_forgets_on_another_model() {
        let mut cache = LongerPieces::default();
        cache.claim(3);
        let piece = b"a_long_identifier_name";
        assert_eq!(cache.ids(piece), None);
        cache.insert(piece, [5, 6, 7].into_iter());
        assert_eq!(cache.ids(piece), Some(&[5, 6, 7][..]));
        // Same length, one byte different: never the other piece's ids.
        assert_eq!(cache.ids(b"a_long_identifier_namf"), None);
        // Outside the lengths held, or too many tokens: not kept.
        cache.insert(b"fifteen bytes!!", [1].into_iter());
        assert_eq!(cache.ids(b"fifteen bytes!!"), None);
        let long = [b'x'; LONGER_MAX_BYTES + 1];
        cache.insert(&long, [1].into_iter());
        assert_eq!(cache.ids(&long), None);
        let many = [b'y'; 40];
        cache.insert(&many, 0..LONGER_MAX_TOKENS as u32 + 1);
        assert_eq!(cache.ids(&many), None);
        let most = [b'z'; LONGER_MAX_BYTES];
        cache.insert(&most, 0..LONGER_MAX_TOKENS as u32);
        assert_eq!(cache.ids(&most).map(<[u32]>::len), Some(LONGER_MAX_TOKENS));
        cache.claim(4);
        assert_eq!(cache.ids(piece), None);
    }

    #[test]
    fn a_piece_overwritten_by_its_slot_neighbour_is_a_miss_not_a_wrong_answer() {
        let mut cache = LongerPieces::default();
        cache.claim(1);
        let pieces: Vec<Vec<u8>> = (0..3 * LONGER_SLOTS).map(|i| format!("piece number {i:08}").into_bytes()).collect();
        for (i, p) in pieces.iter().enumerate() {
            cache.insert(p, std::iter::once(i as u32));
        }
        let mut hits = 0;
        for (i, p) in pieces.iter().enumerate() {
            if let Some(ids) = cache.ids(p) {
                assert_eq!(ids, &[i as u32]);
                hits += 1;
            }
        }
        assert!(hits > 0 && hits <= LONGER_SLOTS);
    }

    #[test]
    fn long_pieces_hold_49_to_256_bytes_and_up_to_64_tokens() {
        let mut cache = LongPieces::default();
        cache.claim(9);
        let border = format!("+{}+{}+\n", "-".repeat(40), "-".repeat(30)).into_bytes();
        cache.insert(&border, 100..140);
        assert_eq!(cache.ids(&border), Some(&(100..140).collect::<Vec<u32>>()[..]));
        let mut other = border.clone();
        other[20] = b'=';
        assert_eq!(cache.ids(&other), None);
        for len in [LONGER_MAX_BYTES, 257] {
            let piece = vec![b'-'; len];
            cache.insert(&piece, [1].into_iter());
            assert_eq!(cache.ids(&piece), None, "{len} bytes");
        }
        let biggest = vec![b'#'; 256];
        cache.insert(&biggest, 0..65);
        assert_eq!(cache.ids(&biggest), None, "65 tokens");
        cache.insert(&biggest, 0..64);
        assert_eq!(cache.ids(&biggest).map(<[u32]>::len), Some(64));
    }
}
