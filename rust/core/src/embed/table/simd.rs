//! Compiling an arithmetic kernel for the vector width of the CPU it runs on.
//!
//! The library is built for baseline x86-64 (SSE2) so that one wheel runs everywhere. Loops
//! written with independent lanes (`[f32; 8]` accumulators, element-wise updates) vectorize to
//! whatever the function is compiled for, so `multiversion!` compiles a kernel three times
//! (baseline, AVX2, AVX-512) and picks one at run time. Rust never contracts `a * b + c` into a
//! fused multiply-add, so the three versions do the same roundings in the same order: results
//! are identical on every CPU, only faster on wider ones.

/// The widest instruction set a kernel may use on this CPU. Only `detect` and `available`
/// make one, after checking the CPU, which is what makes calling the wider versions sound.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Isa(Level);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Level {
    Baseline,
    #[cfg(target_arch = "x86_64")]
    Avx2,
    #[cfg(target_arch = "x86_64")]
    Avx512,
}

impl Isa {
    pub fn detect() -> Isa {
        *Isa::available().last().unwrap_or(&Isa(Level::Baseline))
    }

    /// Every instruction set this CPU can run, narrowest first (tests compare them).
    pub fn available() -> Vec<Isa> {
        #[allow(unused_mut)]
        let mut all = vec![Isa(Level::Baseline)];
        #[cfg(target_arch = "x86_64")]
        {
            if is_x86_feature_detected!("avx2") && is_x86_feature_detected!("fma") {
                all.push(Isa(Level::Avx2));
                if is_x86_feature_detected!("avx512f")
                    && is_x86_feature_detected!("avx512bw")
                    && is_x86_feature_detected!("avx512vl")
                {
                    all.push(Isa(Level::Avx512));
                }
            }
        }
        all
    }

    pub(crate) fn level(self) -> Level {
        self.0
    }
}

/// `multiversion! { pub fn name(a: A, b: B) -> R { body } }` defines
/// `pub fn name(isa: Isa, a: A, b: B) -> R` running `body` compiled for `isa`. The body must
/// only call functions that are `#[inline(always)]` (or cold) for the width to reach them.
macro_rules! multiversion {
    ($(#[$meta:meta])* $vis:vis fn $name:ident $(<$($lt:lifetime),*>)? ($($arg:ident: $ty:ty),* $(,)?) $(-> $ret:ty)? $body:block) => {
        $(#[$meta])*
        $vis fn $name $(<$($lt),*>)? (isa: $crate::embed::table::simd::Isa, $($arg: $ty),*) $(-> $ret)? {
            #[inline(always)]
            fn generic $(<$($lt),*>)? ($($arg: $ty),*) $(-> $ret)? $body

            #[cfg(target_arch = "x86_64")]
            #[target_feature(enable = "avx512f,avx512bw,avx512vl,avx2,fma")]
            unsafe fn avx512 $(<$($lt),*>)? ($($arg: $ty),*) $(-> $ret)? {
                generic($($arg),*)
            }

            #[cfg(target_arch = "x86_64")]
            #[target_feature(enable = "avx2,fma")]
            unsafe fn avx2 $(<$($lt),*>)? ($($arg: $ty),*) $(-> $ret)? {
                generic($($arg),*)
            }

            match isa.level() {
                // SAFETY: an `Isa` is only made by `Isa::available`, after run-time detection
                // of exactly the features these functions are compiled with.
                #[cfg(target_arch = "x86_64")]
                $crate::embed::table::simd::Level::Avx512 => unsafe { avx512($($arg),*) },
                #[cfg(target_arch = "x86_64")]
                $crate::embed::table::simd::Level::Avx2 => unsafe { avx2($($arg),*) },
                $crate::embed::table::simd::Level::Baseline => generic($($arg),*),
            }
        }
    };
}

pub(crate) use multiversion;
