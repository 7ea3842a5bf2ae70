//! Inputs that are not text, turned into what a transformer's front end takes: audio as
//! log-mel features (`audio`).

pub mod audio;
