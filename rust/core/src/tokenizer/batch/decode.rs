//! Many rows of ids back to text, in parallel: the batch counterpart of `Tokenizer::decode`.

use crate::error::{Error, Result};
use crate::tokenizer::Tokenizer;
use crate::utils::parallel;
use rayon::prelude::*;

/// Decodes the rows of a flat id array: row `r` is `ids[row_offsets[r]..row_offsets[r + 1]]`.
/// An id outside the vocabulary is reported by its row and its position in that row, not by
/// its place in the flat array, which the caller never saw.
pub fn decode_rows(
    tok: &Tokenizer,
    ids: &[i64],
    row_offsets: &[i64],
    skip_special_tokens: bool,
) -> Result<Vec<String>> {
    let ids = tok.checked_ids(ids).map_err(|e| match e {
        Error::IdOutOfRange { id, position, vocab_size } => {
            let row = row_offsets.partition_point(|&o| o <= position as i64).saturating_sub(1);
            let start = row_offsets.get(row).map_or(0, |&o| usize::try_from(o).unwrap_or(0));
            let in_row = Error::IdOutOfRange { id, position: position.saturating_sub(start), vocab_size };
            Error::OutOfRange(format!("sequences[{row}]: {in_row}"))
        }
        other => other,
    })?;
    parallel::run(|| {
        row_offsets
            .par_windows(2)
            .enumerate()
            .map(|(row, w)| {
                let (s, e) = (w[0] as usize, w[1] as usize);
                let slice = ids.get(s..e).ok_or_else(|| {
                    Error::InvalidArgument(format!("row {row}: offsets {s}..{e} are outside the ids"))
                })?;
                tok.decode(slice, skip_special_tokens).map_err(|e| e.context(&format!("sequences[{row}]")))
            })
            .collect()
    })
}
