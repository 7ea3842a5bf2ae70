//! Vectors computed by the core become NumPy arrays without a copy.

use numpy::ndarray::{Array2, Array3};
use numpy::{IntoPyArray, PyArray1};
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;

/// NumPy addresses elements with `isize` byte strides: a shape whose strides or size in bytes do
/// not fit (a `(0, 2**62)` table has no elements but an impossible row stride) would corrupt
/// memory inside NumPy, so it is refused here.
pub fn check_shape<T>(shape: &[usize]) -> PyResult<()> {
    let mut bytes = std::mem::size_of::<T>();
    for &d in shape.iter().rev() {
        bytes = bytes.checked_mul(d.max(1)).filter(|&b| b <= isize::MAX as usize).ok_or_else(|| {
            pyo3::exceptions::PyMemoryError::new_err(format!("an array of shape {shape:?} is too large"))
        })?;
    }
    Ok(())
}

pub fn vec1<'py, T: numpy::Element>(py: Python<'py>, v: Vec<T>) -> Bound<'py, PyAny> {
    PyArray1::from_vec(py, v).into_any()
}

pub fn vec2<'py, T: numpy::Element>(
    py: Python<'py>,
    v: Vec<T>,
    rows: usize,
    cols: usize,
) -> PyResult<Bound<'py, PyAny>> {
    check_shape::<T>(&[rows, cols])?;
    let a = Array2::from_shape_vec((rows, cols), v).map_err(|e| PyValueError::new_err(e.to_string()))?;
    Ok(a.into_pyarray(py).into_any())
}

pub fn vec3<'py, T: numpy::Element>(
    py: Python<'py>,
    v: Vec<T>,
    shape: (usize, usize, usize),
) -> PyResult<Bound<'py, PyAny>> {
    check_shape::<T>(&[shape.0, shape.1, shape.2])?;
    let a = Array3::from_shape_vec(shape, v).map_err(|e| PyValueError::new_err(e.to_string()))?;
    Ok(a.into_pyarray(py).into_any())
}
