//! Borrowing Python strings as `&str` for work done without the GIL.

use pyo3::exceptions::{PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::PyString;

/// Strong references to the strings of a sequence, so they outlive the GIL-free section even
/// if the caller's list is changed by another thread meanwhile.
pub struct Texts<'py> {
    strings: Vec<Bound<'py, PyString>>,
    /// Per string, its UTF-8 when it was made here (see `transcode_in_parallel`); `Some(None)`
    /// for a string with a lone surrogate. `None`: CPython's own UTF-8 is borrowed.
    transcoded: Vec<Option<Option<String>>>,
}

/// Below this many bytes of strings to convert, CPython's own conversion is used: handing them
/// to the thread pool costs more.
const PARALLEL_TRANSCODE_ABOVE: usize = 1 << 16;

impl<'py> Texts<'py> {
    pub fn collect(obj: &Bound<'py, PyAny>, name: &str) -> PyResult<Self> {
        if obj.is_instance_of::<PyString>() {
            return Err(PyTypeError::new_err(format!(
                "{name} must be a sequence of str, not a single str (wrap it in a list)"
            )));
        }
        let mut strings = Vec::with_capacity(obj.len().unwrap_or(0));
        for (i, item) in obj.try_iter()?.enumerate() {
            let item = item?;
            let s = item.cast_into::<PyString>().map_err(|e| {
                let found = e.into_inner().get_type().name().map(|n| n.to_string()).unwrap_or_default();
                PyTypeError::new_err(format!("{name}[{i}] must be str, got {found}"))
            })?;
            strings.push(s);
        }
        let transcoded = transcode_in_parallel(&strings);
        Ok(Texts { strings, transcoded })
    }

    pub fn as_strs(&self, name: &str) -> PyResult<Vec<&str>> {
        let surrogate = |i: usize| lone_surrogate(&format!("{name}[{i}]"));
        (self.strings.iter().enumerate())
            .map(|(i, s)| match self.transcoded.get(i) {
                Some(Some(Some(utf8))) => Ok(utf8.as_str()),
                Some(Some(None)) => Err(surrogate(i)),
                _ => as_str(s, &format!("{name}[{i}]")),
            })
            .collect()
    }
}

/// The code points of a str whose UTF-8 CPython has not made yet, where the pool can read them
/// without the GIL: a str is immutable, and `Texts` holds a reference to it for the whole call.
#[derive(Clone, Copy)]
struct CodePoints {
    index: usize,
    data: *const std::ffi::c_void,
    kind: u32,
    len: usize,
}

// SAFETY: see `CodePoints`: the data is never written while the strings are held, and only
// read here.
unsafe impl Send for CodePoints {}
unsafe impl Sync for CodePoints {}

/// With more than one thread, the UTF-8 of the strings CPython keeps as Latin-1, UCS-2 or UCS-4
/// code points (any non-ASCII text) is made on the thread pool. CPython would make it one string
/// after another on the calling thread: for CJK text that serial step cost a fifth of a two-thread
/// batch. ASCII strings, and those whose UTF-8 CPython already holds, are borrowed as before.
fn transcode_in_parallel(strings: &[Bound<'_, PyString>]) -> Vec<Option<Option<String>>> {
    if tokembed_core::utils::parallel::num_threads() < 2 {
        return Vec::new();
    }
    let pending: Vec<CodePoints> =
        (strings.iter().enumerate()).filter_map(|(index, s)| code_points(index, s)).collect();
    if pending.iter().map(|p| p.len * p.kind as usize).sum::<usize>() < PARALLEL_TRANSCODE_ABOVE {
        return Vec::new();
    }
    let parts = tokembed_core::utils::parallel::map_chunks(&pending, |_, group| {
        // SAFETY: see `CodePoints`.
        Ok(group.iter().map(|p| (p.index, unsafe { utf8_of(p) })).collect::<Vec<_>>())
    });
    let mut transcoded = vec![None; strings.len()];
    for (index, utf8) in parts.into_iter().flatten().flatten() {
        if let Some(slot) = transcoded.get_mut(index) {
            *slot = Some(utf8);
        }
    }
    transcoded
}

/// The code points of `s` when it is a compact str, not ASCII, without a UTF-8 copy yet.
fn code_points(index: usize, s: &Bound<'_, PyString>) -> Option<CodePoints> {
    use pyo3::ffi;
    let op = s.as_ptr();
    // SAFETY: `op` is a live str (held by `s`); these read its header, as CPython's macros do.
    unsafe {
        if ffi::PyUnicode_IS_READY(op) == 0 || ffi::PyUnicode_IS_COMPACT(op) == 0 || ffi::PyUnicode_IS_ASCII(op) != 0 {
            return None;
        }
        // Not ASCII, so the object is at least a `PyCompactUnicodeObject`.
        if !(*(op as *mut ffi::PyCompactUnicodeObject)).utf8.is_null() {
            return None;
        }
        let kind = ffi::PyUnicode_KIND(op);
        let len = usize::try_from(ffi::PyUnicode_GET_LENGTH(op)).ok()?;
        let data = ffi::PyUnicode_DATA(op);
        matches!(kind, 1 | 2 | 4).then_some(CodePoints { index, data, kind, len })
    }
}

/// The UTF-8 of the code points, or `None` if one is a lone surrogate (which has no UTF-8, as
/// CPython's own conversion says).
///
/// # Safety
/// `p.data` must point to `p.len` code points of `p.kind` bytes each, alive and unchanged.
unsafe fn utf8_of(p: &CodePoints) -> Option<String> {
    fn collect(code_points: impl Iterator<Item = u32>, len: usize) -> Option<String> {
        let mut out = String::with_capacity(len * 2);
        for code in code_points {
            out.push(char::from_u32(code)?);
        }
        Some(out)
    }
    match p.kind {
        1 => collect(std::slice::from_raw_parts(p.data as *const u8, p.len).iter().map(|&b| b as u32), p.len),
        2 => collect(std::slice::from_raw_parts(p.data as *const u16, p.len).iter().map(|&u| u as u32), p.len),
        _ => collect(std::slice::from_raw_parts(p.data as *const u32, p.len).iter().copied(), p.len),
    }
}

fn lone_surrogate(name: &str) -> PyErr {
    PyValueError::new_err(format!(
        "{name} contains a lone surrogate (U+D800..U+DFFF), which is not valid text; \
         fix the input or decode it with errors='replace'"
    ))
}

/// The UTF-8 view of a str; lone surrogates cannot be encoded and get a clear ValueError.
pub fn as_str<'a>(s: &'a Bound<'_, PyString>, name: &str) -> PyResult<&'a str> {
    s.to_str().map_err(|_| lone_surrogate(name))
}

pub fn one_str<'py>(obj: &Bound<'py, PyAny>, name: &str) -> PyResult<Bound<'py, PyString>> {
    obj.cast::<PyString>().cloned().map_err(|_| {
        let found = obj.get_type().name().map(|n| n.to_string()).unwrap_or_default();
        PyTypeError::new_err(format!("{name} must be str, got {found}"))
    })
}
