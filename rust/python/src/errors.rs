//! Core errors to Python exceptions, and a guard that keeps any panic from crossing over.

use pyo3::exceptions::{PyIndexError, PyOSError, PyRuntimeError, PyValueError};
use pyo3::prelude::*;
use tokembed_core::Error;

pyo3::create_exception!(
    _core,
    TokenizerError,
    PyValueError,
    "A tokenizer file or configuration that tokembed cannot honour; the message names the JSON path."
);

pub fn to_py(e: Error) -> PyErr {
    match e {
        Error::Config(m) => TokenizerError::new_err(m),
        Error::Io(m) => PyOSError::new_err(m),
        Error::InvalidArgument(m) => PyValueError::new_err(m),
        e @ Error::IdOutOfRange { .. } => PyIndexError::new_err(e.to_string()),
    }
}

/// Runs core work, turning a panic (a bug of ours) into a RuntimeError instead of aborting.
pub fn guarded<T>(f: impl FnOnce() -> tokembed_core::Result<T>) -> PyResult<T> {
    match std::panic::catch_unwind(std::panic::AssertUnwindSafe(f)) {
        Ok(r) => r.map_err(to_py),
        Err(payload) => {
            let what = payload
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| payload.downcast_ref::<String>().cloned())
                .unwrap_or_default();
            Err(PyRuntimeError::new_err(format!("tokembed internal error (please report): {what}")))
        }
    }
}
