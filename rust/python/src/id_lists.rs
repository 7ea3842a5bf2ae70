//! Flat ids to Python lists of ints, for the layers that must return lists (the tiktoken and
//! `tokenizers` drop-ins): each row's list is filled in place, with no flat list of all ids to
//! slice first (`ids.tolist()` and slicing cost twice this).

use numpy::PyReadonlyArray1;
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::types::PyList;

/// `[ids[offsets[i]:offsets[i + 1]].tolist() for each i]`.
#[pyfunction]
pub fn id_lists<'py>(
    py: Python<'py>,
    ids: PyReadonlyArray1<'py, u32>,
    offsets: PyReadonlyArray1<'py, i64>,
) -> PyResult<Bound<'py, PyList>> {
    let ids = ids.as_slice()?;
    let offsets = offsets.as_slice()?;
    let rows = PyList::empty(py);
    for (i, bounds) in offsets.windows(2).enumerate() {
        let row = match (usize::try_from(bounds[0]), usize::try_from(bounds[1])) {
            (Ok(start), Ok(stop)) => ids.get(start..stop),
            _ => None,
        }
        .ok_or_else(|| {
            PyValueError::new_err(format!(
                "offsets[{i}:{}] = {:?} is not a range of the {} ids",
                i + 2,
                bounds,
                ids.len()
            ))
        })?;
        rows.append(PyList::new(py, row)?)?;
    }
    Ok(rows)
}
