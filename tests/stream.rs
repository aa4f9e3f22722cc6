//! A CSV-only scan reads, judges and writes a batch of account-regions at a time (issue 10):
//! its findings.csv, summary.csv, shard.json, printed summary and exit code are those of the
//! scan that holds every finding (asked for one more format), whatever the batch size, and a
//! snapshot that cannot be read, before or halfway through the stream, still stops it before
//! anything is written.

use crate::util::{mark_run_id, root, stderr, stdout};
use std::path::Path;

/// `scan SNAPSHOT --rules rules -v --out OUT --format FORMAT extra…`: exit code, stdout (OUT
/// written `[out]`), stderr. `BATCH`, if set, is the streamed scan's batch size.
fn scan(
    snapshot: &Path,
    out: &Path,
    format: &str,
    extra: &[&str],
) -> (Option<i32>, String, String) {
    scan_in_batches(snapshot, out, format, extra, None)
}

fn scan_in_batches(
    snapshot: &Path,
    out: &Path,
    format: &str,
    extra: &[&str],
    batch: Option<usize>,
) -> (Option<i32>, String, String) {
    let mut args = vec!["-v", "scan", snapshot.to_str().unwrap(), "--rules", "rules"];
    args.extend(["--format", format, "--out", out.to_str().unwrap()]);
    args.extend(extra);
    // One worker: a batch is the same number of account-regions on any machine.
    let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_backup-auditor"));
    command
        .args(&args)
        .current_dir(root())
        .env("RAYON_NUM_THREADS", "1");
    if let Some(n) = batch {
        command.env("BACKUP_AUDITOR_BATCH", n.to_string());
    }
    let o = command.output().unwrap();
    let printed = stdout(&o).replace(out.to_str().unwrap(), "[out]");
    (o.status.code(), printed, stderr(&o))
}

/// `file` in `out`, its run id replaced.
fn without_run_id(out: &Path, file: &str) -> String {
    let id = mark_run_id(out);
    std::fs::read_to_string(out.join(file))
        .unwrap()
        .replace(&id, "[run_id]")
}

fn assert_streamed_as_whole(snapshot: &Path, extra: &[&str]) {
    assert_streamed_in_batches_as_whole(snapshot, extra, None)
}

fn assert_streamed_in_batches_as_whole(snapshot: &Path, extra: &[&str], batch: Option<usize>) {
    let dir = tempfile::tempdir().unwrap();
    let (streamed, whole) = (dir.path().join("streamed"), dir.path().join("whole"));
    let (code, printed, said) = scan_in_batches(snapshot, &streamed, "csv", extra, batch);
    assert!(
        said.contains("evaluated and wrote findings.csv"),
        "not streamed: {said}"
    );
    // Markdown holds every finding and writes one small file (summary.md): the comparison
    // costs little disk.
    let (whole_code, whole_printed, whole_said) = scan(snapshot, &whole, "csv,markdown", extra);
    assert!(!whole_said.contains("evaluated and wrote"), "{whole_said}");
    assert_eq!(code, whole_code, "streamed:\n{said}\nwhole:\n{whole_said}");
    // The whole scan also lists summary.md among what it wrote.
    let whole_printed = whole_printed.replace("  [out]/summary.md\n", "");
    assert_eq!(printed, whole_printed);
    let mut files = vec!["findings.csv", "summary.csv"];
    if streamed.join("shard.json").exists() {
        files.push("shard.json");
    }
    for file in files {
        let (a, b) = (
            without_run_id(&streamed, file),
            without_run_id(&whole, file),
        );
        assert!(a.lines().count() > 1, "{file} is empty");
        assert!(a == b, "{file} differs when streamed");
    }
}

#[test]
fn a_csv_only_scan_of_the_sample_streams_the_bytes_of_a_whole_scan() {
    let sample = root().join("samples/org");
    assert_streamed_as_whole(
        &sample,
        &["--waivers", "samples/waivers.yaml", "--fail-on", "high"],
    );
    assert_streamed_as_whole(&sample, &["--shard", "2/3", "--fail-on", "critical"]);
}

#[test]
fn the_sample_streamed_one_account_region_at_a_time_is_judged_as_a_whole() {
    // Each account-region is read whole only in its own batch: its copies in other
    // accounts, their vaults and the resources AWS Backup lists elsewhere are looked up
    // across batches.
    let sample = root().join("samples/org");
    let extra = ["--waivers", "samples/waivers.yaml", "--fail-on", "high"];
    assert_streamed_in_batches_as_whole(&sample, &extra, Some(1));
    assert_streamed_in_batches_as_whole(&sample, &extra, Some(3));
}

#[test]
fn a_csv_only_scan_of_a_synthetic_organisation_streams_the_bytes_of_a_whole_scan() {
    // 70 account-regions: two batches of at most 64 (one worker), then ten of 7.
    let dir = tempfile::tempdir().unwrap();
    let snap = crate::util::synth(dir.path(), 7_000);
    assert_streamed_as_whole(&snap, &["--fail-on", "medium"]);
    assert_streamed_in_batches_as_whole(&snap, &["--fail-on", "medium"], Some(7));
}

#[test]
fn a_streamed_scan_of_an_unreadable_snapshot_writes_nothing() {
    // Recovery points are read before the stream starts (their copies are looked up across
    // account-regions); resources.json only when its batch comes, after the first batches
    // were written to the temporary findings.csv.
    for file in ["recovery-points.json", "resources.json"] {
        let (dir, snap) = crate::util::sample_copy();
        let out = dir.path().join("out");
        let (code, _, said) = scan(&snap, &out, "csv", &[]);
        assert_eq!(code, Some(0), "{said}");
        let before = std::fs::read(out.join("findings.csv")).unwrap();
        // The last account-region's file, cut in the middle of a record.
        let mut files: Vec<_> = walk(&snap, file);
        files.sort();
        let last = files.last().unwrap();
        let text = std::fs::read_to_string(last).unwrap();
        std::fs::write(last, &text[..text.len() / 2]).unwrap();
        let (code, _, said) = scan_in_batches(&snap, &out, "csv", &[], Some(1));
        assert_eq!(code, Some(2), "{file}: {said}");
        assert!(said.contains(&last.display().to_string()), "{said}");
        assert!(!said.contains("evaluated and wrote"), "{said}");
        assert_eq!(std::fs::read(out.join("findings.csv")).unwrap(), before);
        let left: Vec<_> = std::fs::read_dir(&out).unwrap().flatten().collect();
        assert_eq!(left.len(), 3, "only the earlier run's files: {left:?}");
    }
}

/// Every file called `name` under `dir`.
fn walk(dir: &Path, name: &str) -> Vec<std::path::PathBuf> {
    let mut found = Vec::new();
    for e in std::fs::read_dir(dir).unwrap().flatten() {
        let p = e.path();
        if p.is_dir() {
            found.extend(walk(&p, name));
        } else if p.file_name().is_some_and(|n| n == name) {
            found.push(p);
        }
    }
    found
}
