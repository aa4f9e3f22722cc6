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
            // Never through a symlink, never anything but a regular file: opening would
            // create or write whatever the link points to.
            if let Ok(m) = path.symlink_metadata() {
                if !m.file_type().is_file() {
                    return Err(not_a_lock_file(path, m.file_type()));
                }
            }
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

/// The refusal of a lock path that is not a regular file.
fn not_a_lock_file(path: &Path, t: std::fs::FileType) -> Error {
    let what = if t.is_symlink() {
        "a symbolic link"
    } else if t.is_dir() {
        "a directory"
    } else {
        "not a regular file"
    };
    Error::Usage(format!(
        "{} is {what}, not a lock file backup-auditor made: refusing to open it (remove it if \
         it is not yours)",
        path.display()
    ))
}

/// The refusal of a second run, naming the holder.
fn held(path: &Path, dest: &Path) -> Error {
    let holder = crate::input::read_bounded(path, 4096)
        .ok()
        .flatten()
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

/// Whether `file` is the file at `path` now (itself, not through a symlink).
#[cfg(unix)]
fn is_at(file: &File, path: &Path) -> bool {
    use std::os::unix::fs::MetadataExt;
    match (file.metadata(), std::fs::symlink_metadata(path)) {
        (Ok(a), Ok(b)) => b.is_file() && a.dev() == b.dev() && a.ino() == b.ino(),
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

    #[cfg(unix)]
    #[test]
    fn a_lock_path_that_is_a_symlink_is_refused_and_its_target_untouched() {
        let dir = tempfile::tempdir().unwrap();
        let victim = dir.path().join("victim.txt");
        std::fs::write(&victim, "precious").unwrap();
        let path = dir.path().join(".out.backup-auditor.lock");
        std::os::unix::fs::symlink(&victim, &path).unwrap();
        let err = Lock::acquire(&path, &Run::new(), Path::new("out"))
            .err()
            .unwrap()
            .to_string();
        assert!(err.contains("is a symbolic link"), "{err}");
        assert_eq!(std::fs::read(&victim).unwrap(), b"precious");
        // A dangling one creates nothing either.
        let dangling = dir.path().join(".b.backup-auditor.lock");
        std::os::unix::fs::symlink(dir.path().join("new.txt"), &dangling).unwrap();
        assert!(Lock::acquire(&dangling, &Run::new(), Path::new("b")).is_err());
        assert!(!dir.path().join("new.txt").exists());
        std::fs::create_dir(dir.path().join(".c.backup-auditor.lock")).unwrap();
        let c = dir.path().join(".c.backup-auditor.lock");
        let err = Lock::acquire(&c, &Run::new(), Path::new("c"))
            .err()
            .unwrap();
        assert!(err.to_string().contains("is a directory"), "{err}");
    }
}
