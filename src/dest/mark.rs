//! The mark a run leaves in its destination: which tool and run wrote it and which files.
//! What a mark does not list, the tool did not write, and it refuses to replace it unless
//! `--force`.

use super::Run;
use crate::error::{Error, Result};
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

/// In a report directory (`scan --out`).
pub const REPORTS: &str = ".backup-auditor-run.json";
/// In a snapshot directory (`collect --out`, `scan --save-snapshot`).
pub const SNAPSHOT: &str = ".backup-auditor-snapshot.json";

/// Largest mark read: a snapshot mark lists a line per file, and a snapshot of thousands of
/// account-regions stays far below this.
pub const LIMIT: u64 = 64 << 20;

const REPORTS_FORMAT: &str = "backup-auditor-run/v1";
const SNAPSHOT_FORMAT: &str = "backup-auditor-snapshot/v1";

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Mark {
    pub format: String,
    pub tool_version: String,
    pub run_id: String,
    pub run_at: String,
    /// Paths relative to the destination, `/`-separated.
    pub files: Vec<String>,
}

impl Mark {
    pub fn reports(run: &Run, files: Vec<String>) -> Mark {
        Mark::new(REPORTS_FORMAT, run, files)
    }

    pub fn snapshot(run: &Run, files: Vec<String>) -> Mark {
        Mark::new(SNAPSHOT_FORMAT, run, files)
    }

    fn new(format: &str, run: &Run, files: Vec<String>) -> Mark {
        Mark {
            format: format.into(),
            tool_version: env!("CARGO_PKG_VERSION").into(),
            run_id: run.id.clone(),
            run_at: run.started_rfc3339(),
            files,
        }
    }

    pub fn lists(&self, file: &str) -> bool {
        self.files.iter().any(|f| f == file)
    }

    /// The mark `name` in `dir`: `None` if there is none, an error if it is not one.
    pub fn read(dir: &Path, name: &str) -> Result<Option<Mark>> {
        let path = dir.join(name);
        // Like every input: a regular file (a FIFO would block, /dev/zero never end), read
        // no further than a mark of the largest organisation reaches.
        let bytes = match crate::input::read_bounded(&path, LIMIT) {
            Ok(Some(b)) => b,
            Ok(None) => return Ok(None),
            Err(d) => {
                return Err(Error::Usage(format!(
                    "{d} (it is backup-auditor's mark of what it wrote there; remove it, or \
                     --force)"
                )))
            }
        };
        let format = if name == SNAPSHOT {
            SNAPSHOT_FORMAT
        } else {
            REPORTS_FORMAT
        };
        match serde_json::from_slice::<Mark>(&bytes) {
            Ok(m) if m.format == format => Ok(Some(m)),
            _ => Err(refusal(
                &path,
                &format!("is not a {format} mark of backup-auditor"),
            )),
        }
    }

    /// Writes the mark `name` into `dir` through a temporary file in `work`, atomically.
    pub fn write(&self, dir: &Path, name: &str, work: &Path) -> Result<()> {
        let (tmp, dest) = (work.join(name), dir.join(name));
        let text = serde_json::to_string_pretty(self).map_err(std::io::Error::other);
        text.and_then(|t| std::fs::write(&tmp, t + "\n"))
            .map_err(|e| Error::io("write", &tmp, e))?;
        std::fs::rename(&tmp, &dest).map_err(|e| Error::io("replace", &dest, e))
    }
}

/// The error for a file the tool did not write.
fn refusal(path: &Path, why: &str) -> Error {
    Error::Usage(format!(
        "{} {why}: refusing to replace it (--force replaces it)",
        path.display()
    ))
}

