//! What the profiling harnesses share: the corpus cut into documents, and the thread count.

/// `corpus` cut into documents of about 4000 bytes (at character boundaries).
pub fn documents(corpus: &str) -> Vec<&str> {
    let mut docs = Vec::new();
    let mut at = 0;
    while at < corpus.len() {
        let mut end = (at + 4000).min(corpus.len());
        while !corpus.is_char_boundary(end) {
            end += 1;
        }
        docs.push(&corpus[at..end]);
        at = end;
    }
    docs
}

/// Sets the pool's threads from `THREADS` (1 when unset).
pub fn set_threads_from_env() {
    let threads = std::env::var("THREADS").ok().and_then(|s| s.parse().ok()).unwrap_or(1);
    tokembed_core::utils::parallel::set_num_threads(threads).unwrap();
}
