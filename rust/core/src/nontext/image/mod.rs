//! Images: ViT patch embeddings (`patches`).

pub mod patches;

pub use patches::PatchEmbed;
