//! The tool never destroys what it did not write, cleans up after itself however a run
//! ends, never mixes two runs in one directory, and ends normally on a closed stdout.

use crate::util::*;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

const ALL_FORMATS: &str = "html,csv,json,junit,markdown,ocsf";

fn scan(out: &Path, extra: &[&str]) -> Output {
    let mut args = vec!["scan", "samples/org", "--out", out.to_str().unwrap()];
    args.extend_from_slice(extra);
    run(&args, &root())
}

/// `collect --out SNAP` with no environment at all (no region, no credentials): it fails
/// before any AWS call, after the destination's checks and cleanup.
fn collect_without_environment(snap: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_backup-auditor"))
        .args(["collect", "--out"])
        .arg(snap)
        .env_clear()
        .current_dir(root())
        .output()
        .unwrap()
}

fn names(dir: &Path) -> Vec<String> {
    let mut n: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    n.sort();
    n
}

/// Every file under `dir` with its bytes.
fn contents(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut all = Vec::new();
    for n in names(dir) {
        let path = dir.join(&n);
        if path.is_dir() {
            all.extend(
                contents(&path)
                    .into_iter()
                    .map(|(f, b)| (format!("{n}/{f}"), b)),
            );
        } else {
            all.push((n, std::fs::read(path).unwrap()));
        }
    }
    all
}

/// The `(output directory, what is next to it)` a test works in.
fn workspace() -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    (dir, out)
}

fn assert_refused(o: &Output, file: &Path) {
    assert_eq!(o.status.code(), Some(2), "{}", stderr(o));
    let err = stderr(o);
    assert!(
        err.contains(&file.display().to_string()) && err.contains("--force"),
        "{err}"
    );
}

