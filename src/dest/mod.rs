//! Where a run writes (`scan --out`, `collect --out`, `scan --save-snapshot`), held for the
//! whole run. The rules, for every destination:
//!
//! - the tool replaces only what it wrote itself: a mark in the destination lists what a run
//!   wrote ([`mark`]), and anything else is refused unless `--force`;
//! - every temporary file of a run lives in one run directory next to the destination (same
//!   filesystem, so moving a file into place is one atomic rename), removed on every error, on
//!   SIGINT and SIGTERM ([`signals`]), and by the next run if this one was killed;
//! - two runs never write one destination at once: the run holds an advisory lock ([`lock`])
//!   from start to end, and a second run is refused, told who holds it.

pub mod lock;
pub mod mark;
pub mod signals;

use crate::error::{Error, Result};
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

/// One run of the tool: its id (in every output and mark) and when it started.
#[derive(Debug, Clone)]
pub struct Run {
    /// Eight hex digits: short, since findings.csv repeats it on every row.
    pub id: String,
    pub started: chrono::DateTime<chrono::Utc>,
}

impl Run {
    pub fn new() -> Run {
        Run {
            id: format!("{:08x}", fastrand::u32(..)),
            started: chrono::Utc::now(),
        }
    }

    pub fn started_rfc3339(&self) -> String {
        self.started
            .to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
    }
}

impl Default for Run {
    fn default() -> Self {
        Run::new()
    }
}

/// What a destination holds, which decides which leftovers of a killed run are the tool's.
#[derive(Debug, Clone, Copy)]
pub enum Kind<'a> {
    /// A directory of reports, replaced file by file; `outputs` are every report name the
    /// tool writes (an earlier version left `.NAME.XXXXXX` temporaries of them inside it).
    Reports { outputs: &'a [&'a str] },
    /// A snapshot directory, replaced whole (an earlier version left `.NAME.partial-*`
    /// directories next to it).
    Snapshot,
}

/// A destination this run holds: locked, cleared of what killed runs left, with a run
/// directory for its temporary files (removed when this is dropped).
pub struct Dest {
    /// As the user gave it: what messages name.
    path: PathBuf,
    work: PathBuf,
    created: OnceLock<()>,
    _lock: lock::Lock,
}

impl Dest {
    /// Locks `path` for `run` and removes what killed runs left next to it (saying so on
    /// stderr unless `quiet`).
    pub fn acquire(path: &Path, run: &Run, kind: Kind, quiet: bool) -> Result<Dest> {
        let (parent, name) = locate(path)?;
        let lock_path = parent.join(format!(".{name}.backup-auditor.lock"));
        let lock = lock::Lock::acquire(&lock_path, run, path)?;
        // A run directory goes next to the destination, unless a report directory is a
        // mount point of its own (a container's volume): a rename cannot cross into it.
        let real = parent.join(&name);
        let inside = matches!(kind, Kind::Reports { .. }) && !same_device(&real, &parent);
        let work = if inside {
            real.join(format!(".backup-auditor-{}.tmp", run.id))
        } else {
            parent.join(format!(".{name}.backup-auditor-{}.tmp", run.id))
        };
        for stale in leftovers(&parent, &name, &real, kind) {
            let removed = if stale.is_dir() {
                std::fs::remove_dir_all(&stale)
            } else {
                std::fs::remove_file(&stale)
            };
            removed.map_err(|e| Error::io("remove what an interrupted run left:", &stale, e))?;
            if !quiet {
                eprintln!(
                    "removed {}: temporary files of an interrupted run",
                    stale.display()
                );
            }
        }
        signals::register(&work);
        Ok(Dest {
            path: path.to_path_buf(),
            work,
            created: OnceLock::new(),
            _lock: lock,
        })
    }

    /// The destination as the user named it.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The run directory, created on first use.
    pub fn work(&self) -> Result<&Path> {
        if self.created.get().is_none() {
            std::fs::create_dir_all(&self.work)
                .map_err(|e| Error::io("create the run directory", &self.work, e))?;
            let _ = self.created.set(());
        }
        Ok(&self.work)
    }
}

impl Drop for Dest {
    fn drop(&mut self) {
        if self.created.get().is_some() {
            let _ = std::fs::remove_dir_all(&self.work);
        }
        signals::unregister(&self.work);
    }
}

/// The directory that holds `path` (resolved, so that two spellings of one destination share
/// one lock) and the destination's name in it.
fn locate(path: &Path) -> Result<(PathBuf, String)> {
    let resolved = if path.exists() {
        std::fs::canonicalize(path).map_err(|e| Error::io("resolve", path, e))?
    } else {
        let parent = match path.parent() {
            Some(p) if !p.as_os_str().is_empty() => p,
            _ => Path::new("."),
        };
        std::fs::create_dir_all(parent).map_err(|e| Error::io("create", parent, e))?;
        let parent = std::fs::canonicalize(parent).map_err(|e| Error::io("resolve", parent, e))?;
        match path.file_name() {
            Some(n) => parent.join(n),
            None => parent,
        }
    };
    match (resolved.parent(), resolved.file_name()) {
        (Some(parent), Some(name)) => Ok((parent.to_path_buf(), name.to_string_lossy().into())),
        _ => Err(Error::Usage(format!(
            "{} cannot be an output directory: it has no parent to hold the run's temporary files",
            path.display()
        ))),
    }
}

