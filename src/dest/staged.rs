//! Outputs staged in the run directory and renamed into their destination together: a failed
//! run never leaves a half-written report, and the destination's mark always lists every file
//! the tool wrote there.

use super::mark::{self, Mark};
use super::{signals, Run};
use crate::error::{Error, Result};
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use tempfile::NamedTempFile;

/// Outputs staged in the run directory, renamed into their directory together by `commit`.
pub struct Staged {
    dir: PathBuf,
    work: PathBuf,
    files: Vec<(NamedTempFile, PathBuf)>,
}

impl Staged {
    /// Outputs for `dir`, staged in `work`: a directory of this run on the same filesystem.
    pub fn new(dir: &Path, work: &Path) -> Staged {
        Staged {
            dir: dir.to_path_buf(),
            work: work.to_path_buf(),
            files: Vec::new(),
        }
    }

    /// Writes `name` through `f` into a temporary file in the output directory.
    pub fn write(
        &mut self,
        name: &str,
        f: impl FnOnce(&mut dyn Write) -> std::io::Result<()>,
    ) -> Result<()> {
        let (tmp, dest) = self.temp(name)?;
        fill(&tmp, f).map_err(|e| Error::io("write", &dest, e))?;
        self.files.push((tmp, dest));
        Ok(())
    }

    /// Writes `name` through `f`, which writes to the temporary file itself (unbuffered):
    /// copying another file into it then stays in the kernel.
    pub fn write_file(
        &mut self,
        name: &str,
        f: impl FnOnce(&mut std::fs::File) -> std::io::Result<()>,
    ) -> Result<()> {
        let (mut tmp, dest) = self.temp(name)?;
        f(tmp.as_file_mut()).map_err(|e| Error::io("write", &dest, e))?;
        self.files.push((tmp, dest));
        Ok(())
    }

    /// Writes the outputs `names` at once through `f` (rows of each as they come, in the
    /// order of `names`), each into a temporary file in the output directory.
    pub fn write_each(
        &mut self,
        names: &[&str],
        f: impl FnOnce(&mut [&mut dyn Write]) -> std::io::Result<()>,
    ) -> Result<()> {
        let temps = (names.iter().map(|n| self.temp(n))).collect::<Result<Vec<_>>>()?;
        let written = (|| {
            let mut buffered: Vec<_> = (temps.iter())
                .map(|(tmp, _)| BufWriter::with_capacity(1 << 20, tmp.as_file()))
                .collect();
            let mut each: Vec<&mut dyn Write> =
                buffered.iter_mut().map(|w| w as &mut dyn Write).collect();
            f(&mut each)?;
            buffered.iter_mut().try_for_each(|w| w.flush())
        })();
        written.map_err(|e| Error::io("write outputs in", &self.dir, e))?;
        self.files.extend(temps);
        Ok(())
    }

    /// A scratch file in the run directory for what an output is made of before it is
    /// written: unnamed, so it goes when it is closed, whatever becomes of the run.
    pub fn scratch(&self) -> Result<std::fs::File> {
        tempfile::tempfile_in(&self.work)
            .map_err(|e| Error::io("create a scratch file in", &self.work, e))
    }

    /// Puts the staged outputs in the order of `names` (the order they are reported in).
    pub fn arrange(&mut self, names: &[&str]) {
        let place = |dest: &PathBuf| {
            let name = dest.file_name().and_then(|n| n.to_str()).unwrap_or("");
            names.iter().position(|n| *n == name).unwrap_or(names.len())
        };
        self.files.sort_by_key(|(_, dest)| place(dest));
    }

