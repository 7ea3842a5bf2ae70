//! The thread pool batches run on, safe across `fork`, and the interrupt flag of a long call.
//!
//! A forked child inherits the pool's memory but none of its threads, so a pool used before
//! `fork` (multiprocessing, DataLoader workers) would wait forever on workers that do not
//! exist. We remember which process built the pool and build a fresh one in a child; the
//! parent's pool is leaked in the child, never dropped, because dropping it would signal
//! threads that are not there and could block on locks they held at the fork.
//!
//! No lock is taken on the way to the pool: the current pool sits in an `ArcSwapOption`
//! (lock-free), and two threads that find no pool for the thread count both build one, the
//! first to publish wins and the other drops its own. A mutex here would be held while the
//! pool's threads are spawned, and a child forked at that moment would wait on it forever.

use super::affinity;
use crate::error::{Error, Result};
use arc_swap::ArcSwapOption;
use rayon::prelude::*;
use rayon::{ThreadPool, ThreadPoolBuilder};
use std::cell::RefCell;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;

/// The most threads a pool may have: beyond this, spawning costs more than it brings on any
/// machine we know of, and absurd requests (`2**62`) must not reach the thread spawner.
pub const MAX_THREADS: usize = 1024;

struct Pool {
    pid: u32,
    threads: usize,
    pool: ThreadPool,
}

/// The current pool, and the one used before it, kept so that a program switching between two
/// thread counts (one for small calls, all for large ones; a benchmark alternating them) reuses
/// its threads and their per-thread caches instead of spawning cold ones at every switch.
struct Pools {
    current: ArcSwapOption<Pool>,
    previous: ArcSwapOption<Pool>,
}

static POOLS: Pools = Pools { current: ArcSwapOption::const_empty(), previous: ArcSwapOption::const_empty() };
/// Threads asked for with `set_num_threads`; 0 means the default.
static REQUESTED: AtomicUsize = AtomicUsize::new(0);

/// `TOKEMBED_NUM_THREADS` if set to a number in 1..=MAX_THREADS, else the number of CPUs.
fn default_threads() -> usize {
    std::env::var("TOKEMBED_NUM_THREADS")
        .ok()
        .and_then(|v| v.trim().parse::<usize>().ok())
        .filter(|&n| (1..=MAX_THREADS).contains(&n))
        .unwrap_or_else(cpu_count)
}

/// The CPUs this process may use, read once: `available_parallelism` re-reads cgroup files on
/// every call (~30 us), which every batch call would otherwise pay. (A race to fill it only
/// computes the same number twice; there is no lock for a fork to catch.)
fn cpu_count() -> usize {
    static CPUS: AtomicUsize = AtomicUsize::new(0);
    match CPUS.load(Ordering::Relaxed) {
        0 => {
            let n = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1).min(MAX_THREADS);
            CPUS.store(n, Ordering::Relaxed);
            n
        }
        n => n,
    }
}

/// Sets the thread count of later batch calls (1..=MAX_THREADS).
pub fn set_num_threads(n: usize) -> Result<()> {
    if !(1..=MAX_THREADS).contains(&n) {
        return Err(Error::InvalidArgument(format!("number of threads must be between 1 and {MAX_THREADS}, got {n}")));
    }
    REQUESTED.store(n, Ordering::SeqCst);
    Ok(())
}

pub fn num_threads() -> usize {
    match REQUESTED.load(Ordering::SeqCst) {
        0 => default_threads(),
        n => n,
    }
}

fn pool(threads: usize) -> Option<Arc<Pool>> {
    POOLS.get(threads)
}

