//! Training a table: the gradient of a gather with respect to the table, and an SGD step.
//!
//! The gradient of row `r` is the sum of the output gradients at every position where `r` was
//! looked up (nothing for the padding row). A scatter-add from many threads would add in a
//! different order on every run; instead a counting sort lists, for each row, its positions in
//! increasing order, and each row's sum is done by one thread in that order. The result is
//! the same for any number of threads, and equal to PyTorch's CPU sum, which also adds in
//! position order starting from zero.

use crate::embed::table::dtype::FloatSliceMut;
use crate::embed::table::ids::CheckedIds;
use crate::embed::table::rows_parallel::for_each_row_chunk;
use crate::embed::table::view::TableViewMut;
use crate::{Error, Result};

/// Where each row was looked up: `positions[starts[r]..starts[r + 1]]`, increasing.
struct Occurrences {
    starts: Vec<usize>,
    positions: Vec<usize>,
}

impl Occurrences {
    fn new(rows: &[u32], vocab: usize, padding: Option<usize>) -> Occurrences {
        let mut starts = vec![0usize; vocab + 1];
        for &r in rows {
            starts[r as usize + 1] += 1;
        }
        if let Some(p) = padding {
            starts[p + 1] = 0;
        }
        for r in 0..vocab {
            starts[r + 1] += starts[r];
        }
        let mut next = starts.clone();
        let mut positions = vec![0usize; starts[vocab]];
        for (position, &r) in rows.iter().enumerate() {
            if Some(r as usize) == padding {
                continue;
            }
            positions[next[r as usize]] = position;
            next[r as usize] += 1;
        }
        Occurrences { starts, positions }
    }

    fn of(&self, row: usize) -> &[usize] {
        &self.positions[self.starts[row]..self.starts[row + 1]]
    }

    /// `acc = sum of grad rows at the positions of `row``, added in position order from zero.
    fn sum_into(&self, row: usize, grad: &[f32], dim: usize, acc: &mut [f32]) {
        acc.fill(0.0);
        for &p in self.of(row) {
            for (a, &g) in acc.iter_mut().zip(&grad[p * dim..(p + 1) * dim]) {
                *a += g;
            }
        }
    }
}

/// Checks the shared arguments of every training call.
fn check(ids: &CheckedIds, grad: &[f32], vocab: usize, dim: usize, padding: Option<usize>) -> Result<()> {
    if ids.bound() > vocab {
        return Err(Error::InvalidArgument(format!(
            "ids checked against {} rows used with a table of {vocab} rows",
            ids.bound()
        )));
    }
    if dim == 0 || vocab.checked_mul(dim).is_none() || ids.len().checked_mul(dim).is_none() {
        return Err(Error::InvalidArgument(format!("a table of ({vocab}, {dim}) cannot be trained")));
    }
    if grad.len() != ids.len() * dim {
        return Err(Error::InvalidArgument(format!(
            "grad_output has {} elements, but {} ids of dim {dim} need {}",
            grad.len(),
            ids.len(),
            ids.len() * dim
        )));
    }
    if let Some(p) = padding {
        if p >= vocab {
            return Err(Error::InvalidArgument(format!("padding_idx {p} is not a row of a table of {vocab} rows")));
        }
    }
    Ok(())
}

/// The gradient of a row-major `(vocab, dim)` table; rows never looked up (and the padding row)
/// are zero.
pub fn dense_grad(
    ids: &CheckedIds,
    grad: &[f32],
    vocab: usize,
    dim: usize,
    padding: Option<usize>,
) -> Result<Vec<f32>> {
    check(ids, grad, vocab, dim, padding)?;
    let occ = Occurrences::new(ids.rows(), vocab, padding);
    let mut out = vec![0f32; vocab * dim];
    for_each_row_chunk(FloatSliceMut::F32(&mut out), dim, |first, mut chunk| {
        if let FloatSliceMut::F32(rows) = &mut chunk {
            for (i, acc) in rows.chunks_exact_mut(dim).enumerate() {
                if !occ.of(first + i).is_empty() {
                    occ.sum_into(first + i, grad, dim, acc);
                }
            }
        }
    });
    Ok(out)
}

/// The gradient as the rows that have one: increasing row ids and their `(n, dim)` gradients.
pub struct SparseGrad {
    pub rows: Vec<u32>,
    pub grads: Vec<f32>,
}

pub fn sparse_grad(
    ids: &CheckedIds,
    grad: &[f32],
    vocab: usize,
    dim: usize,
    padding: Option<usize>,
) -> Result<SparseGrad> {
    check(ids, grad, vocab, dim, padding)?;
    let occ = Occurrences::new(ids.rows(), vocab, padding);
    let rows: Vec<u32> = (0..vocab).filter(|&r| !occ.of(r).is_empty()).map(|r| r as u32).collect();
    let mut grads = vec![0f32; rows.len() * dim];
    for_each_row_chunk(FloatSliceMut::F32(&mut grads), dim, |first, mut chunk| {
        if let FloatSliceMut::F32(out) = &mut chunk {
            for (i, acc) in out.chunks_exact_mut(dim).enumerate() {
                occ.sum_into(rows[first + i] as usize, grad, dim, acc);
            }
        }
    });
    Ok(SparseGrad { rows, grads })
}

