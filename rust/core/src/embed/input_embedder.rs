//! The input embedding of a transformer in one pass over the output:
//! `LayerNorm(token[id] * scale + segment[type] + position[pos])`, every part optional but the
//! token table.
//!
//! Doing it row by row keeps the row in L1 between the gathers, the sum and the normalization,
//! so the output is written exactly once (streamed when large) instead of once per step as a
//! chain of array operations does. The sum is done in PyTorch's order for BERT,
//! `(token + segment) + position`, so float32 results match PyTorch's bit for bit before the
//! normalization.

use crate::embed::ops::layernorm::LayerNorm;
use crate::embed::table::dtype::{FloatSlice, FloatSliceMut};
use crate::embed::table::gather::check_ids_fit;
use crate::embed::table::ids::{CheckedIds, IdsView};
use crate::embed::table::row_writer::{prefetch_row, RowWriter, PREFETCH_ROWS_AHEAD};
use crate::embed::table::rows_parallel::for_each_row_chunk;
use crate::embed::table::simd::{multiversion, Isa};
use crate::embed::table::view::TableView;
use crate::{Error, Result};

#[derive(Debug, Clone, Copy)]
pub struct InputEmbedder<'a> {
    token: TableView<'a>,
    position: Option<TableView<'a>>,
    segment: Option<TableView<'a>>,
    layer_norm: Option<LayerNorm<'a>>,
    token_scale: Option<f32>,
}

/// Ids as the caller's arrays hold them (any integer type) with each array's shape, not yet
/// checked against the tables.
#[derive(Debug, Clone, Copy)]
pub struct IdArrays<'a> {
    pub tokens: (IdsView<'a>, &'a [usize]),
    pub segments: Option<(IdsView<'a>, &'a [usize])>,
    /// None: positions `0..seq_len` along the last axis of the token ids.
    pub positions: Option<(IdsView<'a>, &'a [usize])>,
}

/// The ids of one call, all of the same length (the flattened batch).
#[derive(Debug, Clone, Copy)]
pub struct InputIds<'a> {
    pub tokens: &'a CheckedIds,
    /// Segment (token type) of each token; None means segment 0 everywhere, as in BERT.
    pub segments: Option<&'a CheckedIds>,
    /// Where each token is; ignored without a position table.
    pub positions: Positions<'a>,
}

#[derive(Debug, Clone, Copy)]
pub enum Positions<'a> {
    /// The tokens are sequences of `seq_len` tokens at positions `0..seq_len`.
    Sequential { seq_len: usize },
    /// One position id per token.
    Given(&'a CheckedIds),
}

impl Positions<'_> {
    #[inline(always)]
    fn of(&self, token: usize) -> usize {
        match self {
            Positions::Sequential { seq_len } => token % (*seq_len).max(1),
            Positions::Given(p) => p.rows()[token] as usize,
        }
    }
}

fn same_dim(what: &str, got: usize, dim: usize) -> Result<()> {
    if got != dim {
        return Err(Error::InvalidArgument(format!("the {what} has dim {got}, but the token table has dim {dim}")));
    }
    Ok(())
}

impl<'a> InputEmbedder<'a> {
    pub fn new(
        token: TableView<'a>,
        position: Option<TableView<'a>>,
        segment: Option<TableView<'a>>,
        layer_norm: Option<LayerNorm<'a>>,
        token_scale: Option<f32>,
    ) -> Result<Self> {
        let dim = token.dim();
        if let Some(p) = &position {
            same_dim("position table", p.dim(), dim)?;
        }
        if let Some(s) = &segment {
            same_dim("segment table", s.dim(), dim)?;
            if s.rows() == 0 {
                return Err(Error::InvalidArgument("the segment table has no rows".into()));
            }
        }
        if let Some(ln) = &layer_norm {
            same_dim("layer_norm weight", ln.dim(), dim)?;
        }
        Ok(InputEmbedder { token, position, segment, layer_norm, token_scale })
    }

    pub fn dim(&self) -> usize {
        self.token.dim()
    }

