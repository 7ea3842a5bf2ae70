//! Many texts at once, in parallel, into flat buffers ready to become NumPy arrays, and many
//! rows of ids back to texts (`decode`); `pad` lays encodings out as padded rows.
//!
//! Texts are cut into contiguous chunks, one task per chunk, each appending to its own buffer;
//! buffers are joined in order at the end. Results therefore never depend on the number of
//! threads.

mod decode;
mod pad;

pub use decode::decode_rows;
pub use pad::{pad_to_arrays, PaddedBatch};

use crate::error::{Error, Result};
use crate::tokenizer::encoding::Encoding;
use crate::tokenizer::padding::PaddingParams;
use crate::tokenizer::{EncodeOptions, Tokenizer};
use crate::utils::parallel;

/// All ids in one buffer and row offsets (`rows + 1` entries).
pub fn encode_flat(
    tok: &Tokenizer,
    texts: &[&str],
    add_special_tokens: bool,
    split_special_tokens: bool,
) -> Result<(Vec<u32>, Vec<i64>)> {
    let encode_group = |start: usize, group: &[&str]| -> Result<(Vec<u32>, Vec<usize>)> {
        let mut ids = Vec::with_capacity(group.iter().map(|t| t.len() / 4).sum());
        let mut lens = Vec::with_capacity(group.len());
        for (i, text) in group.iter().enumerate() {
            parallel::check_interrupt()?;
            let before = ids.len();
            tok.encode_ids_into(text, add_special_tokens, split_special_tokens, &mut ids)
                .map_err(|e| e.context(&format!("texts[{}]", start + i)))?;
            lens.push(ids.len() - before);
        }
        Ok((ids, lens))
    };
    // On one thread, one buffer: the chunks `map_chunks` cuts (eight per thread) would each get
    // their own, and joining them copies every id into memory touched for the first time, a
    // twentieth of a fast tokenizer's time.
    if parallel::num_threads() == 1 {
        return Ok(join_parts(vec![encode_group(0, texts)?]));
    }
    let parts = parallel::map_chunks(texts, encode_group);
    Ok(join_parts(parts?))
}

/// The ids and token counts of consecutive groups of documents as one flat buffer and row
/// offsets.
pub fn join_parts(parts: Vec<(Vec<u32>, Vec<usize>)>) -> (Vec<u32>, Vec<i64>) {
    let total: usize = parts.iter().map(|p| p.0.len()).sum();
    let mut offsets = Vec::with_capacity(parts.iter().map(|p| p.1.len()).sum::<usize>() + 1);
    let mut end = 0i64;
    offsets.push(end);
    // The first part's buffer is kept and grown (a large one is remapped, not copied).
    let mut ids: Vec<u32> = Vec::new();
    for (k, (part_ids, lens)) in parts.into_iter().enumerate() {
        if k == 0 {
            ids = part_ids;
            ids.reserve_exact(total - ids.len());
        } else {
            ids.extend_from_slice(&part_ids);
        }
        for l in lens {
            end += l as i64;
            offsets.push(end);
        }
    }
    // The buffer grew by doubling: give back the room the NumPy array would hold for nothing.
    ids.shrink_to_fit();
    (ids, offsets)
}

/// Number of tokens of each text (as `encode_flat` would give them).
pub fn count(
    tok: &Tokenizer,
    texts: &[&str],
    add_special_tokens: bool,
    split_special_tokens: bool,
) -> Result<Vec<i64>> {
    let parts = parallel::map_chunks(texts, |start, group| -> Result<Vec<i64>> {
        let mut ids = Vec::new();
        group
            .iter()
            .enumerate()
            .map(|(i, text)| {
                parallel::check_interrupt()?;
                ids.clear();
                tok.encode_ids_into(text, add_special_tokens, split_special_tokens, &mut ids)
                    .map_err(|e| e.context(&format!("texts[{}]", start + i)))?;
                Ok(ids.len() as i64)
            })
            .collect()
    });
    Ok(parts?.concat())
}

/// Full encodings of texts or pairs, in order.
pub fn encode_many(
    tok: &Tokenizer,
    texts: &[&str],
    pairs: Option<&[&str]>,
    opts: &EncodeOptions,
) -> Result<Vec<Encoding>> {
    encode_each(texts, pairs, |t, pair| tok.encode(t, pair.copied(), opts))
}

