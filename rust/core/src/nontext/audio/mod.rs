//! Audio: waveforms to the log-mel features of Whisper's feature extractor (`log_mel`), with
//! its Slaney mel filter bank (`mel`), and those features through the encoder's convolutional
//! front end (`front_end`).

pub mod front_end;
pub mod log_mel;
pub mod mel;

pub use front_end::WhisperFrontEnd;
pub use log_mel::{log_mel_spectrogram, LogMelOptions};
pub use mel::mel_filter_bank;
