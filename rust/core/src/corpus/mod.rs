//! Corpus input for `tokembed encode`, read in the core so that reading costs the encoder no
//! Python time: a buffer of lines (`lines`) or of JSON Lines (`jsonl`) becomes documents,
//! encoded as one flat batch.

pub mod jsonl;
pub mod lines;
