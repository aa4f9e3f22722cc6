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
pub mod staged;

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

/// What a destination holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// A directory of reports, replaced file by file.
    Reports,
    /// A snapshot directory, replaced whole.
    Snapshot,
}

/// The file a run writes into its run directory when it creates it: the next run removes a
/// run directory a killed run left only if it holds this file.
pub const RUN_DIR_MARKER: &str = ".backup-auditor-run-dir";

/// A destination this run holds: locked, checked, cleared of what killed runs left, with a
/// run directory for its temporary files (removed when this is dropped).
pub struct Dest {
    /// As the user gave it: what messages name.
    path: PathBuf,
    work: PathBuf,
    /// Whether the run directory is inside the destination (a mount point of its own).
    inside: bool,
    created: OnceLock<()>,
    _lock: lock::Lock,
}

impl Dest {
    /// Locks `path` for `run`, runs `check` (which refuses a destination the tool may not
    /// write; it is given this run's directory, which it must not count), and only then
    /// removes what killed runs left next to it (saying so on stderr unless `quiet`).
    pub fn acquire<T>(
        path: &Path,
        run: &Run,
        kind: Kind,
        quiet: bool,
        check: impl FnOnce(&Path) -> Result<T>,
    ) -> Result<(Dest, T)> {
        Dest::acquire_with(path, run, kind, quiet, check, same_device)
    }

    /// [`Dest::acquire`], with the test whether the destination is on the same filesystem
    /// as its parent given (tests pretend a mount point with it).
    pub fn acquire_with<T>(
        path: &Path,
        run: &Run,
        kind: Kind,
        quiet: bool,
        check: impl FnOnce(&Path) -> Result<T>,
        same_device: fn(&Path, &Path) -> bool,
    ) -> Result<(Dest, T)> {
        let (parent, name) = locate(path)?;
        let lock_path = parent.join(format!(".{name}.backup-auditor.lock"));
        let lock = lock::Lock::acquire(&lock_path, run, path)?;
        // A run directory goes next to the destination, unless a report directory is a
        // mount point of its own (a container's volume): a rename cannot cross into it.
        let real = parent.join(&name);
        let inside = kind == Kind::Reports && !same_device(&real, &parent);
        let work = if inside {
            real.join(format!(".backup-auditor-{}.tmp", run.id))
        } else {
            parent.join(format!(".{name}.backup-auditor-{}.tmp", run.id))
        };
        let checked = check(&work)?;
        // Inside the destination only if it is the tool's (its mark is there).
        let marked = kind == Kind::Reports
            && real
                .join(mark::REPORTS)
                .symlink_metadata()
                .is_ok_and(|m| m.is_file());
        for stale in leftovers(&parent, &name, &real, marked) {
            if stale.join("replaced").symlink_metadata().is_ok() && real.symlink_metadata().is_err()
            {
                // Killed between the collector's two renames: the old snapshot is the only
                // one there is. It goes back.
                std::fs::rename(stale.join("replaced"), &real)
                    .map_err(|e| Error::io("restore the previous snapshot to", &real, e))?;
                if !quiet {
                    eprintln!(
                        "restored {} from {}: an interrupted run had moved it aside",
                        path.display(),
                        stale.display()
                    );
                }
            }
            std::fs::remove_dir_all(&stale)
                .map_err(|e| Error::io("remove what an interrupted run left:", &stale, e))?;
            if !quiet {
                eprintln!(
                    "removed {}: temporary files of an interrupted run",
                    stale.display()
                );
            }
        }
        signals::register(&work);
        Ok((
            Dest {
                path: path.to_path_buf(),
                work,
                inside,
                created: OnceLock::new(),
                _lock: lock,
            },
            checked,
        ))
    }

    /// The destination as the user named it.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// This run's directory (which may not exist yet): what a check of the destination
    /// must not count as someone else's file.
    pub fn own(&self) -> &Path {
        &self.work
    }

    /// Whether the run directory is inside the destination.
    pub fn is_inside(&self) -> bool {
        self.inside
    }

