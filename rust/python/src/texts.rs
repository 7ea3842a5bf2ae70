//! Borrowing Python strings as `&str` for work done without the GIL.
//!
//! CPython keeps a str as Latin-1, UCS-2 or UCS-4 code points unless it is ASCII, and makes its
//! UTF-8 the first time a library asks for it, one code point at a time (about 1 GB/s, into new
//! memory that the str then keeps for its whole life). On CJK or Cyrillic documents that was a
//! fifth of a one-thread batch call on the fastest tokenizers. So the code points of such strings
//! are converted here by simdutf (10-17 GB/s on this kind of text), into one buffer that lives as
//! long as the call. ASCII strings, and those whose UTF-8 CPython already holds, are borrowed.

use pyo3::exceptions::{PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::PyString;
use std::ops::Range;

/// Strong references to the strings of a sequence, so they outlive the GIL-free section even
/// if the caller's list is changed by another thread meanwhile, and the UTF-8 made for them.
pub struct Texts<'py> {
    strings: Vec<Bound<'py, PyString>>,
    /// The UTF-8 of the strings converted here, one after another (see `Utf8::Made`).
    made: String,
    /// Per string, where its UTF-8 is; empty when every string is borrowed.
    utf8: Vec<Utf8>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Utf8 {
    /// CPython's own: the str is ASCII, or CPython already holds its UTF-8.
    Borrowed,
    /// `made[range]`.
    Made(Range<usize>),
    /// The str holds a lone surrogate (U+D800..U+DFFF), which has no UTF-8.
    LoneSurrogate,
}

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
        Ok(Texts::of_strings(strings))
    }

    /// The given strings (one text, or a text and its pair).
    pub fn of_strings(strings: Vec<Bound<'py, PyString>>) -> Self {
        let (made, utf8) = convert(&strings);
        Texts { strings, made, utf8 }
    }

    /// The UTF-8 of string `i`; `name` names it in the error for a lone surrogate.
    pub fn str_at(&self, i: usize, name: &str) -> PyResult<&str> {
        match self.utf8.get(i) {
            Some(Utf8::Made(range)) => Ok(self.made.get(range.clone()).unwrap_or_default()),
            Some(Utf8::LoneSurrogate) => Err(lone_surrogate(name)),
            _ => match self.strings.get(i) {
                Some(s) => as_str(s, name),
                None => Err(PyValueError::new_err(format!("{name}: no such string"))),
            },
        }
    }

    pub fn as_strs(&self, name: &str) -> PyResult<Vec<&str>> {
        (0..self.strings.len()).map(|i| self.str_at(i, &format!("{name}[{i}]"))).collect()
    }
}

