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
    // A process already nicer than that cannot be made less nice: the workers then keep the
    // process's own priority, which is only slower.
    if let Ok(p) = ThreadPriorityValue::try_from(WORKER_PRIORITY) {
        let _ = set_current_thread_priority(ThreadPriority::Crossplatform(p));
    }
}

#[cfg(not(target_os = "linux"))]
fn lower_priority() {}

#[cfg(all(test, target_os = "linux"))]
mod tests {
    /// The calling thread's nice value, from procfs (field 19 of its stat line).
    fn nice() -> i32 {
        let stat = std::fs::read_to_string("/proc/thread-self/stat").expect("procfs");
        let after_name = &stat[stat.rfind(')').expect("a stat line") + 2..];
        after_name
            .split(' ')
            .nth(16)
            .and_then(|n| n.parse().ok())
            .expect("a nice value")
    }

    #[test]
    fn workers_run_nicer_than_the_thread_that_started_them() {
        let here = nice();
        let pool = super::workers().num_threads(1).build().expect("a pool");
        let worker = pool.install(nice);
        assert_eq!(worker, here.max(10), "worker nice {worker}, caller {here}");
    }
}
