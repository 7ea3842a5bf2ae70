//! Images: ViT patch embeddings (`patches`), Pillow-exact resizing (`resize`) and the image
//! processor's pixel values built on it (`pixel_values`).

pub mod patches;
pub mod pixel_values;
pub mod resize;

pub use patches::PatchEmbed;
pub use pixel_values::PixelRecipe;
pub use resize::{resize_batch, resize_u8, Image, ResizeFilter};
