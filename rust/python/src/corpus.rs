//! Reading corpora: what the Python readers ask of the core line by line.

use pyo3::prelude::*;

/// The string under `key` in the JSON object on `line` as the core's JSON Lines reader takes it,
/// or None when the line is not that plain (the careful reader's case).
#[pyfunction]
pub fn jsonl_text(py: Python<'_>, line: &[u8], key: &str) -> Option<String> {
    py.detach(|| tokembed_core::corpus::jsonl::text_of_line(line, key))
}