/// Full encodings of pre-tokenized inputs (each a list of words) or pairs of them, in order.
pub fn encode_many_pretokenized(
    tok: &Tokenizer,
    rows: &[Vec<&str>],
    pairs: Option<&[Vec<&str>]>,
    opts: &EncodeOptions,
) -> Result<Vec<Encoding>> {
    encode_each(rows, pairs, |words, pair| tok.encode_pretokenized(words, pair.map(Vec::as_slice), opts))
}

/// `encode` of each input with its pair (if any), in parallel, in order.
fn encode_each<T: Sync, P: Sync>(
    inputs: &[T],
    pairs: Option<&[P]>,
    encode: impl Fn(&T, Option<&P>) -> Result<Encoding> + Sync + Send,
) -> Result<Vec<Encoding>> {
    if let Some(p) = pairs {
        if p.len() != inputs.len() {
            return Err(Error::InvalidArgument(format!(
                "got {} texts but {} pairs; they must have the same length",
                inputs.len(),
                p.len()
            )));
        }
    }
    let parts = parallel::map_chunks(inputs, |start, group| -> Result<Vec<Encoding>> {
        group
            .iter()
            .enumerate()
            .map(|(i, input)| {
                parallel::check_interrupt()?;
                let pair = pairs.and_then(|p| p.get(start + i));
                encode(input, pair).map_err(|e| e.context(&format!("texts[{}]", start + i)))
            })
            .collect()
    });
    Ok(parts?.concat())
}

/// One text (or pair) encoded and, when `padding` is given, padded: `Tokenizer::encode` as the
/// single-text call of the bindings uses it.
pub fn encode_padded(
    tok: &Tokenizer,
    text: &str,
    pair: Option<&str>,
    opts: &EncodeOptions,
    padding: Option<&PaddingParams>,
) -> Result<Encoding> {
    pad_one(tok, tok.encode(text, pair, opts)?, padding)
}

/// Pre-tokenized input (lists of words) encoded and, when `padding` is given, padded.
pub fn encode_pretokenized_padded(
    tok: &Tokenizer,
    words: &[&str],
    pair: Option<&[&str]>,
    opts: &EncodeOptions,
    padding: Option<&PaddingParams>,
) -> Result<Encoding> {
    pad_one(tok, tok.encode_pretokenized(words, pair, opts)?, padding)
}

fn pad_one(tok: &Tokenizer, mut e: Encoding, padding: Option<&PaddingParams>) -> Result<Encoding> {
    if let Some(p) = padding {
        p.pad_all(std::slice::from_mut(&mut e), tok.id_to_token(p.pad_id))?;
    }
    Ok(e)
}

/// Texts (and pairs) encoded in parallel and laid out as padded `(rows, width)` buffers, with a
/// row for each overflowing window when `opts.overflowing`, and each token's word when
/// `word_ids`.
pub fn encode_to_arrays(
    tok: &Tokenizer,
    texts: &[&str],
    pairs: Option<&[&str]>,
    opts: &EncodeOptions,
    padding: &PaddingParams,
    word_ids: bool,
) -> Result<PaddedBatch> {
    // Words are found along with offsets.
    let encode_opts = EncodeOptions { offsets: opts.offsets || word_ids, ..opts.clone() };
    let encodings = encode_many(tok, texts, pairs, &encode_opts)?;
    pad_to_arrays(encodings, padding, opts.overflowing, opts.offsets, word_ids)
}

/// Pre-tokenized inputs (and pairs) encoded in parallel and laid out as `encode_to_arrays`
/// does, with each token's word (its index in the input's list) when `word_ids`.
pub fn encode_pretokenized_to_arrays(
    tok: &Tokenizer,
    rows: &[Vec<&str>],
    pairs: Option<&[Vec<&str>]>,
    opts: &EncodeOptions,
    padding: &PaddingParams,
    word_ids: bool,
) -> Result<PaddedBatch> {
    let encode_opts = EncodeOptions { offsets: opts.offsets || word_ids, ..opts.clone() };
    let encodings = encode_many_pretokenized(tok, rows, pairs, &encode_opts)?;
    pad_to_arrays(encodings, padding, opts.overflowing, opts.offsets, word_ids)
}
