//! The thread pool batches run on, safe across `fork`.
//!
//! A forked child inherits the pool's memory but none of its threads, so a pool used before
//! `fork` (multiprocessing, DataLoader workers) would wait forever on workers that do not
//! exist. We remember which process built the pool and build a fresh one in a child; the
//! parent's pool is leaked in the child, never dropped, because dropping it would signal
//! threads that are not there and could block on locks they held at the fork.

use rayon::prelude::*;
use rayon::{ThreadPool, ThreadPoolBuilder};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

struct Pool {
    pid: u32,
    threads: usize,
    pool: Arc<ThreadPool>,
}

static POOL: Mutex<Option<Pool>> = Mutex::new(None);
/// Threads asked for with `set_num_threads`; 0 means the default.
static REQUESTED: AtomicUsize = AtomicUsize::new(0);

/// `TOKEMBED_NUM_THREADS` if set to a positive number, else the number of CPUs.
fn default_threads() -> usize {
    std::env::var("TOKEMBED_NUM_THREADS")
        .ok()
        .and_then(|v| v.trim().parse::<usize>().ok())
        .filter(|&n| n > 0)
        .unwrap_or_else(cpu_count)
}

/// The CPUs this process may use, read once: `available_parallelism` re-reads cgroup files on
/// every call (~30 us), which every batch call would otherwise pay.
fn cpu_count() -> usize {
    static CPUS: std::sync::OnceLock<usize> = std::sync::OnceLock::new();
    *CPUS.get_or_init(|| std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1))
}

pub fn set_num_threads(n: usize) {
    REQUESTED.store(n, Ordering::SeqCst);
}

pub fn num_threads() -> usize {
    match REQUESTED.load(Ordering::SeqCst) {
        0 => default_threads(),
        n => n,
    }
}

fn pool(threads: usize) -> Option<Arc<ThreadPool>> {
    let pid = std::process::id();
    let mut guard = match POOL.lock() {
        Ok(g) => g,
        // A panic while holding the lock cannot leave the Option half-written; carry on.
        Err(poisoned) => poisoned.into_inner(),
    };
    if let Some(p) = guard.as_ref() {
        if p.pid == pid && p.threads == threads {
            return Some(p.pool.clone());
        }
    }
    if let Some(old) = guard.take() {
        if old.pid != pid {
            std::mem::forget(old);
        }
    }
    let pool =
        Arc::new(ThreadPoolBuilder::new().num_threads(threads).thread_name(|i| format!("tokembed-{i}")).build().ok()?);
    *guard = Some(Pool { pid, threads, pool: pool.clone() });
    Some(pool)
}

/// Runs `f` inside our pool, so that rayon's parallel iterators in `f` use our threads (and
/// exactly as many as asked: outside a pool they would use rayon's global pool, sized to the
/// machine). Without a pool, `f` runs on this thread, still correct.
pub fn run<R: Send>(f: impl FnOnce() -> R + Send) -> R {
    match pool(num_threads().max(1)) {
        Some(p) => p.install(f),
        None => f(),
    }
}

/// Maps `f(start, chunk)` over consecutive chunks of `items` (`start` is the index of the
/// chunk's first item) and returns the results in order. Several chunks per thread balance
/// uneven items; a batch that is a single chunk, or a single thread, runs on the calling thread,
/// because handing work to the pool costs more than small work.
pub fn map_chunks<T: Sync, R: Send>(items: &[T], f: impl Fn(usize, &[T]) -> R + Sync + Send) -> Vec<R> {
    let threads = num_threads().max(1);
    let chunk = items.len().div_ceil(threads * 8).max(1);
    if threads == 1 || items.len() <= chunk {
        return items.chunks(chunk).enumerate().map(|(c, group)| f(c * chunk, group)).collect();
    }
    run(|| items.par_chunks(chunk).enumerate().map(|(c, group)| f(c * chunk, group)).collect())
}
