//! The scanners' fast path for ASCII text: the classes of 64 bytes at a time as bit masks, so
//! that a piece's end is found with a shift and a trailing-zero count instead of a loop with a
//! branch per byte.
//!
//! A [`Window`] holds, for the bytes `base..base + 64` of the text, one `u64` per class (bit `k`
//! for byte `base + k`). The scanners ask it for the end of a class run from a piece's start; a
//! piece is taken from the masks only when every byte it was decided on (its own, the one that
//! ended it and the two after, which a contraction may read) is an ASCII byte inside the window.
//! Anything else (a non-ASCII byte, the end of the text, a piece running past the window) goes
//! to the scanner's character-by-character path, which gives the same pieces everywhere: the
//! masks are a shortcut for the ASCII part of that path, never a second definition of it. The
//! exceptions to "ASCII": a Latin-1 letter (`ä`, `é`, `ß`: `0xC3` and a second byte) or a
//! Cyrillic one (U+0400..U+047F: `0xD0`/`0xD1` and a second byte) is a letter of its case on
//! both of its bytes, so that the words of German, French, Spanish or Russian stay on the
//! masks (o200k's split of German man pages 787 -> 1108 MB/s, of Russian prose 200 -> 1120).
//!
//! Why masks: a scanner's time goes into the chain from one piece's start to the next (each end
//! is the next start). Walking bytes puts a load and a branch per byte on that chain; a run end
//! from a mask is a few one-cycle instructions. On 64-bit words (not 128) every step is one
//! instruction, which halved the scan time of English prose (285 to 430 MB/s for o200k). A new
//! window is classified when a piece starts in its last 16 bytes, so every byte is classified
//! about 1.3 times (SSE2 compares over 16 bytes on x86-64, which every x86-64 CPU has; a byte
//! loop elsewhere).

/// One bit per byte of the window.
pub type Mask = u64;

/// Bytes the window covers.
pub const WIDTH: usize = 64;
const BLOCK: usize = 64;
/// A piece starting this far into the window or further gets a window of its own: the 16 bytes
/// after a start are then always in view, and most pieces are decided inside them.
const REFRESH: usize = 48;

/// The class masks of 64 bytes.
#[derive(Clone, Copy, Default, Debug, PartialEq, Eq)]
pub struct BlockMasks {
    /// `A-Z`.
    pub upper: u64,
    /// `a-z`.
    pub lower: u64,
    /// `0-9`.
    pub digit: u64,
    /// ASCII `\s`: `\t \n \v \f \r` and space.
    pub space: u64,
    /// `\r` and `\n`.
    pub newline: u64,
    /// `/` (o200k lets it follow the newlines after punctuation).
    pub slash: u64,
    /// ` ` alone (the optional space before punctuation).
    pub blank: u64,
    /// `'` (where contractions start).
    pub quote: u64,
    /// Bytes of `0x80` and above, and the bytes past the end of the text.
    pub non_ascii: u64,
    /// `0xC3`: the first byte of U+00C0..U+00FF (Latin-1 letters, and `×` `÷`).
    pub latin_lead: u64,
    /// Second bytes of the capitals of that block (`0x80..=0x9E` but `0x97`, `×`).
    pub latin_upper: u64,
    /// Second bytes of its small letters (`0x9F..=0xBF` but `0xB7`, `÷`; `ß` and `ÿ` are small).
    pub latin_lower: u64,
    /// `0xD0` and `0xD1`: the first bytes of U+0400..U+047F (Cyrillic letters).
    pub cyrillic_d0: u64,
    pub cyrillic_d1: u64,
    /// Second bytes, `0x80..=0xBF`.
    pub tail: u64,
    /// Bytes `0x80..=0x9F`, and `0x80..=0xAF`: where a Cyrillic letter's second byte falls
    /// decides its case.
    pub below_a0: u64,
    pub below_b0: u64,
    /// Odd bytes (U+0460..U+047F alternate capital, small).
    pub odd: u64,
}

impl BlockMasks {
    /// First bytes of Latin-1 letters (`0xC3` before a second byte of the block), capitals and
    /// small letters.
    #[inline(always)]
    fn latin_first_bytes(&self) -> (Mask, Mask) {
        (self.latin_lead & (self.latin_upper >> 1), self.latin_lead & (self.latin_lower >> 1))
    }

