//! The history of scheduled scans, as a user runs it: two scans of the sample a week apart
//! into one history, listed by `history`; `--format parquet` holds findings.csv's rows; and
//! DuckDB reads the history's findings as one Hive-partitioned table.
//!
//! The DuckDB test needs `python3` with the `duckdb` package (`.ci/run` installs it; locally
//! `pip install duckdb`). Without it the test says so and passes, except under CI (`CI` set),
//! where it fails.

use crate::util::{csv_rows, root, run, stderr, stdout};
use serde_json::Value;
use std::path::Path;
use std::process::Command;

fn scan(snapshot: &str, out: &Path, history: &Path, extra: &[&str]) -> String {
    let mut args = vec![
        "scan",
        snapshot,
        "--out",
        out.to_str().unwrap(),
        "--format",
        "json",
        "--history",
        history.to_str().unwrap(),
    ];
    args.extend(extra);
    let o = run(&args, &root());
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    stdout(&o)
}

fn json(path: &Path) -> Value {
    serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap()
}

fn history_json(history: &Path) -> Vec<Value> {
    let o = run(
        &["history", history.to_str().unwrap(), "--format", "json"],
        &root(),
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    serde_json::from_str::<Value>(&stdout(&o))
        .unwrap()
        .as_array()
        .unwrap()
        .clone()
}

/// Two scans of the sample, a week apart in what they saw, recorded in one history.
fn two_scans(dir: &Path) -> (std::path::PathBuf, [Value; 2]) {
    let history = dir.join("history");
    let (a, b) = (dir.join("a"), dir.join("b"));
    let said = scan("samples/org", &a, &history, &[]);
    assert!(said.contains("Recorded scan "), "{said}");
    // Scan ids sort by the second a scan ran in.
    std::thread::sleep(std::time::Duration::from_millis(1100));
    scan("samples/org-later", &b, &history, &[]);
    let reports = [a, b].map(|d| json(&d.join("findings.json")));
    (history, reports)
}

#[test]
fn two_scans_into_one_history_are_listed_with_their_coverage() {
    let dir = tempfile::tempdir().unwrap();
    let (history, reports) = two_scans(dir.path());
    let scans = history_json(&history);
    assert_eq!(scans.len(), 2);
    for (scan, (report, snapshot)) in scans
        .iter()
        .zip(reports.iter().zip(["samples/org", "samples/org-later"]))
    {
        let summary = &report["summary"];
        assert_eq!(scan["snapshot"], snapshot);
        assert_eq!(scan["run_id"], report["run_id"]);
        assert_eq!(scan["snapshot_collected_at"], report["collected_at"]);
        assert_eq!(scan["coverage"]["percent"], summary["coverage"]["percent"]);
        assert_eq!(
            scan["coverage"]["protected"],
            summary["coverage"]["protected"]
        );
        assert_eq!(scan["findings_rows"], summary["findings"]);
        assert_eq!(scan["scopes"].as_array().unwrap().len(), 8);
        let failures = summary["failures_by_severity"].as_object().unwrap();
        assert_eq!(scan["failures_by_severity"].as_object().unwrap(), failures);
        let part = history.join(scan["findings_path"].as_str().unwrap());
        assert!(part.is_file(), "{}", part.display());
    }
    // The two snapshots differ, and the records say so.
    assert_ne!(scans[0]["coverage"], scans[1]["coverage"]);
    assert!(scans[0]["scan_id"].as_str() < scans[1]["scan_id"].as_str());
    assert_eq!(scans[0]["rules_digest"], scans[1]["rules_digest"]);

    let o = run(&["history", history.to_str().unwrap()], &root());
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let text = stdout(&o);
    assert!(text.starts_with(&format!("2 scans in {}, oldest first:", history.display())));
    for (scan, report) in scans.iter().zip(&reports) {
        let id = scan["scan_id"].as_str().unwrap();
        let pct = &report["summary"]["coverage"]["percent"];
        let listed = text.lines().skip_while(|l| !l.contains(id)).nth(1).unwrap();
        assert_eq!(
            listed.split_whitespace().take(2).collect::<Vec<_>>(),
            ["coverage", &format!("{pct}%")],
            "{text}"
        );
    }
    assert!(
        text.contains("NOT ASSESSED 2 (never read them as compliant)"),
        "{text}"
    );
    assert!(
        text.contains("NOT ASSESSED 3 (never read them as compliant)"),
        "{text}"
    );
}

#[test]
fn keep_scans_prunes_all_but_the_newest_and_a_broken_record_is_an_input_error() {
    let dir = tempfile::tempdir().unwrap();
    let (history, _) = two_scans(dir.path());
    std::thread::sleep(std::time::Duration::from_millis(1100));
    let said = scan(
        "samples/org-later",
        &dir.path().join("c"),
        &history,
        &["--keep-scans", "1"],
    );
    assert!(said.contains("removed 2 older scans"), "{said}");
    let scans = history_json(&history);
    assert_eq!(scans.len(), 1);
    let parts: Vec<_> = std::fs::read_dir(history.join("findings"))
        .unwrap()
        .flat_map(|d| std::fs::read_dir(d.unwrap().path()).unwrap())
        .collect();
    assert_eq!(parts.len(), 1, "the pruned scans' parts are gone");

    let record = history.join(format!(
        "scans/{}.json",
        scans[0]["scan_id"].as_str().unwrap()
    ));
    std::fs::write(&record, "{\n  \"format\": 1,\n").unwrap();
    let o = run(&["history", history.to_str().unwrap()], &root());
    assert_eq!(o.status.code(), Some(2));
    let err = stderr(&o);
    assert!(err.contains(&format!("{}:2:", record.display())), "{err}");
}

#[test]
fn findings_parquet_holds_the_rows_of_findings_csv() {
    let out = tempfile::tempdir().unwrap();
    let o = run(
        &[
            "scan",
            "samples/org",
            "--waivers",
            "samples/waivers.yaml",
            "--out",
            out.path().to_str().unwrap(),
            "--format",
            "csv,parquet",
        ],
        &root(),
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let (csv, parquet) = (
        out.path().join("findings.csv"),
        out.path().join("findings.parquet"),
    );
    assert_parquet_holds_csv(&parquet, &csv, false);
}

#[test]
fn a_part_written_with_findings_csv_holds_its_rows_and_changes() {
    let dir = tempfile::tempdir().unwrap();
    let history = dir.path().join("history");
    let (a, b) = (dir.path().join("a"), dir.path().join("b"));
    // With findings.csv asked for, the part is made in findings.csv's own pass.
    scan("samples/org", &a, &history, &["--format", "csv"]);
    std::thread::sleep(std::time::Duration::from_millis(1100));
    scan("samples/org-later", &b, &history, &["--format", "csv"]);
    let scans = history_json(&history);
    let part = history.join(scans[1]["findings_path"].as_str().unwrap());
    assert_parquet_holds_csv(&part, &b.join("findings.csv"), true);
}

/// The Parquet file holds findings.csv's rows in its order, cell for cell (and, for a
/// history's part, each finding's change); read by an engine users run, not by the code that
/// wrote it.
fn assert_parquet_holds_csv(parquet: &Path, csv: &Path, with_changes: bool) {
    let rows = csv_rows(csv);
    let query = format!("select * from read_parquet('{}')", parquet.display());
    let Some(table) = duckdb_table(&query) else {
        assert!(std::env::var_os("CI").is_none(), "duckdb is not installed");
        eprintln!("python3 with duckdb not found: skipping (pip install duckdb)");
        return;
    };
    let names: Vec<String> = serde_json::from_value(table["columns"].clone()).unwrap();
    let values: Vec<Vec<Option<String>>> = serde_json::from_value(table["rows"].clone()).unwrap();
    assert_eq!(values.len(), rows.len());
    let mut rdr = csv::Reader::from_path(csv).unwrap();
    let header: Vec<String> = rdr.headers().unwrap().iter().map(String::from).collect();
    if with_changes {
        assert!(header.iter().any(|h| h == "change"), "{header:?}");
        for h in &header {
            assert!(names.contains(h), "{h} is in the part");
        }
        assert!(
            rows.iter().any(|r| r["change"] == "new"),
            "the later snapshot has new gaps"
        );
        assert!(rows.iter().any(|r| !r["failing_since"].is_empty()));
    } else {
        assert_eq!(names, header, "the same columns, in the same order");
    }
    for (row, parquet) in rows.iter().zip(&values) {
        for (name, v) in names.iter().zip(parquet) {
            let Some(cell) = row.get(name.as_str()) else {
                continue; // the scan's own columns
            };
            let v = v.clone().unwrap_or_default();
            // findings.csv defuses what a spreadsheet would run as a formula; Parquet does not.
            let defused = match v.as_bytes().first() {
                Some(b'=' | b'+' | b'-' | b'@' | b'\t' | b'\r') => format!("'{v}"),
                _ => v,
            };
            assert_eq!(*cell, defused, "{name}");
        }
    }
}

/// Runs a DuckDB query in Python: its column names and rows (values as text or null), or
/// `None` without DuckDB.
fn duckdb_table(query: &str) -> Option<Value> {
    let script = "import duckdb, json, sys\n\
                  r = duckdb.sql(sys.argv[1])\n\
                  rows = [[None if v is None else str(v) for v in row] for row in r.fetchall()]\n\
                  print(json.dumps({'columns': r.columns, 'rows': rows}))";
    python_duckdb(script, query)
}

/// Runs a DuckDB query in Python and returns its rows as JSON, or `None` without DuckDB.
fn duckdb(query: &str) -> Option<Value> {
    let script = "import duckdb, json, sys\n\
                  rows = duckdb.sql(sys.argv[1]).fetchall()\n\
                  print(json.dumps([[str(v) for v in r] for r in rows]))";
    python_duckdb(script, query)
}

fn python_duckdb(script: &str, query: &str) -> Option<Value> {
    let o = Command::new("python3")
        .args(["-c", script, query])
        .output()
        .ok()?;
    let err = String::from_utf8_lossy(&o.stderr);
    if !o.status.success() && err.contains("No module named 'duckdb'") {
        return None;
    }
    assert!(o.status.success(), "{err}");
    Some(serde_json::from_slice(&o.stdout).unwrap())
}

#[test]
fn duckdb_reads_the_history_as_one_table_partitioned_by_scan_date() {
    if duckdb("select 1").is_none() {
        assert!(std::env::var_os("CI").is_none(), "duckdb is not installed");
        eprintln!("python3 with duckdb not found: skipping (pip install duckdb)");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let (history, _) = two_scans(dir.path());
    let table = format!(
        "read_parquet('{}/findings/*/*.parquet', hive_partitioning = true)",
        history.display()
    );
    let got = duckdb(&format!(
        "select scan_date, scan_id, count(*), count(distinct run_id), count(change) \
         from {table} group by all order by scan_id"
    ))
    .unwrap();
    // The first scan has no baseline; every finding of the second has a change since it.
    let want: Vec<Value> = history_json(&history)
        .iter()
        .enumerate()
        .map(|(i, s)| {
            let date = &s["scan_time"].as_str().unwrap()[..10];
            let rows = s["findings_rows"].to_string();
            let changes = if i == 0 { "0".to_owned() } else { rows.clone() };
            serde_json::json!([date, s["scan_id"], rows, "1", changes])
        })
        .collect();
    assert_eq!(got, Value::Array(want));
    // The partition column filters like any other.
    let date = &got[0][0];
    let filtered = duckdb(&format!(
        "select count(*) from {table} where scan_date = '{}' and status = 'FAIL'",
        date.as_str().unwrap()
    ))
    .unwrap();
    assert!(filtered[0][0].as_str().unwrap().parse::<u64>().unwrap() > 0);
}

#[test]
fn diff_compares_two_scans_of_the_history_as_the_second_scan_did() {
    let dir = tempfile::tempdir().unwrap();
    let (history, reports) = two_scans(dir.path());
    let h = history.to_str().unwrap();
    let ids: Vec<String> = history_json(&history)
        .iter()
        .map(|s| s["scan_id"].as_str().unwrap().to_owned())
        .collect();
    // The second scan compared itself with the first: `diff` of the last two says the same.
    let o = run(&["diff", h, "--format", "json"], &root());
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let from_history: Value = serde_json::from_str(&stdout(&o)).unwrap();
    let at_scan = &reports[1]["diff"];
    assert_eq!(from_history["counts"], at_scan["counts"], "{from_history}");
    assert_eq!(from_history["baseline"]["scan_id"], ids[0].as_str());
    assert_eq!(from_history["current"]["scan_id"], ids[1].as_str());
    assert!(from_history["counts"]["regressed"].as_u64().unwrap() > 0);
    // Named explicitly, as text and CSV.
    let o = run(&["diff", h, &ids[0], &ids[1]], &root());
    let text = stdout(&o);
    assert!(
        text.starts_with(&format!("Changes from scan {}", ids[0])),
        "{text}"
    );
    let o = run(&["diff", h, "--format", "csv"], &root());
    let csv_file = dir.path().join("changes.csv");
    std::fs::write(&csv_file, stdout(&o)).unwrap();
    let rows = crate::util::csv_rows(&csv_file);
    // One row per listed finding (the failures among the changes).
    let listed: usize = [
        "new",
        "resolved",
        "unknown",
        "unassessed_now",
        "assessed_again",
    ]
    .iter()
    .map(|k| from_history[*k].as_array().unwrap().len())
    .sum();
    assert_eq!(rows.len(), listed);
    assert!(rows.iter().any(|r| r["change"] == "regressed"));
    // Backwards works too, and a scan that is not there is a usage error naming the history.
    let o = run(&["diff", h, &ids[1], &ids[0], "--format", "json"], &root());
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let o = run(&["diff", h, "20000101T000000Z-00000000"], &root());
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("holds no scan"), "{}", stderr(&o));
}

#[test]
fn diff_of_a_history_with_one_scan_says_there_is_nothing_to_compare() {
    let dir = tempfile::tempdir().unwrap();
    let history = dir.path().join("history");
    scan("samples/org", &dir.path().join("a"), &history, &[]);
    let o = run(&["diff", history.to_str().unwrap()], &root());
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("nothing to compare"), "{}", stderr(&o));
}

/// The README's scheduled-scan example, as a new user runs it.
#[test]
fn the_readme_example_gates_only_on_what_is_new() {
    let dir = tempfile::tempdir().unwrap();
    let (history, week1, week2) = (
        dir.path().join("audit-history"),
        dir.path().join("week1"),
        dir.path().join("week2"),
    );
    let h = history.to_str().unwrap();
    let first = run(
        &[
            "scan",
            "samples/org",
            "--out",
            week1.to_str().unwrap(),
            "--history",
            h,
        ],
        &root(),
    );
    assert_eq!(first.status.code(), Some(0), "{}", stderr(&first));
    std::thread::sleep(std::time::Duration::from_millis(1100));
    let args = [
        "scan",
        "samples/org-later",
        "--out",
        week2.to_str().unwrap(),
    ];
    let second = run(
        &[
            &args[..],
            &["--history", h, "--fail-on-new", "high"],
            &["--format", "html,csv,json,markdown"],
        ]
        .concat(),
        &root(),
    );
    let text = stdout(&second);
    assert_eq!(second.status.code(), Some(1), "{text}");
    assert!(text.contains("Since the last scan"), "{text}");
    assert!(
        text.contains("--fail-on-new high: 19 unwaived new failures at high or above"),
        "{text}"
    );
    let md = std::fs::read_to_string(week2.join("summary.md")).unwrap();
    let html = std::fs::read_to_string(week2.join("report.html")).unwrap();
    assert!(html.contains("Since the last scan"), "report.html");
    assert!(!html.contains("PLACEHOLDER"));
    assert!(md.contains("### Since the last scan"), "{md}");
}

/// Runs the binary against moto's S3 (`AWS_ENDPOINT_URL`), with test credentials.
fn run_s3(url: &str, args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_backup-auditor"))
        .args(args)
        .current_dir(root())
        .envs(crate::moto::ENV)
        .env("AWS_ENDPOINT_URL", url)
        .output()
        .unwrap()
}

/// Every key in the bucket, sorted.
async fn keys(client: &aws_sdk_s3::Client, bucket: &str) -> Vec<String> {
    let page = client
        .list_objects_v2()
        .bucket(bucket)
        .send()
        .await
        .unwrap();
    let mut keys: Vec<String> = page
        .contents()
        .iter()
        .filter_map(|o| o.key().map(str::to_string))
        .collect();
    keys.sort();
    keys
}

#[test]
fn an_s3_history_works_against_moto() {
    let Some((_moto, url)) = crate::moto::moto_or_skip() else {
        return;
    };
    let rt = tokio::runtime::Runtime::new().unwrap();
    let client = rt.block_on(async {
        let conf = crate::moto::test_config(&url).await;
        let s3 = aws_sdk_s3::config::Builder::from(&conf)
            .force_path_style(true)
            .build();
        let client = aws_sdk_s3::Client::from_conf(s3);
        client.create_bucket().bucket("audit").send().await.unwrap();
        client
    });
    let dir = tempfile::tempdir().unwrap();
    let history = "s3://audit/backup-auditor/history";
    for (i, snapshot) in ["samples/org", "samples/org-later"].iter().enumerate() {
        if i > 0 {
            std::thread::sleep(std::time::Duration::from_millis(1100));
        }
        let out = dir.path().join(i.to_string());
        let args = [
            "scan",
            snapshot,
            "--out",
            out.to_str().unwrap(),
            "--history",
            history,
        ];
        let o = run_s3(&url, &args);
        assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    }
    let o = run_s3(&url, &["history", history, "--format", "json"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let scans: Vec<Value> = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(scans.len(), 2);
    let mut want: Vec<String> = scans
        .iter()
        .flat_map(|s| {
            let id = s["scan_id"].as_str().unwrap();
            let part = s["findings_path"].as_str().unwrap();
            [format!("scans/{id}.json"), part.to_string()]
        })
        .map(|k| format!("backup-auditor/history/{k}"))
        .collect();
    want.sort();
    assert_eq!(
        rt.block_on(keys(&client, "audit")),
        want,
        "no lock object is left"
    );

    // Pruning removes the older scan's record and part.
    let out = dir.path().join("2");
    let args = [
        "scan",
        "samples/org-later",
        "--out",
        out.to_str().unwrap(),
        "--history",
        history,
        "--keep-scans",
        "1",
    ];
    std::thread::sleep(std::time::Duration::from_millis(1100));
    let o = run_s3(&url, &args);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(
        stdout(&o).contains("removed 2 older scans"),
        "{}",
        stdout(&o)
    );
    assert_eq!(rt.block_on(keys(&client, "audit")).len(), 2);

    // A lock object (another run writing) refuses the append, naming it; nothing is added.
    let lock = "backup-auditor/history/.backup-auditor.lock";
    rt.block_on(
        client
            .put_object()
            .bucket("audit")
            .key(lock)
            .body(b"pid 1, run 0badf00d".to_vec().into())
            .send(),
    )
    .unwrap();
    let out = dir.path().join("3");
    let o = run_s3(
        &url,
        &[
            "scan",
            "samples/org",
            "--out",
            out.to_str().unwrap(),
            "--history",
            history,
        ],
    );
    assert_eq!(o.status.code(), Some(2));
    let err = stderr(&o);
    assert!(
        err.contains("being written by another backup-auditor run (pid 1, run 0badf00d"),
        "{err}"
    );
    assert!(err.contains(&format!("s3://audit/{lock}")), "{err}");
    assert_eq!(
        rt.block_on(keys(&client, "audit")).len(),
        3,
        "only the lock object added"
    );
}
