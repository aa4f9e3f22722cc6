//! The process's worker threads. Rayon's workers do the parallel work (parsing, judging,
//! rendering pieces of reports); a few ordinary threads do the serial work that waits on
//! them (writing each output file in order). When both want the same cores, the serial
//! thread must not lose: a core it is denied is wall time nothing gives back, while the
//! workers only take longer over a queue that was not the bottleneck. So on Linux, where a
//! thread's nice value is its own, the workers run nicer than the rest: they still use every
//! core nobody else wants.

/// Rayon's workers' priority on the crate's 0–99 scale: nice 10 on Linux, a weight of 110
/// against the default 1024, so a serial thread keeps about nine tenths of a core it shares
/// with a worker.
#[cfg(target_os = "linux")]
const WORKER_PRIORITY: u8 = 22;

/// The nice value [`WORKER_PRIORITY`] sets (the test below holds the two together).
#[cfg(target_os = "linux")]
const WORKER_NICE: i32 = 10;

/// Builds rayon's global pool (once, before anything runs on it).
pub fn configure() {
    // Already built (a library caller configured it): its choice stands.
    drop(workers().build_global());
}

fn workers() -> rayon::ThreadPoolBuilder {
    rayon::ThreadPoolBuilder::new()
        .thread_name(|i| format!("worker-{i}"))
        .start_handler(|_| lower_priority())
}

#[cfg(target_os = "linux")]
fn lower_priority() {
    use thread_priority::{set_current_thread_priority, ThreadPriority, ThreadPriorityValue};
    // Only ever nicer: a process started nicer than that (`nice -n 15`) keeps its own value in
    // its workers, even where it could lower it (as root); an unreadable value changes nothing.
    if own_nice().is_none_or(|n| n >= WORKER_NICE) {
        return;
    }
    if let Ok(p) = ThreadPriorityValue::try_from(WORKER_PRIORITY) {
        let _ = set_current_thread_priority(ThreadPriority::Crossplatform(p));
    }
}

/// The calling thread's nice value, from procfs (field 19 of its stat line; the name in
/// field 2 may hold spaces and parentheses, so fields are counted after its last `)`).
#[cfg(target_os = "linux")]
fn own_nice() -> Option<i32> {
    let stat = std::fs::read_to_string("/proc/thread-self/stat").ok()?;
    let after_name = stat.get(stat.rfind(')')? + 2..)?;
    after_name.split(' ').nth(16)?.parse().ok()
}

#[cfg(not(target_os = "linux"))]
fn lower_priority() {}

#[cfg(all(test, target_os = "linux"))]
mod tests {
    use super::{own_nice, workers, WORKER_NICE};

    #[test]
    fn workers_run_nicer_than_the_thread_that_started_them_and_never_less_nice() {
        let here = own_nice().expect("procfs");
        let pool = workers().num_threads(1).build().expect("a pool");
        let worker = pool.install(own_nice).expect("procfs");
        assert_eq!(
            worker,
            here.max(WORKER_NICE),
            "worker nice {worker}, caller {here}"
        );
    }
}
