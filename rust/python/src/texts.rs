//! Borrowing Python strings as `&str` for work done without the GIL.

use pyo3::exceptions::{PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::PyString;

/// Strong references to the strings of a sequence, so they outlive the GIL-free section even
/// if the caller's list is changed by another thread meanwhile.
pub struct Texts<'py> {
    strings: Vec<Bound<'py, PyString>>,
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
        Ok(Texts { strings })
    }

    pub fn as_strs(&self, name: &str) -> PyResult<Vec<&str>> {
        self.strings.iter().enumerate().map(|(i, s)| as_str(s, &format!("{name}[{i}]"))).collect()
    }
}

/// The UTF-8 view of a str; lone surrogates cannot be encoded and get a clear ValueError.
pub fn as_str<'a>(s: &'a Bound<'_, PyString>, name: &str) -> PyResult<&'a str> {
    s.to_str().map_err(|_| {
        PyValueError::new_err(format!(
            "{name} contains a lone surrogate (U+D800..U+DFFF), which is not valid text; \
             fix the input or decode it with errors='replace'"
        ))
    })
}

pub fn one_str<'py>(obj: &Bound<'py, PyAny>, name: &str) -> PyResult<Bound<'py, PyString>> {
    obj.cast::<PyString>().cloned().map_err(|_| {
        let found = obj.get_type().name().map(|n| n.to_string()).unwrap_or_default();
        PyTypeError::new_err(format!("{name} must be str, got {found}"))
    })
}
