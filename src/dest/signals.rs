//! SIGINT and SIGTERM end a run cleanly: a small thread waits for them (tokio's signal
//! support, on a runtime of its own), removes what the run registered here (its run
//! directories and lock files) and exits 130 or 143. While the outputs are being moved into
//! place ([`hold`]) the signal waits, so an interrupted run leaves either the previous
//! outputs or its own, never a mix.
//!
//! SIGXFSZ (a file-size limit reached) is caught too, and ignored: the write that exceeded
//! the limit then fails with EFBIG and the run ends as on a full disk, cleaning up, instead
//! of being killed with its temporaries left behind.

use crate::error::{Error, Result};
use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard, OnceLock};

/// Paths to remove if the run is interrupted.
static REGISTERED: Mutex<Vec<PathBuf>> = Mutex::new(Vec::new());

fn registered() -> MutexGuard<'static, Vec<PathBuf>> {
    REGISTERED.lock().unwrap_or_else(|p| p.into_inner())
}

pub fn register(path: &Path) {
    registered().push(path.to_path_buf());
}

pub fn unregister(path: &Path) {
    registered().retain(|p| p != path);
}

/// Holds off an interruption's cleanup while the guard lives: for the renames that move a
/// run's outputs into place, which must all happen or none.
pub fn hold() -> MutexGuard<'static, Vec<PathBuf>> {
    registered()
}

/// Starts the signal thread once; returns when the signals are caught.
pub fn install() -> Result<()> {
    static INSTALLED: OnceLock<std::result::Result<(), String>> = OnceLock::new();
    INSTALLED
        .get_or_init(start)
        .clone()
        .map_err(|e| Error::Usage(format!("cannot catch SIGINT and SIGTERM: {e}")))
}

#[cfg(unix)]
fn start() -> std::result::Result<(), String> {
    use tokio::signal::unix::{signal, SignalKind};
    /// The same on Linux and the BSDs (macOS included).
    const SIGXFSZ: i32 = 25;
    let (ready, started) = std::sync::mpsc::channel();
    let spawned = std::thread::Builder::new()
        .name("signals".into())
        .spawn(move || {
            let rt = match tokio::runtime::Builder::new_current_thread()
                .enable_io()
                .build()
            {
                Ok(rt) => rt,
                Err(e) => return ready.send(Err(e.to_string())).unwrap_or(()),
            };
            let code = rt.block_on(async {
                let streams = (|| {
                    Ok::<_, std::io::Error>((
                        signal(SignalKind::interrupt())?,
                        signal(SignalKind::terminate())?,
                        signal(SignalKind::from_raw(SIGXFSZ))?,
                    ))
                })();
                let (mut int, mut term, mut xfsz) = match streams {
                    Ok(s) => s,
                    Err(e) => {
                        let _ = ready.send(Err(e.to_string()));
                        return None;
                    }
                };
                let _ = ready.send(Ok(()));
                loop {
                    tokio::select! {
                        _ = int.recv() => return Some((crate::exit::INTERRUPTED, "SIGINT")),
                        _ = term.recv() => return Some((crate::exit::TERMINATED, "SIGTERM")),
                        _ = xfsz.recv() => {}
                    }
                }
            });
            if let Some((code, name)) = code {
                clean_up_and_exit(code, name);
            }
        });
    match spawned {
        Ok(_) => started
            .recv()
            .unwrap_or_else(|_| Err("the signal thread ended".into())),
        Err(e) => Err(e.to_string()),
    }
}

#[cfg(not(unix))]
fn start() -> std::result::Result<(), String> {
    Ok(())
}

/// Removes what is registered and exits; the registry stays locked, so nothing else moves.
fn clean_up_and_exit(code: u8, signal: &str) -> ! {
    let paths = registered();
    for p in paths.iter() {
        if p.is_dir() {
            // Renamed first: the run's other threads, still writing, can create nothing more
            // in it. The new name is still a run directory's, for the next run to find.
            let doomed = p.with_extension("removed.tmp");
            let gone = std::fs::rename(p, &doomed).map(|()| doomed);
            let _ = std::fs::remove_dir_all(gone.as_deref().unwrap_or(p));
        } else {
            let _ = std::fs::remove_file(p);
        }
    }
    eprintln!("interrupted ({signal}): removed this run's temporary files");
    std::process::exit(code.into())
}
