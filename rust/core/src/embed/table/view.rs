//! A borrowed `(rows, dim)` embedding table, checked once so that row access is always in
//! bounds.

use crate::embed::table::dtype::{FloatKind, FloatSlice, FloatSliceMut};
use crate::{Error, Result};

/// A row-major table of `rows` vectors of `dim` elements.
#[derive(Debug, Clone, Copy)]
pub struct TableView<'a> {
    data: FloatSlice<'a>,
    rows: usize,
    dim: usize,
}

/// The same, writable (training updates the rows in place).
#[derive(Debug)]
pub struct TableViewMut<'a> {
    data: FloatSliceMut<'a>,
    rows: usize,
    dim: usize,
}

fn check_shape(len: usize, rows: usize, dim: usize) -> Result<()> {
    if dim == 0 {
        return Err(Error::InvalidArgument("an embedding table needs dim >= 1".into()));
    }
    if rows > u32::MAX as usize {
        return Err(Error::InvalidArgument(format!("a table of {rows} rows is larger than 2^32 rows")));
    }
    if rows.checked_mul(dim) != Some(len) {
        return Err(Error::InvalidArgument(format!(
            "table data of {len} elements does not have the shape ({rows}, {dim})"
        )));
    }
    Ok(())
}

impl<'a> TableView<'a> {
    pub fn new(data: FloatSlice<'a>, rows: usize, dim: usize) -> Result<Self> {
        check_shape(data.len(), rows, dim)?;
        Ok(TableView { data, rows, dim })
    }

    pub fn rows(&self) -> usize {
        self.rows
    }

    pub fn dim(&self) -> usize {
        self.dim
    }

    pub fn kind(&self) -> FloatKind {
        self.data.kind()
    }

    /// Row `r`. Callers pass rows checked against `rows()` (see `ids::CheckedIds`); the slice
    /// access is still bounds-checked, which costs one compare per row.
    #[inline]
    pub fn row(&self, r: usize) -> FloatSlice<'a> {
        let start = r * self.dim;
        self.data.get(start..start + self.dim).expect("row checked against the table size")
    }

    /// Bytes of one row.
    pub fn row_bytes(&self) -> usize {
        self.dim * self.kind().size_bytes()
    }

    /// Start address of row `r`, for prefetching only (never dereferenced here).
    pub fn row_address(&self, r: usize) -> *const u8 {
        let offset = r.min(self.rows.saturating_sub(1)) * self.dim * self.kind().size_bytes();
        self.data.as_bytes().as_ptr().wrapping_add(offset)
    }
}

impl<'a> TableViewMut<'a> {
    pub fn new(data: FloatSliceMut<'a>, rows: usize, dim: usize) -> Result<Self> {
        check_shape(data.len(), rows, dim)?;
        Ok(TableViewMut { data, rows, dim })
    }

    pub fn rows(&self) -> usize {
        self.rows
    }

    pub fn dim(&self) -> usize {
        self.dim
    }

    pub fn data_mut(&mut self) -> FloatSliceMut<'_> {
        self.data.reborrow()
    }
}
