//! `CoreTokenizer` methods over bytes: tiktoken ranks held in memory, and input that need not
//! be UTF-8 (byte-level BPE works on bytes).

use crate::arrays::vec1;
use crate::errors::{guarded, to_py};
use crate::tokenizer::CoreTokenizer;
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyDict};
use tokembed_core::{Error, Tokenizer};

#[pymethods]
impl CoreTokenizer {
    /// A tiktoken encoding from `mergeable_ranks` (token bytes to rank, as tiktoken holds them).
    #[staticmethod]
    fn from_tiktoken_ranks(
        py: Python<'_>,
        ranks: &Bound<'_, PyDict>,
        pattern: &str,
        special_tokens: Vec<(String, u32)>,
    ) -> PyResult<Self> {
        let mut list = Vec::with_capacity(ranks.len());
        for (token, rank) in ranks.iter() {
            let bytes = token
                .cast::<PyBytes>()
                .map_err(|_| to_py(Error::InvalidArgument(format!("mergeable_ranks: key {token} is not bytes"))))?;
            let rank: u32 = rank.extract().map_err(|_| {
                to_py(Error::InvalidArgument(format!(
                    "mergeable_ranks[{token}]: {rank} is not a rank (an integer from 0 to 2**32 - 1)"
                )))
            })?;
            list.push((bytes.as_bytes().to_vec(), rank));
        }
        let inner = py.detach(|| guarded(|| Tokenizer::from_tiktoken_ranks(&list, pattern, &special_tokens)))?;
        Ok(CoreTokenizer { inner })
    }

    /// Ids of bytes, special tokens read as text (see `Tokenizer::encode_bytes`).
    fn encode_bytes<'py>(&self, py: Python<'py>, data: &[u8]) -> PyResult<Bound<'py, PyAny>> {
        let inner = &self.inner;
        let ids = py.detach(|| guarded(|| inner.encode_bytes(data)))?;
        Ok(vec1(py, ids))
    }

    /// Ids of bytes taken as one piece, with no split (see `Tokenizer::encode_piece_bytes`).
    fn encode_piece_bytes<'py>(&self, py: Python<'py>, data: &[u8]) -> PyResult<Bound<'py, PyAny>> {
        let inner = &self.inner;
        let ids = py.detach(|| guarded(|| inner.encode_piece_bytes(data)))?;
        Ok(vec1(py, ids))
    }
}
