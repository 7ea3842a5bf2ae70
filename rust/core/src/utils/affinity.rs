//! One CPU per worker of the pool, when the pool has a thread for each CPU its creator may use.
//!
//! Measured on the 2-CPU host the benchmarks run on: with two unpinned workers, the scheduler
//! often kept both on one CPU for a whole ~4 ms batch call (a woken thread starts on its
//! waker's CPU, and the load balancer moves one only after milliseconds), so two threads ran
//! at the speed of one. BERT on 0.5 MB batches of ~4 KB documents: 137-149 MB/s at two
//! unpinned threads, 226-250 MB/s pinned, about 140 at one thread.
//!
//! Pinning is done only when the thread count equals the number of CPUs the creating thread
//! may run on (the default thread count, or a count chosen to match): a process that takes a
//! share of a larger machine (fewer threads than CPUs: several workers side by side) is left to
//! the scheduler, which spreads the processes. `TOKEMBED_PIN_THREADS=0` turns pinning off.
//! Only Linux pins; elsewhere the scheduler places the threads.

/// The CPUs worker `i` of a pool of `threads` threads is pinned to (`plan[i]`), or `None` to
/// leave the workers to the scheduler: pinned only when `threads` is more than one and equals
/// the number of `allowed` CPUs, and `setting` (`TOKEMBED_PIN_THREADS`) is not `"0"`.
pub fn pinning_plan(threads: usize, allowed: Option<Vec<usize>>, setting: Option<&str>) -> Option<Vec<usize>> {
    if setting.is_some_and(|s| s.trim() == "0") || threads < 2 {
        return None;
    }
    allowed.filter(|cpus| cpus.len() == threads)
}

/// `pinning_plan` for a pool of `threads` built by the calling thread.
pub fn plan_for_pool(threads: usize) -> Option<Vec<usize>> {
    let setting = std::env::var("TOKEMBED_PIN_THREADS").ok();
    pinning_plan(threads, allowed_cpus(), setting.as_deref())
}

/// The CPUs the calling thread may run on, in increasing order, or `None` if unknown.
#[cfg(target_os = "linux")]
pub fn allowed_cpus() -> Option<Vec<usize>> {
    // SAFETY: `cpu_set_t` is plain bits (all zero is the empty set), and the kernel writes at
    // most the size it is given.
    let mut set: libc::cpu_set_t = unsafe { std::mem::zeroed() };
    let got = unsafe { libc::sched_getaffinity(0, std::mem::size_of::<libc::cpu_set_t>(), &mut set) };
    if got != 0 {
        return None;
    }
    // SAFETY: every index is below CPU_SETSIZE, the number of bits the set holds.
    let cpus: Vec<usize> =
        (0..libc::CPU_SETSIZE as usize).filter(|&cpu| unsafe { libc::CPU_ISSET(cpu, &set) }).collect();
    (!cpus.is_empty()).then_some(cpus)
}

#[cfg(not(target_os = "linux"))]
pub fn allowed_cpus() -> Option<Vec<usize>> {
    None
}

/// Pins the calling thread to `cpu`; false if the system refused (the thread then runs where
/// the scheduler puts it, which is only slower).
#[cfg(target_os = "linux")]
pub fn pin_current_thread(cpu: usize) -> bool {
    if cpu >= libc::CPU_SETSIZE as usize {
        return false;
    }
    // SAFETY: as in `allowed_cpus`, `cpu` is below CPU_SETSIZE, and the kernel only reads the
    // set.
    let mut set: libc::cpu_set_t = unsafe { std::mem::zeroed() };
    unsafe { libc::CPU_SET(cpu, &mut set) };
    unsafe { libc::sched_setaffinity(0, std::mem::size_of::<libc::cpu_set_t>(), &set) == 0 }
}

#[cfg(not(target_os = "linux"))]
pub fn pin_current_thread(_cpu: usize) -> bool {
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pins_only_a_thread_per_allowed_cpu_unless_turned_off() {
        let four = Some(vec![0, 1, 4, 5]);
        assert_eq!(pinning_plan(4, four.clone(), None), Some(vec![0, 1, 4, 5]));
        assert_eq!(pinning_plan(4, four.clone(), Some("1")), Some(vec![0, 1, 4, 5]));
        assert_eq!(pinning_plan(4, four.clone(), Some(" 0 ")), None);
        assert_eq!(pinning_plan(2, four.clone(), None), None);
        assert_eq!(pinning_plan(8, four, None), None);
        assert_eq!(pinning_plan(1, Some(vec![3]), None), None);
        assert_eq!(pinning_plan(2, None, None), None);
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn a_pinned_thread_runs_on_its_cpu_alone() {
        let allowed = allowed_cpus().expect("Linux reports the CPUs a thread may use");
        let last = *allowed.last().unwrap();
        let seen = std::thread::spawn(move || (pin_current_thread(last), allowed_cpus())).join().unwrap();
        assert_eq!(seen, (true, Some(vec![last])));
        // The spawning thread keeps its own set.
        assert_eq!(allowed_cpus(), Some(allowed));
    }
}