impl Pools {
    fn get(&self, threads: usize) -> Option<Arc<Pool>> {
        let pid = std::process::id();
        let current = self.current.load_full();
        if let Some(p) = &current {
            if p.pid == pid && p.threads == threads {
                return Some(p.clone());
            }
        }
        let kept = self.previous.load_full().filter(|p| p.pid == pid && p.threads == threads);
        let fresh = match kept {
            Some(p) => p,
            None => {
                let mut builder =
                    ThreadPoolBuilder::new().num_threads(threads).thread_name(|i| format!("tokembed-{i}"));
                if let Some(cpus) = affinity::plan_for_pool(threads) {
                    builder = builder.start_handler(move |i| {
                        if let Some(&cpu) = cpus.get(i) {
                            affinity::pin_current_thread(cpu);
                        }
                    });
                }
                let built = builder.build().ok()?;
                Arc::new(Pool { pid, threads, pool: built })
            }
        };
        let previous = self.current.compare_and_swap(&current, Some(fresh.clone()));
        let replaced = match (&*previous, &current) {
            (Some(a), Some(b)) => Arc::ptr_eq(a, b),
            (None, None) => true,
            _ => false,
        };
        if replaced {
            let keep = current.filter(|old| old.pid == pid);
            if let Some(old) = self.previous.swap(keep) {
                if old.pid != pid {
                    // The parent's pool: its threads do not exist here, so it must never be dropped.
                    std::mem::forget(old);
                }
            }
            if let Some(parent) = (*previous).clone().filter(|old| old.pid != pid) {
                std::mem::forget(parent);
            }
        }
        // If another thread published first, this call still runs on the pool it built; the pool
        // goes away with the call.
        Some(fresh)
    }
}

/// Runs `f` inside our pool, so that rayon's parallel iterators in `f` use our threads (and
/// exactly as many as asked: outside a pool they would use rayon's global pool, sized to the
/// machine). Without a pool, `f` runs on this thread, still correct.
pub fn run<R: Send>(f: impl FnOnce() -> R + Send) -> R {
    match pool(num_threads().max(1)) {
        Some(p) => {
            let interrupt = current_interrupt();
            p.pool.install(|| with_interrupt(interrupt, f))
        }
        None => f(),
    }
}

/// Runs `work` on the pool with `flag` as its interrupt flag, while the calling thread calls
/// `poll` every `every` until the work is done; `poll` may raise the flag (the bindings look for
/// Ctrl-C there). The work runs on the pool's own threads, so a call still uses exactly the
/// threads asked for (one pool thread with one thread), and no thread is spawned per call.
pub fn run_interruptible<R: Send>(
    flag: Arc<AtomicBool>,
    work: impl FnOnce() -> R + Send,
    every: std::time::Duration,
    mut poll: impl FnMut(),
) -> R {
    let Some(p) = pool(num_threads().max(1)) else {
        return with_interrupt(Some(flag), work);
    };
    let waiter = std::thread::current();
    let done = AtomicBool::new(false);
    let mut result = None;
    p.pool.in_place_scope(|scope| {
        let (done, result, waiter) = (&done, &mut result, &waiter);
        scope.spawn(move |_| {
            *result = Some(with_interrupt(Some(flag), work));
            done.store(true, Ordering::Release);
            waiter.unpark();
        });
        while !done.load(Ordering::Acquire) {
            std::thread::park_timeout(every);
            if !done.load(Ordering::Acquire) {
                poll();
            }
        }
    });
    // The scope returns only after the spawned work ran (a panic in it resumes here).
    result.expect("the scope waits for its work")
}

/// Chunks `map_chunks` cuts a batch into per thread: enough that a thread finishing early takes
/// another, few enough that each holds many items.
pub const CHUNKS_PER_THREAD: usize = 8;

/// Maps `f(start, chunk)` over consecutive chunks of `items` (`start` is the index of the
/// chunk's first item) and returns the results in order, or the first error. Several chunks
/// per thread balance uneven items; a batch that is a single chunk, or a single thread, runs on
/// the calling thread, because handing work to the pool costs more than small work. Each chunk
/// first checks the call's interrupt flag, so a long batch stops soon after Ctrl-C.
pub fn map_chunks<T: Sync, R: Send>(items: &[T], f: impl Fn(usize, &[T]) -> Result<R> + Sync + Send) -> Result<Vec<R>> {
    let threads = num_threads().max(1);
    let chunk = items.len().div_ceil(threads * CHUNKS_PER_THREAD).max(1);
    let interrupt = current_interrupt();
    let one = |c: usize, group: &[T]| -> Result<R> {
        if interrupt.as_ref().is_some_and(|flag| flag.load(Ordering::Relaxed)) {
            return Err(Error::Interrupted);
        }
        with_interrupt(interrupt.clone(), || f(c * chunk, group))
    };
    if threads == 1 || items.len() <= chunk {
        return items.chunks(chunk).enumerate().map(|(c, group)| one(c, group)).collect();
    }
    run(|| items.par_chunks(chunk).enumerate().map(|(c, group)| one(c, group)).collect())
}

