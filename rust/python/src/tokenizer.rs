//! `tokembed._core.CoreTokenizer`: the core tokenizer behind the Python `tokembed.Tokenizer`.
//!
//! It is immutable: truncation and padding arrive with each call as the JSON objects of the
//! `tokenizer.json` format (the Python class keeps the current settings), so no lock is held
//! while the GIL is released.

use crate::arrays::{vec1, vec2, vec3};
use crate::byte_views::ByteView;
use crate::errors::{detach_interruptible, guarded, to_py};
use crate::texts::{one_str, Texts};
use numpy::PyReadonlyArray1;
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyList};
use tokembed_core::corpus::{jsonl, lines};
use tokembed_core::tokenizer::batch;
use tokembed_core::tokenizer::encoding::{Encoding, NO_SEQUENCE, NO_WORD};
use tokembed_core::tokenizer::padding::PaddingParams;
use tokembed_core::tokenizer::truncation::TruncationParams;
use tokembed_core::tokenizer::EncodeOptions;
use tokembed_core::{Error, Tokenizer};

#[pyclass(frozen, module = "tokembed._core")]
pub struct CoreTokenizer {
    pub(crate) inner: Tokenizer,
}

fn parse_json<T: serde::de::DeserializeOwned>(json: Option<&str>, what: &str) -> PyResult<Option<T>> {
    match json {
        None => Ok(None),
        Some(s) => serde_json::from_str::<Option<T>>(s).map_err(|e| to_py(Error::Config(format!("{what}: {e}")))),
    }
}

/// Bytes of text in a batch: what decides whether a call is long enough to be interruptible.
fn total_len(texts: &[&str]) -> usize {
    texts.iter().map(|t| t.len()).sum()
}

fn to_json<T: serde::Serialize>(v: Option<&T>) -> Option<String> {
    v.and_then(|v| serde_json::to_string(v).ok())
}

/// The options of a one-input call (offsets always) and its padding, from the Python layer's JSON.
pub(crate) fn single_call_options(
    add_special_tokens: bool,
    truncation: Option<&str>,
    padding: Option<&str>,
    split_special_tokens: bool,
) -> PyResult<(EncodeOptions, Option<PaddingParams>)> {
    let opts = EncodeOptions {
        add_special_tokens,
        truncation: parse_json(truncation, "truncation")?,
        offsets: true,
        split_special_tokens,
        token_texts: true,
        overflowing: true,
    };
    Ok((opts, parse_json(padding, "padding")?))
}

pub(crate) fn encoding_dict<'py>(py: Python<'py>, e: Encoding) -> PyResult<Bound<'py, PyDict>> {
    let d = PyDict::new(py);
    let n = e.ids.len();
    d.set_item("ids", vec1(py, e.ids.iter().map(|&x| x as i64).collect::<Vec<_>>()))?;
    d.set_item("type_ids", vec1(py, e.type_ids.iter().map(|&x| x as i64).collect::<Vec<_>>()))?;
    d.set_item("attention_mask", vec1(py, e.attention_mask.iter().map(|&x| x as i64).collect::<Vec<_>>()))?;
    d.set_item("special_tokens_mask", vec1(py, e.special_tokens_mask.iter().map(|&x| x as i64).collect::<Vec<_>>()))?;
    let offsets: Vec<i64> = e.offsets.iter().flat_map(|&(a, b)| [a as i64, b as i64]).collect();
    d.set_item("offsets", vec2(py, offsets, n, 2)?)?;
    // HF's sequence ids: 0 or 1 for a token of the text or the pair, -1 (None) for the rest.
    let sequence_ids = e.sequence_ids.iter().map(|&s| if s == NO_SEQUENCE { -1 } else { i64::from(s) }).collect();
    d.set_item("sequence_ids", vec1(py, sequence_ids))?;
    let word_ids = e.word_ids.iter().map(|&w| if w == NO_WORD { -1 } else { i64::from(w) }).collect();
    d.set_item("word_ids", vec1(py, word_ids))?;
    let token_texts: Vec<(usize, String)> = e.token_texts.into_iter().map(|(i, t)| (i, t.into())).collect();
    d.set_item("token_texts", token_texts)?;
    let overflowing = PyList::empty(py);
    for o in e.overflowing {
        overflowing.append(encoding_dict(py, o)?)?;
    }
    d.set_item("overflowing", overflowing)?;
    // The ranges of tokens HF keeps for each sequence (none for a single text no
    // post-processor saw, for instance).
    d.set_item("sequence_ranges", e.sequence_ranges)?;
    Ok(d)
}