/// Checks that a scan may write `writes` into report directory `out`, and returns its mark.
/// A missing or empty directory is fine; a non-empty one needs the mark, which must list
/// every file the run would replace. Other files are left alone. `force` skips the checks.
/// `own` is this run's directory, not counted if it is inside `out` (a mount point).
pub fn check_reports(out: &Path, writes: &[&str], force: bool, own: &Path) -> Result<Option<Mark>> {
    if !out.exists() {
        return Ok(None);
    }
    if !out.is_dir() {
        return Err(Error::Usage(format!(
            "{} is not a directory: --out names the directory the reports go to",
            out.display()
        )));
    }
    let mark = match Mark::read(out, REPORTS) {
        Err(_) if force => None,
        m => m?,
    };
    if force {
        return Ok(mark);
    }
    match &mark {
        None => {
            let own_name = own
                .parent()
                .filter(|p| same_dir(p, out))
                .and_then(|_| own.file_name());
            let mut others = entries(out)?
                .into_iter()
                .filter(|e| own_name.is_none() || e.file_name() != own_name);
            if let Some(first) = others.next() {
                return Err(refusal(
                    &first,
                    &format!(
                        "is in {}, which holds no {REPORTS}: backup-auditor did not write that \
                         directory",
                        out.display()
                    ),
                ));
            }
        }
        Some(m) => {
            for name in writes {
                let path = out.join(name);
                if path.symlink_metadata().is_ok() && !m.lists(name) {
                    return Err(refusal(
                        &path,
                        &format!(
                            "was not written by backup-auditor (its {REPORTS} does not list it)"
                        ),
                    ));
                }
            }
        }
    }
    Ok(mark)
}

/// Checks that snapshot directory `out` may be replaced whole: missing, empty, or a snapshot
/// the collector wrote that holds nothing its mark does not list. `force` skips the check.
pub fn check_snapshot(out: &Path, force: bool) -> Result<()> {
    if force || !out.exists() {
        return Ok(());
    }
    if !out.is_dir() {
        return Err(refusal(out, "is not a directory"));
    }
    let files = files_under(out)?;
    if files.is_empty() {
        return Ok(());
    }
    let Some(mark) = Mark::read(out, SNAPSHOT)? else {
        return Err(refusal(
            &out.join(&files[0]),
            &format!(
                "is in {}, which holds no {SNAPSHOT}: backup-auditor did not collect that \
                 directory",
                out.display()
            ),
        ));
    };
    match files.iter().find(|f| *f != SNAPSHOT && !mark.lists(f)) {
        Some(f) => Err(refusal(
            &out.join(f),
            &format!("was not written by backup-auditor (its {SNAPSHOT} does not list it)"),
        )),
        None => Ok(()),
    }
}

/// Whether `a` and `b` name one directory.
fn same_dir(a: &Path, b: &Path) -> bool {
    match (std::fs::canonicalize(a), std::fs::canonicalize(b)) {
        (Ok(a), Ok(b)) => a == b,
        _ => false,
    }
}

/// The entries of `dir`, sorted.
fn entries(dir: &Path) -> Result<Vec<PathBuf>> {
    let read = std::fs::read_dir(dir).map_err(|e| Error::io("read", dir, e))?;
    let mut all: Vec<PathBuf> = read
        .map(|e| e.map(|e| e.path()))
        .collect::<std::io::Result<_>>()
        .map_err(|e| Error::io("read", dir, e))?;
    all.sort();
    Ok(all)
}

