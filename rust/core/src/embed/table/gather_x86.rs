//! x86-64 row copies with non-temporal (streaming) stores, in the widest vectors the CPU has.
//!
//! An output much larger than the last-level cache would be evicted before anyone reads it, and
//! every ordinary store to it first reads the line it writes (read-for-ownership): a third of
//! the memory traffic of a gather is wasted that way. Streaming stores write whole lines
//! straight to memory and leave the cache to the table rows. They need aligned addresses, so
//! each row is copied as an unaligned head (ordinary copy), an aligned body (streamed) and a
//! tail (ordinary copy). Streamed data is only ordered for other threads after `store_fence`.

use std::arch::x86_64::*;

/// The vector width used for streaming. SSE2 is part of x86-64, so some width always exists.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StreamIsa {
    Sse2,
    Avx2,
    Avx512,
}

impl StreamIsa {
    pub fn detect() -> StreamIsa {
        if is_x86_feature_detected!("avx512f") {
            StreamIsa::Avx512
        } else if is_x86_feature_detected!("avx2") {
            StreamIsa::Avx2
        } else {
            StreamIsa::Sse2
        }
    }

    /// Every width this CPU can run, for tests that compare them.
    pub fn available() -> Vec<StreamIsa> {
        let mut all = vec![StreamIsa::Sse2];
        if is_x86_feature_detected!("avx2") {
            all.push(StreamIsa::Avx2);
        }
        if is_x86_feature_detected!("avx512f") {
            all.push(StreamIsa::Avx512);
        }
        all
    }
}

/// Copies `src` to `dst` (same length), streaming the aligned part.
pub fn copy_streaming(isa: StreamIsa, src: &[u8], dst: &mut [u8]) {
    assert_eq!(src.len(), dst.len(), "streaming copy of rows of different sizes");
    // SAFETY: each function only runs on a CPU with its features: Avx512 and Avx2 are only
    // produced by `detect`/`available` after run-time detection, and SSE2 is baseline x86-64.
    // Lengths are equal (asserted above), which is all the functions rely on.
    unsafe {
        match isa {
            StreamIsa::Avx512 => copy_avx512(src, dst),
            StreamIsa::Avx2 => copy_avx2(src, dst),
            StreamIsa::Sse2 => copy_sse2(src, dst),
        }
    }
}

/// Orders this thread's streaming stores before its later stores (the hand-off to the caller).
pub fn store_fence() {
    // SAFETY: SSE is baseline on x86-64; the fence has no memory operands.
    #[allow(unused_unsafe)]
    unsafe {
        _mm_sfence()
    }
}

/// Asks for the cache line at `addr` to be brought into L2 ahead of use. A hint only: it never
/// faults, so any address is allowed.
pub fn prefetch_l2(addr: *const u8) {
    // SAFETY: prefetch instructions do not access memory architecturally and cannot fault.
    #[allow(unused_unsafe)]
    unsafe {
        _mm_prefetch::<_MM_HINT_T1>(addr.cast::<i8>())
    }
}

/// Splits `dst` into (head, body, tail) lengths: body starts at an `align`-byte boundary and is a
/// multiple of `align` long.
fn split_aligned(dst: &[u8], align: usize) -> (usize, usize) {
    let head = dst.as_ptr().align_offset(align).min(dst.len());
    let body = (dst.len() - head) / align * align;
    (head, body)
}

macro_rules! streaming_copy {
    ($name:ident, $feature:literal, $width:literal, $load:ident, $stream:ident) => {
        #[target_feature(enable = $feature)]
        unsafe fn $name(src: &[u8], dst: &mut [u8]) {
            let (head, body) = split_aligned(dst, $width);
            dst[..head].copy_from_slice(&src[..head]);
            let s = src.as_ptr().add(head);
            let d = dst.as_mut_ptr().add(head);
            let mut i = 0;
            // Four vectors per step: loads issue back to back before the stores.
            while i + 4 * $width <= body {
                let a = $load(s.add(i).cast());
                let b = $load(s.add(i + $width).cast());
                let c = $load(s.add(i + 2 * $width).cast());
                let e = $load(s.add(i + 3 * $width).cast());
                $stream(d.add(i).cast(), a);
                $stream(d.add(i + $width).cast(), b);
                $stream(d.add(i + 2 * $width).cast(), c);
                $stream(d.add(i + 3 * $width).cast(), e);
                i += 4 * $width;
            }
            while i < body {
                $stream(d.add(i).cast(), $load(s.add(i).cast()));
                i += $width;
            }
            dst[head + body..].copy_from_slice(&src[head + body..]);
        }
    };
}

// SAFETY (all three): `d + i` is `$width`-aligned and `i + $width <= body <= len - head`, so
// every vector read from `src` and streamed to `dst` lies inside the slices (same length).
streaming_copy!(copy_avx512, "avx512f", 64, _mm512_loadu_si512, _mm512_stream_si512);
streaming_copy!(copy_avx2, "avx2", 32, _mm256_loadu_si256, _mm256_stream_si256);
streaming_copy!(copy_sse2, "sse2", 16, _mm_loadu_si128, _mm_stream_si128);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_width_copies_every_length_and_alignment() {
        let src: Vec<u8> = (0..700u32).map(|i| (i * 7 + 3) as u8).collect();
        for isa in StreamIsa::available() {
            for offset in 0..70 {
                for len in [0, 1, 15, 16, 17, 63, 64, 65, 255, 256, 257, 513, 600] {
                    let mut buf = vec![0u8; 700 + 64];
                    let dst = &mut buf[offset..offset + len];
                    copy_streaming(isa, &src[3..3 + len], dst);
                    store_fence();
                    assert_eq!(dst, &src[3..3 + len], "{isa:?} offset {offset} len {len}");
                    assert!(buf[..offset].iter().all(|&b| b == 0), "{isa:?} wrote before the row");
                    assert!(buf[offset + len..].iter().all(|&b| b == 0), "{isa:?} wrote past the row");
                }
            }
        }
    }
}
