//! Read-mostly lookup tables of several megabytes, on 2 MB pages where the system allows it.
//!
//! A probe of a vocabulary-sized hash table (the whole-token table of o200k is 8 MB) lands on a
//! random 4 KB page, so nearly every probe also misses the TLB, and the page walk costs as much
//! as the cache miss. On 2 MB pages the same table needs four TLB entries. Linux gives
//! transparent huge pages to a mapping that asks for them (`MADV_HUGEPAGE`) before its pages are
//! first touched, which is why the table is mapped here, advised, and only then filled. Where
//! that is not available (other systems, or the advice is refused) the table is an ordinary
//! zeroed mapping: the same contents, only slower.

use crate::error::{Error, Result};
use crate::utils::memory::ZeroBits;
use memmap2::{MmapMut, MmapOptions};

/// A fixed-size table of `T`, zeroed at creation: an anonymous private mapping (copied on write
/// by `fork`, like any other memory), or ordinary heap memory when no mapping can be had.
#[derive(Debug)]
pub struct HugeTable<T: ZeroBits> {
    storage: Storage<T>,
}

#[derive(Debug)]
enum Storage<T> {
    Mapped(MmapMut, usize),
    Heap(Vec<T>),
}

impl<T: ZeroBits> HugeTable<T> {
    /// A table of no entries.
    pub fn empty() -> Self {
        HugeTable { storage: Storage::Heap(Vec::new()) }
    }

    /// `len` zeros; `what` names the table in the error when the memory cannot be had.
    pub fn zeroed(len: usize, what: &str) -> Result<Self> {
        let bytes = len.checked_mul(std::mem::size_of::<T>()).filter(|&b| b <= isize::MAX as usize);
        let bytes = bytes.ok_or_else(|| Error::OutOfMemory(format!("{what}: {len} entries are too many")))?;
        let storage = match MmapOptions::new().len(bytes).map_anon() {
            Ok(map) if bytes > 0 => {
                #[cfg(target_os = "linux")]
                {
                    // Only a hint: when refused (huge pages off), the table works the same on
                    // 4 KB pages.
                    let _ = map.advise(memmap2::Advice::HugePage);
                }
                Storage::Mapped(map, len)
            }
            _ => Storage::Heap(crate::utils::memory::try_zeroed(len, what)?),
        };
        Ok(HugeTable { storage })
    }
}

impl<T: ZeroBits> std::ops::Deref for HugeTable<T> {
    type Target = [T];
    fn deref(&self) -> &[T] {
        match &self.storage {
            // SAFETY: the mapping is page-aligned (so aligned for `T`), holds `len * size_of::<T>()`
            // bytes, lives as long as `self`, and every bit pattern it can hold is a valid `T`
            // (`ZeroBits` types are plain numbers; it starts zeroed).
            Storage::Mapped(map, len) => unsafe { std::slice::from_raw_parts(map.as_ptr() as *const T, *len) },
            Storage::Heap(vec) => vec,
        }
    }
}

impl<T: ZeroBits> std::ops::DerefMut for HugeTable<T> {
    fn deref_mut(&mut self) -> &mut [T] {
        match &mut self.storage {
            // SAFETY: as in `deref`, and the mapping is borrowed mutably with `self`.
            Storage::Mapped(map, len) => unsafe { std::slice::from_raw_parts_mut(map.as_mut_ptr() as *mut T, *len) },
            Storage::Heap(vec) => vec,
        }
    }
}

impl<T: ZeroBits> Clone for HugeTable<T> {
    fn clone(&self) -> Self {
        match HugeTable::zeroed(self.len(), "a copy of a lookup table") {
            Ok(mut copy) => {
                copy.copy_from_slice(self);
                copy
            }
            Err(_) => HugeTable { storage: Storage::Heap(self.to_vec()) },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_table_starts_zeroed_keeps_what_is_written_and_clones() {
        let mut table = HugeTable::<u128>::zeroed(1 << 20, "test").unwrap();
        assert_eq!(table.len(), 1 << 20);
        assert!(table.iter().all(|&x| x == 0));
        table[12345] = u128::MAX - 7;
        let copy = table.clone();
        assert_eq!(copy[12345], u128::MAX - 7);
        assert_eq!(copy.iter().filter(|&&x| x != 0).count(), 1);
        assert!(HugeTable::<u64>::zeroed(0, "empty").unwrap().is_empty());
        assert!(HugeTable::<u64>::zeroed(usize::MAX / 4, "absurd").is_err());
    }
}