    /// The run directory, created on first use with the file that tells it is one.
    pub fn work(&self) -> Result<&Path> {
        if self.created.get().is_none() {
            std::fs::create_dir_all(&self.work)
                .map_err(|e| Error::io("create the run directory", &self.work, e))?;
            let marker = self.work.join(RUN_DIR_MARKER);
            if marker.symlink_metadata().is_err() {
                std::fs::write(&marker, "backup-auditor run directory\n")
                    .map_err(|e| Error::io("write", &marker, e))?;
            }
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

/// Whether `a` and `b` are on one filesystem (a rename can go from one to the other).
#[cfg(unix)]
pub fn same_device(a: &Path, b: &Path) -> bool {
    use std::os::unix::fs::MetadataExt;
    match (std::fs::metadata(a), std::fs::metadata(b)) {
        (Ok(a), Ok(b)) => a.dev() == b.dev(),
        _ => true,
    }
}

#[cfg(not(unix))]
pub fn same_device(_: &Path, _: &Path) -> bool {
    true
}

/// The run directories runs killed before they could clean up left for `name` in `parent`
/// (and, if `inside`, in the destination `real` itself, which holds the tool's mark): exactly
/// the names the tool gives them, real directories (not symlinks) that hold the file a run
/// writes into its run directory. Nothing else is ever the tool's to remove. Only the lock
/// holder calls this, so none of them belongs to a live run.
fn leftovers(parent: &Path, name: &str, real: &Path, inside: bool) -> Vec<PathBuf> {
    let entries = |dir: &Path| -> Vec<(String, PathBuf)> {
        std::fs::read_dir(dir)
            .into_iter()
            .flatten()
            .flatten()
            .filter_map(|e| Some((e.file_name().into_string().ok()?, e.path())))
            .collect()
    };
    let ours = |p: &Path| {
        p.symlink_metadata().is_ok_and(|m| m.is_dir())
            && p.join(RUN_DIR_MARKER)
                .symlink_metadata()
                .is_ok_and(|m| m.is_file())
    };
    let beside = format!(".{name}.backup-auditor-");
    let mut found: Vec<PathBuf> = entries(parent)
        .into_iter()
        .filter(|(n, p)| n.strip_prefix(&beside).is_some_and(is_run_dir_tail) && ours(p))
        .map(|(_, p)| p)
        .collect();
    if inside {
        found.extend(
            entries(real)
                .into_iter()
                .filter(|(n, p)| {
                    n.strip_prefix(".backup-auditor-")
                        .is_some_and(is_run_dir_tail)
                        && ours(p)
                })
                .map(|(_, p)| p),
        );
    }
    found.sort();
    found
}

/// `0badf00d.tmp`, or `0badf00d.removed.tmp` (a run directory an interrupted run renamed
/// to remove it): a run id of eight hex digits and the suffix.
fn is_run_dir_tail(tail: &str) -> bool {
    let id = tail
        .strip_suffix(".removed.tmp")
        .or_else(|| tail.strip_suffix(".tmp"));
    id.is_some_and(|id| id.len() == 8 && id.bytes().all(|b| b.is_ascii_hexdigit()))
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
    fn run_directories_are_recognised_by_their_exact_shape() {
        assert!(is_run_dir_tail("0badf00d.tmp"));
        assert!(is_run_dir_tail("0badf00d.removed.tmp"));
        assert!(!is_run_dir_tail("mystuff.tmp"));
        assert!(!is_run_dir_tail("0badf00.tmp"));
        assert!(!is_run_dir_tail("0badf00d.tmp.bak"));
        assert!(!is_run_dir_tail("0badf00g.tmp"));
    }

    #[test]
    fn leftovers_are_only_the_tools_own() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("out");
        std::fs::create_dir(&out).unwrap();
        let mk = |p: &Path, marker: bool| {
            std::fs::create_dir_all(p).unwrap();
            if marker {
                std::fs::write(p.join(RUN_DIR_MARKER), "").unwrap();
            }
        };
        mk(&dir.path().join(".out.backup-auditor-0badf00d.tmp"), true);
        mk(&dir.path().join(".out.backup-auditor-0badf00e.tmp"), false);
        mk(&dir.path().join(".out.backup-auditor-mystuff1.tmp"), true);
        mk(&dir.path().join(".out.partial-x1"), true);
        mk(&dir.path().join(".other.backup-auditor-0badf00d.tmp"), true);
        mk(&out.join(".backup-auditor-12345678.tmp"), true);
        mk(&out.join(".backup-auditor-mystuff.tmp"), true);
        std::fs::write(out.join(".findings.csv.a1B2c3"), "x").unwrap();
        let names = |found: Vec<PathBuf>| -> Vec<String> {
            found
                .iter()
                .map(|p| p.strip_prefix(dir.path()).unwrap().display().to_string())
                .collect()
        };
        assert_eq!(
            names(leftovers(dir.path(), "out", &out, true)),
            [
                ".out.backup-auditor-0badf00d.tmp",
                "out/.backup-auditor-12345678.tmp",
            ]
        );
        // Inside a destination without the tool's mark, nothing.
        assert_eq!(
            names(leftovers(dir.path(), "out", &out, false)),
            [".out.backup-auditor-0badf00d.tmp"]
        );
    }

    /// A report directory that is a mount point of its own holds its run directory: the
    /// check before commit does not take it for someone else's file (the first scan into an
    /// empty mount point used to fail).
    #[test]
    fn a_run_directory_inside_the_destination_is_not_someone_elses_file() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("out");
        std::fs::create_dir(&out).unwrap();
        let mount_point = |_: &Path, _: &Path| false;
        let run = Run::new();
        let (dest, mark) = Dest::acquire_with(
            &out,
            &run,
            Kind::Reports,
            true,
            |own| mark::check_reports(&out, &["findings.csv"], false, own),
            mount_point,
        )
        .unwrap();
        assert_eq!(mark, None);
        assert!(dest.is_inside());
        let work = dest.work().unwrap().to_path_buf();
        assert!(work.starts_with(std::fs::canonicalize(&out).unwrap()));
        std::fs::write(work.join("findings.csv"), "x").unwrap();
        assert_eq!(
            mark::check_reports(&out, &["findings.csv"], false, dest.own()).unwrap(),
            None
        );
        // Someone else's file there is still refused.
        std::fs::write(out.join("notes.txt"), "mine").unwrap();
        assert!(mark::check_reports(&out, &["findings.csv"], false, dest.own()).is_err());
        drop(dest);
        assert!(!work.exists());
    }
}
