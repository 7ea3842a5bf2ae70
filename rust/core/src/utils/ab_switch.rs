//! A switch between two versions of a hot path, for comparing them in one process (the
//! profiling harnesses' `AB=1`, see `examples/common`): the code under test asks `on()` which
//! version to run. Without the `ab-switch` feature `on()` is `false` at compile time and `set`
//! does nothing, so a build of the library carries neither the switch nor the version behind it.
//!
//! Use: put the new version behind `if crate::utils::ab_switch::on()`, then
//! `cargo build --release --features ab-switch --example bpe_profile -p tokembed-core` and run the
//! harness with `AB=1 FRESH=n`, once as is and once with `SWAP=1`; read the geometric mean of the
//! two ratios (each side encodes different slices of text, which alone moves one run's ratio by
//! about 5% on the multilingual mix; swapping the sides' slices cancels it). Remove the switch
//! before committing the change.

#[cfg(feature = "ab-switch")]
static ON: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

/// Which version to run: the new one when true.
#[inline(always)]
pub fn on() -> bool {
    #[cfg(feature = "ab-switch")]
    return ON.load(std::sync::atomic::Ordering::Relaxed);
    #[cfg(not(feature = "ab-switch"))]
    false
}

/// Whether the switch exists in this build.
pub const AVAILABLE: bool = cfg!(feature = "ab-switch");

/// Sets the switch (no effect without the feature).
pub fn set(on: bool) {
    #[cfg(feature = "ab-switch")]
    ON.store(on, std::sync::atomic::Ordering::Relaxed);
    #[cfg(not(feature = "ab-switch"))]
    let _ = on;
}