#[pymethods]
impl CoreTokenizer {
    #[staticmethod]
    fn from_str(py: Python<'_>, json: &str) -> PyResult<Self> {
        let inner = py.detach(|| guarded(|| Tokenizer::from_json(json)))?;
        Ok(CoreTokenizer { inner })
    }

    /// The bytes of a `tokenizer.json` file; other kinds of files are named in the error.
    #[staticmethod]
    fn from_bytes(py: Python<'_>, data: &[u8]) -> PyResult<Self> {
        let inner = py.detach(|| guarded(|| Tokenizer::from_json_bytes(data)))?;
        Ok(CoreTokenizer { inner })
    }

    /// The bytes of a SentencePiece `.model` file.
    #[staticmethod]
    fn from_sentencepiece(py: Python<'_>, data: &[u8], add_bos: bool, add_eos: bool) -> PyResult<Self> {
        let inner = py.detach(|| guarded(|| Tokenizer::from_sentencepiece(data, add_bos, add_eos)))?;
        Ok(CoreTokenizer { inner })
    }

    /// Whether bytes look like a SentencePiece `.model` (a `ModelProto`).
    #[staticmethod]
    fn looks_like_sentencepiece(data: &[u8]) -> bool {
        tokembed_core::formats::sniff::looks_like_sentencepiece(data)
    }

    #[staticmethod]
    fn from_tiktoken(
        py: Python<'_>,
        ranks_text: &str,
        pattern: &str,
        special_tokens: Vec<(String, u32)>,
    ) -> PyResult<Self> {
        let inner = py.detach(|| guarded(|| Tokenizer::from_tiktoken(ranks_text, pattern, &special_tokens)))?;
        Ok(CoreTokenizer { inner })
    }

    #[staticmethod]
    fn from_byte_level_bpe(
        py: Python<'_>,
        vocab_json: &str,
        merges_txt: &str,
        add_prefix_space: bool,
        trim_offsets: bool,
        special_tokens: Vec<(String, u32)>,
    ) -> PyResult<Self> {
        let inner = py.detach(|| {
            guarded(|| {
                Tokenizer::from_byte_level_bpe(vocab_json, merges_txt, add_prefix_space, trim_offsets, &special_tokens)
            })
        })?;
        Ok(CoreTokenizer { inner })
    }

    #[staticmethod]
    fn from_wordpiece_vocab(py: Python<'_>, vocab_text: &str, lowercase: bool) -> PyResult<Self> {
        let inner = py.detach(|| guarded(|| Tokenizer::from_wordpiece_vocab(vocab_text, lowercase)))?;
        Ok(CoreTokenizer { inner })
    }

    /// The tokenizer as `tokenizer.json` text, with the given truncation and padding.
    #[pyo3(signature = (pretty, truncation, padding))]
    fn to_str(&self, pretty: bool, truncation: Option<&str>, padding: Option<&str>) -> PyResult<String> {
        let truncation = parse_json::<TruncationParams>(truncation, "truncation")?;
        let padding = parse_json::<PaddingParams>(padding, "padding")?;
        guarded(|| self.inner.to_json_with_settings(pretty, truncation, padding))
    }