    fn check_ids(&self, ids: &InputIds<'_>) -> Result<()> {
        let n = ids.tokens.len();
        check_ids_fit(&self.token, ids.tokens)?;
        match (&self.segment, ids.segments) {
            (Some(table), Some(s)) => {
                check_ids_fit(table, s)?;
                same_len("token_type_ids", s.len(), n)?;
            }
            (None, Some(_)) => {
                return Err(Error::InvalidArgument("token_type_ids given, but there is no segment table".into()))
            }
            _ => {}
        }
        match (&self.position, ids.positions) {
            (Some(table), Positions::Given(p)) => {
                check_ids_fit(table, p)?;
                same_len("position_ids", p.len(), n)?;
            }
            (Some(table), Positions::Sequential { seq_len }) => {
                if seq_len > table.rows() {
                    return Err(Error::InvalidArgument(format!(
                        "sequences of {seq_len} tokens need {seq_len} positions, but the position table has {} rows",
                        table.rows()
                    )));
                }
                if n > 0 && !n.is_multiple_of(seq_len) {
                    return Err(Error::InvalidArgument(format!("{n} tokens are not whole sequences of {seq_len}")));
                }
            }
            (None, Positions::Given(_)) => {
                return Err(Error::InvalidArgument("position_ids given, but there is no position table".into()))
            }
            (None, Positions::Sequential { .. }) => {}
        }
        Ok(())
    }

    /// `embed` for ids straight from the caller's arrays: each array is checked against its
    /// table, and an id out of range is named by its array (`input_ids`, `token_type_ids`,
    /// `position_ids`) and NumPy index.
    pub fn embed_arrays(&self, ids: IdArrays<'_>, out: &mut [f32]) -> Result<()> {
        let rows = |t: &Option<TableView<'_>>| t.as_ref().map_or(0, |t| t.rows());
        let (token_ids, shape) = ids.tokens;
        let tokens = CheckedIds::check_array(token_ids, shape, self.token.rows(), "input_ids")?;
        let segments = (ids.segments)
            .map(|(v, s)| CheckedIds::check_array(v, s, rows(&self.segment), "token_type_ids"))
            .transpose()?;
        let given = (ids.positions)
            .map(|(v, s)| CheckedIds::check_array(v, s, rows(&self.position), "position_ids"))
            .transpose()?;
        let positions = match &given {
            Some(p) => Positions::Given(p),
            None => Positions::Sequential { seq_len: shape.last().copied().unwrap_or(1) },
        };
        self.embed(&InputIds { tokens: &tokens, segments: segments.as_ref(), positions }, out)
    }

    /// Writes the embedding of every token to `out` (`tokens.len() * dim` float32 values).
    pub fn embed(&self, ids: &InputIds<'_>, out: &mut [f32]) -> Result<()> {
        self.check_ids(ids)?;
        let dim = self.dim();
        if out.len() != ids.tokens.len() * dim {
            return Err(Error::InvalidArgument(format!(
                "the output has {} elements, but {} tokens of dim {dim} need {}",
                out.len(),
                ids.tokens.len(),
                ids.tokens.len() * dim
            )));
        }
        let writer = RowWriter::for_output(std::mem::size_of_val(out));
        let isa = Isa::detect();
        for_each_row_chunk(FloatSliceMut::F32(out), dim, |first, mut chunk| {
            let count = chunk.len() / dim;
            embed_rows(isa, self, ids, first..first + count, chunk.as_bytes_mut(), writer);
        });
        Ok(())
    }
}

