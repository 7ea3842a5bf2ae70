//! Inputs that are not text, turned into the vectors a transformer starts from: audio as
//! log-mel features and Whisper's encoder front end (`audio`), images as pixel values and ViT
//! patch embeddings (`image`); the exact GELU both front ends' kin use (`gelu`).

pub mod audio;
pub mod gelu;
pub mod image;