    /// First bytes of Cyrillic letters, capitals and small letters: after `0xD0`, capitals
    /// below `0xB0`; after `0xD1`, small letters below `0xA0`, then odd bytes small and even
    /// ones capital. A first byte counts only before a second byte (the text need not be valid
    /// UTF-8), and not in the window's last place.
    #[inline(always)]
    fn cyrillic_first_bytes(&self) -> (Mask, Mask) {
        let followed = (Mask::MAX >> 1) & (self.tail >> 1);
        let (d0, d1) = (self.cyrillic_d0 & followed, self.cyrillic_d1 & followed);
        let d0_upper = self.below_b0 >> 1;
        let d1_upper = !(self.below_a0 | self.odd) >> 1;
        ((d0 & d0_upper) | (d1 & d1_upper), (d0 & !d0_upper) | (d1 & !d1_upper))
    }
}

/// The class masks of a text's bytes `base..base + WIDTH`.
#[derive(Clone, Copy, Debug)]
pub struct Window {
    pub base: usize,
    pub letter: Mask,
    pub upper: Mask,
    pub lower: Mask,
    pub digit: Mask,
    pub space: Mask,
    pub newline: Mask,
    pub slash: Mask,
    pub blank: Mask,
    pub quote: Mask,
    /// `[^\s\p{L}\p{N}]` on ASCII: punctuation, symbols and controls.
    pub punct: Mask,
    pub non_ascii: Mask,
}

impl Window {
    /// The window of `bytes` starting at `base`.
    #[inline]
    pub fn at(bytes: &[u8], base: usize) -> Window {
        Window::from_block(base, classify(bytes, base))
    }

    fn from_block(base: usize, block: BlockMasks) -> Window {
        // A Latin-1 letter (two bytes, `0xC3` and a second byte) counts as a letter of its case
        // on both bytes, so that German, French or Spanish words stay on the masks' path: a run
        // of letters, and o200k's capital after a small letter, start only at a first byte. A
        // first byte in the window's last place (its second byte unseen) stays non-ASCII.
        // Cyrillic (U+0400..U+047F) likewise. Both are computed only when the block has their
        // first bytes (a longer chain into every window costs English a quarter of its speed).
        let (mut upper, mut lower) = (block.upper, block.lower);
        if block.latin_lead != 0 {
            let (first_upper, first_lower) = block.latin_first_bytes();
            upper |= first_upper | first_upper << 1;
            lower |= first_lower | first_lower << 1;
        }
        if (block.cyrillic_d0 | block.cyrillic_d1) & (Mask::MAX >> 1) != 0 {
            let (first_upper, first_lower) = block.cyrillic_first_bytes();
            upper |= first_upper | first_upper << 1;
            lower |= first_lower | first_lower << 1;
        }
        let non_ascii = block.non_ascii & !(upper | lower);
        let letter = upper | lower;
        Window {
            base,
            letter,
            upper,
            lower,
            digit: block.digit,
            space: block.space,
            newline: block.newline,
            slash: block.slash,
            blank: block.blank,
            quote: block.quote,
            punct: !(letter | block.digit | block.space | non_ascii),
            non_ascii,
        }
    }

    /// Makes the window hold byte `at` in its first `REFRESH` bytes (a new window starting at
    /// `at` when it does not).
    #[inline(always)]
    pub fn reach(&mut self, bytes: &[u8], at: usize) {
        if at - self.base >= REFRESH {
            *self = Window::at(bytes, at);
        }
    }

    /// End (offset in the window) of the run of `mask` bits from offset `from`; `WIDTH` or more
    /// when the run reaches the window's end (also when `from` is already there).
    #[inline(always)]
    pub fn run(mask: Mask, from: usize) -> usize {
        from + (!mask).checked_shr(from as u32).unwrap_or(0).trailing_zeros() as usize
    }

    /// The bits `from..to` (`from <= to <= WIDTH`).
    #[inline(always)]
    pub fn span(from: usize, to: usize) -> Mask {
        if to >= WIDTH {
            Mask::MAX >> from << from
        } else {
            ((1 << to) - 1) >> from << from
        }
    }

    /// Whether bit `k` of `mask` is set (`k < WIDTH`).
    #[inline(always)]
    pub fn has(mask: Mask, k: usize) -> bool {
        (mask >> k) & 1 != 0
    }

    /// The piece `from..end` (offsets) as an absolute end, if every byte of `from..=end + 2` is
    /// ASCII text inside the window: the bytes the piece was decided on, with the one that
    /// ended it and two more (a contraction reads three). Else `None`: the caller takes the
    /// character path.
    #[inline(always)]
    pub fn checked(&self, from: usize, end: usize) -> Option<usize> {
        let last = end + 2;
        if last >= WIDTH {
            return None;
        }
        let span = (Mask::MAX >> (WIDTH - 1 - last)) >> from << from;
        (self.non_ascii & span == 0).then_some(self.base + end)
    }