    fn file_truncation(&self) -> Option<String> {
        to_json(self.inner.truncation())
    }

    fn file_padding(&self) -> Option<String> {
        to_json(self.inner.padding())
    }

    #[pyo3(signature = (text, pair, add_special_tokens, truncation, padding, split_special_tokens=false))]
    #[allow(clippy::too_many_arguments)]
    fn encode<'py>(
        &self,
        py: Python<'py>,
        text: &Bound<'py, PyAny>,
        pair: Option<&Bound<'py, PyAny>>,
        add_special_tokens: bool,
        truncation: Option<&str>,
        padding: Option<&str>,
        split_special_tokens: bool,
    ) -> PyResult<Bound<'py, PyDict>> {
        let strings = std::iter::once(one_str(text, "text")).chain(pair.map(|p| one_str(p, "pair")));
        let texts = Texts::of_strings(strings.collect::<PyResult<_>>()?);
        let text = texts.str_at(0, "text")?;
        let pair_str = pair.is_some().then(|| texts.str_at(1, "pair")).transpose()?;
        let (opts, padding) = single_call_options(add_special_tokens, truncation, padding, split_special_tokens)?;
        let inner = &self.inner;
        let size = text.len() + pair_str.map_or(0, str::len);
        let encoding =
            detach_interruptible(py, size, || batch::encode_padded(inner, text, pair_str, &opts, padding.as_ref()))?;
        encoding_dict(py, encoding)
    }

    /// Pre-tokenized input: `words` (and `pair`) are lists of str, checked by the Python layer.
    #[pyo3(signature = (words, pair, add_special_tokens, truncation, padding, split_special_tokens=false))]
    #[allow(clippy::too_many_arguments)]
    fn encode_pretokenized<'py>(
        &self,
        py: Python<'py>,
        words: Vec<String>,
        pair: Option<Vec<String>>,
        add_special_tokens: bool,
        truncation: Option<&str>,
        padding: Option<&str>,
        split_special_tokens: bool,
    ) -> PyResult<Bound<'py, PyDict>> {
        let (opts, padding) = single_call_options(add_special_tokens, truncation, padding, split_special_tokens)?;
        let words: Vec<&str> = words.iter().map(String::as_str).collect();
        let pair: Option<Vec<&str>> = pair.as_ref().map(|p| p.iter().map(String::as_str).collect());
        let size = words.iter().chain(pair.iter().flatten()).map(|w| w.len()).sum();
        let inner = &self.inner;
        let encoding = detach_interruptible(py, size, || {
            batch::encode_pretokenized_padded(inner, &words, pair.as_deref(), &opts, padding.as_ref())
        })?;
        encoding_dict(py, encoding)
    }

    #[pyo3(signature = (texts, pairs, add_special_tokens, truncation, padding, return_overflowing, return_offsets, split_special_tokens=false, return_word_ids=false))]
    #[allow(clippy::too_many_arguments)]
    fn encode_batch<'py>(
        &self,
        py: Python<'py>,
        texts: &Bound<'py, PyAny>,
        pairs: Option<&Bound<'py, PyAny>>,
        add_special_tokens: bool,
        truncation: Option<&str>,
        padding: &str,
        return_overflowing: bool,
        return_offsets: bool,
        split_special_tokens: bool,
        return_word_ids: bool,
    ) -> PyResult<Bound<'py, PyDict>> {
        let texts = Texts::collect(texts, "texts")?;
        let pairs = pairs.map(|p| Texts::collect(p, "pairs")).transpose()?;
        let text_strs = texts.as_strs("texts")?;
        let pair_strs = pairs.as_ref().map(|p| p.as_strs("pairs")).transpose()?;
        let (mut opts, padding) = batch_call_options(add_special_tokens, truncation, padding, split_special_tokens)?;
        (opts.offsets, opts.overflowing) = (return_offsets, return_overflowing);
        let inner = &self.inner;
        let size = total_len(&text_strs) + pair_strs.as_deref().map_or(0, total_len);
        let b = detach_interruptible(py, size, || {
            let pairs = pair_strs.as_deref();
            batch::encode_to_arrays(inner, &text_strs, pairs, &opts, &padding, return_word_ids)
        })?;
        padded_batch_dict(py, b, return_overflowing)
    }

    /// `encode_batch` of pre-tokenized inputs: each input (and pair) a list of words.
    #[pyo3(signature = (rows, pairs, add_special_tokens, truncation, padding, return_overflowing, return_offsets, split_special_tokens=false, return_word_ids=false))]
    #[allow(clippy::too_many_arguments)]
    fn encode_batch_pretokenized<'py>(
        &self,
        py: Python<'py>,
        rows: Vec<Vec<String>>,
        pairs: Option<Vec<Vec<String>>>,
        add_special_tokens: bool,
        truncation: Option<&str>,
        padding: &str,
        return_overflowing: bool,
        return_offsets: bool,
        split_special_tokens: bool,
        return_word_ids: bool,
    ) -> PyResult<Bound<'py, PyDict>> {
        let (mut opts, padding) = batch_call_options(add_special_tokens, truncation, padding, split_special_tokens)?;
        (opts.offsets, opts.overflowing) = (return_offsets, return_overflowing);
        let row_words = word_lists(&rows);
        let pair_words = pairs.as_deref().map(word_lists);
        let size = rows.iter().chain(pairs.iter().flatten()).flatten().map(String::len).sum();
        let inner = &self.inner;
        let b = detach_interruptible(py, size, || {
            let pairs = pair_words.as_deref();
            batch::encode_pretokenized_to_arrays(inner, &row_words, pairs, &opts, &padding, return_word_ids)
        })?;
        padded_batch_dict(py, b, return_overflowing)
    }

    #[pyo3(signature = (texts, add_special_tokens, split_special_tokens=false))]
    fn encode_batch_flat<'py>(
        &self,
        py: Python<'py>,
        texts: &Bound<'py, PyAny>,
        add_special_tokens: bool,
        split_special_tokens: bool,
    ) -> PyResult<(Bound<'py, PyAny>, Bound<'py, PyAny>)> {
        let texts = Texts::collect(texts, "texts")?;
        let strs = texts.as_strs("texts")?;
        let inner = &self.inner;
        let (ids, offsets) = detach_interruptible(py, total_len(&strs), || {
            batch::encode_flat(inner, &strs, add_special_tokens, split_special_tokens)
        })?;
        Ok((vec1(py, ids), vec1(py, offsets)))
    }

    /// The lines of a UTF-8 buffer (any bytes-like object) as documents (see
    /// `tokembed_core::corpus::lines`), encoded as `encode_batch_flat` would encode them:
    /// `(ids, offsets, bad_lines, empty_lines)`, where `bad_lines` lists `(line, byte, reason)`
    /// for each line that was not valid UTF-8.
    #[pyo3(signature = (data, add_special_tokens, split_special_tokens=false, invalid="replace", keep_empty=false))]
    fn encode_lines_flat<'py>(
        &self,
        py: Python<'py>,
        data: &Bound<'py, PyAny>,
        add_special_tokens: bool,
        split_special_tokens: bool,
        invalid: &str,
        keep_empty: bool,
    ) -> PyResult<(Bound<'py, PyAny>, Bound<'py, PyAny>, Vec<(usize, usize, &'static str)>, usize)> {
        let on_invalid = lines::OnInvalid::from_name(invalid).map_err(to_py)?;
        let view = ByteView::of(data, "data")?;
        let data = view.as_slice();
        let inner = &self.inner;
        let lines::EncodedLines { ids, offsets, bad, empty } = detach_interruptible(py, data.len(), || {
            lines::encode_lines(inner, data, on_invalid, keep_empty, add_special_tokens, split_special_tokens)
        })?;
        let bad = bad.into_iter().map(|b| (b.line, b.byte, b.reason)).collect();
        Ok((vec1(py, ids), vec1(py, offsets), bad, empty))
    }

    /// The documents of a JSON Lines buffer (any bytes-like object; the string under `key` on
    /// each line) encoded as `encode_batch_flat` would encode them: `(ids, offsets,
    /// empty_documents)`; `None` when some line is not that plain (see
    /// `tokembed_core::corpus::jsonl`) and the caller's careful reader must read the buffer.
    /// `first_line` numbers the buffer's first line in errors.
    #[pyo3(signature = (data, key, add_special_tokens, split_special_tokens=false, keep_empty=false, first_line=1))]
    #[allow(clippy::too_many_arguments)]
    fn encode_jsonl_flat<'py>(
        &self,
        py: Python<'py>,
        data: &Bound<'py, PyAny>,
        key: &str,
        add_special_tokens: bool,
        split_special_tokens: bool,
        keep_empty: bool,
        first_line: usize,
    ) -> PyResult<Option<(Bound<'py, PyAny>, Bound<'py, PyAny>, usize)>> {
        let view = ByteView::of(data, "data")?;
        let data = view.as_slice();
        let inner = &self.inner;
        let encoded = detach_interruptible(py, data.len(), || {
            jsonl::encode(inner, data, key, keep_empty, add_special_tokens, split_special_tokens, first_line)
        })?;
        Ok(encoded.map(|e| (vec1(py, e.ids), vec1(py, e.offsets), e.empty)))
    }

    #[pyo3(signature = (texts, add_special_tokens, split_special_tokens=false))]
    fn count_tokens<'py>(
        &self,
        py: Python<'py>,
        texts: &Bound<'py, PyAny>,
        add_special_tokens: bool,
        split_special_tokens: bool,
    ) -> PyResult<Bound<'py, PyAny>> {
        let texts = Texts::collect(texts, "texts")?;
        let strs = texts.as_strs("texts")?;
        let inner = &self.inner;
        let counts = detach_interruptible(py, total_len(&strs), || {
            batch::count(inner, &strs, add_special_tokens, split_special_tokens)
        })?;
        Ok(vec1(py, counts))
    }

    fn decode(&self, py: Python<'_>, ids: PyReadonlyArray1<'_, i64>, skip_special_tokens: bool) -> PyResult<String> {
        let ids = self.inner.checked_ids(ids.as_slice()?).map_err(to_py)?;
        let inner = &self.inner;
        py.detach(|| guarded(|| inner.decode(&ids, skip_special_tokens)))
    }

    fn decode_bytes<'py>(
        &self,
        py: Python<'py>,
        ids: PyReadonlyArray1<'_, i64>,
        skip_special_tokens: bool,
    ) -> PyResult<Bound<'py, pyo3::types::PyBytes>> {
        let ids = self.inner.checked_ids(ids.as_slice()?).map_err(to_py)?;
        let inner = &self.inner;
        let bytes = py.detach(|| guarded(|| inner.decode_bytes(&ids, skip_special_tokens)))?;
        Ok(pyo3::types::PyBytes::new(py, &bytes))
    }

    /// Decodes rows given as one flat id array and row offsets (length rows + 1).
    fn decode_flat(
        &self,
        py: Python<'_>,
        ids: PyReadonlyArray1<'_, i64>,
        row_offsets: PyReadonlyArray1<'_, i64>,
        skip_special_tokens: bool,
    ) -> PyResult<Vec<String>> {
        let (ids, row_offsets) = (ids.as_slice()?, row_offsets.as_slice()?);
        let inner = &self.inner;
        py.detach(|| guarded(|| batch::decode_rows(inner, ids, row_offsets, skip_special_tokens)))
    }

    fn ids_to_tokens(&self, ids: PyReadonlyArray1<'_, i64>) -> PyResult<Vec<String>> {
        let ids = self.inner.checked_ids(ids.as_slice()?).map_err(to_py)?;
        Ok(ids.iter().map(|&id| self.inner.id_to_token(id).unwrap_or_default().to_string()).collect())
    }

    fn id_to_token(&self, id: i64) -> Option<String> {
        u32::try_from(id).ok().and_then(|id| self.inner.id_to_token(id)).map(str::to_string)
    }

    fn token_to_id(&self, token: &str) -> Option<u32> {
        self.inner.token_to_id(token)
    }

    /// A copy with BPE-dropout at probability `p` (None: off) drawing from `seed`.
    #[pyo3(signature = (p, seed))]
    fn with_dropout(&self, p: Option<f32>, seed: u64) -> PyResult<Self> {
        let inner = guarded(|| self.inner.with_dropout(p, seed))?;
        Ok(CoreTokenizer { inner })
    }

    #[pyo3(signature = (with_added_tokens = true))]
    fn get_vocab(&self, with_added_tokens: bool) -> std::collections::HashMap<String, u32> {
        self.inner.get_vocab(with_added_tokens).into_iter().collect()
    }

    fn vocab_size(&self) -> usize {
        self.inner.vocab_size()
    }

    fn max_token_id(&self) -> Option<u32> {
        self.inner.max_token_id()
    }

    fn decodes_bytes(&self) -> bool {
        self.inner.decodes_bytes()
    }

    fn is_special(&self, id: i64) -> bool {
        u32::try_from(id).map(|id| self.inner.is_special(id)).unwrap_or(false)
    }

    fn num_special_tokens_to_add(&self, is_pair: bool) -> usize {
        self.inner.num_special_tokens_to_add(is_pair)
    }
}

