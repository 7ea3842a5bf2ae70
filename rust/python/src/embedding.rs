//! Bindings of the embedding tables (`tokembed_core::embed`) and of safetensors loading.
//!
//! The Python layer (`tokembed/embeddings/`) has already checked dtypes, shapes and layouts and
//! passes half-precision arrays as `uint16` views with a format name ("float32", "float16",
//! "bfloat16"). Here arrays are borrowed, ids checked, the GIL released and the core called;
//! an id out of range becomes an IndexError that names the array and the index in it.

use crate::arrays::{vec1, vec2};
use crate::errors::{guarded, to_py};
use numpy::ndarray::{ArrayD, IxDyn};
use numpy::{
    BorrowError, IntoPyArray, PyArray2, PyArrayDyn, PyArrayMethods, PyReadonlyArray1, PyReadonlyArray2,
    PyReadonlyArrayDyn, PyReadwriteArrayDyn, PyUntypedArrayMethods,
};
use pyo3::exceptions::{PyTypeError, PyValueError};
use pyo3::prelude::*;
use tokembed_core::embed::input_embedder::{IdArrays, InputEmbedder};
use tokembed_core::embed::ops::layernorm::LayerNorm;
use tokembed_core::embed::ops::nearest::Metric;
use tokembed_core::embed::ops::{backward, nearest};
use tokembed_core::embed::table::dtype::{FloatKind, FloatSlice, FloatSliceMut};
use tokembed_core::embed::table::ids::{CheckedIds, IdsView};
use tokembed_core::embed::table::view::{TableView, TableViewMut};
use tokembed_core::embed::table::{gather, random};
use tokembed_core::embed::weights::{read_float_tensors, TensorData};