    /// The white-space alternatives of cl100k and o200k (`\s*[\r\n]+|\s+(?!\S)|\s+`) at `at`, a
    /// white-space byte, checked: up to the last newline of the run if it has one, else as
    /// [`Window::space_piece_without_newlines`]. The whole run and the byte after it must be
    /// ASCII text in the window, as where the run ends decides where its last newline is and
    /// whether it ends the text.
    #[inline(always)]
    pub fn space_piece(&self, at: usize) -> Option<usize> {
        let run_end = Window::run(self.space, at);
        let newlines = self.newline & Window::span(at, run_end);
        let end = match newlines {
            0 => self.space_piece_without_newlines(at),
            _ => WIDTH - newlines.leading_zeros() as usize,
        };
        self.checked(at, end.max(run_end))?;
        Some(self.base + end)
    }

    /// `\s+(?!\S)|\s+` at `at` (a white-space byte), unchecked, for a run the text goes on
    /// after: all of a one-byte run, else all but its last byte.
    #[inline(always)]
    pub fn space_piece_without_newlines(&self, at: usize) -> usize {
        let end = Window::run(self.space, at);
        if end - at == 1 {
            end
        } else {
            end - 1
        }
    }
}

/// The class masks of `bytes[at..at + 64]`; bytes past the end read as non-ASCII.
#[inline(always)]
fn classify(bytes: &[u8], at: usize) -> BlockMasks {
    match bytes.get(at..at + BLOCK) {
        Some(block) => classify_block(block.try_into().expect("64 bytes")),
        None => {
            let mut padded = [0x80u8; BLOCK];
            if let Some(rest) = bytes.get(at..) {
                padded[..rest.len()].copy_from_slice(rest);
            }
            classify_block(&padded)
        }
    }
}

#[cfg(target_arch = "x86_64")]
#[inline(always)]
fn classify_block(block: &[u8; BLOCK]) -> BlockMasks {
    // The standard library caches what the CPU has: each check is a load and a predictable
    // branch, against 30-150 vector instructions for the block.
    if std::arch::is_x86_feature_detected!("avx512bw") {
        // SAFETY: the CPU has AVX-512BW (checked just above).
        return unsafe { classify_block_avx512(block) };
    }
    if std::arch::is_x86_feature_detected!("avx2") {
        // SAFETY: the CPU has AVX2 (checked just above).
        return unsafe { classify_block_avx2(block) };
    }
    classify_block_sse2(block)
}

/// `classify_block` with one 64-byte register: each class is one or two compares straight
/// into a mask register, where SSE2 needs four 16-byte lanes, a movemask per class and lane,
/// and shifts to join them.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512bw")]
unsafe fn classify_block_avx512(block: &[u8; BLOCK]) -> BlockMasks {
    use std::arch::x86_64::*;
    let v = _mm512_loadu_si512(block.as_ptr() as *const __m512i);
    let splat = |b: u8| _mm512_set1_epi8(b as i8);
    // Unsigned: `v - lo < hi - lo + 1` holds exactly for bytes in lo..=hi.
    let within = |lo: u8, hi: u8| _mm512_cmplt_epu8_mask(_mm512_sub_epi8(v, splat(lo)), splat(hi - lo + 1));
    let eq = |b: u8| _mm512_cmpeq_epi8_mask(v, splat(b));
    let blank = eq(b' ');
    BlockMasks {
        upper: within(b'A', b'Z'),
        lower: within(b'a', b'z'),
        digit: within(b'0', b'9'),
        space: within(b'\t', b'\r') | blank,
        newline: eq(b'\n') | eq(b'\r'),
        slash: eq(b'/'),
        blank,
        quote: eq(b'\''),
        non_ascii: _mm512_movepi8_mask(v),
        latin_lead: eq(0xC3),
        latin_upper: within(0x80, 0x9E) & !eq(0x97),
        latin_lower: within(0x9F, 0xBF) & !eq(0xB7),
        cyrillic_d0: eq(0xD0),
        cyrillic_d1: eq(0xD1),
        tail: within(0x80, 0xBF),
        below_a0: within(0x80, 0x9F),
        below_b0: within(0x80, 0xAF),
        odd: _mm512_test_epi8_mask(v, splat(1)),
    }
}

