//! The gather kernel every table feature uses: output row `i` is table row `ids[i]`.
//!
//! A same-format gather copies each row's bytes, prefetching the rows a few ids ahead (their
//! addresses are random, so the hardware cannot guess them) and streaming the stores when the
//! output is too large for the cache (`row_writer`). A converting gather (say a bfloat16 table
//! read as float32) converts each row through float32 into a small staging row first, so its
//! stores can be streamed too. Large outputs are split among the pool's threads by rows.

use crate::embed::table::dtype::{FloatBuf, FloatSliceMut};
use crate::embed::table::ids::CheckedIds;
use crate::embed::table::row_writer::{prefetch_row, RowWriter, PREFETCH_ROWS_AHEAD};
use crate::embed::table::rows_parallel::for_each_row_chunk;
use crate::embed::table::view::TableView;
use crate::{Error, Result};

/// Writes `table[ids[i]]` to row `i` of `out` (`ids.len() * dim` elements, any format).
pub fn gather(table: &TableView<'_>, ids: &CheckedIds, out: FloatSliceMut<'_>) -> Result<()> {
    check_ids_fit(table, ids)?;
    let dim = table.dim();
    if out.len() != ids.len() * dim {
        return Err(Error::InvalidArgument(format!(
            "the output has {} elements, but {} ids of dim {dim} need {}",
            out.len(),
            ids.len(),
            ids.len() * dim
        )));
    }
    let writer = RowWriter::for_output(out.len() * out.kind().size_bytes());
    let rows = ids.rows();
    for_each_row_chunk(out, dim, |first, chunk| {
        let count = chunk.len() / dim;
        gather_rows(table, &rows[first..first + count], chunk, writer);
    });
    Ok(())
}

/// Refuses ids that were checked against a larger table than this one.
pub fn check_ids_fit(table: &TableView<'_>, ids: &CheckedIds) -> Result<()> {
    if ids.bound() > table.rows() {
        return Err(Error::InvalidArgument(format!(
            "ids checked against {} rows used with a table of {} rows",
            ids.bound(),
            table.rows()
        )));
    }
    Ok(())
}

/// Copies the table rows `rows` into consecutive rows of `out`, then fences streamed stores.
pub fn gather_rows(table: &TableView<'_>, rows: &[u32], mut out: FloatSliceMut<'_>, writer: RowWriter) {
    let dim = table.dim();
    let out_kind = out.kind();
    let same_format = out_kind == table.kind();
    let mut wide = vec![0f32; if same_format { 0 } else { dim }];
    let mut staged = FloatBuf::zeros(out_kind, if same_format { 0 } else { dim });
    let out_row_bytes = dim * out_kind.size_bytes();
    for (i, (&r, dst)) in rows.iter().zip(out.as_bytes_mut().chunks_exact_mut(out_row_bytes)).enumerate() {
        if let Some(&ahead) = rows.get(i + PREFETCH_ROWS_AHEAD) {
            prefetch_row(table.row_address(ahead as usize), table.row_bytes());
        }
        let src = table.row(r as usize);
        if same_format {
            writer.copy(src.as_bytes(), dst);
        } else {
            src.to_f32(&mut wide);
            staged.as_mut().store_f32(&wide);
            writer.copy(staged.as_ref().as_bytes(), dst);
        }
    }
    writer.finish();
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::embed::table::dtype::{FloatKind, FloatSlice};
    use crate::embed::table::ids::IdsView;
    use half::{bf16, f16};

    fn writers() -> Vec<RowWriter> {
        #[allow(unused_mut)]
        let mut all = vec![RowWriter::Cached];
        #[cfg(target_arch = "x86_64")]
        all.extend(crate::embed::table::gather_x86::StreamIsa::available().into_iter().map(RowWriter::Streaming));
        all
    }

    fn table_values(rows: usize, dim: usize) -> Vec<f32> {
        (0..rows * dim).map(|i| ((i * 37 % 101) as f32 - 50.0) / 8.0).collect()
    }

    /// The obvious element-by-element gather, through f32 for every format.
    fn reference(values: &[f32], dim: usize, ids: &[u32], out_kind: FloatKind, table_kind: FloatKind) -> Vec<f32> {
        let round = |x: f32, k: FloatKind| match k {
            FloatKind::F32 => x,
            FloatKind::F16 => f16::from_f32(x).to_f32(),
            FloatKind::BF16 => bf16::from_f32(x).to_f32(),
        };
        ids.iter()
            .flat_map(|&r| {
                values[r as usize * dim..(r as usize + 1) * dim].iter().map(|&x| round(round(x, table_kind), out_kind))
            })
            .collect()
    }

    fn run(table_kind: FloatKind, out_kind: FloatKind, dim: usize, ids: &[u32], writer: RowWriter) -> Vec<f32> {
        let rows = 11;
        let values = table_values(rows, dim);
        let mut bits = vec![0u16; values.len()];
        let table_data = match table_kind {
            FloatKind::F32 => FloatSlice::F32(&values),
            k => {
                FloatSliceMut::from_bits(k, &mut bits).unwrap().store_f32(&values);
                FloatSlice::from_bits(k, &bits).unwrap()
            }
        };
        let table = TableView::new(table_data, rows, dim).unwrap();
        // One extra element in front so that rows start at every alignment.
        let mut out = FloatBuf::zeros(out_kind, ids.len() * dim + 1);
        let mut out_view = out.as_mut();
        gather_rows(&table, ids, out_view.get_mut(1..ids.len() * dim + 1).unwrap(), writer);
        let mut got = vec![0f32; ids.len() * dim + 1];
        out.as_ref().to_f32(&mut got);
        assert_eq!(got[0], 0.0, "wrote before the output");
        got.split_off(1)
    }

    #[test]
    fn every_writer_and_format_pair_matches_the_reference_on_odd_dims() {
        let ids = [3u32, 0, 10, 3, 7, 1, 1, 9, 4, 2, 5, 6, 8];
        let kinds = [FloatKind::F32, FloatKind::F16, FloatKind::BF16];
        for dim in [1, 3, 17, 33, 385] {
            for &tk in &kinds {
                for &ok in &kinds {
                    let expected = reference(&table_values(11, dim), dim, &ids, ok, tk);
                    for w in writers() {
                        let got = run(tk, ok, dim, &ids, w);
                        assert_eq!(got, expected, "table {tk:?} out {ok:?} dim {dim} writer {w:?}");
                    }
                }
            }
        }
    }

    #[test]
    fn gather_checks_sizes_and_runs_in_parallel_for_large_outputs() {
        let (rows, dim) = (1000, 300);
        let values = table_values(rows, dim);
        let table = TableView::new(FloatSlice::F32(&values), rows, dim).unwrap();
        let raw: Vec<i64> = (0..5000).map(|i| (i * 7919 % rows) as i64).collect();
        let ids = CheckedIds::check(IdsView::I64(&raw), rows).unwrap();
        let mut out = vec![0f32; raw.len() * dim];
        gather(&table, &ids, FloatSliceMut::F32(&mut out)).unwrap();
        let expected = reference(&values, dim, ids.rows(), FloatKind::F32, FloatKind::F32);
        assert_eq!(out, expected);
        let mut short = vec![0f32; 10];
        assert!(gather(&table, &ids, FloatSliceMut::F32(&mut short)).is_err());
        let wide_ids = CheckedIds::check(IdsView::I64(&[0]), rows + 1).unwrap();
        assert!(gather(&table, &wide_ids, FloatSliceMut::F32(&mut out[..dim])).is_err());
    }
}
