//! Bindings of `tokembed_core::train`: a word counter fed batch by batch (the GIL released),
//! then a trainer run on its counts.

use crate::byte_views::ByteView;
use crate::errors::{detach_interruptible, detach_interruptible_reporting, to_py};
use crate::texts::Texts;
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use tokembed_core::corpus::lines::{split_lines, OnInvalid};
use tokembed_core::pretokenize::regex_split::Splitter;
use tokembed_core::train::char_bpe::{train_byte_level_chars, train_chars, CharOptions};
use tokembed_core::train::unigram::files::identity_spec;
use tokembed_core::train::unigram::{self, PieceRules, SentencePieceWords, UnigramOptions};
use tokembed_core::train::{bpe, bpe_files, wordpiece_files, BpeTrainerOptions, WordCounts, WordSplit};

/// A line that was not valid UTF-8: (line, byte, reason).
type BadLine = (usize, usize, &'static str);

/// Word counts of the texts fed so far, split with one pattern or one pre-tokenizer.
#[pyclass(module = "tokembed._core")]
pub struct WordCounter {
    counts: WordCounts,
    split: WordSplit,
    /// The split pattern as a regex (byte-level BPE), or empty.
    pattern: String,
    /// The `tokenizer.json` values of the normalizer and pre-tokenizer (WordPiece), or nulls.
    pipeline: (serde_json::Value, serde_json::Value),
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
        let pipeline = (serde_json::Value::Null, serde_json::Value::Null);
        Ok(WordCounter { counts: WordCounts::new(), split: WordSplit::Pattern(splitter), pattern: text, pipeline })
    }

    /// A counter whose words are the pieces of a `tokenizer.json` pre-tokenizer in the text its
    /// normalizer gives (each the JSON text of the value; `"null"` for no normalizer).
    #[staticmethod]
    fn with_pipeline(normalizer: &str, pre_tokenizer: &str) -> PyResult<Self> {
        let parse = |what: &str, text: &str| {
            serde_json::from_str::<serde_json::Value>(text)
                .map_err(|e| PyValueError::new_err(format!("{what}: not JSON: {e}")))
        };
        let (normalizer_json, pre_json) = (parse("normalizer", normalizer)?, parse("pre_tokenizer", pre_tokenizer)?);
        let normalizer = match &normalizer_json {
            serde_json::Value::Null => None,
            value => Some(
                serde_json::from_value(value.clone()).map_err(|e| PyValueError::new_err(format!("normalizer: {e}")))?,
            ),
        };
        let pre_tokenizer = Box::new(
            serde_json::from_value(pre_json.clone())
                .map_err(|e| PyValueError::new_err(format!("pre_tokenizer: {e}")))?,
        );
        Ok(WordCounter {
            counts: WordCounts::new(),
            split: WordSplit::Pipeline { normalizer, pre_tokenizer },
            pattern: String::new(),
            pipeline: (normalizer_json, pre_json),
        })
    }

    /// A counter of the words SentencePiece's Unigram trainer sees: lines normalized with
    /// identity normalization, cut before each `▁`; `special_pieces` are the texts replaced by
    /// a boundary mark when met in the text.
    #[staticmethod]
    fn for_unigram(special_pieces: Vec<String>) -> PyResult<Self> {
        let words = SentencePieceWords::new(identity_spec(), special_pieces).map_err(PyValueError::new_err)?;
        Ok(WordCounter {
            counts: WordCounts::new(),
            split: WordSplit::SentencePiece(Box::new(words)),
            pattern: String::new(),
            pipeline: (serde_json::Value::Null, serde_json::Value::Null),
        })
    }

    /// Counts the words of a list of str.
    fn feed(&mut self, py: Python<'_>, texts: &Bound<'_, PyAny>) -> PyResult<()> {
        let texts = Texts::collect(texts, "texts")?;
        let strs = texts.as_strs("texts")?;
        let size = strs.iter().map(|s| s.len()).sum();
        let (counts, split) = (&mut self.counts, &self.split);
        detach_interruptible(py, size, || counts.add_texts(&strs, split))
    }

    /// Counts the words of a buffer of lines (any bytes-like object), a document per line, read
    /// as `tokembed encode` reads `.txt` inputs; returns the bad lines `(line, byte, reason)` and
    /// the number of empty lines left out.
    #[pyo3(signature = (data, invalid="replace", keep_empty=false))]
    fn feed_lines(
        &mut self,
        py: Python<'_>,
        data: &Bound<'_, PyAny>,
        invalid: &str,
        keep_empty: bool,
    ) -> PyResult<(Vec<BadLine>, usize)> {
        let on_invalid = OnInvalid::from_name(invalid).map_err(to_py)?;
        let view = ByteView::of(data, "data")?;
        let data = view.as_slice();
        let (counts, split) = (&mut self.counts, &self.split);
        let lines = detach_interruptible(py, data.len(), || {
            let lines = split_lines(data, on_invalid, keep_empty);
            counts.add_texts(&lines.documents, split)?;
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
    ///
    /// With a `prefix` (before pieces that continue a word), a `limit_alphabet` or more
    /// `initial_alphabet` characters, training goes by byte-level characters as HF's does with
    /// those options (`prefixed_order`: the order of the prefixed characters, as for WordPiece).
    #[pyo3(signature = (vocab_size, min_frequency, special_tokens, max_token_length=None, progress=None, prefix=None, limit_alphabet=None, initial_alphabet=Vec::new(), prefixed_order=Vec::new()))]
    #[allow(clippy::too_many_arguments)]
    fn train_bpe(
        &self,
        py: Python<'_>,
        vocab_size: usize,
        min_frequency: u64,
        special_tokens: Vec<String>,
        max_token_length: Option<usize>,
        progress: Option<Py<PyAny>>,
        prefix: Option<String>,
        limit_alphabet: Option<usize>,
        initial_alphabet: Vec<char>,
        prefixed_order: Vec<char>,
    ) -> PyResult<String> {
        if !matches!(self.split, WordSplit::Pattern(_)) {
            return Err(PyValueError::new_err("byte-level BPE trains on words of a split pattern"));
        }
        let prefix = prefix.filter(|p| !p.is_empty());
        let options = BpeTrainerOptions { vocab_size, min_frequency, special_tokens, max_token_length };
        let by_chars = prefix.is_some() || limit_alphabet.is_some() || !initial_alphabet.is_empty();
        let chars =
            CharOptions { continuing_subword_prefix: prefix.clone(), limit_alphabet, initial_alphabet, prefixed_order };
        let (counts, pattern) = (&self.counts, &self.pattern);
        with_progress(py, progress, |on_merge| {
            let trained = if by_chars {
                train_byte_level_chars(counts, &options, &chars, on_merge)?
            } else {
                bpe::train(counts, &options, on_merge)?
            };
            bpe_files::tokenizer_json(&trained, pattern, prefix.as_deref())
        })
    }

    /// Trains a WordPiece (BPE over characters with `prefix` before non-initial pieces, as HF's
    /// WordPieceTrainer); returns its `tokenizer.json` text with the counter's normalizer and
    /// pre-tokenizer. `progress` as for `train_bpe`.
    #[pyo3(signature = (vocab_size, min_frequency, special_tokens, limit_alphabet, initial_alphabet, prefix, unk_token, max_token_length=None, progress=None, prefixed_order=Vec::new()))]
    #[allow(clippy::too_many_arguments)]
    fn train_wordpiece(
        &self,
        py: Python<'_>,
        vocab_size: usize,
        min_frequency: u64,
        special_tokens: Vec<String>,
        limit_alphabet: Option<usize>,
        initial_alphabet: Vec<char>,
        prefix: String,
        unk_token: String,
        max_token_length: Option<usize>,
        progress: Option<Py<PyAny>>,
        prefixed_order: Vec<char>,
    ) -> PyResult<String> {
        if prefix.is_empty() {
            return Err(PyValueError::new_err("continuing_subword_prefix must not be empty for WordPiece"));
        }
        let options = BpeTrainerOptions { vocab_size, min_frequency, special_tokens, max_token_length };
        let chars = CharOptions {
            continuing_subword_prefix: Some(prefix.clone()),
            limit_alphabet,
            initial_alphabet,
            prefixed_order,
        };
        let (counts, (normalizer, pre_tokenizer)) = (&self.counts, &self.pipeline);
        with_progress(py, progress, |on_merge| {
            let trained = train_chars(counts, &options, &chars, on_merge)?;
            wordpiece_files::tokenizer_json(&trained, normalizer, pre_tokenizer, &prefix, &unk_token)
        })
    }
}

#[pymethods]
impl WordCounter {
    /// Trains a SentencePiece Unigram on the counts (of a `for_unigram` counter); returns its
    /// `tokenizer.json` text. `progress` as for `train_bpe` (steps of the pruning).
    #[pyo3(signature = (vocab_size, special_pieces, unknown_piece, byte_fallback, character_coverage, seed_size, shrinking_factor, sub_iterations, max_piece_length, split_by_unicode_script, split_by_number, split_digits, progress=None))]
    #[allow(clippy::too_many_arguments)]
    fn train_unigram(
        &self,
        py: Python<'_>,
        vocab_size: usize,
        special_pieces: Vec<String>,
        unknown_piece: String,
        byte_fallback: bool,
        character_coverage: f64,
        seed_size: usize,
        shrinking_factor: f32,
        sub_iterations: usize,
        max_piece_length: usize,
        split_by_unicode_script: bool,
        split_by_number: bool,
        split_digits: bool,
        progress: Option<Py<PyAny>>,
    ) -> PyResult<String> {
        if !matches!(self.split, WordSplit::SentencePiece(_)) {
            return Err(PyValueError::new_err("Unigram trains on the words of a for_unigram counter"));
        }
        let options = UnigramOptions {
            vocab_size,
            character_coverage,
            seed_size,
            shrinking_factor,
            sub_iterations,
            rules: PieceRules { max_chars: max_piece_length, split_by_unicode_script, split_by_number, split_digits },
            byte_fallback,
            special_pieces,
            unknown_piece,
        };
        let counts = &self.counts;
        with_progress(py, progress, |on_step| {
            let trained = unigram::train(counts, &options, on_step)?;
            unigram::files::tokenizer_json(&trained)
        })
    }
}

/// The SentencePiece `.model` bytes of a Unigram `tokenizer.json` trained by tokembed.
#[pyfunction]
pub fn unigram_model_bytes(py: Python<'_>, tokenizer_json: &str) -> PyResult<Py<pyo3::types::PyBytes>> {
    let bytes = unigram::files::model_from_tokenizer_json(tokenizer_json).map_err(to_py)?;
    Ok(pyo3::types::PyBytes::new(py, &bytes).unbind())
}

/// Runs a training without the GIL, interruptible, calling `progress(merges_done, merges_at_most)`
/// about every 50 ms when given.
fn with_progress<R: Send>(
    py: Python<'_>,
    progress: Option<Py<PyAny>>,
    train: impl FnOnce(&mut dyn FnMut(usize, usize) -> tokembed_core::Result<()>) -> tokembed_core::Result<R> + Send,
) -> PyResult<R> {
    let done = Arc::new(AtomicUsize::new(0));
    let total = Arc::new(AtomicUsize::new(0));
    let (work_done, work_total) = (done.clone(), total.clone());
    let work = move || {
        let mut on_merge = |merges: usize, at_most: usize| {
            work_done.store(merges, Ordering::Relaxed);
            work_total.store(at_most, Ordering::Relaxed);
            tokembed_core::utils::parallel::check_interrupt()
        };
        train(&mut on_merge)
    };
    // Training takes seconds at least: always interruptible, with progress when asked.
    let report = |py: Python<'_>| -> PyResult<()> {
        if let Some(callback) = &progress {
            callback.call1(py, (done.load(Ordering::Relaxed), total.load(Ordering::Relaxed)))?;
        }
        Ok(())
    };
    detach_interruptible_reporting(py, usize::MAX, work, report)
}
