//! How output rows are written: through the cache for outputs the caller will read soon, with
//! streaming stores for outputs too large to stay cached (x86-64; elsewhere always cached).

/// Outputs at least this large are streamed. Half of a typical server L3 (32 MB on the machines
/// we measured): above it the start of the output is evicted before the end is written, so
/// caching it only costs the read-for-ownership and pushes the table rows out.
pub const STREAM_MIN_BYTES: usize = 16 << 20;

/// How many rows ahead the next table row is prefetched: far enough to cover a DRAM miss
/// while the current row (hundreds of bytes to a few KB) is copied.
pub const PREFETCH_ROWS_AHEAD: usize = 4;

/// Cache lines prefetched at the start of a row; the hardware stream prefetcher follows on.
const PREFETCH_LINES: usize = 4;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RowWriter {
    Cached,
    #[cfg(target_arch = "x86_64")]
    Streaming(super::gather_x86::StreamIsa),
}

impl RowWriter {
    /// The writer for an output of `bytes` bytes.
    pub fn for_output(bytes: usize) -> RowWriter {
        #[cfg(target_arch = "x86_64")]
        if bytes >= STREAM_MIN_BYTES {
            return RowWriter::Streaming(super::gather_x86::StreamIsa::detect());
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
            RowWriter::Streaming(isa) => super::gather_x86::copy_streaming(isa, src, dst),
        }
    }

    /// Called by each thread when it has written its rows: makes streamed rows visible in order.
    pub fn finish(self) {
        #[cfg(target_arch = "x86_64")]
        if let RowWriter::Streaming(_) = self {
            super::gather_x86::store_fence();
        }
    }
}

/// Prefetches the first lines of a table row that will be read soon.
#[inline]
pub fn prefetch_row(addr: *const u8) {
    #[cfg(target_arch = "x86_64")]
    for line in 0..PREFETCH_LINES {
        super::gather_x86::prefetch(addr.wrapping_add(line * 64));
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = addr;
}
