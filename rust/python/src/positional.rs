//! Positional encodings: the `_core` functions and the `Rope` class behind
//! `tokembed.embeddings` (`positional.py`, `rotary.py`).
//!
//! Arguments arrive already checked and shaped by the Python layer (contiguous arrays, int64
//! positions flattened to one per row); here we only borrow, release the GIL and call the core.

use crate::arrays::{vec1, vec2, vec3};
use crate::errors::guarded;
use numpy::ndarray::IxDyn;
use numpy::{PyArrayDyn, PyArrayMethods, PyReadonlyArray1, PyUntypedArrayMethods};
use pyo3::exceptions::{PyTypeError, PyValueError};
use pyo3::prelude::*;
use tokembed_core::embed::positional::{self as core, Rope, RopeFloat, RopeLayout, RopeScaling};

/// `(max_len, dim)` float64 sinusoidal table.
#[pyfunction]
pub fn sinusoidal_table(py: Python<'_>, max_len: usize, dim: usize, base: f64) -> PyResult<Bound<'_, PyAny>> {
    let table = py.detach(|| guarded(|| core::sinusoidal_table(max_len, dim, base)))?;
    vec2(py, table, max_len, dim)
}

/// `(n_heads,)` float32 ALiBi slopes.
#[pyfunction]
pub fn alibi_slopes(py: Python<'_>, n_heads: usize) -> PyResult<Bound<'_, PyAny>> {
    Ok(vec1(py, py.detach(|| guarded(|| core::alibi_slopes(n_heads)))?))
}

/// `(n_heads, q_len, k_len)` float32 ALiBi bias.
#[pyfunction]
pub fn alibi_bias(py: Python<'_>, n_heads: usize, q_len: usize, k_len: usize) -> PyResult<Bound<'_, PyAny>> {
    let bias = py.detach(|| guarded(|| core::alibi_bias(n_heads, q_len, k_len)))?;
    vec3(py, bias, (n_heads, q_len, k_len))
}

/// T5 buckets of a flat int64 array of relative positions.
#[pyfunction]
pub fn t5_relative_position_bucket<'py>(
    py: Python<'py>,
    relative: PyReadonlyArray1<'_, i64>,
    bidirectional: bool,
    num_buckets: u32,
    max_distance: u32,
) -> PyResult<Bound<'py, PyAny>> {
    let relative = relative.as_slice()?;
    let mut out = vec![0i64; relative.len()];
    py.detach(|| {
        guarded(|| core::t5_relative_position_buckets(relative, &mut out, bidirectional, num_buckets, max_distance))
    })?;
    Ok(vec1(py, out))
}

#[pyclass(frozen, module = "tokembed._core", name = "Rope")]
pub struct CoreRope {
    inner: Rope,
}

fn apply_new<'py, T: RopeFloat + numpy::Element>(
    rope: &Rope,
    x: &Bound<'py, PyArrayDyn<T>>,
    positions: &[i64],
    seq_len: Option<usize>,
) -> PyResult<Bound<'py, PyAny>> {
    let py = x.py();
    // NumPy's zeros: calloc'd pages that NumPy marks for huge pages, so first touch is cheap
    // (a Vec would fault in 4 KB pages, several times slower than the rotation itself).
    let out = PyArrayDyn::<T>::zeros(py, IxDyn(x.shape()), false);
    let x = x.try_readonly().map_err(|e| PyValueError::new_err(format!("x: {e}")))?;
    {
        let mut dst = out.try_readwrite().map_err(|e| PyValueError::new_err(format!("out: {e}")))?;
        let (src, dst) = (x.as_slice()?, dst.as_slice_mut()?);
        py.detach(|| guarded(|| rope.apply(src, dst, positions, seq_len)))?;
    }
    Ok(out.into_any())
}

fn apply_out<T: RopeFloat + numpy::Element>(
    rope: &Rope,
    x: &Bound<'_, PyArrayDyn<T>>,
    out: &Bound<'_, PyAny>,
    positions: &[i64],
    seq_len: Option<usize>,
) -> PyResult<()> {
    let py = x.py();
    let out = out.cast::<PyArrayDyn<T>>().map_err(|_| PyTypeError::new_err("out must be an array of x's dtype"))?;
    let x = x.try_readonly().map_err(|e| PyValueError::new_err(format!("x: {e}")))?;
    let mut out = out.try_readwrite().map_err(|e| PyValueError::new_err(format!("out: {e}")))?;
    let (x, out) = (x.as_slice()?, out.as_slice_mut()?);
    py.detach(|| guarded(|| rope.apply(x, out, positions, seq_len)))
}

fn apply_inplace<T: RopeFloat + numpy::Element>(
    rope: &Rope,
    x: &Bound<'_, PyArrayDyn<T>>,
    positions: &[i64],
    seq_len: Option<usize>,
) -> PyResult<()> {
    let py = x.py();
    let mut x = x.try_readwrite().map_err(|e| PyValueError::new_err(format!("x: {e}")))?;
    let x = x.as_slice_mut()?;
    py.detach(|| guarded(|| rope.apply_inplace(x, positions, seq_len)))
}

