//! Token ids from the user, of any integer type, checked against a table before any gather.
//!
//! Checking is a separate pass that produces `u32` rows: it reads the ids once (a few MB at
//! most, next to outputs of hundreds of MB), gives every kernel the same narrow id type, and
//! lets the kernels rely on every row being in range.

use crate::Error;

/// A flat, borrowed array of ids in the integer type NumPy gave us.
#[derive(Debug, Clone, Copy)]
pub enum IdsView<'a> {
    I8(&'a [i8]),
    I16(&'a [i16]),
    I32(&'a [i32]),
    I64(&'a [i64]),
    U8(&'a [u8]),
    U16(&'a [u16]),
    U32(&'a [u32]),
    U64(&'a [u64]),
}

impl IdsView<'_> {
    pub fn len(&self) -> usize {
        match self {
            IdsView::I8(s) => s.len(),
            IdsView::I16(s) => s.len(),
            IdsView::I32(s) => s.len(),
            IdsView::I64(s) => s.len(),
            IdsView::U8(s) => s.len(),
            IdsView::U16(s) => s.len(),
            IdsView::U32(s) => s.len(),
            IdsView::U64(s) => s.len(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// Ids that are all valid rows of a table of `bound` rows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckedIds {
    rows: Vec<u32>,
    bound: usize,
}

/// The first id that is not a row of the table: its value (any integer type fits in i128) and
/// its flat position in the ids.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IdOutOfRange {
    pub id: i128,
    pub position: usize,
    pub bound: usize,
}

impl CheckedIds {
    pub fn check(ids: IdsView<'_>, bound: usize) -> Result<CheckedIds, IdOutOfRange> {
        let rows = match ids {
            IdsView::I8(s) => check_typed(s, bound),
            IdsView::I16(s) => check_typed(s, bound),
            IdsView::I32(s) => check_typed(s, bound),
            IdsView::I64(s) => check_typed(s, bound),
            IdsView::U8(s) => check_typed(s, bound),
            IdsView::U16(s) => check_typed(s, bound),
            IdsView::U32(s) => check_typed(s, bound),
            IdsView::U64(s) => check_typed(s, bound),
        }?;
        Ok(CheckedIds { rows, bound })
    }

    /// `check` for the ids of the caller's array called `name` of shape `shape`: an id out of
    /// range is named by its NumPy index (`ids[3, 17]`), not its flat position.
    pub fn check_array(ids: IdsView<'_>, shape: &[usize], bound: usize, name: &str) -> crate::Result<CheckedIds> {
        CheckedIds::check(ids, bound).map_err(|e| Error::OutOfRange(e.describe(name, shape)))
    }

    pub fn rows(&self) -> &[u32] {
        &self.rows
    }

    /// Exclusive upper bound the rows were checked against.
    pub fn bound(&self) -> usize {
        self.bound
    }

    pub fn len(&self) -> usize {
        self.rows.len()
    }

    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }
}

fn check_typed<T: Copy + Into<i128> + TryInto<u32>>(ids: &[T], bound: usize) -> Result<Vec<u32>, IdOutOfRange> {
    let mut rows = Vec::with_capacity(ids.len());
    for (position, &id) in ids.iter().enumerate() {
        match id.try_into() {
            Ok(row) if (row as usize) < bound => rows.push(row),
            _ => return Err(IdOutOfRange { id: id.into(), position, bound }),
        }
    }
    Ok(rows)
}

impl IdOutOfRange {
    /// The message users see: the id, where it is in the array called `name` of shape `shape`
    /// (as a NumPy index, e.g. `ids[3, 17]`), and the table size.
    pub fn describe(&self, name: &str, shape: &[usize]) -> String {
        format!(
            "token id {} at {name}{} is out of range for a table of {} rows",
            self.id,
            numpy_index(self.position, shape),
            self.bound
        )
    }
}

impl From<IdOutOfRange> for Error {
    fn from(e: IdOutOfRange) -> Error {
        Error::IdOutOfRange {
            id: e.id.clamp(i64::MIN as i128, i64::MAX as i128) as i64,
            position: e.position,
            vocab_size: e.bound,
        }
    }
}

/// `[i, j, ...]` for the flat (C-order) position in an array of `shape`.
pub fn numpy_index(mut position: usize, shape: &[usize]) -> String {
    if shape.is_empty() {
        return "[()]".into();
    }
    let mut index = vec![0usize; shape.len()];
    for (slot, &extent) in index.iter_mut().zip(shape).rev() {
        let extent = extent.max(1);
        *slot = position % extent;
        position /= extent;
    }
    let parts: Vec<String> = index.iter().map(|i| i.to_string()).collect();
    format!("[{}]", parts.join(", "))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_every_integer_type_in_range() {
        let ok = CheckedIds::check(IdsView::I64(&[0, 4, 2]), 5).unwrap();
        assert_eq!(ok.rows(), &[0, 4, 2]);
        assert_eq!(CheckedIds::check(IdsView::U8(&[255]), 256).unwrap().rows(), &[255]);
        assert_eq!(CheckedIds::check(IdsView::U64(&[7]), 8).unwrap().rows(), &[7]);
    }

    #[test]
    fn reports_the_first_bad_id_with_its_value() {
        let e = CheckedIds::check(IdsView::I32(&[1, -1, 9]), 5).unwrap_err();
        assert_eq!(e, IdOutOfRange { id: -1, position: 1, bound: 5 });
        let big = CheckedIds::check(IdsView::U64(&[u64::MAX]), 5).unwrap_err();
        assert_eq!(big.id, u64::MAX as i128);
        let over_u32 = CheckedIds::check(IdsView::I64(&[1 << 33]), usize::MAX).unwrap_err();
        assert_eq!(over_u32.id, 1 << 33);
    }

    #[test]
    fn message_names_the_multi_dimensional_index() {
        let e = IdOutOfRange { id: 50300, position: 3 * 2048 + 17, bound: 50257 };
        assert_eq!(
            e.describe("ids", &[256, 2048]),
            "token id 50300 at ids[3, 17] is out of range for a table of 50257 rows"
        );
        assert_eq!(numpy_index(0, &[]), "[()]");
        assert_eq!(numpy_index(5, &[2, 3]), "[1, 2]");
    }
}
