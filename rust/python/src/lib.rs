//! Python bindings of tokembed-core. Each binding converts its arguments, releases the GIL,
//! calls the core and maps the error; there is no tokenization logic here.

mod arrays;
mod byte_views;
mod corpus;
mod embedding;
mod errors;
mod id_lists;
mod nontext;
mod positional;
mod texts;
mod threads;
mod tokenizer;
mod tokenizer_bytes;
mod tokenizer_post_process;
mod train;

use pyo3::prelude::*;

/// Loads NumPy's C API now. rust-numpy loads it on the first array a call makes and panics
/// when that fails, and it fails when Ctrl-C arrives during that import: an interrupted first
/// call would raise `PanicException` instead of `KeyboardInterrupt`. Imported here, any such
/// failure is an ordinary exception of `import tokembed`.
fn load_numpy_api(py: Python<'_>) -> PyResult<()> {
    let numpy = py.import("numpy")?;
    let major: u32 =
        numpy.getattr("__version__")?.extract::<String>()?.split('.').next().and_then(|m| m.parse().ok()).unwrap_or(2);
    py.import(if major >= 2 { "numpy._core.multiarray" } else { "numpy.core.multiarray" })?;
    std::panic::catch_unwind(|| drop(numpy::PyArray1::<i64>::zeros(py, 0, false))).map_err(|_| {
        pyo3::exceptions::PyImportError::new_err("tokembed: NumPy's C API could not be loaded (interrupted?)")
    })
}

#[pymodule]
fn _core(m: &Bound<'_, PyModule>) -> PyResult<()> {
    load_numpy_api(m.py())?;
    texts::choose_utf8_implementation();
    m.add("TokenizerError", m.py().get_type::<errors::TokenizerError>())?;
    m.add_class::<tokenizer::CoreTokenizer>()?;
    m.add_function(wrap_pyfunction!(id_lists::id_lists, m)?)?;
    m.add_function(wrap_pyfunction!(threads::set_num_threads, m)?)?;
    m.add_function(wrap_pyfunction!(threads::get_num_threads, m)?)?;
    m.add_class::<train::WordCounter>()?;
    m.add_function(wrap_pyfunction!(train::unigram_model_bytes, m)?)?;
    m.add_function(wrap_pyfunction!(corpus::jsonl_text, m)?)?;
    m.add_function(wrap_pyfunction!(corpus::count_newlines, m)?)?;
    m.add_function(wrap_pyfunction!(nontext::log_mel_spectrogram, m)?)?;
    m.add_function(wrap_pyfunction!(nontext::mel_filter_bank, m)?)?;
    m.add_function(wrap_pyfunction!(nontext::whisper_front_end, m)?)?;
    m.add_function(wrap_pyfunction!(nontext::vit_patch_embed, m)?)?;
    m.add_function(wrap_pyfunction!(nontext::resize_images, m)?)?;
    m.add_function(wrap_pyfunction!(nontext::image_pixel_values, m)?)?;
    m.add_class::<positional::CoreRope>()?;
    m.add_function(wrap_pyfunction!(positional::sinusoidal_table, m)?)?;
    m.add_function(wrap_pyfunction!(positional::alibi_slopes, m)?)?;
    m.add_function(wrap_pyfunction!(positional::alibi_bias, m)?)?;
    m.add_function(wrap_pyfunction!(positional::t5_relative_position_bucket, m)?)?;
    for f in [
        wrap_pyfunction!(embedding::embedding_gather, m)?,
        wrap_pyfunction!(embedding::embedding_input, m)?,
        wrap_pyfunction!(embedding::embedding_backward_dense, m)?,
        wrap_pyfunction!(embedding::embedding_backward_sparse, m)?,
        wrap_pyfunction!(embedding::embedding_sgd_step, m)?,
        wrap_pyfunction!(embedding::embedding_nearest, m)?,
        wrap_pyfunction!(embedding::embedding_fill_normal, m)?,
        wrap_pyfunction!(embedding::load_safetensors, m)?,
    ] {
        m.add_function(f)?;
    }
    Ok(())
}
