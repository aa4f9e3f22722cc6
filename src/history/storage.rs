//! Where a history's objects live, behind a small interface (list, get, put, delete by key,
//! and a lock), so that the history is written once for a local directory and for S3. Keys
//! are `/`-separated paths relative to the history's root.

use crate::error::{Error, Result};
use std::fs::{OpenOptions, TryLockError};
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};

/// What writes an object's bytes.
pub type Body<'a> = Box<dyn FnOnce(&mut dyn Write) -> io::Result<()> + 'a>;

pub trait Storage: Send + Sync {
    /// `key` as a user finds it: a path, or an `s3://` URL.
    fn locate(&self, key: &str) -> PathBuf;
    /// Every key under `prefix` (which ends with `/`), at any depth, in no order.
    fn list(&self, prefix: &str) -> io::Result<Vec<String>>;
    /// The object's bytes; `None` if there is none.
    fn get(&self, key: &str) -> io::Result<Option<Vec<u8>>>;
    /// Writes the object whole or not at all: no reader ever sees part of it, and a failed
    /// write leaves what was there before.
    fn put(&self, key: &str, body: Body) -> io::Result<()>;
    /// Removes the object; nothing there is no error.
    fn delete(&self, key: &str) -> io::Result<()>;
    /// Excludes every other writer of the history until the returned guard is dropped;
    /// `holder` (a run id) is what a refused writer is told.
    fn lock(&self, holder: &str) -> Result<Box<dyn Send>>;
}

/// A history in a local directory.
pub struct LocalDir {
    root: PathBuf,
}

/// The lock file, in the history's root (where no query engine reads). It stays: the kernel
/// releases the lock when its holder ends, however it ends, and a file that is never removed
/// is never locked twice under one name.
const LOCK_FILE: &str = ".backup-auditor.lock";

/// Temporary files end with this: a query engine reading `findings/**/*.parquet` never sees
/// one, and the next append removes what an interrupted one left.
pub const TEMP_SUFFIX: &str = ".tmp";

impl LocalDir {
    pub fn new(root: &Path) -> LocalDir {
        LocalDir {
            root: root.to_path_buf(),
        }
    }
}

impl Storage for LocalDir {
    fn locate(&self, key: &str) -> PathBuf {
        self.root.join(key)
    }

    fn list(&self, prefix: &str) -> io::Result<Vec<String>> {
        let mut keys = Vec::new();
        let dir = self.root.join(prefix);
        if !dir.is_dir() {
            return Ok(keys);
        }
        walk(&dir, prefix.trim_end_matches('/'), &mut keys)?;
        Ok(keys)
    }

    fn get(&self, key: &str) -> io::Result<Option<Vec<u8>>> {
        match std::fs::read(self.locate(key)) {
            Ok(b) => Ok(Some(b)),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(e),
        }
    }

    fn put(&self, key: &str, body: Body) -> io::Result<()> {
        let path = self.locate(key);
        let dir = path.parent().unwrap_or(&self.root);
        std::fs::create_dir_all(dir)?;
        let name = path.file_name().unwrap_or_default().to_string_lossy();
        // In the same directory, so the rename is atomic; hidden, so no reader lists it.
        let temp = dir.join(format!(".{name}.{}{TEMP_SUFFIX}", std::process::id()));
        let written = write_file(&temp, body).and_then(|()| std::fs::rename(&temp, &path));
        if written.is_err() {
            let _ = std::fs::remove_file(&temp);
            // A partition directory made for this object goes with it (if it is empty).
            let _ = std::fs::remove_dir(dir);
        }
        written?;
        sync_dir(dir);
        Ok(())
    }

    fn delete(&self, key: &str) -> io::Result<()> {
        let path = self.locate(key);
        match std::fs::remove_file(&path) {
            Err(e) if e.kind() != io::ErrorKind::NotFound => return Err(e),
            _ => {}
        }
        // An emptied partition directory goes too (it fails, harmlessly, if not empty).
        if let Some(dir) = path.parent().filter(|d| *d != self.root) {
            let _ = std::fs::remove_dir(dir);
        }
        Ok(())
    }

    fn lock(&self, holder: &str) -> Result<Box<dyn Send>> {
        std::fs::create_dir_all(&self.root)
            .map_err(|e| Error::io("create the history directory", &self.root, e))?;
        let path = self.root.join(LOCK_FILE);
        if path.symlink_metadata().is_ok_and(|m| !m.is_file()) {
            return Err(Error::Usage(format!(
                "{} is not a regular file: refusing to lock through it",
                path.display()
            )));
        }
        let mut file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(&path)
            .map_err(|e| Error::io("create the lock file", &path, e))?;
        match file.try_lock() {
            Ok(()) => {}
            Err(TryLockError::WouldBlock) => {
                let mut who = String::new();
                let _ = file.take(200).read_to_string(&mut who);
                return Err(Error::Usage(format!(
                    "the history {} is being written by another backup-auditor run ({}; lock \
                     file {}): wait for it to end",
                    self.root.display(),
                    who.trim(),
                    path.display()
                )));
            }
            Err(TryLockError::Error(e)) => return Err(Error::io("lock", &path, e)),
        }
        let me = format!("pid {}, run {holder}", std::process::id());
        file.set_len(0)
            .and_then(|()| file.write_all(me.as_bytes()))
            .map_err(|e| Error::io("write", &path, e))?;
        Ok(Box::new(file))
    }
}

fn write_file(path: &Path, body: Body) -> io::Result<()> {
    let file = std::fs::File::create(path)?;
    let mut w = io::BufWriter::with_capacity(1 << 20, file);
    body(&mut w)?;
    let file = w.into_inner().map_err(|e| e.into_error())?;
    file.sync_all()
}

/// Makes a rename durable (best effort: not every filesystem syncs a directory).
fn sync_dir(dir: &Path) {
    if let Ok(d) = std::fs::File::open(dir) {
        let _ = d.sync_all();
    }
}

fn walk(dir: &Path, key: &str, out: &mut Vec<String>) -> io::Result<()> {
    for e in std::fs::read_dir(dir)? {
        let e = e?;
        let name = e.file_name().to_string_lossy().into_owned();
        let child = format!("{key}/{name}");
        if e.file_type()?.is_dir() {
            walk(&e.path(), &child, out)?;
        } else {
            out.push(child);
        }
    }
    Ok(())
}
