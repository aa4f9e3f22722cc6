//! The advisory lock a run holds on its destination: a lock file next to it that records who
//! holds it, so that a second run can say so. The kernel releases the lock when its holder
//! ends, however it ends; a lock file a killed run left is simply locked again.

use super::Run;
use crate::error::{Error, Result};
use serde::{Deserialize, Serialize};
use std::fs::{File, OpenOptions, TryLockError};
use std::io::Write;
use std::path::{Path, PathBuf};

/// Who holds a destination, as its lock file records it.
#[derive(Debug, Serialize, Deserialize)]
struct Holder {
    pid: u32,
    run_id: String,
    started_at: String,
}

/// A held lock: its file is removed (while still locked) when this is dropped.
pub struct Lock {
    path: PathBuf,
    _file: File,
}

impl Lock {
    /// Locks `path` for `run`, or says who holds it; `dest` is what the lock protects.
    pub fn acquire(path: &Path, run: &Run, dest: &Path) -> Result<Lock> {
        loop {
            let mut file = OpenOptions::new()
                .read(true)
                .write(true)
                .create(true)
                .truncate(false)
                .open(path)
                .map_err(|e| Error::io("create the lock file", path, e))?;
            match file.try_lock() {
                Ok(()) => {}
                Err(TryLockError::WouldBlock) => return Err(held(path, dest)),
                Err(TryLockError::Error(e)) => return Err(Error::io("lock", path, e)),
            }
            // The holder before us removes the file when it ends: if it did so after we opened
            // it, we locked a file nobody else will find. Lock the one at the path instead.
            if !is_at(&file, path) {
                continue;
            }
            let me = Holder {
                pid: std::process::id(),
                run_id: run.id.clone(),
                started_at: run.started_rfc3339(),
            };
            let text = serde_json::to_string(&me).map_err(std::io::Error::other);
            text.and_then(|t| {
                file.set_len(0)?;
                file.write_all(t.as_bytes())
            })
            .map_err(|e| Error::io("write", path, e))?;
            super::signals::register(path);
            return Ok(Lock {
                path: path.to_path_buf(),
                _file: file,
            });
        }
    }
}

impl Drop for Lock {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.path);
        super::signals::unregister(&self.path);
    }
}

/// The refusal of a second run, naming the holder.
fn held(path: &Path, dest: &Path) -> Error {
    let holder = std::fs::read(path)
        .ok()
        .and_then(|b| serde_json::from_slice::<Holder>(&b).ok());
    let who = match holder {
        Some(h) if h.pid == std::process::id() => {
            return Error::Usage(format!(
                "{} is given twice as a destination of this run: give each its own directory",
                dest.display()
            ))
        }
        Some(h) => format!("pid {}, run {}, started {}", h.pid, h.run_id, h.started_at),
        None => "starting up".to_string(),
    };
    Error::Usage(format!(
        "{} is being written by another backup-auditor run ({who}; lock file {}): wait for it \
         to end, or write elsewhere",
        dest.display(),
        path.display()
    ))
}

/// Whether `file` is the file at `path` now.
#[cfg(unix)]
fn is_at(file: &File, path: &Path) -> bool {
    use std::os::unix::fs::MetadataExt;
    match (file.metadata(), std::fs::metadata(path)) {
        (Ok(a), Ok(b)) => a.dev() == b.dev() && a.ino() == b.ino(),
        _ => false,
    }
}

#[cfg(not(unix))]
fn is_at(_: &File, path: &Path) -> bool {
    path.exists()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_second_holder_is_refused_and_told_who_holds_it() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(".out.backup-auditor.lock");
        let first = Run::new();
        let held = Lock::acquire(&path, &first, Path::new("out")).unwrap();
        // The same process holding it twice is a destination given twice.
        let twice = Lock::acquire(&path, &Run::new(), Path::new("out"))
            .err()
            .unwrap()
            .to_string();
        assert!(twice.contains("given twice"), "{twice}");
        // Another process's record is named.
        std::fs::write(
            &path,
            r#"{"pid":1,"run_id":"0badf00d","started_at":"2026-12-06T06:00:00Z"}"#,
        )
        .unwrap();
        let err = Lock::acquire(&path, &Run::new(), Path::new("out"))
            .err()
            .unwrap()
            .to_string();
        assert!(
            err.contains("out is being written by another backup-auditor run (pid 1, run 0badf00d, started 2026-12-06T06:00:00Z"),
            "{err}"
        );
        drop(held);
        assert!(!path.exists(), "the lock file is removed with the lock");
        let again = Lock::acquire(&path, &Run::new(), Path::new("out"));
        assert!(again.is_ok());
    }
}