#[cfg(unix)]
fn same_device(a: &Path, b: &Path) -> bool {
    use std::os::unix::fs::MetadataExt;
    match (std::fs::metadata(a), std::fs::metadata(b)) {
        (Ok(a), Ok(b)) => a.dev() == b.dev(),
        _ => true,
    }
}

#[cfg(not(unix))]
fn same_device(_: &Path, _: &Path) -> bool {
    true
}

/// What runs killed before they could clean up left for `name` in `parent`: their run
/// directories, and the temporaries of earlier versions of the tool. Only the lock holder
/// calls this, so none of them belongs to a live run.
fn leftovers(parent: &Path, name: &str, real: &Path, kind: Kind) -> Vec<PathBuf> {
    let entries = |dir: &Path| -> Vec<(String, PathBuf)> {
        std::fs::read_dir(dir)
            .into_iter()
            .flatten()
            .flatten()
            .filter_map(|e| Some((e.file_name().into_string().ok()?, e.path())))
            .collect()
    };
    let run_dir = format!(".{name}.backup-auditor-");
    let partial = format!(".{name}.partial-");
    let mut found: Vec<PathBuf> = entries(parent)
        .into_iter()
        .filter(|(n, p)| {
            p.is_dir()
                && ((n.starts_with(&run_dir) && n.ends_with(".tmp")) || n.starts_with(&partial))
        })
        .map(|(_, p)| p)
        .collect();
    if let Kind::Reports { outputs } = kind {
        if real.is_dir() {
            found.extend(
                entries(real)
                    .into_iter()
                    .filter(|(n, p)| {
                        (n.starts_with(".backup-auditor-") && n.ends_with(".tmp") && p.is_dir())
                            || (p.is_file() && is_old_temporary(n, outputs))
                    })
                    .map(|(_, p)| p),
            );
        }
    }
    found.sort();
    found
}

/// `.findings.csv.a1B2c3`: a temporary file of a report, as versions before run directories
/// named them (tempfile's six random alphanumerics).
fn is_old_temporary(file: &str, outputs: &[&str]) -> bool {
    outputs.iter().any(|o| {
        file.strip_prefix('.')
            .and_then(|f| f.strip_prefix(o))
            .and_then(|f| f.strip_prefix('.'))
            .is_some_and(|r| r.len() == 6 && r.bytes().all(|b| b.is_ascii_alphanumeric()))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn run_ids_are_eight_hex_digits() {
        let id = Run::new().id;
        assert_eq!(id.len(), 8);
        assert!(id.bytes().all(|b| b.is_ascii_hexdigit()), "{id}");
    }

    #[test]
    fn old_temporaries_are_recognised_by_their_exact_shape() {
        let outputs = ["findings.csv", "report.html"];
        assert!(is_old_temporary(".findings.csv.a1B2c3", &outputs));
        assert!(!is_old_temporary(".findings.csv.a1B2c", &outputs));
        assert!(!is_old_temporary(".findings.csv.a1B2c3.bak", &outputs));
        assert!(!is_old_temporary("findings.csv.a1B2c3", &outputs));
        assert!(!is_old_temporary(".notes.txt.a1B2c3", &outputs));
    }

    #[test]
    fn leftovers_are_only_the_tools_own() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("out");
        std::fs::create_dir(&out).unwrap();
        let mk = |p: &Path| std::fs::create_dir_all(p).unwrap();
        mk(&dir.path().join(".out.backup-auditor-0badf00d.tmp"));
        mk(&dir.path().join(".out.partial-x1"));
        mk(&dir.path().join(".other.backup-auditor-0badf00d.tmp"));
        mk(&dir.path().join(".out.backup-auditor-notes"));
        mk(&out.join(".backup-auditor-12345678.tmp"));
        std::fs::write(out.join(".findings.csv.a1B2c3"), "x").unwrap();
        std::fs::write(out.join(".notes.txt.a1B2c3"), "x").unwrap();
        let kind = Kind::Reports {
            outputs: &["findings.csv"],
        };
        let found = leftovers(dir.path(), "out", &out, kind);
        let names: Vec<String> = found
            .iter()
            .map(|p| p.strip_prefix(dir.path()).unwrap().display().to_string())
            .collect();
        assert_eq!(
            names,
            [
                ".out.backup-auditor-0badf00d.tmp",
                ".out.partial-x1",
                "out/.backup-auditor-12345678.tmp",
                "out/.findings.csv.a1B2c3"
            ]
        );
    }
}
