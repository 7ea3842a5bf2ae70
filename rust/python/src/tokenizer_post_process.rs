//! `CoreTokenizer.post_process`: truncation and the post-processor applied to encodings the
//! caller holds (HF's `Tokenizer.post_process`, for the `tokenizers` drop-in).

use crate::errors::{guarded, to_py};
use crate::tokenizer::{encoding_dict, single_call_options, CoreTokenizer};
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyList};
use tokembed_core::tokenizer::encoding::{Encoding, NO_WORD};
use tokembed_core::Error;

fn extract<'py, T: pyo3::conversion::FromPyObjectOwned<'py>>(
    d: &Bound<'py, PyDict>,
    name: &str,
    where_: &str,
) -> PyResult<T> {
    let value = d.get_item(name)?.ok_or_else(|| to_py(Error::InvalidArgument(format!("{where_}: no `{name}`"))))?;
    value.extract::<T>().map_err(|e| {
        let e: PyErr = e.into();
        to_py(Error::InvalidArgument(format!("{where_}.{name}: {e}")))
    })
}

/// One field of an encoding given as a dict of lists, with one entry per id.
fn field<'py, T: pyo3::conversion::FromPyObjectOwned<'py>>(
    d: &Bound<'py, PyDict>,
    name: &str,
    len: usize,
    where_: &str,
) -> PyResult<Vec<T>> {
    let values: Vec<T> = extract(d, name, where_)?;
    if values.len() != len {
        return Err(to_py(Error::InvalidArgument(format!(
            "{where_}.{name} has {} entries for {len} ids",
            values.len()
        ))));
    }
    Ok(values)
}

/// An encoding from the dict of lists the Python layer gives (the fields of HF's `Encoding`,
/// with `token_texts` the positions whose string is not the vocabulary's, and HF's sequence
/// ranges), its tokens counted as of input `sequence`.
fn encoding_from_dict(d: &Bound<'_, PyDict>, sequence: u8, where_: &str) -> PyResult<Encoding> {
    let ids: Vec<u32> = extract(d, "ids", where_)?;
    let n = ids.len();
    let word_ids: Vec<Option<u32>> = field(d, "word_ids", n, where_)?;
    let token_texts: Vec<(usize, String)> = match d.get_item("token_texts")? {
        Some(v) => v.extract()?,
        None => Vec::new(),
    };
    if let Some((at, _)) = token_texts.iter().find(|(at, _)| *at >= n) {
        return Err(to_py(Error::InvalidArgument(format!("{where_}: token text at {at}, past the {n} tokens"))));
    }
    let mut e = Encoding::from_tokens(
        ids,
        field(d, "offsets", n, where_)?,
        sequence,
        word_ids.into_iter().map(|w| w.unwrap_or(NO_WORD)).collect(),
    );
    e.type_ids = field(d, "type_ids", n, where_)?;
    e.special_tokens_mask = field(d, "special_tokens_mask", n, where_)?;
    e.attention_mask = field(d, "attention_mask", n, where_)?;
    e.token_texts = token_texts.into_iter().map(|(at, t)| (at, t.into_boxed_str())).collect();
    if let Some(ranges) = d.get_item("sequence_ranges")? {
        let ranges: Vec<(u8, u32, u32)> = ranges.extract()?;
        if let Some(bad) = ranges.iter().find(|&&(_, a, b)| a > b || b as usize > n) {
            return Err(to_py(Error::InvalidArgument(format!(
                "{where_}: sequence range {bad:?} is not within the {n} tokens"
            ))));
        }
        e.sequence_ranges = ranges;
    }
    if let Some(windows) = d.get_item("overflowing")? {
        let windows = windows.cast::<PyList>()?;
        for (k, w) in windows.iter().enumerate() {
            let w = w.cast::<PyDict>()?;
            e.overflowing.push(encoding_from_dict(w, sequence, &format!("{where_}.overflowing[{k}]"))?);
        }
    }
    Ok(e)
}

#[pymethods]
impl CoreTokenizer {
    /// Truncation (`truncation`, the JSON of the file's form, leaving room for special tokens)
    /// and the post-processor applied to `first` and `pair` (dicts of lists, see
    /// `encoding_from_dict`): the encoding `encode` would have made from their tokens.
    #[pyo3(signature = (first, pair, add_special_tokens, truncation=None))]
    fn post_process<'py>(
        &self,
        py: Python<'py>,
        first: &Bound<'py, PyDict>,
        pair: Option<&Bound<'py, PyDict>>,
        add_special_tokens: bool,
        truncation: Option<&str>,
    ) -> PyResult<Bound<'py, PyDict>> {
        let (opts, _) = single_call_options(add_special_tokens, truncation, None, false)?;
        let first = encoding_from_dict(first, 0, "encoding")?;
        let pair = pair.map(|p| encoding_from_dict(p, 1, "pair")).transpose()?;
        let inner = &self.inner;
        let out = py.detach(|| guarded(|| inner.post_process(first, pair, &opts)))?;
        encoding_dict(py, out)
    }
}
