//! Bindings of `tokembed_core::train`: a word counter fed batch by batch (the GIL released),
//! then a trainer run on its counts.

use crate::errors::{detach_interruptible, detach_interruptible_reporting, to_py};
use crate::texts::Texts;
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use tokembed_core::corpus::lines::{split_lines, OnInvalid};
use tokembed_core::pretokenize::regex_split::Splitter;
use tokembed_core::train::{bpe, bpe_files, BpeTrainerOptions, WordCounts};

/// Word counts of the texts fed so far, split with one pattern.
#[pyclass(module = "tokembed._core")]
pub struct WordCounter {
    counts: WordCounts,
    splitter: Splitter,
    pattern: String,
}

#[pymethods]
impl WordCounter {
    /// `pattern`: a known name (`gpt2`, `cl100k_base`, `o200k_base`, `llama3`, `qwen2`) or a regex.
    #[new]
    fn new(pattern: &str) -> PyResult<Self> {
        let (splitter, text) = match tokembed_core::train::pattern_of_name(pattern) {
            Some(known) => (Splitter::Known(known), known.pattern().to_string()),
            None => (
                Splitter::new(pattern).map_err(|e| PyValueError::new_err(format!("pattern does not compile: {e}")))?,
                pattern.to_string(),
            ),
        };
        Ok(WordCounter { counts: WordCounts::new(), splitter, pattern: text })
    }

    /// Counts the words of a list of str.
    fn feed(&mut self, py: Python<'_>, texts: &Bound<'_, PyAny>) -> PyResult<()> {
        let texts = Texts::collect(texts, "texts")?;
        let strs = texts.as_strs("texts")?;
        let size = strs.iter().map(|s| s.len()).sum();
        let (counts, splitter) = (&mut self.counts, &self.splitter);
        detach_interruptible(py, size, || counts.add_texts(&strs, splitter))
    }

    /// Counts the words of a buffer of lines, a document per line, read as `tokembed encode`
    /// reads `.txt` inputs; returns the bad lines `(line, byte, reason)` and the number of empty
    /// lines left out.
    #[pyo3(signature = (data, invalid="replace", keep_empty=false))]
    fn feed_lines(
        &mut self,
        py: Python<'_>,
        data: &[u8],
        invalid: &str,
        keep_empty: bool,
    ) -> PyResult<(Vec<(usize, usize, &'static str)>, usize)> {
        let on_invalid = OnInvalid::from_name(invalid).map_err(to_py)?;
        let (counts, splitter) = (&mut self.counts, &self.splitter);
        let lines = detach_interruptible(py, data.len(), || {
            let lines = split_lines(data, on_invalid, keep_empty);
            counts.add_texts(&lines.documents, splitter)?;
            Ok((lines.bad, lines.empty))
        })?;
        let bad = lines.0.into_iter().map(|b| (b.line, b.byte, b.reason)).collect();
        Ok((bad, lines.1))
    }

    /// The split pattern as a regex.
    #[getter]
    fn pattern(&self) -> &str {
        &self.pattern
    }

    #[getter]
    fn distinct_words(&self) -> usize {
        self.counts.len()
    }

    #[getter]
    fn documents(&self) -> u64 {
        self.counts.documents()
    }

    #[getter]
    fn text_bytes(&self) -> u64 {
        self.counts.text_bytes()
    }

    /// Trains a byte-level BPE on the counts; returns its `tokenizer.json` text. `progress`, if
    /// given, is called as `progress(merges_done, merges_at_most)` about every 50 ms.
    #[pyo3(signature = (vocab_size, min_frequency, special_tokens, max_token_length=None, progress=None))]
    fn train_bpe(
        &self,
        py: Python<'_>,
        vocab_size: usize,
        min_frequency: u64,
        special_tokens: Vec<String>,
        max_token_length: Option<usize>,
        progress: Option<Py<PyAny>>,
    ) -> PyResult<String> {
        let options = BpeTrainerOptions { vocab_size, min_frequency, special_tokens, max_token_length };
        let done = Arc::new(AtomicUsize::new(0));
        let total = Arc::new(AtomicUsize::new(0));
        let (counts, pattern) = (&self.counts, &self.pattern);
        let (work_done, work_total) = (done.clone(), total.clone());
        let work = move || {
            let mut on_merge = |merges: usize, at_most: usize| {
                work_done.store(merges, Ordering::Relaxed);
                work_total.store(at_most, Ordering::Relaxed);
                tokembed_core::utils::parallel::check_interrupt()
            };
            let trained = bpe::train(counts, &options, &mut on_merge)?;
            bpe_files::tokenizer_json(&trained, pattern)
        };
        // Training is seconds at least: always interruptible, with progress when asked.
        let report = |py: Python<'_>| -> PyResult<()> {
            if let Some(callback) = &progress {
                callback.call1(py, (done.load(Ordering::Relaxed), total.load(Ordering::Relaxed)))?;
            }
            Ok(())
        };
        detach_interruptible_reporting(py, usize::MAX, work, report)
    }
}