    /// Writes every job at once, each on its own thread (their parallel rendering shares
    /// rayon's pool): one output's writes to disk overlap another's rendering, so two cores
    /// stay busy. `done` hears each file name as it is finished. The files keep the jobs'
    /// order; the first failure in that order is the one reported.
    pub fn write_all(&mut self, jobs: Vec<Job<'_>>, done: impl Fn(&str) + Sync) -> Result<()> {
        let temps = jobs
            .iter()
            .map(|(name, _)| self.temp(name))
            .collect::<Result<Vec<_>>>()?;
        let done = &done;
        let results: Vec<std::io::Result<()>> = std::thread::scope(|s| {
            let running: Vec<_> = jobs
                .into_iter()
                .zip(&temps)
                .map(|((name, f), (tmp, _))| {
                    s.spawn(move || {
                        fill(tmp, f)?;
                        done(name);
                        Ok(())
                    })
                })
                .collect();
            running
                .into_iter()
                .map(|h| h.join().unwrap_or_else(|p| std::panic::resume_unwind(p)))
                .collect()
        });
        for ((tmp, dest), r) in temps.into_iter().zip(results) {
            r.map_err(|e| Error::io("write", &dest, e))?;
            self.files.push((tmp, dest));
        }
        Ok(())
    }

    fn temp(&self, name: &str) -> Result<(NamedTempFile, PathBuf)> {
        let prefix = format!(".{name}.");
        let mut builder = tempfile::Builder::new();
        builder.prefix(&prefix);
        // Reports are for sharing: created as any new file is (0666 less the umask), not with
        // a temporary file's private 0600.
        #[cfg(unix)]
        builder.permissions(std::os::unix::fs::PermissionsExt::from_mode(0o666));
        let tmp = builder
            .tempfile_in(&self.work)
            .map_err(|e| Error::io("create temporary file in", &self.work, e))?;
        Ok((tmp, self.dir.join(name)))
    }

    /// Renames every staged file into place and records them in the directory's mark, then
    /// removes the outputs the `previous` mark listed among `ours` (every output name the
    /// tool writes) that this run did not write, so the directory never mixes two runs and
    /// nothing the tool did not write is touched. Returns the paths written and removed.
    pub fn commit(
        self,
        run: &Run,
        previous: Option<&Mark>,
        ours: &[&str],
    ) -> Result<(Vec<PathBuf>, Vec<PathBuf>)> {
        let dir = &self.dir;
        std::fs::create_dir_all(dir).map_err(|e| Error::io("create output directory", dir, e))?;
        let names: Vec<String> = self
            .files
            .iter()
            .filter_map(|(_, dest)| Some(dest.file_name()?.to_string_lossy().into_owned()))
            .collect();
        let stale: Vec<&String> = previous
            .map(|m| &m.files[..])
            .unwrap_or_default()
            .iter()
            .filter(|f| ours.contains(&f.as_str()) && !names.contains(f))
            .collect();
        // An interruption waits until the directory is consistent again.
        let _hold = signals::hold();
        // First a mark covering both runs: if the run dies among the renames, every file of
        // the tool here is still listed.
        let both = names.iter().chain(stale.iter().copied()).cloned().collect();
        Mark::reports(run, both).write(dir, mark::REPORTS, &self.work)?;
        let mut written = Vec::new();
        for (tmp, dest) in self.files {
            tmp.persist(&dest)
                .map_err(|e| Error::io("replace", &dest, e.error))?;
            written.push(dest);
        }
        let mut removed = Vec::new();
        for name in stale {
            let path = dir.join(name);
            match std::fs::remove_file(&path) {
                Ok(()) => removed.push(path),
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(e) => return Err(Error::io("remove the earlier run's", &path, e)),
            }
        }
        Mark::reports(run, names).write(dir, mark::REPORTS, &self.work)?;
        Ok((written, removed))
    }
}

/// One output for [`Staged::write_all`]: its file name and what writes it.
pub type Job<'a> = (
    &'static str,
    Box<dyn FnOnce(&mut dyn Write) -> std::io::Result<()> + Send + 'a>,
);

