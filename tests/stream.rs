//! A scan whose formats are HTML, CSV and JSON only reads, judges and writes a batch of
//! account-regions at a time (issue 10): its report.html, findings.csv, summary.csv,
//! findings.json, shard.json, printed summary and exit code are those of the scan that holds
//! every finding (asked for one more format), whatever the batch size, and a snapshot that
//! cannot be read, before or halfway through the stream, still stops it before anything is
//! written.

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

/// `file` in `out`, its run id and the time of the run replaced.
fn without_run_id(out: &Path, file: &str) -> String {
    let id = mark_run_id(out);
    let text = std::fs::read_to_string(out.join(file))
        .unwrap()
        .replace(&id, "[run_id]");
    ["run_at", "scan_time", "scan_id"]
        .iter()
        .fold(text, |text, key| match value_of(&text, key) {
            Some(value) => text.replace(&value, &format!("[{key}]")),
            None => text,
        })
}

/// The value of the first `"key":"…"` in `text`.
fn value_of(text: &str, key: &str) -> Option<String> {
    let opening = format!("\"{key}\":\"");
    let rest = &text[text.find(&opening)? + opening.len()..];
    Some(rest[..rest.find('"')?].to_string())
}

/// The formats a streamed scan is compared in, and the files they write.
const STREAMED: [(&str, &[&str]); 4] = [
    ("csv", &["findings.csv", "summary.csv"]),
    ("json", &["findings.json"]),
    ("html", &["report.html"]),
    (
        "html,csv,json",
        &[
            "report.html",
            "findings.csv",
            "summary.csv",
            "findings.json",
        ],
    ),
];

fn assert_streamed_as_whole(snapshot: &Path, extra: &[&str]) {
    for (format, files) in STREAMED {
        assert_streamed_in_batches_as_whole(snapshot, (format, files), extra, None)
    }
}

fn assert_streamed_in_batches_as_whole(
    snapshot: &Path,
    (format, files): (&str, &[&str]),
    extra: &[&str],
    batch: Option<usize>,
) {
    let dir = tempfile::tempdir().unwrap();
    let (streamed, whole) = (dir.path().join("streamed"), dir.path().join("whole"));
    let (code, printed, said) = scan_in_batches(snapshot, &streamed, format, extra, batch);
    assert!(
        said.contains(&format!(
            "evaluated a batch at a time for {}",
            files.join(", ")
        )),
        "not streamed: {said}"
    );
    // Markdown holds every finding and writes one small file (summary.md): the comparison
    // costs little disk.
    let held = format!("{format},markdown");
    let (whole_code, whole_printed, whole_said) = scan(snapshot, &whole, &held, extra);
    assert!(!whole_said.contains("a batch at a time"), "{whole_said}");
    assert_eq!(code, whole_code, "streamed:\n{said}\nwhole:\n{whole_said}");
    // The whole scan also lists summary.md among what it wrote.
    let whole_printed = whole_printed.replace("  [out]/summary.md\n", "");
    assert_eq!(printed, whole_printed);
    let mut files = files.to_vec();
    if streamed.join("shard.json").exists() {
        files.push("shard.json");
    }
    for file in files {
        let (a, b) = (
            without_run_id(&streamed, file),
            without_run_id(&whole, file),
        );
        assert!(a.lines().count() > 1, "{file} is empty");
        assert!(a == b, "{file} ({format}) differs when streamed");
    }
}

#[test]
fn an_html_csv_and_json_scan_of_the_sample_streams_the_bytes_of_a_whole_scan() {
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
    for batch in [1, 3] {
        for formats in STREAMED {
            assert_streamed_in_batches_as_whole(&sample, formats, &extra, Some(batch));
        }
    }
}

#[test]
fn a_bucket_two_account_regions_list_is_told_once_when_streamed() {
    // An S3 bucket's ARN names no account-region, so another may list it too. report.html
    // and findings.json tell a resource's story from the first account-region listing it (as
    // `explain` does), though the two are read in different batches.
    let (_dir, snap) = crate::util::sample_copy();
    let read = |p: &Path| -> serde_json::Value {
        serde_json::from_slice(&std::fs::read(p).unwrap()).unwrap()
    };
    let items = read(&snap.join("111111111111/us-east-1/resources.json"));
    let bucket = (items.as_array().unwrap().iter())
        .find(|i| i["arn"] == "arn:aws:s3:::acme-tmp-scratch")
        .unwrap();
    let mut copy = bucket.clone();
    copy["accountId"] = "222222222222".into();
    let later = snap.join("222222222222/us-east-1/resources.json");
    let mut items = read(&later);
    items.as_array_mut().unwrap().push(copy);
    std::fs::write(&later, serde_json::to_vec_pretty(&items).unwrap()).unwrap();
    assert_streamed_in_batches_as_whole(&snap, STREAMED[2], &[], Some(1));
}

#[test]
fn an_html_csv_and_json_scan_of_a_synthetic_organisation_streams_the_bytes_of_a_whole_scan() {
    // 70 account-regions: two batches of at most 64 (one worker), then ten of 7.
    let dir = tempfile::tempdir().unwrap();
    let snap = crate::util::synth(dir.path(), 7_000);
    let extra = ["--fail-on", "medium"];
    assert_streamed_in_batches_as_whole(&snap, STREAMED[0], &extra, None);
    assert_streamed_in_batches_as_whole(&snap, STREAMED[3], &extra, Some(7));
}

#[test]
fn a_streamed_scan_of_an_unreadable_snapshot_writes_nothing() {
    // Recovery points are read before the stream starts (their copies are looked up across
    // account-regions); resources.json only when its batch comes, after the first batches
    // were written to the temporary findings.csv.
    let cases = [
        ("recovery-points.json", "csv", "findings.csv"),
        ("resources.json", "csv", "findings.csv"),
        ("resources.json", "json", "findings.json"),
        ("resources.json", "html", "report.html"),
    ];
    for (file, format, report) in cases {
        let (dir, snap) = crate::util::sample_copy();
        let out = dir.path().join("out");
        let (code, _, said) = scan(&snap, &out, format, &[]);
        assert_eq!(code, Some(0), "{said}");
        let before = std::fs::read(out.join(report)).unwrap();
        // The last account-region's file, cut in the middle of a record.
        let mut files: Vec<_> = walk(&snap, file);
        files.sort();
        let last = files.last().unwrap();
        let text = std::fs::read_to_string(last).unwrap();
        std::fs::write(last, &text[..text.len() / 2]).unwrap();
        let (code, _, said) = scan_in_batches(&snap, &out, format, &[], Some(1));
        assert_eq!(code, Some(2), "{file}: {said}");
        assert!(said.contains(&last.display().to_string()), "{said}");
        assert!(!said.contains("a batch at a time"), "{said}");
        assert_eq!(std::fs::read(out.join(report)).unwrap(), before);
        let left: Vec<_> = std::fs::read_dir(&out).unwrap().flatten().collect();
        let files = if format == "csv" { 3 } else { 2 };
        assert_eq!(left.len(), files, "only the earlier run's files: {left:?}");
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