/// `table -= lr * gradient`, in place, touching only rows that have a gradient. Half-precision
/// rows are updated in float32 and rounded back.
pub fn sgd_step(
    table: &mut TableViewMut<'_>,
    ids: &CheckedIds,
    grad: &[f32],
    lr: f32,
    padding: Option<usize>,
) -> Result<()> {
    let (vocab, dim) = (table.rows(), table.dim());
    check(ids, grad, vocab, dim, padding)?;
    if !lr.is_finite() {
        return Err(Error::InvalidArgument(format!("lr must be a finite number, got {lr}")));
    }
    let occ = Occurrences::new(ids.rows(), vocab, padding);
    for_each_row_chunk(table.data_mut(), dim, |first, mut chunk| {
        let mut acc = vec![0f32; dim];
        let mut weights = vec![0f32; dim];
        for i in 0..chunk.len() / dim {
            let row = first + i;
            if occ.of(row).is_empty() {
                continue;
            }
            occ.sum_into(row, grad, dim, &mut acc);
            let Some(mut dst) = chunk.get_mut(i * dim..(i + 1) * dim) else { continue };
            match &mut dst {
                FloatSliceMut::F32(w) => w.iter_mut().zip(&acc).for_each(|(w, g)| *w -= lr * g),
                half_row => {
                    half_row.as_ref().to_f32(&mut weights);
                    weights.iter_mut().zip(&acc).for_each(|(w, g)| *w -= lr * g);
                    half_row.store_f32(&weights);
                }
            }
        }
    });
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::embed::table::dtype::{FloatKind, FloatSlice};
    use crate::embed::table::ids::IdsView;

    fn setup() -> (CheckedIds, Vec<f32>, usize, usize) {
        let raw: Vec<i64> = vec![2, 0, 2, 4, 2, 0, 1];
        let dim = 3;
        let grad: Vec<f32> = (0..raw.len() * dim).map(|i| i as f32 * 0.5 - 3.0).collect();
        (CheckedIds::check(IdsView::I64(&raw), 6).unwrap(), grad, 6, dim)
    }

    fn naive(ids: &CheckedIds, grad: &[f32], vocab: usize, dim: usize, padding: Option<usize>) -> Vec<f32> {
        let mut g = vec![0f32; vocab * dim];
        for (p, &r) in ids.rows().iter().enumerate() {
            if Some(r as usize) != padding {
                for j in 0..dim {
                    g[r as usize * dim + j] += grad[p * dim + j];
                }
            }
        }
        g
    }

    #[test]
    fn dense_and_sparse_agree_with_a_sequential_scatter_add() {
        let (ids, grad, vocab, dim) = setup();
        for padding in [None, Some(0), Some(3)] {
            let dense = dense_grad(&ids, &grad, vocab, dim, padding).unwrap();
            assert_eq!(dense, naive(&ids, &grad, vocab, dim, padding));
            let sparse = sparse_grad(&ids, &grad, vocab, dim, padding).unwrap();
            let want_rows: Vec<u32> = [0u32, 1, 2, 4].into_iter().filter(|&r| Some(r as usize) != padding).collect();
            assert_eq!(sparse.rows, want_rows);
            for (k, &r) in sparse.rows.iter().enumerate() {
                assert_eq!(&sparse.grads[k * dim..(k + 1) * dim], &dense[r as usize * dim..(r as usize + 1) * dim]);
            }
        }
    }

    #[test]
    fn sgd_step_subtracts_the_scaled_gradient_in_every_format() {
        let (ids, grad, vocab, dim) = setup();
        let start: Vec<f32> = (0..vocab * dim).map(|i| i as f32 * 0.25).collect();
        let dense = naive(&ids, &grad, vocab, dim, Some(0));
        let mut table = start.clone();
        let mut view = TableViewMut::new(FloatSliceMut::F32(&mut table), vocab, dim).unwrap();
        sgd_step(&mut view, &ids, &grad, 0.1, Some(0)).unwrap();
        let want: Vec<f32> = start.iter().zip(&dense).map(|(w, g)| w - 0.1 * g).collect();
        assert_eq!(table, want);

        let mut bits = vec![0u16; vocab * dim];
        FloatSliceMut::from_bits(FloatKind::BF16, &mut bits).unwrap().store_f32(&start);
        let mut view =
            TableViewMut::new(FloatSliceMut::from_bits(FloatKind::BF16, &mut bits).unwrap(), vocab, dim).unwrap();
        sgd_step(&mut view, &ids, &grad, 0.1, Some(0)).unwrap();
        let mut got = vec![0f32; vocab * dim];
        FloatSlice::from_bits(FloatKind::BF16, &bits).unwrap().to_f32(&mut got);
        for (g, w) in got.iter().zip(&want) {
            assert!((g - w).abs() <= w.abs() / 128.0 + 1e-6, "{g} vs {w}");
        }
    }

    #[test]
    fn bad_arguments_are_refused() {
        let (ids, grad, vocab, dim) = setup();
        assert!(dense_grad(&ids, &grad[1..], vocab, dim, None).is_err());
        assert!(dense_grad(&ids, &grad, vocab, dim, Some(vocab)).is_err());
        assert!(sparse_grad(&ids, &grad, vocab - 2, dim, None).is_err());
        let mut table = vec![0f32; vocab * dim];
        let mut view = TableViewMut::new(FloatSliceMut::F32(&mut table), vocab, dim).unwrap();
        assert!(sgd_step(&mut view, &ids, &grad, f32::NAN, None).is_err());
    }
}