/// The options of a batch call, offsets and overflowing windows off (the caller says), and the
/// padding (required).
fn batch_call_options(
    add_special_tokens: bool,
    truncation: Option<&str>,
    padding: &str,
    split_special_tokens: bool,
) -> PyResult<(EncodeOptions, PaddingParams)> {
    let opts = EncodeOptions {
        add_special_tokens,
        truncation: parse_json(truncation, "truncation")?,
        offsets: false,
        split_special_tokens,
        // Padded arrays hold no token strings.
        token_texts: false,
        overflowing: false,
    };
    let padding: PaddingParams = parse_json(Some(padding), "padding")?
        .ok_or_else(|| PyValueError::new_err("padding parameters are required"))?;
    Ok((opts, padding))
}

/// A padded batch as the dict of arrays `BatchEncoding` wraps.
fn padded_batch_dict<'py>(
    py: Python<'py>,
    b: batch::PaddedBatch,
    return_overflowing: bool,
) -> PyResult<Bound<'py, PyDict>> {
    let d = PyDict::new(py);
    let (rows, width) = (b.rows, b.width);
    d.set_item("input_ids", vec2(py, b.input_ids, rows, width)?)?;
    d.set_item("token_type_ids", vec2(py, b.token_type_ids, rows, width)?)?;
    d.set_item("attention_mask", vec2(py, b.attention_mask, rows, width)?)?;
    d.set_item("special_tokens_mask", vec2(py, b.special_tokens_mask, rows, width)?)?;
    if let Some(o) = b.offsets {
        d.set_item("offsets", vec3(py, o, (rows, width, 2))?)?;
    }
    if let Some(w) = b.word_ids {
        d.set_item("word_ids", vec2(py, w, rows, width)?)?;
    }
    if return_overflowing {
        d.set_item("overflow_to_sample_mapping", vec1(py, b.overflow_to_sample_mapping))?;
    }
    Ok(d)
}

fn word_lists(rows: &[Vec<String>]) -> Vec<Vec<&str>> {
    rows.iter().map(|r| r.iter().map(String::as_str).collect()).collect()
}
