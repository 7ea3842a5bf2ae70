//! Buffers whose size comes from an argument or a file: allocated fallibly.
//!
//! Rust aborts the whole process when an allocation fails, which for a Python extension means
//! the interpreter dies (SIGABRT) because someone asked for `max_length=2**40`. Sizes that a
//! caller or a file chooses are therefore allocated here, and a failure becomes
//! `Error::OutOfMemory` naming what asked for it (a `MemoryError` in Python).

use crate::error::{Error, Result};
use std::alloc::Layout;

/// Element types for which all-zero bytes are the value zero.
pub trait ZeroBits: Copy {}
impl ZeroBits for u8 {}
impl ZeroBits for u16 {}
impl ZeroBits for u32 {}
impl ZeroBits for u64 {}
impl ZeroBits for u128 {}
impl ZeroBits for i32 {}
impl ZeroBits for i64 {}
impl ZeroBits for f32 {}
impl ZeroBits for f64 {}

fn too_large<T>(len: usize, what: &str) -> Error {
    Error::OutOfMemory(format!("{what}: cannot allocate {len} elements of {} bytes", std::mem::size_of::<T>()))
}

/// `len` zeros, from the allocator's zeroed pages (untouched until written, like `vec![0; len]`),
/// or `Error::OutOfMemory` naming `what`.
pub fn try_zeroed<T: ZeroBits>(len: usize, what: &str) -> Result<Vec<T>> {
    if len == 0 || std::mem::size_of::<T>() == 0 {
        return Ok(Vec::new());
    }
    let layout = Layout::array::<T>(len).map_err(|_| too_large::<T>(len, what))?;
    // SAFETY: the layout has a non-zero size; the pointer is checked for null; zero bytes are
    // a valid `T` (ZeroBits); the Vec takes the allocation with the layout it was made with.
    unsafe {
        let ptr = std::alloc::alloc_zeroed(layout) as *mut T;
        if ptr.is_null() {
            return Err(too_large::<T>(len, what));
        }
        Ok(Vec::from_raw_parts(ptr, len, len))
    }
}

/// An empty vector with room for `len` elements, or `Error::OutOfMemory` naming `what`.
pub fn try_with_capacity<T>(len: usize, what: &str) -> Result<Vec<T>> {
    let mut v = Vec::new();
    v.try_reserve_exact(len).map_err(|_| too_large::<T>(len, what))?;
    Ok(v)
}

/// How much of a per-thread scratch buffer stays allocated between calls. One 10 MB text
/// grows a thread's buffers to tens of megabytes (alignments, lattices, symbol lists); without
/// a cap every pool thread would keep its largest text's footprint for the life of the process.
/// A megabyte per buffer is far above what ~4 KB documents use, so ordinary calls never pay
/// for the shrink.
pub const KEPT_SCRATCH_BYTES: usize = 1 << 20;

/// A per-thread buffer whose contents are dead between calls.
pub trait Scratch {
    /// Empties the buffer and frees all but `KEPT_SCRATCH_BYTES` of it when it grew past that.
    fn release_excess(&mut self);
    /// Bytes the buffer holds allocated.
    fn retained_bytes(&self) -> usize;
}

/// Implements `Scratch` for a struct of scratch buffers, field by field.
#[macro_export]
macro_rules! scratch_fields {
    ($type:ty: $($field:ident),+) => {
        impl $crate::utils::memory::Scratch for $type {
            fn release_excess(&mut self) {
                $($crate::utils::memory::Scratch::release_excess(&mut self.$field);)+
            }
            fn retained_bytes(&self) -> usize {
                0 $(+ $crate::utils::memory::Scratch::retained_bytes(&self.$field))+
            }
        }
    };
}

impl<T> Scratch for Vec<T> {
    fn release_excess(&mut self) {
        let element = std::mem::size_of::<T>().max(1);
        if self.capacity() * element > KEPT_SCRATCH_BYTES {
            self.clear();
            self.shrink_to(KEPT_SCRATCH_BYTES / element);
        }
    }
    fn retained_bytes(&self) -> usize {
        self.capacity() * std::mem::size_of::<T>()
    }
}

impl Scratch for String {
    fn release_excess(&mut self) {
        if self.capacity() > KEPT_SCRATCH_BYTES {
            self.clear();
            self.shrink_to(KEPT_SCRATCH_BYTES);
        }
    }
    fn retained_bytes(&self) -> usize {
        self.capacity()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn impossible_sizes_are_errors_not_aborts() {
        let err = try_zeroed::<i64>(1 << 60, "padding").unwrap_err();
        assert!(matches!(&err, Error::OutOfMemory(m) if m.starts_with("padding: cannot allocate")), "{err}");
        assert!(try_zeroed::<i64>(usize::MAX, "x").is_err());
        assert!(try_with_capacity::<u64>(1 << 61, "y").is_err());
    }

    #[test]
    fn scratch_keeps_at_most_its_cap() {
        let mut big: Vec<u64> = vec![7; 10 << 20];
        big.release_excess();
        assert!(big.is_empty() && big.capacity() * 8 <= KEPT_SCRATCH_BYTES, "{}", big.capacity());
        let mut small: Vec<u64> = vec![7; 100];
        small.release_excess();
        assert_eq!(small.len(), 100, "a small buffer is left as it is");
        let mut text = "x".repeat(5 << 20);
        text.release_excess();
        assert!(text.is_empty() && text.retained_bytes() <= KEPT_SCRATCH_BYTES);
        assert_eq!(try_zeroed::<f32>(5, "z").unwrap(), vec![0.0; 5]);
    }
}
