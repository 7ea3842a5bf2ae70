//! How output rows are written: through the cache for outputs the caller will read soon, with
//! streaming stores for outputs too large to stay cached (x86-64; elsewhere always cached).

/// Outputs at least this large are streamed. Half of a typical server L3 (32 MB on the machines
/// we measured): above it the start of the output is evicted before the end is written, so
/// caching it only costs the read-for-ownership and pushes the table rows out.
pub const STREAM_MIN_BYTES: usize = 16 << 20;

/// How many rows ahead a table row is prefetched. Rows are at random addresses, so the
/// hardware cannot guess them; two rows ahead keeps two whole rows of misses in flight while the
/// current one is copied (measured on 768-float rows: 2 to 3 ahead beat 1, 4 and 8).
pub const PREFETCH_ROWS_AHEAD: usize = 2;

/// At most this many cache lines of a row are prefetched (16 KB): beyond that the hardware
/// stream prefetcher has long caught on.
const PREFETCH_MAX_LINES: usize = 256;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RowWriter {
    Cached,
    #[cfg(target_arch = "x86_64")]
    Streaming(crate::embed::table::gather_x86::StreamIsa),
}

impl RowWriter {
    /// The writer for an output of `bytes` bytes.
    pub fn for_output(bytes: usize) -> RowWriter {
        #[cfg(target_arch = "x86_64")]
        if bytes >= STREAM_MIN_BYTES {
            return RowWriter::Streaming(crate::embed::table::gather_x86::StreamIsa::detect());
        }
        let _ = bytes;
        RowWriter::Cached
    }

    pub fn is_streaming(self) -> bool {
        self != RowWriter::Cached
    }

    /// Copies one row (same length).
    #[inline]
    pub fn copy(self, src: &[u8], dst: &mut [u8]) {
        match self {
            RowWriter::Cached => dst.copy_from_slice(src),
            #[cfg(target_arch = "x86_64")]
            RowWriter::Streaming(isa) => crate::embed::table::gather_x86::copy_streaming(isa, src, dst),
        }
    }

    /// Called by each thread when it has written its rows: makes streamed rows visible in order.
    pub fn finish(self) {
        #[cfg(target_arch = "x86_64")]
        if let RowWriter::Streaming(_) = self {
            crate::embed::table::gather_x86::store_fence();
        }
    }
}

/// Prefetches a table row of `bytes` bytes at `addr` that will be read soon, into L2: it has
/// room for many more outstanding misses than L1 (a whole row's prefetch into L1 measured no
/// faster than four lines).
#[inline]
pub fn prefetch_row(addr: *const u8, bytes: usize) {
    #[cfg(target_arch = "x86_64")]
    for line in 0..bytes.div_ceil(64).min(PREFETCH_MAX_LINES) {
        crate::embed::table::gather_x86::prefetch_l2(addr.wrapping_add(line * 64));
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = (addr, bytes);
}