multiversion! {
    /// Embeds the tokens `range` into `out` (their rows, as bytes), then fences streamed stores.
    /// Compiled per vector width: the sum and the LayerNorm are the arithmetic of the pass.
    fn embed_rows(e: &InputEmbedder<'_>, ids: &InputIds<'_>, range: std::ops::Range<usize>, out: &mut [u8], writer: RowWriter) {
        let dim = e.dim();
        let tokens = &ids.tokens.rows()[range.clone()];
        let segments = ids.segments.map(|s| &s.rows()[range.clone()]);
        let mut acc = vec![0f32; dim];
        let mut widened = vec![0f32; dim];
        for (i, dst) in out.chunks_exact_mut(dim * std::mem::size_of::<f32>()).enumerate() {
            if let Some(&ahead) = tokens.get(i + PREFETCH_ROWS_AHEAD) {
                prefetch_row(e.token.row_address(ahead as usize), e.token.row_bytes());
            }
            e.token.row(tokens[i] as usize).to_f32(&mut acc);
            if let Some(scale) = e.token_scale {
                acc.iter_mut().for_each(|v| *v *= scale);
            }
            if let Some(table) = &e.segment {
                let row = segments.map_or(0, |s| s[i] as usize);
                add_row(&mut acc, table.row(row), &mut widened);
            }
            if let Some(table) = &e.position {
                add_row(&mut acc, table.row(ids.positions.of(range.start + i)), &mut widened);
            }
            if let Some(ln) = &e.layer_norm {
                ln.apply(&mut acc);
            }
            writer.copy(FloatSlice::F32(&acc).as_bytes(), dst);
        }
        writer.finish();
    }
}

fn same_len(what: &str, got: usize, want: usize) -> Result<()> {
    if got != want {
        return Err(Error::InvalidArgument(format!("{what} has {got} ids, but there are {want} tokens")));
    }
    Ok(())
}

