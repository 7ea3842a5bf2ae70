//! What the profiling harnesses share: the corpus cut into documents, the thread count, and the
//! timing of slices the caches have not seen.

/// `corpus` cut into documents of about 4000 bytes (at character boundaries).
pub fn documents(corpus: &str) -> Vec<&str> {
    documents_of(corpus, 4000)
}

/// `corpus` cut into documents of about `size` bytes (at character boundaries).
#[allow(dead_code)] // only json_profile asks for another size
pub fn documents_of(corpus: &str, size: usize) -> Vec<&str> {
    let mut docs = Vec::new();
    let mut at = 0;
    while at < corpus.len() {
        let mut end = (at + size.max(1)).min(corpus.len());
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

/// Encodes `docs` cut into `slices` slices, each once, and returns the MB/s over every slice but
/// the first, which only warms up (as the benchmarks time text the caches have not seen).
/// `each` prints every slice's milliseconds.
#[allow(dead_code)] // lattice_profile shares this module and times no slices
pub fn fresh_rate(tok: &tokembed_core::Tokenizer, docs: &[&str], slices: usize, each: bool) -> f64 {
    let per = docs.len().div_ceil(slices.max(1)).max(1);
    let (mut total_mb, mut total_s) = (0.0, 0.0);
    // `FLUSH=1`: 64 MB written between slices, so each slice starts with the CPU caches holding
    // none of the tables (as in the benchmarks, where other libraries run between two calls).
    let mut flush = std::env::var("FLUSH").is_ok().then(|| vec![0u8; 64 << 20]);
    // `AB=1` (a build with `--features ab-switch`): slices 2, 3, 4, ... alternate between the
    // switch's off and on sides in the order off-on-on-off (`SWAP=1`: on-off-off-on), and the
    // rate of each side and their ratio are printed. The sides encode different text, so read
    // the geometric mean of a run and its swapped run (see `utils::ab_switch`).
    let flag = |name: &str| std::env::var(name).is_ok_and(|value| !value.is_empty());
    let ab = flag("AB");
    if ab && !tokembed_core::utils::ab_switch::AVAILABLE {
        eprintln!("AB=1 needs a build with --features ab-switch");
        std::process::exit(2);
    }
    let swap = flag("SWAP") as usize;
    let (mut ab_mb, mut ab_s) = ([0.0f64; 2], [0.0f64; 2]);
    for (k, slice) in docs.chunks(per).enumerate() {
        if let Some(junk) = flush.as_mut() {
            junk.iter_mut().for_each(|b| *b = b.wrapping_add(1));
            std::hint::black_box(&junk);
        }
        let side = (k % 2) ^ ((k / 2) % 2) ^ swap;
        tokembed_core::utils::ab_switch::set(ab && side == 1);
        let t = std::time::Instant::now();
        tokembed_core::tokenizer::batch::encode_flat(tok, slice, false, false).unwrap();
        if ab && k > 1 {
            ab_s[side] += t.elapsed().as_secs_f64();
            ab_mb[side] += slice.iter().map(|d| d.len()).sum::<usize>() as f64 / 1e6;
        }
        if each {
            eprintln!("slice {k}: {:.2} ms", t.elapsed().as_secs_f64() * 1e3);
        }
        if k > 0 {
            total_s += t.elapsed().as_secs_f64();
            total_mb += slice.iter().map(|d| d.len()).sum::<usize>() as f64 / 1e6;
        }
    }
    if ab {
        eprintln!(
            "AB: off {:.1} on {:.1} MB/s, on/off {:.3}{}",
            ab_mb[0] / ab_s[0],
            ab_mb[1] / ab_s[1],
            (ab_mb[1] / ab_s[1]) / (ab_mb[0] / ab_s[0]),
            if swap == 1 { " (swapped)" } else { "" }
        );
    }
    total_mb / total_s
}