fn dtype_error(x: &Bound<'_, PyAny>) -> PyErr {
    let dtype = x.getattr("dtype").map(|d| d.to_string()).unwrap_or_else(|_| "unknown".into());
    PyTypeError::new_err(format!("x must be a float32 or float64 array, got dtype {dtype}"))
}

#[pymethods]
impl CoreRope {
    /// `scaling_json`: HF `rope_parameters` without `rope_theta`/`partial_rotary_factor`.
    #[new]
    #[pyo3(signature = (head_dim, rotary_dim, theta, layout, scaling_json, max_position_embeddings=None))]
    fn new(
        head_dim: usize,
        rotary_dim: usize,
        theta: f64,
        layout: &str,
        scaling_json: &str,
        max_position_embeddings: Option<usize>,
    ) -> PyResult<Self> {
        let inner = guarded(|| {
            let scaling = RopeScaling::from_hf_json(scaling_json, max_position_embeddings)?;
            Rope::new(head_dim, rotary_dim, theta, RopeLayout::parse(layout)?, scaling)
        })?;
        Ok(CoreRope { inner })
    }

    fn rope_type(&self) -> &'static str {
        self.inner.scaling().rope_type()
    }

    /// `(inv_freq float32, attention_scaling)`.
    #[pyo3(signature = (seq_len=None))]
    fn frequencies<'py>(&self, py: Python<'py>, seq_len: Option<usize>) -> (Bound<'py, PyAny>, f64) {
        let f = self.inner.frequencies(seq_len);
        (vec1(py, f.inv_freq), f.attention_scaling)
    }

    /// `(cos, sin)`, each `(len(positions), rotary_dim)` float32.
    #[pyo3(signature = (positions, seq_len=None))]
    fn cos_sin<'py>(
        &self,
        py: Python<'py>,
        positions: PyReadonlyArray1<'_, i64>,
        seq_len: Option<usize>,
    ) -> PyResult<(Bound<'py, PyAny>, Bound<'py, PyAny>)> {
        let positions = positions.as_slice()?;
        let (n, rot) = (positions.len(), self.inner.rotary_dim());
        let inner = &self.inner;
        let (cos, sin) = py.detach(|| guarded(|| inner.cos_sin(positions, seq_len)))?;
        Ok((vec2(py, cos, n, rot)?, vec2(py, sin, n, rot)?))
    }

    /// Rotated copy of a C-contiguous float32/float64 `x` with one position per row.
    #[pyo3(signature = (x, positions, seq_len=None))]
    fn apply<'py>(
        &self,
        x: &Bound<'py, PyAny>,
        positions: PyReadonlyArray1<'_, i64>,
        seq_len: Option<usize>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let positions = positions.as_slice()?;
        if let Ok(a) = x.cast::<PyArrayDyn<f32>>() {
            apply_new(&self.inner, a, positions, seq_len)
        } else if let Ok(a) = x.cast::<PyArrayDyn<f64>>() {
            apply_new(&self.inner, a, positions, seq_len)
        } else {
            Err(dtype_error(x))
        }
    }

    /// Rotates `x` into `out` (same dtype and size, C-contiguous, not overlapping `x`).
    #[pyo3(signature = (x, positions, out, seq_len=None))]
    fn apply_into(
        &self,
        x: &Bound<'_, PyAny>,
        positions: PyReadonlyArray1<'_, i64>,
        out: &Bound<'_, PyAny>,
        seq_len: Option<usize>,
    ) -> PyResult<()> {
        let positions = positions.as_slice()?;
        if let Ok(a) = x.cast::<PyArrayDyn<f32>>() {
            apply_out(&self.inner, a, out, positions, seq_len)
        } else if let Ok(a) = x.cast::<PyArrayDyn<f64>>() {
            apply_out(&self.inner, a, out, positions, seq_len)
        } else {
            Err(dtype_error(x))
        }
    }

    /// Rotates a C-contiguous, writeable `x` in place.
    #[pyo3(signature = (x, positions, seq_len=None))]
    fn apply_inplace(
        &self,
        x: &Bound<'_, PyAny>,
        positions: PyReadonlyArray1<'_, i64>,
        seq_len: Option<usize>,
    ) -> PyResult<()> {
        let positions = positions.as_slice()?;
        if let Ok(a) = x.cast::<PyArrayDyn<f32>>() {
            apply_inplace(&self.inner, a, positions, seq_len)
        } else if let Ok(a) = x.cast::<PyArrayDyn<f64>>() {
            apply_inplace(&self.inner, a, positions, seq_len)
        } else {
            Err(dtype_error(x))
        }
    }
}
