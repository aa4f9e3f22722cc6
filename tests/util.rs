use std::path::{Path, PathBuf};
use std::process::{Command, Output};

pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Runs the real binary, as a user would.
pub fn run(args: &[&str], cwd: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_backup-auditor"))
        .args(args)
        .current_dir(cwd)
        .output()
        .expect("run backup-auditor")
}

pub fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// Reads a CSV written by the tool into maps keyed by header.
pub fn csv_rows(path: &Path) -> Vec<std::collections::BTreeMap<String, String>> {
    let mut rdr = csv::Reader::from_path(path).unwrap();
    let header = rdr.headers().unwrap().clone();
    rdr.records()
        .map(|r| {
            let r = r.unwrap();
            header
                .iter()
                .map(str::to_owned)
                .zip(r.iter().map(str::to_owned))
                .collect()
        })
        .collect()
}

/// Scans the sample org with all shipped rules and its waivers; returns the output directory
/// and the terminal summary (with the temporary path replaced by `[OUT]`).
pub fn sample_scan() -> (tempfile::TempDir, String) {
    let out = tempfile::tempdir().unwrap();
    let o = run(
        &[
            "scan",
            "samples/org",
            "--rules",
            "rules",
            "--waivers",
            "samples/waivers.yaml",
            "--out",
            out.path().to_str().unwrap(),
        ],
        &root(),
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let text = stdout(&o).replace(out.path().to_str().unwrap(), "[OUT]");
    (out, text)
}

/// `backup-auditor synth --resources N` into `dir/synth`: a synthetic organisation of many
/// accounts (cross-account copies, failed scopes, cluster members).
pub fn synth(dir: &Path, resources: usize) -> PathBuf {
    let snap = dir.join("synth");
    let n = resources.to_string();
    let o = run(
        &["synth", "--resources", &n, "--out", snap.to_str().unwrap()],
        &root(),
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    snap
}

/// A copy of the sample organisation to vary, at `DIR/org`; the directory goes with the guard.
pub fn sample_copy() -> (tempfile::TempDir, std::path::PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let snap = dir.path().join("org");
    copy_dir(&root().join("samples/org"), &snap);
    (dir, snap)
}

/// Copies a directory tree (a snapshot to vary in a test).
pub fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        let dest = to.join(e.file_name());
        if e.file_type().unwrap().is_dir() {
            copy_dir(&e.path(), &dest);
        } else {
            std::fs::copy(e.path(), dest).unwrap();
        }
    }
}

/// Runs `cmd` to its end, killing it if it still runs after `secs`: a hang is the calling
/// test's failure, not a stuck test run.
pub fn output_within(cmd: &mut Command, secs: u64) -> Output {
    use std::process::Stdio;
    use std::time::{Duration, Instant};
    let mut child = cmd
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run backup-auditor");
    let deadline = Instant::now() + Duration::from_secs(secs);
    while child.try_wait().unwrap().is_none() {
        if Instant::now() > deadline {
            child.kill().unwrap();
            let o = child.wait_with_output().unwrap();
            panic!("still running after {secs} s: {cmd:?}\n{}", stderr(&o));
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    child.wait_with_output().unwrap()
}

/// The id of the run whose mark `out` holds.
pub fn mark_run_id(out: &Path) -> String {
    let mark: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out.join(".backup-auditor-run.json")).unwrap())
            .unwrap();
    mark["run_id"].as_str().unwrap().to_string()
}

/// Output `file` of the run in `out`, its run id (where the format puts it) replaced by
/// `[run_id]`, for golden files.
pub fn read_redacted(out: &Path, file: &str) -> String {
    let id = mark_run_id(out);
    std::fs::read_to_string(out.join(file))
        .unwrap()
        .replace(&format!(",{id}\n"), ",[run_id]\n")
        .replace(&format!("run_id=\"{id}\""), "run_id=\"[run_id]\"")
        .replace(&format!(" run {id}"), " run [run_id]")
}

/// A fresh path for an `--out` a test expects never to be written: each run holds its
/// `--out` locked, so tests running at once must not share one.
pub fn never() -> String {
    static COUNT: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let n = COUNT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let name = format!("backup-auditor-never-{}-{n}", std::process::id());
    std::env::temp_dir().join(name).display().to_string()
}
