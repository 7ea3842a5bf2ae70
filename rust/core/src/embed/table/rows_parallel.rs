//! Splitting an output made of rows among the threads of our pool (`crate::utils::parallel`).

use crate::embed::table::dtype::FloatSliceMut;
use crate::utils::parallel;
use rayon::prelude::*;

/// Outputs smaller than this are written on the calling thread: handing work to the pool costs
/// tens of microseconds, about what writing this much takes.
pub const PARALLEL_MIN_BYTES: usize = 1 << 20;

/// Calls `work(first_row, chunk)` on consecutive chunks of whole rows of `out` (rows of `dim`
/// elements), on the pool's threads when the output is large enough to pay for them.
pub fn for_each_row_chunk<'a>(
    out: FloatSliceMut<'a>,
    dim: usize,
    work: impl Fn(usize, FloatSliceMut<'a>) + Sync + Send,
) {
    let dim = dim.max(1);
    let rows = out.len() / dim;
    let bytes = out.len() * out.kind().size_bytes();
    let threads = parallel::num_threads().max(1);
    if threads == 1 || bytes < PARALLEL_MIN_BYTES || rows < 2 {
        work(0, out);
        return;
    }
    // Several chunks per thread even out chunks whose rows miss the cache more than others.
    let chunk_rows = rows.div_ceil(threads * 4).max(1);
    let chunks = out.into_chunks(chunk_rows * dim);
    parallel::run(|| chunks.into_par_iter().enumerate().for_each(|(c, chunk)| work(c * chunk_rows, chunk)));
}
