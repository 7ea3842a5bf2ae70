//! What every part of the core shares: the thread pool (fork-safe, interruptible), fallible
//! allocation of sizes chosen by callers, Unicode character classes, and GPT-2's byte alphabet.

pub mod byte_alphabet;
pub mod huge_pages;
pub mod memory;
pub mod parallel;
pub mod unicode;
