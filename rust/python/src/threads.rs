//! Thread count of the batch pool.

use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;

/// Sets how many threads batch calls use (default: `TOKEMBED_NUM_THREADS` or the CPU count).
#[pyfunction]
pub fn set_num_threads(n: i64) -> PyResult<()> {
    if n < 1 {
        return Err(PyValueError::new_err(format!("number of threads must be at least 1, got {n}")));
    }
    tokembed_core::parallel::set_num_threads(n as usize);
    Ok(())
}

#[pyfunction]
pub fn get_num_threads() -> usize {
    tokembed_core::parallel::num_threads()
}