/// `classify_block` over two 32-byte lanes (as `classify_block_sse2` over four).
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
unsafe fn classify_block_avx2(block: &[u8; BLOCK]) -> BlockMasks {
    use std::arch::x86_64::*;
    let mut masks = BlockMasks::default();
    for lane in 0..2 {
        // SAFETY: the load reads 32 bytes inside `block` (unaligned load).
        let v = unsafe { _mm256_loadu_si256(block.as_ptr().add(32 * lane) as *const __m256i) };
        let splat = |b: u8| _mm256_set1_epi8(b as i8);
        // Signed compares: bytes of 0x80 and above are negative and fall in no range.
        let within =
            |lo: u8, hi: u8| _mm256_and_si256(_mm256_cmpgt_epi8(v, splat(lo - 1)), _mm256_cmpgt_epi8(splat(hi + 1), v));
        let eq = |b: u8| _mm256_cmpeq_epi8(v, splat(b));
        let mask = |m: __m256i| (_mm256_movemask_epi8(m) as u32 as u64) << (32 * lane);
        masks.upper |= mask(within(b'A', b'Z'));
        masks.lower |= mask(within(b'a', b'z'));
        masks.digit |= mask(within(b'0', b'9'));
        masks.space |= mask(_mm256_or_si256(within(b'\t', b'\r'), eq(b' ')));
        masks.newline |= mask(_mm256_or_si256(eq(b'\n'), eq(b'\r')));
        masks.slash |= mask(eq(b'/'));
        masks.blank |= mask(eq(b' '));
        masks.quote |= mask(eq(b'\''));
        masks.non_ascii |= mask(v);
        // Second bytes as signed bytes: 0x80..=0x9E is below -97, 0x9F..=0xBF from -97 to -65.
        let below = |b: u8| _mm256_cmpgt_epi8(splat(b), v);
        masks.latin_lead |= mask(eq(0xC3));
        masks.latin_upper |= mask(_mm256_andnot_si256(eq(0x97), below(0x9F)));
        masks.latin_lower |= mask(_mm256_andnot_si256(eq(0xB7), _mm256_andnot_si256(below(0x9F), below(0xC0))));
        masks.cyrillic_d0 |= mask(eq(0xD0));
        masks.cyrillic_d1 |= mask(eq(0xD1));
        masks.tail |= mask(below(0xC0));
        masks.below_a0 |= mask(below(0xA0));
        masks.below_b0 |= mask(below(0xB0));
        masks.odd |= mask(_mm256_slli_epi16::<7>(v));
    }
    masks
}

#[cfg(target_arch = "x86_64")]
#[inline(always)]
fn classify_block_sse2(block: &[u8; BLOCK]) -> BlockMasks {
    use std::arch::x86_64::*;
    let mut masks = BlockMasks::default();
    for lane in 0..4 {
        // SAFETY: SSE2 is part of x86-64; the load reads 16 bytes inside `block` (unaligned
        // load).
        let bits = unsafe {
            let v = _mm_loadu_si128(block.as_ptr().add(16 * lane) as *const __m128i);
            let splat = |b: u8| _mm_set1_epi8(b as i8);
            // Signed compares: bytes of 0x80 and above are negative and fall in no range.
            let within = |v: __m128i, lo: u8, hi: u8| {
                _mm_and_si128(_mm_cmpgt_epi8(v, splat(lo - 1)), _mm_cmpgt_epi8(splat(hi + 1), v))
            };
            let eq = |b: u8| _mm_cmpeq_epi8(v, splat(b));
            let mask = |m: __m128i| _mm_movemask_epi8(m) as u16 as u64;
            let newline = _mm_or_si128(eq(b'\n'), eq(b'\r'));
            let space = _mm_or_si128(within(v, b'\t', b'\r'), eq(b' '));
            [
                mask(within(v, b'A', b'Z')),
                mask(within(v, b'a', b'z')),
                mask(within(v, b'0', b'9')),
                mask(space),
                mask(newline),
                mask(eq(b'/')),
                mask(eq(b' ')),
                mask(eq(b'\'')),
                mask(v),
                mask(eq(0xC3)),
                // Second bytes as signed bytes: 0x80..=0x9E is below -97, 0x9F..=0xBF from -97
                // to -65.
                mask(_mm_andnot_si128(eq(0x97), _mm_cmpgt_epi8(splat(0x9F), v))),
                mask(_mm_andnot_si128(
                    eq(0xB7),
                    _mm_andnot_si128(_mm_cmpgt_epi8(splat(0x9F), v), _mm_cmpgt_epi8(splat(0xC0), v)),
                )),
                mask(eq(0xD0)),
                mask(eq(0xD1)),
                mask(_mm_cmpgt_epi8(splat(0xA0), v)),
                mask(_mm_cmpgt_epi8(splat(0xB0), v)),
                mask(_mm_cmpgt_epi8(splat(0xC0), v)),
                // Bit 0 moved to each byte's top bit, which movemask reads (a 16-bit shift: a
                // byte's bit 0 lands in its own bit 7).
                mask(_mm_slli_epi16::<7>(v)),
            ]
        };
        let shift = 16 * lane;
        masks.upper |= bits[0] << shift;
        masks.lower |= bits[1] << shift;
        masks.digit |= bits[2] << shift;
        masks.space |= bits[3] << shift;
        masks.newline |= bits[4] << shift;
        masks.slash |= bits[5] << shift;
        masks.blank |= bits[6] << shift;
        masks.quote |= bits[7] << shift;
        masks.non_ascii |= bits[8] << shift;
        masks.latin_lead |= bits[9] << shift;
        masks.latin_upper |= bits[10] << shift;
        masks.latin_lower |= bits[11] << shift;
        masks.cyrillic_d0 |= bits[12] << shift;
        masks.cyrillic_d1 |= bits[13] << shift;
        masks.below_a0 |= bits[14] << shift;
        masks.below_b0 |= bits[15] << shift;
        masks.tail |= bits[16] << shift;
        masks.odd |= bits[17] << shift;
    }
    masks
}

