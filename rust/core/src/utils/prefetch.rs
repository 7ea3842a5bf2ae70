//! A hint to start loading a cache line before it is read.

/// Starts loading the cache line holding `value` into every level of the CPU cache, without
/// waiting for it. A hint only: it never faults and changes no result.
#[inline(always)]
pub fn prefetch<T>(value: &T) {
    #[cfg(target_arch = "x86_64")]
    // SAFETY: a prefetch does not access memory architecturally and cannot fault; the address
    // is of a live value anyway.
    unsafe {
        std::arch::x86_64::_mm_prefetch(value as *const T as *const i8, std::arch::x86_64::_MM_HINT_T0)
    };
    #[cfg(not(target_arch = "x86_64"))]
    let _ = value;
}