/// Ids in any integer dtype; C-contiguous (the Python layer copies other layouts).
#[derive(FromPyObject)]
pub enum IdsArray<'py> {
    I64(PyReadonlyArrayDyn<'py, i64>),
    I32(PyReadonlyArrayDyn<'py, i32>),
    U32(PyReadonlyArrayDyn<'py, u32>),
    U16(PyReadonlyArrayDyn<'py, u16>),
    U8(PyReadonlyArrayDyn<'py, u8>),
    I16(PyReadonlyArrayDyn<'py, i16>),
    I8(PyReadonlyArrayDyn<'py, i8>),
    U64(PyReadonlyArrayDyn<'py, u64>),
}

impl IdsArray<'_> {
    fn view(&self) -> PyResult<(IdsView<'_>, Vec<usize>)> {
        Ok(match self {
            IdsArray::I64(a) => (IdsView::I64(a.as_slice()?), a.shape().to_vec()),
            IdsArray::I32(a) => (IdsView::I32(a.as_slice()?), a.shape().to_vec()),
            IdsArray::U32(a) => (IdsView::U32(a.as_slice()?), a.shape().to_vec()),
            IdsArray::U16(a) => (IdsView::U16(a.as_slice()?), a.shape().to_vec()),
            IdsArray::U8(a) => (IdsView::U8(a.as_slice()?), a.shape().to_vec()),
            IdsArray::I16(a) => (IdsView::I16(a.as_slice()?), a.shape().to_vec()),
            IdsArray::I8(a) => (IdsView::I8(a.as_slice()?), a.shape().to_vec()),
            IdsArray::U64(a) => (IdsView::U64(a.as_slice()?), a.shape().to_vec()),
        })
    }
}

/// Checks ids against `bound` rows; the error names `name` and the index, e.g. `ids[3, 17]`.
fn check_ids(ids: IdsView<'_>, shape: &[usize], bound: usize, name: &str) -> PyResult<CheckedIds> {
    CheckedIds::check_array(ids, shape, bound, name).map_err(to_py)
}

/// A 2-D table borrowed for reading: float32, or the 16-bit patterns of a half format.
pub enum TableArray<'py> {
    F32(PyReadonlyArray2<'py, f32>),
    Bits(PyReadonlyArray2<'py, u16>, FloatKind),
}

/// The message for an array another call holds: NumPy arrays are shared between threads, and
/// an in-place update must not run while the same array is read.
fn in_use(what: &str, e: BorrowError) -> PyErr {
    PyValueError::new_err(format!(
        "{what}: {e} by another call running in another thread (an sgd_step and a lookup of the same table \
         cannot overlap)"
    ))
}

impl<'py> TableArray<'py> {
    fn borrow(obj: &Bound<'py, PyAny>, kind: &str) -> PyResult<Self> {
        Ok(match FloatKind::parse(kind).map_err(to_py)? {
            FloatKind::F32 => {
                TableArray::F32(obj.cast::<PyArray2<f32>>()?.try_readonly().map_err(|e| in_use("table", e))?)
            }
            half => {
                TableArray::Bits(obj.cast::<PyArray2<u16>>()?.try_readonly().map_err(|e| in_use("table", e))?, half)
            }
        })
    }

    fn view(&self) -> PyResult<TableView<'_>> {
        let (data, shape) = match self {
            TableArray::F32(a) => (FloatSlice::F32(a.as_slice()?), a.shape()),
            TableArray::Bits(a, kind) => (FloatSlice::from_bits(*kind, a.as_slice()?).map_err(to_py)?, a.shape()),
        };
        TableView::new(data, shape[0], shape[1]).map_err(to_py)
    }
}

/// A writable array of any shape: float32, or the 16-bit patterns of a half format.
pub enum FloatArrayMut<'py> {
    F32(PyReadwriteArrayDyn<'py, f32>),
    Bits(PyReadwriteArrayDyn<'py, u16>, FloatKind),
}

impl<'py> FloatArrayMut<'py> {
    fn borrow(obj: &Bound<'py, PyAny>, kind: &str, what: &str) -> PyResult<Self> {
        Ok(match FloatKind::parse(kind).map_err(to_py)? {
            FloatKind::F32 => {
                FloatArrayMut::F32(obj.cast::<PyArrayDyn<f32>>()?.try_readwrite().map_err(|e| in_use(what, e))?)
            }
            half => {
                FloatArrayMut::Bits(obj.cast::<PyArrayDyn<u16>>()?.try_readwrite().map_err(|e| in_use(what, e))?, half)
            }
        })
    }

    fn shape(&self) -> Vec<usize> {
        match self {
            FloatArrayMut::F32(a) => a.shape().to_vec(),
            FloatArrayMut::Bits(a, _) => a.shape().to_vec(),
        }
    }

    fn view(&mut self) -> PyResult<FloatSliceMut<'_>> {
        match self {
            FloatArrayMut::F32(a) => Ok(FloatSliceMut::F32(a.as_slice_mut()?)),
            FloatArrayMut::Bits(a, kind) => FloatSliceMut::from_bits(*kind, a.as_slice_mut()?).map_err(to_py),
        }
    }
}

/// `out[i] = table[ids[i]]` for every id.
#[pyfunction]
pub fn embedding_gather(
    py: Python<'_>,
    table: &Bound<'_, PyAny>,
    table_kind: &str,
    ids: IdsArray<'_>,
    out: &Bound<'_, PyAny>,
    out_kind: &str,
) -> PyResult<()> {
    let table = TableArray::borrow(table, table_kind)?;
    let table = table.view()?;
    let (ids, shape) = ids.view()?;
    let mut out = FloatArrayMut::borrow(out, out_kind, "out")?;
    let out = out.view()?;
    py.detach(|| {
        let ids = check_ids(ids, &shape, table.rows(), "ids")?;
        guarded(|| gather::gather(&table, &ids, out))
    })
}

/// One table of the input embedder: the array and its format name.
type NamedTable<'py> = (Bound<'py, PyAny>, String);

/// The fused input embedding into `out` (float32, `input_ids.size * dim`). Without
/// `position_ids`, positions are `0..seq_len` along the last axis of `input_ids`.
#[pyfunction]
#[pyo3(signature = (token, position, segment, layer_norm, scale, input_ids, token_type_ids, position_ids, out))]
#[allow(clippy::too_many_arguments)]
pub fn embedding_input(
    py: Python<'_>,
    token: NamedTable<'_>,
    position: Option<NamedTable<'_>>,
    segment: Option<NamedTable<'_>>,
    layer_norm: Option<(PyReadonlyArray1<'_, f32>, PyReadonlyArray1<'_, f32>, f64)>,
    scale: Option<f32>,
    input_ids: IdsArray<'_>,
    token_type_ids: Option<IdsArray<'_>>,
    position_ids: Option<IdsArray<'_>>,
    out: &Bound<'_, PyAny>,
) -> PyResult<()> {
    let mut out = out.cast::<PyArrayDyn<f32>>()?.try_readwrite().map_err(|e| in_use("out", e))?;
    let token = TableArray::borrow(&token.0, &token.1)?;
    let position = position.map(|(a, k)| TableArray::borrow(&a, &k)).transpose()?;
    let segment = segment.map(|(a, k)| TableArray::borrow(&a, &k)).transpose()?;
    let token_table = token.view()?;
    let position_table = position.as_ref().map(|t| t.view()).transpose()?;
    let segment_table = segment.as_ref().map(|t| t.view()).transpose()?;
    let ln = match &layer_norm {
        Some((w, b, eps)) => Some(LayerNorm::new(w.as_slice()?, b.as_slice()?, *eps).map_err(to_py)?),
        None => None,
    };
    let embedder = InputEmbedder::new(token_table, position_table, segment_table, ln, scale).map_err(to_py)?;
    let tokens = input_ids.view()?;
    let types = token_type_ids.as_ref().map(|a| a.view()).transpose()?;
    let positions = position_ids.as_ref().map(|a| a.view()).transpose()?;
    let out = out.as_slice_mut()?;
    py.detach(|| {
        let ids = IdArrays {
            tokens: (tokens.0, &tokens.1),
            segments: types.as_ref().map(|(v, s)| (*v, s.as_slice())),
            positions: positions.as_ref().map(|(v, s)| (*v, s.as_slice())),
        };
        guarded(|| embedder.embed_arrays(ids, out))
    })
}

/// The dense gradient of a `(vocab, dim)` table.
#[pyfunction]
#[pyo3(signature = (ids, grad_output, vocab, dim, padding_idx))]
pub fn embedding_backward_dense<'py>(
    py: Python<'py>,
    ids: IdsArray<'_>,
    grad_output: PyReadonlyArrayDyn<'_, f32>,
    vocab: usize,
    dim: usize,
    padding_idx: Option<usize>,
) -> PyResult<Bound<'py, PyAny>> {
    let (ids, shape) = ids.view()?;
    let grad = grad_output.as_slice()?;
    let dense = py.detach(|| {
        let ids = check_ids(ids, &shape, vocab, "ids")?;
        guarded(|| backward::dense_grad(&ids, grad, vocab, dim, padding_idx))
    })?;
    vec2(py, dense, vocab, dim)
}

/// The gradient as (row ids int64, their gradients `(n, dim)`).
#[pyfunction]
#[pyo3(signature = (ids, grad_output, vocab, dim, padding_idx))]
pub fn embedding_backward_sparse<'py>(
    py: Python<'py>,
    ids: IdsArray<'_>,
    grad_output: PyReadonlyArrayDyn<'_, f32>,
    vocab: usize,
    dim: usize,
    padding_idx: Option<usize>,
) -> PyResult<(Bound<'py, PyAny>, Bound<'py, PyAny>)> {
    let (ids, shape) = ids.view()?;
    let grad = grad_output.as_slice()?;
    let sparse = py.detach(|| {
        let ids = check_ids(ids, &shape, vocab, "ids")?;
        guarded(|| backward::sparse_grad(&ids, grad, vocab, dim, padding_idx))
    })?;
    let n = sparse.rows.len();
    let rows: Vec<i64> = sparse.rows.into_iter().map(i64::from).collect();
    Ok((vec1(py, rows), vec2(py, sparse.grads, n, dim)?))
}

/// `table -= lr * gradient`, in place.
#[pyfunction]
#[pyo3(signature = (table, table_kind, ids, grad_output, lr, padding_idx))]
pub fn embedding_sgd_step(
    py: Python<'_>,
    table: &Bound<'_, PyAny>,
    table_kind: &str,
    ids: IdsArray<'_>,
    grad_output: PyReadonlyArrayDyn<'_, f32>,
    lr: f32,
    padding_idx: Option<usize>,
) -> PyResult<()> {
    let mut table = FloatArrayMut::borrow(table, table_kind, "table")?;
    let (vocab, dim) = match table.shape()[..] {
        [v, d] => (v, d),
        _ => return Err(PyTypeError::new_err("the table must be 2-D")),
    };
    let mut view = TableViewMut::new(table.view()?, vocab, dim).map_err(to_py)?;
    let (ids, ids_shape) = ids.view()?;
    let grad = grad_output.as_slice()?;
    py.detach(|| {
        let ids = check_ids(ids, &ids_shape, vocab, "ids")?;
        guarded(|| backward::sgd_step(&mut view, &ids, grad, lr, padding_idx))
    })
}

/// The `k` nearest rows of each query: (ids int64 `(q, k)`, scores float32 `(q, k)`).
#[pyfunction]
pub fn embedding_nearest<'py>(
    py: Python<'py>,
    table: &Bound<'_, PyAny>,
    table_kind: &str,
    queries: PyReadonlyArray2<'_, f32>,
    k: usize,
    metric: &str,
) -> PyResult<(Bound<'py, PyAny>, Bound<'py, PyAny>)> {
    let table = TableArray::borrow(table, table_kind)?;
    let table = table.view()?;
    let metric = Metric::parse(metric).map_err(to_py)?;
    let n = queries.shape()[0];
    let queries = queries.as_slice()?;
    let found = py.detach(|| guarded(|| nearest::nearest(&table, queries, k, metric)))?;
    let ids: Vec<i64> = found.ids.into_iter().map(i64::from).collect();
    Ok((vec2(py, ids, n, k)?, vec2(py, found.scores, n, k)?))
}

/// Fills `out` (rows of `dim`) with normal values of standard deviation `std` for `seed`.
#[pyfunction]
pub fn embedding_fill_normal(
    py: Python<'_>,
    out: &Bound<'_, PyAny>,
    out_kind: &str,
    dim: usize,
    seed: u64,
    std: f64,
) -> PyResult<()> {
    let mut out = FloatArrayMut::borrow(out, out_kind, "out")?;
    let out = out.view()?;
    py.detach(|| {
        guarded(|| {
            random::fill_normal(out, dim, seed, std);
            Ok(())
        })
    })
}

/// Float tensors by name from a safetensors file: a list of (format name, array) in the
/// order of `names`; half-precision tensors come back as uint16 arrays.
#[pyfunction]
pub fn load_safetensors<'py>(
    py: Python<'py>,
    path: std::path::PathBuf,
    names: Vec<String>,
) -> PyResult<Vec<(&'static str, Bound<'py, PyAny>)>> {
    let refs: Vec<&str> = names.iter().map(String::as_str).collect();
    let tensors = py.detach(|| guarded(|| read_float_tensors(&path, &refs)))?;
    let mut result = Vec::with_capacity(tensors.len());
    for t in tensors {
        match &t.data {
            TensorData::F32(_) => crate::arrays::check_shape::<f32>(&t.shape)?,
            TensorData::Bits16(_) => crate::arrays::check_shape::<u16>(&t.shape)?,
        }
        let shape = IxDyn(&t.shape);
        let array = match t.data {
            TensorData::F32(v) => ArrayD::from_shape_vec(shape, v).map(|a| a.into_pyarray(py).into_any()),
            TensorData::Bits16(v) => ArrayD::from_shape_vec(shape, v).map(|a| a.into_pyarray(py).into_any()),
        }
        .map_err(|e| PyValueError::new_err(e.to_string()))?;
        result.push((t.kind.name(), array));
    }
    Ok(result)
}