thread_local! {
    /// The interrupt flag of the call this thread is working for, if that call can be
    /// interrupted (the bindings set one for long calls and raise it on Ctrl-C).
    static INTERRUPT: RefCell<Option<Arc<AtomicBool>>> = const { RefCell::new(None) };
}

fn current_interrupt() -> Option<Arc<AtomicBool>> {
    INTERRUPT.with(|i| i.borrow().clone())
}

/// Runs `f` with `flag` as this thread's interrupt flag: `check_interrupt` inside `f`, and every
/// chunk `map_chunks` runs for `f` (on any thread), fail with `Error::Interrupted` once it is set.
pub fn with_interrupt<R>(flag: Option<Arc<AtomicBool>>, f: impl FnOnce() -> R) -> R {
    struct Restore(Option<Arc<AtomicBool>>);
    impl Drop for Restore {
        fn drop(&mut self) {
            let previous = self.0.take();
            INTERRUPT.with(|i| *i.borrow_mut() = previous);
        }
    }
    let _restore = Restore(INTERRUPT.with(|i| std::mem::replace(&mut *i.borrow_mut(), flag)));
    f()
}

/// `Err(Error::Interrupted)` once the current call has been interrupted; for loops inside one
/// long item (a megabyte document) that `map_chunks` cannot cut.
pub fn check_interrupt() -> Result<()> {
    let raised = INTERRUPT.with(|i| i.borrow().as_ref().is_some_and(|flag| flag.load(Ordering::Relaxed)));
    if raised {
        Err(Error::Interrupted)
    } else {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn switching_between_two_thread_counts_keeps_both_pools() {
        let pools = Pools { current: ArcSwapOption::const_empty(), previous: ArcSwapOption::const_empty() };
        let three = pools.get(3).unwrap();
        let one = pools.get(1).unwrap();
        assert!(Arc::ptr_eq(&pools.get(3).unwrap(), &three), "the 3-thread pool was rebuilt");
        assert!(Arc::ptr_eq(&pools.get(1).unwrap(), &one), "the 1-thread pool was rebuilt");
        let two = pools.get(2).unwrap();
        assert!(!Arc::ptr_eq(&pools.get(3).unwrap(), &three), "more than two pools were kept");
        assert!(Arc::ptr_eq(&pools.get(2).unwrap(), &two));
    }

    #[test]
    fn thread_counts_out_of_range_are_refused() {
        assert!(set_num_threads(0).is_err());
        assert!(set_num_threads(MAX_THREADS + 1).is_err());
        assert!(set_num_threads(1 << 62).unwrap_err().to_string().contains("between 1 and 1024"));
    }

    #[test]
    fn a_raised_flag_stops_every_chunk() {
        let items: Vec<u32> = (0..1000).collect();
        let flag = Arc::new(AtomicBool::new(false));
        let sum = with_interrupt(Some(flag.clone()), || map_chunks(&items, |_, g| Ok(g.iter().sum::<u32>())));
        assert_eq!(sum.unwrap().iter().sum::<u32>(), items.iter().sum::<u32>());
        flag.store(true, Ordering::Relaxed);
        let stopped = with_interrupt(Some(flag.clone()), || map_chunks(&items, |_, g| Ok(g.len())));
        assert_eq!(stopped.unwrap_err(), Error::Interrupted);
        let inner = with_interrupt(Some(flag), check_interrupt);
        assert_eq!(inner.unwrap_err(), Error::Interrupted);
        assert!(check_interrupt().is_ok());
    }
}
