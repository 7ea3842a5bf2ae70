//! Encodings laid out as padded rows: the `(rows, width)` buffers of a padded batch, filled in
//! parallel.

use crate::error::{Error, Result};
use crate::tokenizer::encoding::{Direction, Encoding, NO_WORD};
use crate::tokenizer::padding::{PaddingParams, PaddingStrategy};
use crate::utils::memory::try_zeroed;
use crate::utils::parallel;
use rayon::prelude::*;

/// A padded batch as row-major `(rows, width)` buffers.
#[derive(Debug, Default)]
pub struct PaddedBatch {
    pub rows: usize,
    pub width: usize,
    pub input_ids: Vec<i64>,
    pub attention_mask: Vec<i64>,
    pub token_type_ids: Vec<i64>,
    pub special_tokens_mask: Vec<i64>,
    /// `(rows, width, 2)` when asked for.
    pub offsets: Option<Vec<i64>>,
    /// `(rows, width)` when asked for: each token's word, -1 for special tokens and padding.
    pub word_ids: Option<Vec<i64>>,
    /// Which input each row came from (rows of overflowing windows repeat it).
    pub overflow_to_sample_mapping: Vec<i64>,
}

/// Lays encodings out as rows, one per encoding plus, when asked, one per overflowing window,
/// padded as `padding` says. A row longer than a fixed padding length is an error: nothing is
/// cut without truncation being asked for.
pub fn pad_to_arrays(
    encodings: Vec<Encoding>,
    padding: &PaddingParams,
    return_overflowing: bool,
    with_offsets: bool,
    with_word_ids: bool,
) -> Result<PaddedBatch> {
    let mut rows: Vec<(usize, Encoding)> = Vec::with_capacity(encodings.len());
    for (i, mut e) in encodings.into_iter().enumerate() {
        let overflow = std::mem::take(&mut e.overflowing);
        rows.push((i, e));
        if return_overflowing {
            rows.extend(overflow.into_iter().map(|mut o| {
                o.overflowing.clear();
                (i, o)
            }));
        }
    }
    let longest = rows.iter().map(|(_, e)| e.len()).max().unwrap_or(0);
    let width = padding.target_length(longest)?;
    padding.check_pad_token(rows.iter().map(|(_, e)| e.len()).min().unwrap_or(width), width)?;
    if let PaddingStrategy::Fixed(n) = padding.strategy {
        if let Some((r, (_, e))) = rows.iter().enumerate().find(|(_, (_, e))| e.len() > width) {
            return Err(Error::InvalidArgument(format!(
                "row {r} has {} tokens, more than the fixed padding length {n}; enable truncation \
                 (max_length={n}) or pad to the longest",
                e.len()
            )));
        }
    }
    let n = rows.len();
    let cells = n
        .checked_mul(width)
        .filter(|c| c.checked_mul(2).is_some())
        .ok_or_else(|| Error::OutOfMemory(format!("padding: {n} rows of {width} tokens do not fit in memory")))?;
    let what = format!("padding: {n} rows of {width} tokens");
    // Zeroed buffers come from the allocator as untouched pages; every cell is then written by
    // the parallel fill below, so page faults and writes are spread over the threads.
    let mut b = PaddedBatch {
        rows: n,
        width,
        input_ids: try_zeroed(cells, &what)?,
        attention_mask: try_zeroed(cells, &what)?,
        token_type_ids: try_zeroed(cells, &what)?,
        special_tokens_mask: try_zeroed(cells, &what)?,
        offsets: if with_offsets { Some(try_zeroed(2 * cells, &what)?) } else { None },
        word_ids: if with_word_ids { Some(try_zeroed(cells, &what)?) } else { None },
        overflow_to_sample_mapping: rows.iter().map(|(sample, _)| *sample as i64).collect(),
    };
    if width == 0 {
        return Ok(b);
    }
    // Each cell is written once: the tokens' cells from the encoding, the others with padding
    // (filling the whole row first, then the tokens over it, wrote the token cells twice).
    let fill = |e: &Encoding, ids: &mut [i64], mask: &mut [i64], types: &mut [i64], special: &mut [i64]| {
        let n = e.len();
        let (start, tokens) = match padding.direction {
            Direction::Right => (0, 0..n),
            Direction::Left => (width - n, width - n..width),
        };
        let pad = |cells: &mut [i64], value: i64| {
            cells[..tokens.start].fill(value);
            cells[tokens.end..].fill(value);
        };
        pad(ids, padding.pad_id as i64);
        pad(mask, 0);
        pad(types, padding.pad_type_id as i64);
        pad(special, 1);
        for (cell, &id) in ids[tokens.clone()].iter_mut().zip(&e.ids) {
            *cell = id as i64;
        }
        for (cell, &m) in mask[tokens.clone()].iter_mut().zip(&e.attention_mask) {
            *cell = m as i64;
        }
        for (cell, &t) in types[tokens.clone()].iter_mut().zip(&e.type_ids) {
            *cell = t as i64;
        }
        for (cell, &s) in special[tokens].iter_mut().zip(&e.special_tokens_mask) {
            *cell = s as i64;
        }
        start
    };
    if let Some(words) = b.word_ids.as_mut() {
        for (row, (_, e)) in words.chunks_mut(width).zip(&rows) {
            row.fill(-1);
            let start = match padding.direction {
                Direction::Right => 0,
                Direction::Left => width - e.len(),
            };
            for (cell, &w) in row[start..].iter_mut().zip(&e.word_ids) {
                *cell = if w == NO_WORD { -1 } else { w as i64 };
            }
        }
    }
    parallel::run(|| {
        let rows_out = b
            .input_ids
            .par_chunks_mut(width)
            .zip(b.attention_mask.par_chunks_mut(width))
            .zip(b.token_type_ids.par_chunks_mut(width))
            .zip(b.special_tokens_mask.par_chunks_mut(width))
            .zip(rows.par_iter());
        match b.offsets.as_mut() {
            Some(offsets) => rows_out.zip(offsets.par_chunks_mut(2 * width)).for_each(
                |(((((ids, mask), types), special), (_, e)), offs)| {
                    let start = fill(e, ids, mask, types, special);
                    for (k, &(s, t)) in e.offsets.iter().enumerate() {
                        offs[2 * (start + k)] = s as i64;
                        offs[2 * (start + k) + 1] = t as i64;
                    }
                },
            ),
            None => rows_out.for_each(|((((ids, mask), types), special), (_, e))| {
                fill(e, ids, mask, types, special);
            }),
        }
    });
    Ok(b)
}
