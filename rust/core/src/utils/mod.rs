//! What every part of the core shares: the thread pool (fork-safe, interruptible, one CPU per
//! worker when it has a thread per CPU), fallible allocation of sizes chosen by callers, Unicode
//! character classes, UTF-8 checks and characters, GPT-2's byte alphabet, the copy of a text with
//! ranges replaced, and the profiling harnesses' A/B switch.

pub mod ab_switch;
pub mod affinity;
pub mod byte_alphabet;
pub mod huge_pages;
pub mod memory;
pub mod parallel;
pub mod prefetch;
pub mod splice;
#[cfg(test)]
pub mod test_random;
pub mod unicode;
pub mod utf8;