#[cfg(not(target_arch = "x86_64"))]
#[inline(always)]
fn classify_block(block: &[u8; BLOCK]) -> BlockMasks {
    classify_bytes(block)
}

/// The masks by one byte at a time: the definition the SIMD version is tested against.
#[cfg_attr(target_arch = "x86_64", allow(dead_code))]
fn classify_bytes(block: &[u8; BLOCK]) -> BlockMasks {
    let mut masks = BlockMasks::default();
    for (k, &b) in block.iter().enumerate() {
        let bit = 1u64 << k;
        let set = |mask: &mut u64, yes: bool| *mask |= if yes { bit } else { 0 };
        set(&mut masks.upper, b.is_ascii_uppercase());
        set(&mut masks.lower, b.is_ascii_lowercase());
        set(&mut masks.digit, b.is_ascii_digit());
        set(&mut masks.space, matches!(b, b'\t'..=b'\r' | b' '));
        set(&mut masks.newline, matches!(b, b'\n' | b'\r'));
        set(&mut masks.slash, b == b'/');
        set(&mut masks.blank, b == b' ');
        set(&mut masks.quote, b == b'\'');
        set(&mut masks.non_ascii, b >= 0x80);
        set(&mut masks.latin_lead, b == 0xC3);
        set(&mut masks.latin_upper, matches!(b, 0x80..=0x9E) && b != 0x97);
        set(&mut masks.latin_lower, matches!(b, 0x9F..=0xBF) && b != 0xB7);
        set(&mut masks.cyrillic_d0, b == 0xD0);
        set(&mut masks.cyrillic_d1, b == 0xD1);
        set(&mut masks.tail, matches!(b, 0x80..=0xBF));
        set(&mut masks.below_a0, matches!(b, 0x80..=0x9F));
        set(&mut masks.below_b0, matches!(b, 0x80..=0xAF));
        set(&mut masks.odd, b & 1 == 1);
    }
    masks
}

#[cfg(test)]
mod tests {
    use super::super::classes::{classes, Class};
    use super::*;

    /// The masks of `block` from every variant this CPU runs, which must agree with the byte
    /// loop.
    fn classified(block: &[u8; BLOCK]) -> BlockMasks {
        let masks = classify_bytes(block);
        assert_eq!(classify_block(block), masks, "{block:?}");
        #[cfg(target_arch = "x86_64")]
        {
            assert_eq!(classify_block_sse2(block), masks, "SSE2: {block:?}");
            if std::arch::is_x86_feature_detected!("avx2") {
                // SAFETY: the CPU has AVX2.
                assert_eq!(unsafe { classify_block_avx2(block) }, masks, "AVX2: {block:?}");
            }
            if std::arch::is_x86_feature_detected!("avx512bw") {
                // SAFETY: the CPU has AVX-512BW.
                assert_eq!(unsafe { classify_block_avx512(block) }, masks, "AVX-512: {block:?}");
            }
        }
        masks
    }

