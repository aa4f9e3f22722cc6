//! A CSV-only scan is judged and written a batch of account-regions at a time (issue 10): its
//! findings.csv, summary.csv, shard.json, printed summary and exit code are those of the scan
//! that holds every finding (asked for one more format), and a snapshot that cannot be read
//! still stops it before anything is written.

use crate::util::{mark_run_id, root, stderr, stdout};
use std::path::Path;

/// `scan SNAPSHOT --rules rules -v --out OUT --format FORMAT extra…`: exit code, stdout (OUT
/// written `[out]`), stderr.
fn scan(
    snapshot: &Path,
    out: &Path,
    format: &str,
    extra: &[&str],
) -> (Option<i32>, String, String) {
    let mut args = vec!["-v", "scan", snapshot.to_str().unwrap(), "--rules", "rules"];
    args.extend(["--format", format, "--out", out.to_str().unwrap()]);
    args.extend(extra);
    // One worker: a batch is the same number of account-regions on any machine.
    let o = std::process::Command::new(env!("CARGO_BIN_EXE_backup-auditor"))
        .args(&args)
        .current_dir(root())
        .env("RAYON_NUM_THREADS", "1")
        .output()
        .unwrap();
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
    let dir = tempfile::tempdir().unwrap();
    let (streamed, whole) = (dir.path().join("streamed"), dir.path().join("whole"));
    let (code, printed, said) = scan(snapshot, &streamed, "csv", extra);
    assert!(
        said.contains("evaluated and wrote findings.csv"),
        "not streamed: {said}"
    );
    let (whole_code, whole_printed, whole_said) = scan(snapshot, &whole, "csv,json", extra);
    assert!(!whole_said.contains("evaluated and wrote"), "{whole_said}");
    assert_eq!(code, whole_code, "{said}");
    // The whole scan also lists findings.json among what it wrote.
    let whole_printed = whole_printed.replace("  [out]/findings.json\n", "");
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
fn a_csv_only_scan_of_a_synthetic_organisation_streams_the_bytes_of_a_whole_scan() {
    // 200 account-regions: four batches of at most 64 (one worker).
    let dir = tempfile::tempdir().unwrap();
    let snap = crate::util::synth(dir.path(), 20_000);
    assert_streamed_as_whole(&snap, &["--fail-on", "medium"]);
}

#[test]
fn a_streamed_scan_of_an_unreadable_snapshot_writes_nothing() {
    let (dir, snap) = crate::util::sample_copy();
    let out = dir.path().join("out");
    let (code, _, said) = scan(&snap, &out, "csv", &[]);
    assert_eq!(code, Some(0), "{said}");
    let before = std::fs::read(out.join("findings.csv")).unwrap();
    // The last account-region's recovery points, cut in the middle of a record.
    let mut files: Vec<_> = walk(&snap, "recovery-points.json");
    files.sort();
    let last = files.last().unwrap();
    let text = std::fs::read_to_string(last).unwrap();
    std::fs::write(last, &text[..text.len() / 2]).unwrap();
    let (code, _, said) = scan(&snap, &out, "csv", &[]);
    assert_eq!(code, Some(2), "{said}");
    assert!(said.contains("recovery-points.json"), "{said}");
    assert_eq!(std::fs::read(out.join("findings.csv")).unwrap(), before);
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
