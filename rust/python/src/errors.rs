//! Core errors to Python exceptions, and a guard that keeps any panic from crossing over.

use pyo3::exceptions::{PyIndexError, PyKeyboardInterrupt, PyMemoryError, PyOSError, PyRuntimeError, PyValueError};
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
        Error::OutOfRange(m) => PyIndexError::new_err(m),
        Error::OutOfMemory(m) => PyMemoryError::new_err(m),
        // Only reached when the flag was raised without a signal exception to hand back.
        Error::Interrupted => PyKeyboardInterrupt::new_err("interrupted"),
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

/// Inputs at least this large (bytes of text, or elements) run as an interruptible call: the
/// calling thread waits for the work and looks for Ctrl-C every `POLL` meanwhile. Smaller calls
/// finish within a fraction of a second and skip the hand-over to the pool.
pub const INTERRUPTIBLE_ABOVE: usize = 1 << 20;
const POLL: std::time::Duration = std::time::Duration::from_millis(50);

/// Runs core work without the GIL like `py.detach(|| guarded(work))`, and when `size` is at
/// least `INTERRUPTIBLE_ABOVE`, lets Ctrl-C stop it: the work runs on the pool with an interrupt
/// flag (see `tokembed_core::utils::parallel::run_interruptible`) while this thread runs Python's
/// signal handlers every 50 ms. When a handler raises (KeyboardInterrupt), the flag is raised,
/// the work stops at its next check (between texts of a batch, blocks of a long text), and the
/// handler's exception is returned.
pub fn detach_interruptible<R: Send>(
    py: Python<'_>,
    size: usize,
    work: impl FnOnce() -> tokembed_core::Result<R> + Send,
) -> PyResult<R> {
    detach_interruptible_reporting(py, size, work, |_| Ok(()))
}

/// `detach_interruptible` that also calls `report` (with the GIL) at each look for Ctrl-C, for
/// progress bars of long calls; an exception from `report` stops the work like Ctrl-C.
pub fn detach_interruptible_reporting<R: Send>(
    py: Python<'_>,
    size: usize,
    work: impl FnOnce() -> tokembed_core::Result<R> + Send,
    mut report: impl FnMut(Python<'_>) -> PyResult<()> + Send,
) -> PyResult<R> {
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::sync::Arc;
    if size < INTERRUPTIBLE_ABOVE {
        return py.detach(|| guarded(work));
    }
    let flag = Arc::new(AtomicBool::new(false));
    let mut signal = None;
    let result = py.detach(|| {
        guarded(|| {
            tokembed_core::utils::parallel::run_interruptible(flag.clone(), work, POLL, || {
                if signal.is_none() {
                    if let Err(e) = Python::attach(|py| py.check_signals().and_then(|_| report(py))) {
                        flag.store(true, Ordering::Relaxed);
                        signal = Some(e);
                    }
                }
            })
        })
    });
    match signal {
        Some(e) => Err(e),
        None => result,
    }
}