    #[test]
    fn masks_agree_with_the_class_table_on_every_byte_and_position() {
        let table = classes();
        for b in 0..=255u8 {
            for k in [0, 1, 15, 16, 31, 47, 62, 63] {
                let mut block = [b'x'; BLOCK];
                block[k] = b;
                let masks = classified(&block);
                let window = Window::from_block(0, masks);
                let bit = |m: Mask| Window::has(m, k);
                if b >= 0x80 {
                    assert!(bit(window.non_ascii) && !bit(window.punct) && !bit(window.letter), "{b:#x}");
                    continue;
                }
                let class = table.ascii(b);
                assert_eq!(bit(window.letter), class.is_letter(), "{b:#x}");
                assert_eq!(bit(window.upper), class.is_o200k_upper(), "{b:#x}");
                assert_eq!(bit(window.lower), class.is_o200k_lower(), "{b:#x}");
                assert_eq!(bit(window.digit), class == Class::Number, "{b:#x}");
                assert_eq!(bit(window.space), class == Class::Space, "{b:#x}");
                assert_eq!(bit(window.punct), class.is_punct(), "{b:#x}");
                assert_eq!(bit(window.newline), b == b'\n' || b == b'\r', "{b:#x}");
                assert_eq!(bit(window.slash), b == b'/', "{b:#x}");
                assert_eq!(bit(window.blank), b == b' ', "{b:#x}");
                assert_eq!(bit(window.quote), b == b'\'', "{b:#x}");
            }
        }
    }

    #[test]
    fn latin_and_cyrillic_letters_take_their_class_on_both_bytes() {
        let table = classes();
        for cp in (0xC0u32..=0xFF).chain(0x400..=0x47F) {
            let c = char::from_u32(cp).expect("a character");
            let class = table.of(cp);
            for k in [0, 1, 15, 31, 32, 47, 62] {
                let mut block = [b'x'; BLOCK];
                c.encode_utf8(&mut block[k..k + 2]);
                let masks = classified(&block);
                let window = Window::from_block(0, masks);
                for bit in [k, k + 1] {
                    let has = |m: Mask| Window::has(m, bit);
                    assert_eq!(has(window.letter), class.is_letter(), "{c} at {k}");
                    assert_eq!(has(window.upper), class.is_o200k_upper(), "{c} at {k}");
                    assert_eq!(has(window.lower), class.is_o200k_lower(), "{c} at {k}");
                    assert_eq!(has(window.non_ascii), !class.is_letter(), "{c} at {k}");
                    assert!(!has(window.punct), "{c} at {k}");
                }
            }
            // Its second byte past the window: unseen, so not a letter yet.
            let mut block = [b'x'; BLOCK + 1];
            c.encode_utf8(&mut block[BLOCK - 1..]);
            let window = Window::at(&block, 0);
            assert!(Window::has(window.non_ascii, BLOCK - 1) && !Window::has(window.letter, BLOCK - 1), "{c}");
        }
    }

    #[test]
    fn a_window_moved_on_equals_one_built_there() {
        let text: Vec<u8> = (0..1000u32).map(|i| b" aZ9/\n\t.\xC3"[(i * 7 % 9) as usize]).collect();
        let mut moved = Window::at(&text, 0);
        for at in (0..text.len()).step_by(13) {
            moved.reach(&text, at);
            let fresh = Window::at(&text, moved.base);
            assert!(at - moved.base < REFRESH);
            let fields = |w: &Window| {
                [
                    w.letter,
                    w.upper,
                    w.lower,
                    w.digit,
                    w.space,
                    w.newline,
                    w.slash,
                    w.blank,
                    w.quote,
                    w.punct,
                    w.non_ascii,
                ]
            };
            assert_eq!(fields(&moved), fields(&fresh), "at {at}");
        }
    }

    #[test]
    fn checked_refuses_non_ascii_and_the_window_end() {
        let mut text = vec![b'a'; 200];
        text[10] = 0xC3;
        let window = Window::at(&text, 0);
        assert_eq!(window.checked(0, 7), Some(7));
        assert_eq!(window.checked(0, 8), None, "byte 10 is read by a contraction after 8");
        assert_eq!(window.checked(11, 20), Some(20));
        assert_eq!(window.checked(40, 61), Some(61));
        assert_eq!(window.checked(40, 62), None);
        assert_eq!(Window::at(&text, 100).checked(0, 61), Some(161));
        let short = Window::at(b"ab", 0);
        assert_eq!(short.checked(0, 0), None, "past the end reads as non-ASCII");
    }
}
