//! Bytes-like arguments (bytes, memoryview, bytearray, mmap) read without a copy where that is
//! safe: the corpus readers hand the core a `memoryview` of the block they read, cut at its last
//! newline, instead of slicing a new `bytes` of several megabytes per batch.

use pyo3::buffer::PyBuffer;
use pyo3::exceptions::PyTypeError;
use pyo3::prelude::*;
use pyo3::types::PyBytes;

/// The bytes of one argument, for as long as the call holds it.
pub enum ByteView<'py> {
    /// A `bytes` object: immutable, borrowed.
    Bytes(Bound<'py, PyBytes>),
    /// A read-only, C-contiguous buffer (a memoryview of `bytes`, an `mmap` opened read-only):
    /// the export keeps its memory alive and unmovable until the view is dropped.
    ReadOnly(PyBuffer<u8>),
    /// Anything writable (a `bytearray`) is copied: another thread could change it while the
    /// core reads it without the GIL.
    Copied(Vec<u8>),
}

impl<'py> ByteView<'py> {
    pub fn of(data: &Bound<'py, PyAny>, name: &str) -> PyResult<Self> {
        if let Ok(bytes) = data.cast::<PyBytes>() {
            return Ok(ByteView::Bytes(bytes.clone()));
        }
        let buffer = PyBuffer::<u8>::get(data).map_err(|_| {
            PyTypeError::new_err(format!(
                "{name} must be bytes-like (bytes, memoryview, bytearray), not {}",
                data.get_type().name().map(|n| n.to_string()).unwrap_or_default()
            ))
        })?;
        if buffer.readonly() && buffer.is_c_contiguous() {
            return Ok(ByteView::ReadOnly(buffer));
        }
        Ok(ByteView::Copied(buffer.to_vec(data.py())?))
    }

    pub fn as_slice(&self) -> &[u8] {
        match self {
            ByteView::Bytes(b) => b.as_bytes(),
            // SAFETY: the buffer is read-only, C-contiguous and exported (so neither freed, moved
            // nor resized) until `self` is dropped; its items are bytes.
            ByteView::ReadOnly(b) => unsafe { std::slice::from_raw_parts(b.buf_ptr() as *const u8, b.len_bytes()) },
            ByteView::Copied(v) => v,
        }
    }
}