/// Every file under `root` but directories (symbolic links included, not followed), as
/// sorted `/`-separated paths relative to it.
pub fn files_under(root: &Path) -> Result<Vec<String>> {
    let mut out = Vec::new();
    let mut stack = vec![PathBuf::new()];
    while let Some(rel) = stack.pop() {
        let dir = root.join(&rel);
        let read = std::fs::read_dir(&dir).map_err(|e| Error::io("read", &dir, e))?;
        for e in read {
            let e = e.map_err(|e| Error::io("read", &dir, e))?;
            let rel = rel.join(e.file_name());
            let is_dir = e.file_type().is_ok_and(|t| t.is_dir());
            if is_dir {
                stack.push(rel);
            } else {
                let parts: Vec<_> = rel.iter().map(|c| c.to_string_lossy()).collect();
                out.push(parts.join("/"));
            }
        }
    }
    out.sort();
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// No run directory (none inside the destination).
    fn none() -> &'static Path {
        Path::new("/nonexistent/.backup-auditor-00000000.tmp")
    }

    fn marked(dir: &Path, files: &[&str]) {
        let work = tempfile::tempdir().unwrap();
        let m = Mark::reports(&Run::new(), files.iter().map(|f| f.to_string()).collect());
        m.write(dir, REPORTS, work.path()).unwrap();
        for f in files {
            std::fs::write(dir.join(f), "ours").unwrap();
        }
    }

    #[test]
    fn a_report_directory_needs_the_mark_unless_it_is_empty() {
        let dir = tempfile::tempdir().unwrap();
        assert!(check_reports(&dir.path().join("new"), &["a"], false, none()).is_ok());
        assert_eq!(
            check_reports(dir.path(), &["a"], false, none()).unwrap(),
            None
        );
        std::fs::write(dir.path().join("notes.txt"), "mine").unwrap();
        let err = check_reports(dir.path(), &["a"], false, none())
            .unwrap_err()
            .to_string();
        assert!(err.contains("notes.txt is in"), "{err}");
        assert!(err.contains("--force"), "{err}");
        assert!(check_reports(dir.path(), &["a"], true, none()).is_ok());
    }

    #[test]
    fn only_listed_files_are_replaced_and_others_left_alone() {
        let dir = tempfile::tempdir().unwrap();
        marked(dir.path(), &["findings.csv"]);
        std::fs::write(dir.path().join("notes.txt"), "mine").unwrap();
        let m = check_reports(dir.path(), &["findings.csv", "report.html"], false, none()).unwrap();
        assert!(m.unwrap().lists("findings.csv"));
        std::fs::write(dir.path().join("summary.md"), "mine").unwrap();
        let err = check_reports(dir.path(), &["findings.csv", "summary.md"], false, none())
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("summary.md was not written by backup-auditor"),
            "{err}"
        );
    }

    #[test]
    fn a_snapshot_is_replaced_only_if_its_mark_lists_everything_in_it() {
        let dir = tempfile::tempdir().unwrap();
        let snap = dir.path();
        std::fs::create_dir_all(snap.join("111111111111/us-east-1")).unwrap();
        std::fs::write(snap.join("manifest.json"), "{}").unwrap();
        std::fs::write(snap.join("111111111111/us-east-1/plans.json"), "[]").unwrap();
        let err = check_snapshot(snap, false).unwrap_err().to_string();
        assert!(
            err.contains("holds no .backup-auditor-snapshot.json"),
            "{err}"
        );
        let files = files_under(snap).unwrap();
        assert_eq!(
            files,
            ["111111111111/us-east-1/plans.json", "manifest.json"]
        );
        let work = tempfile::tempdir().unwrap();
        Mark::snapshot(&Run::new(), files)
            .write(snap, SNAPSHOT, work.path())
            .unwrap();
        assert!(check_snapshot(snap, false).is_ok());
        std::fs::write(snap.join("111111111111/notes.txt"), "mine").unwrap();
        let err = check_snapshot(snap, false).unwrap_err().to_string();
        assert!(
            err.contains("111111111111/notes.txt was not written"),
            "{err}"
        );
        assert!(check_snapshot(snap, true).is_ok());
    }

    #[test]
    fn a_mark_of_the_other_kind_or_garbage_is_not_a_mark() {
        let dir = tempfile::tempdir().unwrap();
        let work = tempfile::tempdir().unwrap();
        Mark::snapshot(&Run::new(), vec![])
            .write(dir.path(), REPORTS, work.path())
            .unwrap();
        assert!(Mark::read(dir.path(), REPORTS).is_err());
        std::fs::write(dir.path().join(REPORTS), "not json").unwrap();
        assert!(Mark::read(dir.path(), REPORTS).is_err());
        assert!(check_reports(dir.path(), &["a"], false, none()).is_err());
        assert_eq!(
            check_reports(dir.path(), &["a"], true, none()).unwrap(),
            None
        );
    }

    /// A mark that is a FIFO, or a link to a device, is refused without hanging or reading
    /// without end.
    #[cfg(unix)]
    #[test]
    fn a_mark_that_is_not_a_regular_file_is_refused_at_once() {
        let dir = tempfile::tempdir().unwrap();
        let fifo = dir.path().join(REPORTS);
        let made = std::process::Command::new("mkfifo").arg(&fifo).status();
        assert!(made.unwrap().success());
        let path = dir.path().to_path_buf();
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let r = check_reports(&path, &["a"], false, none()).map_err(|e| e.to_string());
            let _ = tx.send(r);
        });
        let err = rx
            .recv_timeout(std::time::Duration::from_secs(10))
            .expect("reading a FIFO mark hung")
            .unwrap_err();
        assert!(
            err.contains("a FIFO (named pipe), not a regular file"),
            "{err}"
        );
        let snap = tempfile::tempdir().unwrap();
        std::fs::write(snap.path().join("manifest.json"), "{}").unwrap();
        std::os::unix::fs::symlink("/dev/zero", snap.path().join(SNAPSHOT)).unwrap();
        let err = check_snapshot(snap.path(), false).unwrap_err().to_string();
        assert!(
            err.contains("a character device, not a regular file"),
            "{err}"
        );
    }
}