#[test]
fn scan_refuses_a_non_empty_directory_it_did_not_write() {
    let (_dir, out) = workspace();
    std::fs::create_dir(&out).unwrap();
    std::fs::write(out.join("notes.txt"), "mine").unwrap();
    let o = scan(&out, &[]);
    assert_refused(&o, &out.join("notes.txt"));
    assert_eq!(names(&out), ["notes.txt"], "nothing written");
    // --force writes its outputs and still leaves the other file alone.
    let o = scan(&out, &["--force", "--format", "csv"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(std::fs::read(out.join("notes.txt")).unwrap(), b"mine");
    assert!(out.join("findings.csv").is_file());
}

#[test]
fn scan_refuses_to_replace_a_file_its_mark_does_not_list() {
    let (_dir, out) = workspace();
    let o = scan(&out, &["--format", "csv"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    std::fs::write(out.join("summary.md"), "my notes").unwrap();
    let o = scan(&out, &["--format", "csv,markdown"]);
    assert_refused(&o, &out.join("summary.md"));
    assert_eq!(std::fs::read(out.join("summary.md")).unwrap(), b"my notes");
    // A run that does not write it leaves it alone; one with --force replaces it.
    let o = scan(&out, &["--format", "json"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(std::fs::read(out.join("summary.md")).unwrap(), b"my notes");
    let o = scan(&out, &["--format", "markdown", "--force"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_ne!(std::fs::read(out.join("summary.md")).unwrap(), b"my notes");
}

/// A directory holding a manifest.json is not thereby the collector's: it is refused before
/// any call, with everything in it kept.
#[test]
fn collect_refuses_a_directory_it_did_not_collect() {
    let (_dir, snap) = workspace();
    copy_dir(&root().join("samples/org"), &snap);
    std::fs::write(snap.join("notes.txt"), "mine").unwrap();
    let before = contents(&snap);
    let nowhere = never();
    for args in [
        vec!["collect", "--out", snap.to_str().unwrap()],
        vec![
            "scan",
            "--live",
            "--save-snapshot",
            snap.to_str().unwrap(),
            "--out",
            &nowhere,
        ],
    ] {
        let o = run(&args, &root());
        assert_refused(&o, &snap.join("111111111111"));
        assert!(stderr(&o).contains("holds no .backup-auditor-snapshot.json"));
        assert_eq!(contents(&snap), before, "{args:?}");
    }
}

/// The collector replaces a snapshot it wrote, and only while nothing else is in it.
#[test]
fn collect_replaces_only_a_snapshot_it_collected() {
    use crate::fake_aws::{FakeAws, Faults};
    let fake = FakeAws::start(&root().join("samples/org"), Faults::default());
    let (dir, snap) = workspace();
    let collect = |extra: &[&str]| {
        Command::new(env!("CARGO_BIN_EXE_backup-auditor"))
            .args(["collect", "-q", "--accounts", "111111111111", "--out"])
            .arg(&snap)
            .args(["--regions", "us-east-1", "--role-name", "BackupAuditor"])
            .args(extra)
            .envs(fake.env())
            .env_remove("AWS_PROFILE")
            .current_dir(root())
            .output()
            .unwrap()
    };
    for _ in 0..2 {
        let o = collect(&[]);
        assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
        assert!(snap.join(".backup-auditor-snapshot.json").is_file());
        assert!(beside(dir.path()).is_empty(), "{:?}", beside(dir.path()));
    }
    let notes = snap.join("111111111111/notes.txt");
    std::fs::write(&notes, "mine").unwrap();
    let o = collect(&[]);
    assert_refused(&o, &notes);
    assert_eq!(std::fs::read(&notes).unwrap(), b"mine");
    let o = collect(&["--force"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(!notes.exists());
    // A scan of it does not take the mark for data.
    let out = dir.path().join("report");
    let o = run(
        &[
            "scan",
            snap.to_str().unwrap(),
            "--out",
            out.to_str().unwrap(),
        ],
        &root(),
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(!stderr(&o).contains("warning"), "{}", stderr(&o));
}

/// Starts a scan of `snapshot` into `out` with stdout and stderr captured.
fn spawn_scan(snapshot: &Path, out: &Path, extra: &[&str]) -> Child {
    Command::new(env!("CARGO_BIN_EXE_backup-auditor"))
        .args(["scan", snapshot.to_str().unwrap(), "--out"])
        .arg(out)
        .args(extra)
        .current_dir(root())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap()
}

/// Hidden entries next to `out` in `dir` (run directories, lock files).
fn beside(dir: &Path) -> Vec<String> {
    names(dir)
        .into_iter()
        .filter(|n| n.starts_with('.'))
        .collect()
}

/// Waits until the run has started writing its reports (its run directory holds a file).
fn wait_for_writing(dir: &Path, child: &mut Child) {
    let started = Instant::now();
    loop {
        let writing = beside(dir)
            .iter()
            .filter(|n| n.ends_with(".tmp"))
            .any(|n| std::fs::read_dir(dir.join(n)).is_ok_and(|mut d| d.next().is_some()));
        if writing {
            return;
        }
        if let Some(status) = child.try_wait().unwrap() {
            panic!("the scan ended ({status}) before it was seen writing");
        }
        assert!(started.elapsed() < Duration::from_secs(120), "never wrote");
        std::thread::sleep(Duration::from_millis(2));
    }
}

fn kill(child: &Child, signal: &str) {
    let o = Command::new("kill")
        .args([signal, &child.id().to_string()])
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
}

/// A synthetic organisation large enough that writing its reports takes a while.
fn large_snapshot(dir: &Path) -> PathBuf {
    let snap = dir.join("snap");
    let o = run(
        &[
            "synth",
            "--resources",
            "20000",
            "--out",
            snap.to_str().unwrap(),
        ],
        &root(),
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    snap
}

#[cfg(unix)]
#[test]
fn an_interrupted_scan_removes_its_temporary_files_and_keeps_the_last_report() {
    use std::os::unix::process::ExitStatusExt;
    let snaps = tempfile::tempdir().unwrap();
    let snapshot = large_snapshot(snaps.path());
    let (dir, out) = workspace();
    let o = scan(&out, &["--format", ALL_FORMATS, "-q"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let before = contents(&out);
    for (signal, code) in [("-TERM", 143), ("-INT", 130)] {
        let mut child = spawn_scan(&snapshot, &out, &["--format", ALL_FORMATS]);
        wait_for_writing(dir.path(), &mut child);
        kill(&child, signal);
        let o = child.wait_with_output().unwrap();
        assert_eq!(o.status.code(), Some(code), "{signal}: {:?}", o.status);
        assert!(stderr(&o).contains("interrupted"), "{}", stderr(&o));
        assert!(beside(dir.path()).is_empty(), "{:?}", beside(dir.path()));
        assert!(
            contents(&out) == before,
            "{signal}: the last report changed"
        );
    }
    // kill -9 cannot be caught: the run directory stays, and the next run removes it,
    // saying so (unless -q).
    let mut child = spawn_scan(&snapshot, &out, &["--format", ALL_FORMATS]);
    wait_for_writing(dir.path(), &mut child);
    kill(&child, "-KILL");
    assert_eq!(child.wait().unwrap().signal(), Some(9));
    let left: Vec<String> = beside(dir.path())
        .into_iter()
        .filter(|n| n.ends_with(".tmp"))
        .collect();
    assert_eq!(left.len(), 1, "{left:?}");
    assert!(contents(&out) == before, "the last report changed");
    let o = scan(&out, &["--format", "csv"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let said = format!(
        "removed {}: temporary files of an interrupted run",
        dir.path().join(&left[0]).display()
    );
    assert!(stderr(&o).contains(&said), "{}", stderr(&o));
    assert!(beside(dir.path()).is_empty(), "{:?}", beside(dir.path()));
}

/// Makes `path` look like a run directory a killed run left (with the file a run writes
/// into it when it creates it).
fn killed_run_dir(path: &Path) {
    std::fs::create_dir_all(path.join("111111111111")).unwrap();
    std::fs::write(path.join(".backup-auditor-run-dir"), "").unwrap();
}

/// What killed runs left is removed by the next run that holds the destination, once it is
/// sure it may write there, quietly with -q; nothing else is.
#[test]
fn leftovers_of_killed_runs_are_removed_by_the_next_run() {
    let (dir, snap) = workspace();
    let ours = ".out.backup-auditor-0badf00d.tmp";
    killed_run_dir(&dir.path().join(ours));
    // Not the tool's: a look-alike name, or a run directory's name without its file.
    let theirs = [
        ".other.backup-auditor-0badf00d.tmp",
        ".out.backup-auditor-0badf00e.tmp",
        ".out.partial-Ab12Cd",
    ];
    for l in theirs {
        std::fs::create_dir_all(dir.path().join(l).join("111111111111")).unwrap();
    }
    let mut all_theirs: Vec<&str> = theirs.to_vec();
    all_theirs.sort();
    // The collector's destination: cleaned even though this run then fails (no region).
    let o = collect_without_environment(&snap);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    let said = format!(
        "removed {}: temporary files of an interrupted run",
        dir.path().join(ours).display()
    );
    assert!(stderr(&o).contains(&said), "{}", stderr(&o));
    assert_eq!(beside(dir.path()), all_theirs);
    // A report directory: -q says nothing; a hidden file of the user's is left alone.
    killed_run_dir(&dir.path().join(ours));
    let o = scan(&snap, &["--format", "csv"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    std::fs::write(snap.join(".findings.csv.a1B2c3"), "mine").unwrap();
    killed_run_dir(&dir.path().join(ours));
    let o = scan(&snap, &["--format", "csv", "-q"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(stderr(&o), "");
    assert_eq!(
        names(&snap),
        [
            ".backup-auditor-run.json",
            ".findings.csv.a1B2c3",
            "findings.csv",
            "summary.csv"
        ]
    );
    assert_eq!(beside(dir.path()), all_theirs);
}

/// A run it refuses touches nothing: files that only look like the tool's temporaries, in
/// and next to a directory the tool did not write, are all still there after the refusal.
#[test]
fn a_refused_run_removes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let mine = dir.path().join("mine");
    std::fs::create_dir_all(mine.join(".backup-auditor-mystuff.tmp")).unwrap();
    std::fs::write(mine.join(".report.html.draft1"), "draft").unwrap();
    std::fs::write(mine.join(".backup-auditor-mystuff.tmp/f"), "f").unwrap();
    std::fs::create_dir_all(dir.path().join(".mine.partial-download2")).unwrap();
    std::fs::write(dir.path().join(".mine.partial-download2/data"), "d").unwrap();
    let before = contents(dir.path());
    let o = scan(&mine, &[]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(!stderr(&o).contains("removed"), "{}", stderr(&o));
    assert_eq!(contents(dir.path()), before);
    // Refused before anything: a run directory of a killed run stays too.
    killed_run_dir(&dir.path().join(".mine.backup-auditor-0badf00d.tmp"));
    let before = contents(dir.path());
    let o = scan(&mine, &[]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert_eq!(contents(dir.path()), before);
}

/// A lock file that is a symlink is refused, and what it points to is left as it was.
#[cfg(unix)]
#[test]
fn a_symlinked_lock_file_is_refused_and_its_target_untouched() {
    let (dir, out) = workspace();
    let victim = dir.path().join("victim.txt");
    std::fs::write(&victim, "precious").unwrap();
    std::os::unix::fs::symlink("victim.txt", dir.path().join(".out.backup-auditor.lock")).unwrap();
    let o = scan(&out, &[]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(stderr(&o).contains("is a symbolic link"), "{}", stderr(&o));
    assert_eq!(std::fs::read(&victim).unwrap(), b"precious");
    assert!(!out.exists());
}

/// A mark that is a FIFO or a device is refused at once (exit 2), never read.
#[cfg(unix)]
#[test]
fn a_mark_that_is_not_a_regular_file_is_refused_at_once() {
    let (_dir, out) = workspace();
    std::fs::create_dir(&out).unwrap();
    std::os::unix::fs::symlink("/dev/zero", out.join(".backup-auditor-run.json")).unwrap();
    let o = scan(&out, &[]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("a character device, not a regular file"),
        "{}",
        stderr(&o)
    );
}

/// `scan --force` forces --out only: a --save-snapshot directory the collector did not write
/// is still refused, everything in it kept.
#[test]
fn scan_force_does_not_force_the_snapshot_directory() {
    let (_dir, snap) = workspace();
    copy_dir(&root().join("samples/org"), &snap);
    std::fs::write(snap.join("notes.txt"), "mine").unwrap();
    let before = contents(&snap);
    let nowhere = never();
    let args = [
        "scan",
        "--live",
        "--save-snapshot",
        snap.to_str().unwrap(),
        "--out",
        &nowhere,
        "--force",
    ];
    let o = run(&args, &root());
    assert_refused(&o, &snap.join("111111111111"));
    assert!(stderr(&o).contains("holds no .backup-auditor-snapshot.json"));
    assert_eq!(contents(&snap), before);
}

/// Killed between the collector's two renames: the old snapshot, moved aside into the run
/// directory, is the only one; the next run puts it back instead of deleting it.
#[test]
fn a_snapshot_moved_aside_by_a_killed_run_is_restored() {
    let (dir, snap) = workspace();
    let left = dir.path().join(".out.backup-auditor-0badf00d.tmp");
    killed_run_dir(&left);
    copy_dir(&root().join("samples/org"), &left.join("replaced"));
    let o = collect_without_environment(&snap);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(stderr(&o).contains("restored"), "{}", stderr(&o));
    assert_eq!(contents(&snap), contents(&root().join("samples/org")));
    assert!(beside(dir.path()).is_empty(), "{:?}", beside(dir.path()));
}

/// A file-size limit stands in for a full disk: the write fails (EFBIG; the tool catches
/// SIGXFSZ so that it is not killed by it), the run ends with exit 2 naming the file, and the
/// previous report is byte for byte what it was, with no temporary left.
#[cfg(target_os = "linux")]
#[test]
fn a_full_disk_is_exit_2_with_the_previous_report_intact() {
    let (dir, out) = workspace();
    let o = scan(&out, &["--format", ALL_FORMATS]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let before = contents(&out);
    let largest = before.iter().map(|(_, b)| b.len()).max().unwrap();
    let o = Command::new("prlimit")
        .arg(format!("--fsize={}", largest / 2))
        .arg(env!("CARGO_BIN_EXE_backup-auditor"))
        .args(["scan", "samples/org", "--format", ALL_FORMATS, "--out"])
        .arg(&out)
        .current_dir(root())
        .output()
        .expect("prlimit (util-linux) runs");
    assert_eq!(o.status.code(), Some(2), "{:?} {}", o.status, stderr(&o));
    let err = stderr(&o);
    assert!(
        err.contains(&format!("cannot write {}/", out.display())) && err.contains("File too large"),
        "{err}"
    );
    assert!(contents(&out) == before, "the previous report changed");
    assert!(beside(dir.path()).is_empty(), "{:?}", beside(dir.path()));
}

/// The run id of every output in `out`, one entry per place it appears.
fn run_ids(out: &Path) -> Vec<(String, String)> {
    let read = |f: &str| std::fs::read_to_string(out.join(f)).unwrap();
    let json = |f: &str| serde_json::from_str::<serde_json::Value>(&read(f)).unwrap();
    let mut ids = vec![(
        "findings.json".to_string(),
        json("findings.json")["run_id"]
            .as_str()
            .unwrap()
            .to_string(),
    )];
    for csv in ["findings.csv", "summary.csv"] {
        for row in csv_rows(&out.join(csv)) {
            ids.push((csv.into(), row["run_id"].clone()));
        }
    }
    for e in json("findings.ocsf.json").as_array().unwrap() {
        let id = e["unmapped"]["backup_auditor_run_id"].as_str().unwrap();
        ids.push(("findings.ocsf.json".into(), id.into()));
    }
    let after = |file: &str, text: &str, marker: &str| -> Vec<(String, String)> {
        let found: Vec<_> = text
            .split(marker)
            .skip(1)
            .map(|rest| (file.to_string(), rest[..8].to_string()))
            .collect();
        assert!(!found.is_empty(), "no run id in {file}");
        found
    };
    ids.extend(after("junit.xml", &read("junit.xml"), "run_id=\""));
    ids.extend(after("summary.md", &read("summary.md"), " run "));
    ids.extend(after(
        "report.html",
        &read("report.html"),
        "name=\"backup-auditor-run-id\" content=\"",
    ));
    ids
}

/// Two scans into one directory at once: one holds it, the other is refused with exit 2
/// and told who holds it; the directory always holds exactly one run.
#[test]
fn two_scans_into_one_directory_never_mix() {
    let (_dir, out) = workspace();
    let snapshot = root().join("samples/org");
    let mut refused = 0;
    // Ten pairs keep `cargo test` quick; SAFETY_PAIRS=200 hunts a rare interleaving.
    let pairs = std::env::var("SAFETY_PAIRS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(10);
    for _ in 0..pairs {
        let pair: Vec<Child> = (0..2)
            .map(|_| spawn_scan(&snapshot, &out, &["--format", ALL_FORMATS]))
            .collect();
        let results: Vec<Output> = pair
            .into_iter()
            .map(|c| c.wait_with_output().unwrap())
            .collect();
        for o in &results {
            match o.status.code() {
                Some(0) => {}
                Some(2) => {
                    refused += 1;
                    let err = stderr(o);
                    assert!(
                        // "(pid …" once the holder has recorded itself, "(starting up; …"
                        // in the instant before.
                        err.contains("is being written by another backup-auditor run ("),
                        "{err}"
                    );
                }
                other => panic!("exit {other:?}: {}", stderr(o)),
            }
        }
        assert!(results.iter().any(|o| o.status.success()));
        let id = mark_run_id(&out);
        for (file, got) in run_ids(&out) {
            assert_eq!(got, id, "{file} is of another run than the mark");
        }
    }
    assert!(refused > 0, "no two runs ever overlapped");
}

/// A closed stdout (`| head -1`) ends the run normally, with the exit code it would have had.
#[test]
fn a_closed_stdout_is_a_normal_end() {
    let out = tempfile::tempdir().unwrap();
    let out = out.path().to_str().unwrap();
    let arn = "arn:aws:ec2:us-east-1:111111111111:volume/vol-01a10000000000003";
    for (args, code) in [
        (vec!["rules", "list"], 0),
        (vec!["explain", "samples/org", arn], 0),
        (vec!["explain", "samples/org", arn, "--format", "json"], 0),
        (
            vec!["scan", "samples/org", "--out", out, "--fail-on", "high"],
            1,
        ),
    ] {
        let mut child = Command::new(env!("CARGO_BIN_EXE_backup-auditor"))
            .args(&args)
            .current_dir(root())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        // The reading end closes before the tool writes anything.
        drop(child.stdout.take());
        let o = child.wait_with_output().unwrap();
        assert_eq!(o.status.code(), Some(code), "{args:?}: {}", stderr(&o));
        assert!(!stderr(&o).contains("panicked"), "{args:?}: {}", stderr(&o));
    }
}