/// The code points of a str whose UTF-8 CPython has not made yet.
#[derive(Clone, Copy)]
enum CodePoints<'a> {
    Latin1(&'a [u8]),
    Ucs2(&'a [u16]),
    Ucs4(&'a [u32]),
}

impl CodePoints<'_> {
    /// The most UTF-8 bytes these code points can become.
    fn most_utf8_bytes(&self) -> usize {
        match self {
            CodePoints::Latin1(units) => units.len() * 2,
            CodePoints::Ucs2(units) => units.len() * 3,
            CodePoints::Ucs4(units) => units.len() * 4,
        }
    }
}

/// The code points of `s` when it is a compact str, not ASCII, without a UTF-8 copy yet.
fn code_points<'a>(s: &'a Bound<'_, PyString>) -> Option<CodePoints<'a>> {
    use pyo3::ffi;
    let op = s.as_ptr();
    // SAFETY: `op` is a live str (held by `s` for 'a); these read its header, as CPython's
    // macros do, and a str's code points never change.
    unsafe {
        if ffi::PyUnicode_IS_READY(op) == 0 || ffi::PyUnicode_IS_COMPACT(op) == 0 || ffi::PyUnicode_IS_ASCII(op) != 0 {
            return None;
        }
        // Not ASCII, so the object is at least a `PyCompactUnicodeObject`.
        if !(*(op as *mut ffi::PyCompactUnicodeObject)).utf8.is_null() {
            return None;
        }
        let len = usize::try_from(ffi::PyUnicode_GET_LENGTH(op)).ok()?;
        let data = ffi::PyUnicode_DATA(op);
        match ffi::PyUnicode_KIND(op) {
            1 => Some(CodePoints::Latin1(std::slice::from_raw_parts(data as *const u8, len))),
            2 => Some(CodePoints::Ucs2(std::slice::from_raw_parts(data as *const u16, len))),
            4 => Some(CodePoints::Ucs4(std::slice::from_raw_parts(data as *const u32, len))),
            _ => None,
        }
    }
}

/// The UTF-8 of every string CPython holds only as code points, in one buffer, and where each
/// string's is. Empty when there is none (every string is then borrowed).
fn convert(strings: &[Bound<'_, PyString>]) -> (String, Vec<Utf8>) {
    let pending: Vec<Option<CodePoints>> = strings.iter().map(code_points).collect();
    let most: usize = pending.iter().flatten().map(CodePoints::most_utf8_bytes).sum();
    if most == 0 {
        return (String::new(), Vec::new());
    }
    let mut buffer: Vec<u8> = Vec::with_capacity(most);
    let mut utf8 = Vec::with_capacity(strings.len());
    for code_points in &pending {
        let Some(code_points) = code_points else {
            utf8.push(Utf8::Borrowed);
            continue;
        };
        let start = buffer.len();
        match append_utf8(*code_points, &mut buffer) {
            Some(()) => utf8.push(Utf8::Made(start..buffer.len())),
            None => utf8.push(Utf8::LoneSurrogate),
        }
    }
    // What simdutf wrote from valid code points is UTF-8; checked once more (simdutf's check
    // runs at ~35 GB/s, the standard library's at ~1 GB/s on such text) so that no `&str` is
    // ever made of bytes that are not. Should it fail, CPython converts.
    if !simdutf::validate_utf8(&buffer) {
        return (String::new(), Vec::new());
    }
    // SAFETY: checked just above.
    (unsafe { String::from_utf8_unchecked(buffer) }, utf8)
}

/// Appends the UTF-8 of `code_points` to `buffer`, whose spare capacity holds at least
/// `code_points.most_utf8_bytes()`; `None` (and nothing appended) for a lone surrogate.
fn append_utf8(code_points: CodePoints, buffer: &mut Vec<u8>) -> Option<()> {
    let spare = buffer.spare_capacity_mut();
    if spare.len() < code_points.most_utf8_bytes() {
        return None;
    }
    let out = spare.as_mut_ptr() as *mut u8;
    // SAFETY: `out` has room for the most bytes any of these code points become (checked
    // above), which is all simdutf writes; the sources are live slices that do not overlap it.
    let written = unsafe {
        match code_points {
            CodePoints::Latin1(units) => simdutf::convert_latin1_to_utf8(units.as_ptr(), units.len(), out),
            // In a UCS-2 str every surrogate is a code point of its own: a high one followed by
            // a low one is two lone surrogates to CPython, not the pair UTF-16 would read.
            CodePoints::Ucs2(units) if has_surrogate(units) => return None,
            CodePoints::Ucs2(units) => simdutf::convert_valid_utf16_to_utf8(units.as_ptr(), units.len(), out),
            // Validating: a surrogate code point (or one past U+10FFFF) gives 0.
            CodePoints::Ucs4(units) => simdutf::convert_utf32_to_utf8(units.as_ptr(), units.len(), out),
        }
    };
    // A str that is not ASCII is not empty, so 0 bytes means the code points were refused.
    if written == 0 || written > spare.len() {
        return None;
    }
    // SAFETY: simdutf initialised `written` bytes after the old length, within the capacity.
    unsafe { buffer.set_len(buffer.len() + written) };
    Some(())
}

/// Whether a UCS-2 code point is a surrogate (a branch-free pass the compiler vectorizes).
fn has_surrogate(units: &[u16]) -> bool {
    units.iter().fold(false, |seen, &u| seen | (u & 0xF800 == 0xD800))
}

/// Makes simdutf pick its implementation for this CPU now, at import: it does so on first use,
/// behind a C++ static's lock, which a child forked while another thread held it would never get.
pub fn choose_utf8_implementation() {
    let _ = simdutf::validate_utf8(b"tokembed");
}

fn lone_surrogate(name: &str) -> PyErr {
    PyValueError::new_err(format!(
        "{name} contains a lone surrogate (U+D800..U+DFFF), which is not valid text; \
         fix the input or decode it with errors='replace'"
    ))
}

/// The UTF-8 view of a str; lone surrogates cannot be encoded and get a clear ValueError.
fn as_str<'a>(s: &'a Bound<'_, PyString>, name: &str) -> PyResult<&'a str> {
    s.to_str().map_err(|_| lone_surrogate(name))
}

pub fn one_str<'py>(obj: &Bound<'py, PyAny>, name: &str) -> PyResult<Bound<'py, PyString>> {
    obj.cast::<PyString>().cloned().map_err(|_| {
        let found = obj.get_type().name().map(|n| n.to_string()).unwrap_or_default();
        PyTypeError::new_err(format!("{name} must be str, got {found}"))
    })
}
