//! The table rows nearest to query vectors, by dot product or cosine similarity: the way back
//! from vectors to token ids.
//!
//! One scan of the table serves all queries. Rows are taken a few at a time (widened to float32
//! if stored in half precision), scored against every query while they are in L1, and each query
//! keeps its `k` best rows in a small sorted list. Threads scan disjoint row ranges; their lists
//! are merged at the end. Ranking is a total order: higher score first, equal scores by lower
//! id, NaN scores (rows or queries containing NaN) last. Scores are float32 sums in a fixed order,
//! the same on every CPU.

use crate::embed::table::simd::{multiversion, Isa};
use crate::embed::table::view::TableView;
use crate::utils::memory::try_with_capacity;
use crate::utils::parallel;
use crate::{Error, Result};
use rayon::prelude::*;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Metric {
    Dot,
    Cosine,
}

impl Metric {
    pub fn parse(name: &str) -> Result<Metric> {
        match name {
            "dot" => Ok(Metric::Dot),
            "cosine" => Ok(Metric::Cosine),
            other => Err(Error::InvalidArgument(format!("metric must be \"cosine\" or \"dot\", got {other:?}"))),
        }
    }
}

/// For each query, the ids of its `k` nearest rows and their scores, best first (`queries * k`).
#[derive(Debug, Clone, PartialEq)]
pub struct Neighbours {
    pub ids: Vec<u32>,
    pub scores: Vec<f32>,
}

/// Bytes of table rows scored together; small enough to stay in L1 next to a query.
const BLOCK_BYTES: usize = 16 << 10;
/// Tables smaller than this are scanned on the calling thread.
const PARALLEL_MIN_BYTES: usize = 1 << 20;
const LANES: usize = 32;

/// Dot product with 32 independent lanes reduced as a tree (several vector accumulators in
/// flight, the same order on every CPU).
#[inline(always)]
pub fn dot(a: &[f32], b: &[f32]) -> f32 {
    let mut acc = [0f32; LANES];
    let (ca, cb) = (a.chunks_exact(LANES), b.chunks_exact(LANES));
    let (ta, tb) = (ca.remainder(), cb.remainder());
    for (x, y) in ca.zip(cb) {
        for j in 0..LANES {
            acc[j] += x[j] * y[j];
        }
    }
    let mut half = LANES / 2;
    while half > 0 {
        for j in 0..half {
            acc[j] += acc[j + half];
        }
        half /= 2;
    }
    ta.iter().zip(tb).fold(acc[0], |total, (x, y)| total + x * y)
}

#[inline(always)]
fn better(a: (f32, u32), b: (f32, u32)) -> bool {
    match (a.0.is_nan(), b.0.is_nan()) {
        (false, true) => true,
        (true, false) => false,
        (true, true) => a.1 < b.1,
        (false, false) => a.0 > b.0 || (a.0 == b.0 && a.1 < b.1),
    }
}

/// The `k` best (score, id) pairs seen so far, best first.
#[derive(Debug, Clone)]
struct TopK {
    k: usize,
    best: Vec<(f32, u32)>,
}

impl TopK {
    fn new(k: usize) -> TopK {
        TopK { k, best: Vec::with_capacity(k + 1) }
    }

    #[inline(always)]
    fn offer(&mut self, candidate: (f32, u32)) {
        if self.best.len() == self.k && !better(candidate, self.best[self.k - 1]) {
            return;
        }
        let at = self.best.iter().position(|&b| better(candidate, b)).unwrap_or(self.best.len());
        self.best.insert(at, candidate);
        self.best.truncate(self.k);
    }
}

#[inline(always)]
fn cosine(dot: f32, query_norm: f32, row_norm: f32) -> f32 {
    // A zero vector has no direction; it is orthogonal to everything rather than NaN.
    if query_norm == 0.0 || row_norm == 0.0 {
        0.0
    } else {
        dot / (query_norm * row_norm)
    }
}