/// Writes through `f` into `tmp`, buffered.
fn fill(
    tmp: &NamedTempFile,
    f: impl FnOnce(&mut dyn Write) -> std::io::Result<()>,
) -> std::io::Result<()> {
    let mut w = BufWriter::with_capacity(1 << 20, tmp.as_file());
    f(&mut w)?;
    w.flush()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An output directory, the run directory next to it, and an earlier run's mark.
    fn setup(earlier: &[&str]) -> (tempfile::TempDir, PathBuf, PathBuf, Option<Mark>) {
        let root = tempfile::tempdir().unwrap();
        let (out, work) = (root.path().join("out"), root.path().join("work"));
        std::fs::create_dir_all(&work).unwrap();
        let mut previous = None;
        if !earlier.is_empty() {
            let mut staged = Staged::new(&out, &work);
            for name in earlier {
                staged.write(name, |w| w.write_all(b"earlier")).unwrap();
            }
            staged.commit(&Run::new(), None, OURS).unwrap();
            previous = Mark::read(&out, mark::REPORTS).unwrap();
        }
        (root, out, work, previous)
    }

    const OURS: &[&str] = &["findings.csv", "summary.md", "report.html"];

    fn names(dir: &Path) -> Vec<String> {
        let mut n: Vec<String> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .collect();
        n.sort();
        n
    }

    #[test]
    fn a_commit_moves_outputs_in_and_marks_them_with_the_run() {
        let (_root, out, work, _) = setup(&[]);
        let run = Run::new();
        let mut staged = Staged::new(&out, &work);
        staged
            .write("findings.csv", |w| w.write_all(b"a,b\n"))
            .unwrap();
        assert_eq!(names(&work).len(), 1, "staged in the run directory");
        assert!(
            !out.exists(),
            "nothing in the output directory before the commit"
        );
        let (written, removed) = staged.commit(&run, None, OURS).unwrap();
        assert_eq!(written, [out.join("findings.csv")]);
        assert!(removed.is_empty());
        assert_eq!(names(&out), [mark::REPORTS, "findings.csv"]);
        assert!(names(&work).is_empty(), "no temporary left");
        let m = Mark::read(&out, mark::REPORTS).unwrap().unwrap();
        assert_eq!((m.run_id, m.files), (run.id, vec!["findings.csv".into()]));
    }

    #[test]
    fn a_commit_removes_only_what_the_earlier_mark_lists() {
        let (_root, out, work, previous) = setup(&["findings.csv", "summary.md"]);
        // Named like an output, but no run of the tool wrote it.
        std::fs::write(out.join("report.html"), "mine").unwrap();
        let mut staged = Staged::new(&out, &work);
        staged
            .write("findings.csv", |w| w.write_all(b"new"))
            .unwrap();
        let (_, removed) = staged.commit(&Run::new(), previous.as_ref(), OURS).unwrap();
        assert_eq!(removed, [out.join("summary.md")]);
        assert_eq!(names(&out), [mark::REPORTS, "findings.csv", "report.html"]);
        assert_eq!(std::fs::read(out.join("report.html")).unwrap(), b"mine");
        assert_eq!(std::fs::read(out.join("findings.csv")).unwrap(), b"new");
    }

    #[test]
    fn a_failed_write_changes_nothing_and_leaves_no_temporary() {
        let (_root, out, work, _) = setup(&["findings.csv"]);
        let before = std::fs::read(out.join(mark::REPORTS)).unwrap();
        let mut staged = Staged::new(&out, &work);
        staged.write("summary.md", |w| w.write_all(b"ok")).unwrap();
        let mut jobs: Vec<Job> = Vec::new();
        jobs.push((
            "findings.csv",
            Box::new(|w| {
                w.write_all(b"half")?;
                Err(std::io::Error::other("disk full"))
            }),
        ));
        let err = staged.write_all(jobs, |_| {}).unwrap_err().to_string();
        assert!(
            err.contains("findings.csv") && err.contains("disk full"),
            "{err}"
        );
        drop(staged);
        assert!(names(&work).is_empty(), "temporaries removed");
        assert_eq!(std::fs::read(out.join("findings.csv")).unwrap(), b"earlier");
        assert_eq!(std::fs::read(out.join(mark::REPORTS)).unwrap(), before);
    }
}
