//! Reading corpora: what the Python readers ask of the core line by line.

use crate::byte_views::ByteView;
use pyo3::prelude::*;

/// The string under `key` in the JSON object on `line` as the core's JSON Lines reader takes it,
/// or None when the line is not that plain (the careful reader's case).
#[pyfunction]
pub fn jsonl_text(py: Python<'_>, line: &[u8], key: &str) -> Option<String> {
    py.detach(|| tokembed_core::corpus::jsonl::text_of_line(line, key))
}

/// How many `\n` bytes `data` (any bytes-like object) holds: `bytes.count(b"\n")`, with
/// `memchr` (the reader numbers the lines of every chunk it reads, and the count was a fifth of
/// its time).
#[pyfunction]
pub fn count_newlines(py: Python<'_>, data: &Bound<'_, PyAny>) -> PyResult<usize> {
    let view = ByteView::of(data, "data")?;
    let data = view.as_slice();
    Ok(py.detach(|| tokembed_core::corpus::jsonl::count_newlines(data)))
}