multiversion! {
    /// Scores the rows `rows` of the table against every query (compiled per vector width).
    fn scan(
        table: &TableView<'_>,
        queries: &[f32],
        norms: &[f32],
        k: usize,
        metric: Metric,
        rows: std::ops::Range<usize>,
    ) -> Vec<TopK> {
    let dim = table.dim();
    let block_rows = (BLOCK_BYTES / (dim * 4)).max(1);
    let mut lists = vec![TopK::new(k); norms.len()];
    let mut block = vec![0f32; block_rows * dim];
    let mut row_norms = vec![0f32; block_rows];
    let mut start = rows.start;
    while start < rows.end {
        let count = block_rows.min(rows.end - start);
        for (i, dst) in block.chunks_exact_mut(dim).take(count).enumerate() {
            table.row(start + i).to_f32(dst);
            if metric == Metric::Cosine {
                row_norms[i] = dot(dst, dst).sqrt();
            }
        }
        for ((query, &qn), list) in queries.chunks_exact(dim).zip(norms).zip(lists.iter_mut()) {
            for (i, row) in block.chunks_exact(dim).take(count).enumerate() {
                let d = dot(query, row);
                let score = if metric == Metric::Cosine { cosine(d, qn, row_norms[i]) } else { d };
                list.offer((score, (start + i) as u32));
            }
        }
        start += count;
    }
    lists
}
}

