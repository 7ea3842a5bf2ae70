//! Embedding tables: a checked `(rows, dim)` view (`view`) of any float dtype (`dtype`), ids
//! checked once against it (`ids`), and the row gather (`gather`, SIMD and streaming stores in
//! `gather_x86`, chosen per CPU by `simd`, written by `row_writer`, split over the pool by
//! `rows_parallel`); `random` fills a table reproducibly.

pub mod dtype;
pub mod gather;
#[cfg(target_arch = "x86_64")]
pub mod gather_x86;
pub mod ids;
pub mod random;
pub mod row_writer;
pub mod rows_parallel;
pub mod simd;
pub mod view;
