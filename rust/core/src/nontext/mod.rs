//! Inputs that are not text, turned into the vectors a transformer starts from: audio as
//! log-mel features and Whisper's encoder front end (`audio`), images as ViT patch
//! embeddings (`image`).

pub mod audio;
pub mod image;
