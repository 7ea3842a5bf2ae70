//! Thread count of the batch pool.

use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;

/// Sets how many threads batch calls use (default: `TOKEMBED_NUM_THREADS` or the CPU count).
#[pyfunction]
pub fn set_num_threads(n: i64) -> PyResult<()> {
    let max = tokembed_core::utils::parallel::MAX_THREADS;
    let n = usize::try_from(n)
        .ok()
        .filter(|n| (1..=max).contains(n))
        .ok_or_else(|| PyValueError::new_err(format!("number of threads must be between 1 and {max}, got {n}")))?;
    tokembed_core::utils::parallel::set_num_threads(n).map_err(crate::errors::to_py)
}

#[pyfunction]
pub fn get_num_threads() -> usize {
    tokembed_core::utils::parallel::num_threads()
}