/// The `k` rows of `table` nearest to each query (`queries` holds whole float32 vectors).
pub fn nearest(table: &TableView<'_>, queries: &[f32], k: usize, metric: Metric) -> Result<Neighbours> {
    let dim = table.dim();
    if !queries.len().is_multiple_of(dim) {
        return Err(Error::InvalidArgument(format!(
            "queries of {} values are not whole vectors of dim {dim}",
            queries.len()
        )));
    }
    if k == 0 || k > table.rows() {
        return Err(Error::InvalidArgument(format!(
            "k must be between 1 and {} (the table's rows), got {k}",
            table.rows()
        )));
    }
    // The candidate lists of every part and the results hold (queries x k) entries several times
    // over; refuse what cannot be allocated before the scan rather than abort inside it.
    let n_queries = queries.len() / dim;
    let what = format!("nearest: {n_queries} vectors x k={k}");
    let threads = parallel::num_threads().max(1);
    let entries = n_queries.checked_mul(k + 1).and_then(|e| e.checked_mul(threads * 4 + 2));
    drop(try_with_capacity::<(f32, u32)>(entries.ok_or_else(|| Error::OutOfMemory(what.clone()))?, &what)?);
    let norms: Vec<f32> =
        queries.chunks_exact(dim).map(|q| if metric == Metric::Cosine { dot(q, q).sqrt() } else { 0.0 }).collect();
    let table_bytes = table.rows() * table.row_bytes();
    let isa = Isa::detect();
    let parts = if threads == 1 || table_bytes < PARALLEL_MIN_BYTES { 1 } else { threads * 4 };
    let part_rows = table.rows().div_ceil(parts);
    let ranges: Vec<_> =
        (0..parts).map(|p| (p * part_rows).min(table.rows())..((p + 1) * part_rows).min(table.rows())).collect();
    let scanned: Vec<Vec<TopK>> = if parts == 1 {
        vec![scan(isa, table, queries, &norms, k, metric, 0..table.rows())]
    } else {
        parallel::run(|| ranges.into_par_iter().map(|r| scan(isa, table, queries, &norms, k, metric, r)).collect())
    };
    let mut ids = Vec::with_capacity(norms.len() * k);
    let mut scores = Vec::with_capacity(norms.len() * k);
    for q in 0..norms.len() {
        let mut merged = TopK::new(k);
        for part in &scanned {
            part[q].best.iter().for_each(|&c| merged.offer(c));
        }
        for (score, id) in merged.best {
            ids.push(id);
            scores.push(score);
        }
    }
    Ok(Neighbours { ids, scores })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::embed::table::dtype::FloatSlice;

    fn brute_force(values: &[f32], dim: usize, query: &[f32], k: usize, metric: Metric) -> Vec<u32> {
        let norm = |v: &[f32]| v.iter().map(|&x| (x as f64).powi(2)).sum::<f64>().sqrt();
        let mut scored: Vec<(f64, u32)> = values
            .chunks_exact(dim)
            .enumerate()
            .map(|(r, row)| {
                let d: f64 = row.iter().zip(query).map(|(&a, &b)| a as f64 * b as f64).sum();
                let s = if metric == Metric::Cosine { d / (norm(row) * norm(query)) } else { d };
                (s, r as u32)
            })
            .collect();
        scored.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
        scored.into_iter().take(k).map(|(_, r)| r).collect()
    }

    #[test]
    fn finds_the_same_rows_as_a_float64_brute_force() {
        let (rows, dim) = (300, 19);
        let values: Vec<f32> = (0..rows * dim).map(|i| ((i * 7919 % 1009) as f32 - 504.0) / 100.0).collect();
        let table = TableView::new(FloatSlice::F32(&values), rows, dim).unwrap();
        let queries: Vec<f32> = (0..3 * dim).map(|i| ((i * 31 % 17) as f32 - 8.0) / 4.0).collect();
        for metric in [Metric::Dot, Metric::Cosine] {
            let got = nearest(&table, &queries, 5, metric).unwrap();
            for (q, query) in queries.chunks_exact(dim).enumerate() {
                assert_eq!(
                    &got.ids[q * 5..(q + 1) * 5],
                    &brute_force(&values, dim, query, 5, metric)[..],
                    "{metric:?}"
                );
            }
            assert!(got.scores.windows(5).step_by(5).all(|w| w.windows(2).all(|p| p[0] >= p[1])));
        }
    }

    #[test]
    fn every_vector_width_gives_the_same_scores() {
        let (rows, dim) = (70, 45);
        let values: Vec<f32> = (0..rows * dim).map(|i| ((i * 7919 % 1013) as f32 - 506.0) / 97.0).collect();
        let table = TableView::new(FloatSlice::F32(&values), rows, dim).unwrap();
        let queries: Vec<f32> = values[3 * dim..5 * dim].iter().map(|v| v * 1.5 + 0.25).collect();
        let norms: Vec<f32> = queries.chunks_exact(dim).map(|q| dot(q, q).sqrt()).collect();
        let lists: Vec<Vec<Vec<(f32, u32)>>> = Isa::available()
            .into_iter()
            .map(|isa| {
                scan(isa, &table, &queries, &norms, 7, Metric::Cosine, 0..rows).into_iter().map(|t| t.best).collect()
            })
            .collect();
        assert!(lists.windows(2).all(|w| w[0] == w[1]), "{} widths disagree", lists.len());
    }

    #[test]
    fn ties_go_to_the_lower_id_and_nan_ranks_last() {
        let values = [1.0f32, 0.0, f32::NAN, 0.0, 1.0, 0.0, 0.0, 0.0];
        let table = TableView::new(FloatSlice::F32(&values), 4, 2).unwrap();
        let got = nearest(&table, &[1.0, 0.0], 4, Metric::Cosine).unwrap();
        assert_eq!(got.ids, vec![0, 2, 3, 1]);
        assert_eq!(&got.scores[..3], &[1.0, 1.0, 0.0]);
        assert!(got.scores[3].is_nan());
        assert!(nearest(&table, &[1.0, 0.0], 0, Metric::Dot).is_err());
        assert!(nearest(&table, &[1.0, 0.0], 5, Metric::Dot).is_err());
        assert!(nearest(&table, &[1.0, 0.0, 3.0], 1, Metric::Dot).is_err());
    }
}