/// `acc += row`, widening half-precision rows through `scratch`.
#[inline(always)]
fn add_row(acc: &mut [f32], row: FloatSlice<'_>, scratch: &mut [f32]) {
    let values: &[f32] = match row {
        FloatSlice::F32(r) => r,
        other => {
            other.to_f32(scratch);
            scratch
        }
    };
    for (a, &v) in acc.iter_mut().zip(values) {
        *a += v;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::embed::table::ids::IdsView;

    fn values(n: usize, salt: usize) -> Vec<f32> {
        (0..n).map(|i| (((i * 31 + salt * 17) % 97) as f32 - 48.0) / 16.0).collect()
    }

    #[test]
    fn sum_and_layernorm_match_a_step_by_step_reference() {
        let (vocab, max_len, types, dim, seq, batch) = (50, 16, 3, 37, 9, 3);
        let (tok, pos, seg) = (values(vocab * dim, 1), values(max_len * dim, 2), values(types * dim, 3));
        let (w, b) = (values(dim, 4), values(dim, 5));
        let token = TableView::new(FloatSlice::F32(&tok), vocab, dim).unwrap();
        let position = TableView::new(FloatSlice::F32(&pos), max_len, dim).unwrap();
        let segment = TableView::new(FloatSlice::F32(&seg), types, dim).unwrap();
        let ln = LayerNorm::new(&w, &b, 1e-12).unwrap();
        let e = InputEmbedder::new(token, Some(position), Some(segment), Some(ln), Some(2.0)).unwrap();

        let raw_tokens: Vec<i64> = (0..batch * seq).map(|i| (i * 7 % vocab) as i64).collect();
        let raw_types: Vec<u8> = (0..batch * seq).map(|i| (i % types) as u8).collect();
        let tokens = CheckedIds::check(IdsView::I64(&raw_tokens), vocab).unwrap();
        let segments = CheckedIds::check(IdsView::U8(&raw_types), types).unwrap();
        let ids =
            InputIds { tokens: &tokens, segments: Some(&segments), positions: Positions::Sequential { seq_len: seq } };
        let mut out = vec![0f32; batch * seq * dim];
        e.embed(&ids, &mut out).unwrap();

        for t in 0..batch * seq {
            let (id, ty, p) = (raw_tokens[t] as usize, raw_types[t] as usize, t % seq);
            let mut row: Vec<f32> =
                (0..dim).map(|j| (tok[id * dim + j] * 2.0 + seg[ty * dim + j]) + pos[p * dim + j]).collect();
            ln.apply(&mut row);
            assert_eq!(&out[t * dim..(t + 1) * dim], &row[..], "token {t}");
        }
    }

    #[test]
    fn every_vector_width_gives_the_same_bits() {
        let (vocab, dim, n) = (40, 389, 23);
        let tok = values(vocab * dim, 7);
        let (w, b) = (values(dim, 8), values(dim, 9));
        let token = TableView::new(FloatSlice::F32(&tok), vocab, dim).unwrap();
        let e = InputEmbedder::new(token, None, None, Some(LayerNorm::new(&w, &b, 1e-6).unwrap()), Some(0.5)).unwrap();
        let raw: Vec<u16> = (0..n).map(|i| (i * 13 % vocab) as u16).collect();
        let tokens = CheckedIds::check(IdsView::U16(&raw), vocab).unwrap();
        let ids = InputIds { tokens: &tokens, segments: None, positions: Positions::Sequential { seq_len: 1 } };
        let outputs: Vec<Vec<f32>> = Isa::available()
            .into_iter()
            .map(|isa| {
                let mut out = vec![0f32; n * dim];
                embed_rows(isa, &e, &ids, 0..n, FloatSliceMut::F32(&mut out).as_bytes_mut(), RowWriter::Cached);
                out
            })
            .collect();
        assert!(outputs.windows(2).all(|w| w[0] == w[1]), "{} widths disagree", outputs.len());
    }

    #[test]
    fn missing_segment_ids_mean_segment_zero_and_mismatches_are_refused() {
        let dim = 4;
        let (tok, seg) = (values(5 * dim, 1), values(2 * dim, 2));
        let token = TableView::new(FloatSlice::F32(&tok), 5, dim).unwrap();
        let segment = TableView::new(FloatSlice::F32(&seg), 2, dim).unwrap();
        let e = InputEmbedder::new(token, None, Some(segment), None, None).unwrap();
        let tokens = CheckedIds::check(IdsView::I32(&[3]), 5).unwrap();
        let mut out = vec![0f32; dim];
        let no_positions = Positions::Sequential { seq_len: 1 };
        e.embed(&InputIds { tokens: &tokens, segments: None, positions: no_positions }, &mut out).unwrap();
        let want: Vec<f32> = (0..dim).map(|j| tok[3 * dim + j] + seg[j]).collect();
        assert_eq!(out, want);

        let positions = CheckedIds::check(IdsView::I32(&[0]), 1).unwrap();
        let with_pos = InputIds { tokens: &tokens, segments: None, positions: Positions::Given(&positions) };
        assert!(e.embed(&with_pos, &mut out).is_err());
        let long = CheckedIds::check(IdsView::I32(&[0, 1]), 2).unwrap();
        let bad_len = InputIds { tokens: &tokens, segments: Some(&long), positions: no_positions };
        assert!(e.embed(&bad_len, &mut out).is_err());
        assert!(e
            .embed(&InputIds { tokens: &tokens, segments: None, positions: no_positions }, &mut out[..3])
            .is_err());
        let short_positions = TableView::new(FloatSlice::F32(&tok[..3 * dim]), 3, dim).unwrap();
        let e2 = InputEmbedder::new(token, Some(short_positions), None, None, None).unwrap();
        let four = CheckedIds::check(IdsView::I32(&[0, 1, 2, 3]), 5).unwrap();
        let mut out4 = vec![0f32; 4 * dim];
        let too_long = InputIds { tokens: &four, segments: None, positions: Positions::Sequential { seq_len: 4 } };
        assert!(e2.embed(&too_long, &mut out4).unwrap_err().to_string().contains("position table has 3 rows"));
        let ragged = InputIds { tokens: &four, segments: None, positions: Positions::Sequential { seq_len: 3 } };
        assert!(e2.embed(&ragged, &mut out4).is_err());
        let fits = InputIds { tokens: &four, segments: None, positions: Positions::Sequential { seq_len: 2 } };
        e2.embed(&fits, &mut out4).unwrap();
        assert_eq!(out4[2 * dim..3 * dim], (0..dim).map(|j| tok[2 * dim + j] + tok[j]).collect::<Vec<_>>()[..]);
        let other_dim = TableView::new(FloatSlice::F32(&seg[..6]), 2, 3).unwrap();
        assert!(InputEmbedder::new(token, Some(other_dim), None, None, None).is_err());
    }
}
