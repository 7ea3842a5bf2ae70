//! Python bindings of tokembed-core. Each binding converts its arguments, releases the GIL,
//! calls the core and maps the error; there is no tokenization logic here.

mod arrays;
mod embedding;
mod errors;
mod positional;
mod texts;
mod threads;
mod tokenizer;

use pyo3::prelude::*;

#[pymodule]
fn _core(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add("TokenizerError", m.py().get_type::<errors::TokenizerError>())?;
    m.add_class::<tokenizer::CoreTokenizer>()?;
    m.add_function(wrap_pyfunction!(threads::set_num_threads, m)?)?;
    m.add_function(wrap_pyfunction!(threads::get_num_threads, m)?)?;
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
