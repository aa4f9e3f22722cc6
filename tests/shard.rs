//! Sharding (issue 10): `scan --shard I/N` of every shard, then `merge`, gives the findings.csv
//! and summary.csv of one scan of the whole organisation, byte for byte but the run id, and
//! its printed summary and `--fail-on` exit code; a merge
//! that cannot be whole is refused (exit 2) and leaves `--out` as it was; `collect --shard`
//! reads only its shard's accounts.

use crate::collect::{collect, read_json, run_with, scopes};
use crate::fake_aws::{FakeAws, Faults};
use crate::util::{mark_run_id, root, run, stderr, stdout};
use std::path::Path;

const CSVS: [&str; 2] = ["findings.csv", "summary.csv"];

/// `scan SNAPSHOT --format csv` (with `extra`) into `out`.
fn scan(snapshot: &Path, out: &Path, extra: &[&str]) {
    let mut args = vec!["scan", snapshot.to_str().unwrap(), "--rules", "rules"];
    args.extend(["--format", "csv", "-q", "--out", out.to_str().unwrap()]);
    args.extend(extra);
    let o = run(&args, &root());
    // 0, or 3 for a shard whose accounts include one that could not be read.
    assert!(
        matches!(o.status.code(), Some(0 | 3)),
        "{args:?}: {}",
        stderr(&o)
    );
}

/// The CSV at `out/file`, its run id (the last cell of every row) replaced.
fn without_run_id(out: &Path, file: &str) -> String {
    let id = mark_run_id(out);
    let text = std::fs::read_to_string(out.join(file)).unwrap();
    assert!(text.lines().count() > 1, "{file} has no rows");
    text.replace(&format!(",{id}\n"), ",[run_id]\n")
}

/// Scans `snapshot` whole and in `n` shards, merges the shards, and compares the CSVs, the
/// printed summary and the exit code of `--fail-on fail_on`.
fn assert_merge_is_whole(snapshot: &Path, n: u32, extra: &[&str], fail_on: &str) {
    let dir = tempfile::tempdir().unwrap();
    let whole = dir.path().join("whole");
    let mut args = vec!["scan", snapshot.to_str().unwrap(), "--rules", "rules"];
    args.extend(["--format", "csv", "--out", whole.to_str().unwrap()]);
    args.extend(["--fail-on", fail_on]);
    args.extend(extra);
    let one = run(&args, &root());
    assert!(whole.join("findings.csv").exists(), "{}", stderr(&one));
    let mut shards = Vec::new();
    for i in 1..=n {
        let out = dir.path().join(format!("shard-{i}"));
        let mut args = extra.to_vec();
        let shard = format!("{i}/{n}");
        args.extend(["--shard", &shard]);
        scan(snapshot, &out, &args);
        shards.push(out.to_str().unwrap().to_owned());
    }
    let merged = dir.path().join("merged");
    let mut args = vec!["merge", "--out", merged.to_str().unwrap()];
    args.extend(["--fail-on", fail_on]);
    args.extend(shards.iter().rev().map(String::as_str)); // any order
    let o = run(&args, &root());
    assert_eq!(o.status.code(), one.status.code(), "{}", stderr(&o));
    let printed = stdout(&o).replace(merged.to_str().unwrap(), "[out]");
    let (first, summary) = printed.split_once('\n').unwrap();
    assert!(first.starts_with(&format!("merged {n} shards")), "{first}");
    let whole_summary = stdout(&one).replace(whole.to_str().unwrap(), "[out]");
    assert_eq!(summary, whole_summary, "the summary of {n} shards merged");
    for file in CSVS {
        assert_eq!(
            without_run_id(&merged, file),
            without_run_id(&whole, file),
            "{file} of {n} shards merged"
        );
    }
}

#[test]
fn merged_shards_of_the_sample_are_one_scan_of_it() {
    let sample = root().join("samples/org");
    for n in [1, 2, 4] {
        assert_merge_is_whole(&sample, n, &["--waivers", "samples/waivers.yaml"], "high");
    }
}

#[test]
fn merged_shards_of_a_synthetic_organisation_are_one_scan_of_it() {
    // Many accounts, cross-account copies to a central vault, failed scopes, cluster members.
    let dir = tempfile::tempdir().unwrap();
    let snap = crate::util::synth(dir.path(), 3_000);
    assert_merge_is_whole(&snap, 3, &[], "critical");
}

/// Two shards of the sample, scanned into `dir/shard-1` and `dir/shard-2`.
fn two_shards(dir: &Path) -> [String; 2] {
    let sample = root().join("samples/org");
    [1, 2].map(|i| {
        let out = dir.join(format!("shard-{i}"));
        scan(&sample, &out, &["--shard", &format!("{i}/2")]);
        out.to_str().unwrap().to_owned()
    })
}

/// `merge` of `shards` into `out`, which must fail with exit 2 saying `says`, and leave `out`
/// as it was.
fn refused(shards: &[&str], out: &Path, says: &str) {
    let before = std::fs::read(out.join("findings.csv")).ok();
    let mut args = vec!["merge", "--out", out.to_str().unwrap()];
    args.extend(shards);
    let o = run(&args, &root());
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(
        stderr(&o).contains(says),
        "wanted {says:?} in: {}",
        stderr(&o)
    );
    assert_eq!(std::fs::read(out.join("findings.csv")).ok(), before);
}

#[test]
fn a_merge_that_cannot_be_whole_is_refused_and_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let [one, two] = two_shards(dir.path());
    let out = dir.path().join("merged");
    let o = run(
        &["merge", "--out", out.to_str().unwrap(), &one, &two],
        &root(),
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));

    refused(&[&one], &out, "shard(s) 2/2 missing");
    refused(&[&one, &one, &two], &out, "shard 1/2 is given twice");
    let plain = dir.path().join("plain");
    scan(&root().join("samples/org"), &plain, &[]);
    refused(&[&one, plain.to_str().unwrap()], &out, "no shard.json in");
    refused(&[&one, &two], Path::new(&one), "is also --out");

    // A file changed after its scan: one row less than shard.json says.
    let csv = Path::new(&two).join("findings.csv");
    let text = std::fs::read_to_string(&csv).unwrap();
    let cut = text.trim_end().rfind('\n').unwrap();
    std::fs::write(&csv, &text[..=cut]).unwrap();
    refused(&[&one, &two], &out, "changed since the scan");

    // Judged with other rules.
    let other = dir.path().join("other");
    let sample = root().join("samples/org");
    let o = run(
        &[
            "scan",
            sample.to_str().unwrap(),
            "--rules",
            "rules/default",
            "--shard",
            "2/2",
            "--format",
            "csv",
            "-q",
            "--out",
            other.to_str().unwrap(),
        ],
        &root(),
    );
    assert!(matches!(o.status.code(), Some(0 | 3)), "{}", stderr(&o));
    refused(
        &[&one, other.to_str().unwrap()],
        &out,
        "judged with rules other than",
    );
}

#[test]
fn a_shard_is_written_as_i_of_n() {
    for bad in ["0/2", "3/2", "2", "1/0"] {
        let o = run(
            &[
                "scan",
                "samples/org",
                "--shard",
                bad,
                "--out",
                &crate::util::never(),
            ],
            &root(),
        );
        assert_eq!(o.status.code(), Some(2), "{bad}");
        assert!(stderr(&o).contains("--shard"), "{}", stderr(&o));
    }
    let dir = tempfile::tempdir().unwrap();
    let [one, _] = two_shards(dir.path());
    let file = read_json(&Path::new(&one).join("shard.json"));
    assert_eq!(file["shard"], "1/2");
    assert_eq!(
        file["accounts"],
        serde_json::json!(["111111111111", "333333333333", "999999999999"])
    );
}

#[test]
fn collect_reads_only_its_shards_accounts_and_the_snapshot_says_so() {
    let fake = FakeAws::start(&root().join("samples/org"), Faults::default());
    let dir = tempfile::tempdir().unwrap();
    let snap = dir.path().join("snap");
    let o = collect(&fake, &snap, &["--shard", "2/2"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let accounts: std::collections::BTreeSet<String> =
        scopes(&snap).into_keys().map(|(a, _)| a).collect();
    assert_eq!(
        accounts.into_iter().collect::<Vec<_>>(),
        ["222222222222", "444444444444"]
    );
    assert_eq!(read_json(&snap.join("manifest.json"))["shard"], "2/2");
    // Judged as the shard it holds, or whole; another shard is refused.
    let o = run(
        &[
            "scan",
            snap.to_str().unwrap(),
            "--shard",
            "1/2",
            "--out",
            &crate::util::never(),
        ],
        &root(),
    );
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("holds the accounts of shard 2/2 only"),
        "{}",
        stderr(&o)
    );
    let out = dir.path().join("out");
    scan(&snap, &out, &["--shard", "2/2"]);
    assert_eq!(read_json(&out.join("shard.json"))["shard"], "2/2");
}

#[test]
fn a_live_scan_of_a_shard_collects_and_judges_only_its_accounts() {
    let fake = FakeAws::start(&root().join("samples/org"), Faults::default());
    let dir = tempfile::tempdir().unwrap();
    let (out, kept) = (dir.path().join("out"), dir.path().join("snap"));
    let o = run_with(
        &fake,
        &[
            "scan",
            "--live",
            "--shard",
            "1/2",
            "--accounts",
            "all",
            "--regions",
            "all",
            "--role-name",
            "BackupAuditor",
            "--max-attempts",
            "2",
            "--format",
            "csv",
            "-q",
            "--save-snapshot",
            kept.to_str().unwrap(),
            "--out",
            out.to_str().unwrap(),
        ],
    );
    assert!(matches!(o.status.code(), Some(0 | 3)), "{}", stderr(&o));
    assert_eq!(read_json(&kept.join("manifest.json"))["shard"], "1/2");
    let file = read_json(&out.join("shard.json"));
    assert_eq!(
        file["accounts"],
        serde_json::json!(["111111111111", "333333333333", "999999999999"])
    );
    let accounts: std::collections::BTreeSet<String> =
        crate::util::csv_rows(&out.join("findings.csv"))
            .into_iter()
            .map(|r| r["account_id"].clone())
            .collect();
    assert_eq!(accounts.len(), 3, "{accounts:?}");
}

#[test]
fn shards_share_a_history_each_compared_with_its_own_last_scan() {
    let dir = tempfile::tempdir().unwrap();
    let history = dir.path().join("history");
    let h = history.to_str().unwrap();
    for _ in 0..2 {
        for i in [1, 2] {
            let out = dir.path().join(format!("shard-{i}"));
            scan(
                &root().join("samples/org"),
                &out,
                &["--shard", &format!("{i}/2"), "--history", h],
            );
        }
    }
    let o = run(&["history", h], &root());
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let text = stdout(&o);
    assert_eq!(text.matches(", shard 1/2)").count(), 2, "{text}");
    assert_eq!(text.matches(", shard 2/2)").count(), 2, "{text}");
    // The second scan of a shard is compared with the first of the same shard: nothing new.
    let rows = crate::util::csv_rows(&dir.path().join("shard-2/findings.csv"));
    assert!(!rows.is_empty());
    assert!(
        rows.iter()
            .all(|r| r["change"] != "new" && r["change"] != "unknown"),
        "{:?}",
        rows.iter()
            .map(|r| &r["change"])
            .collect::<std::collections::BTreeSet<_>>()
    );
}

#[test]
fn a_copy_as_new_as_its_source_in_another_shard_is_named_as_a_whole_scan_names_it() {
    // Copies keep their source's CreationDate: a tie a whole scan breaks by account-region
    // order. Here the copies are in 111111111111 (shard 1 of 2), the sources in 222222222222
    // (shard 2 of 2), which sorts after it.
    let (dir, snap) = crate::util::sample_copy();
    let path = |a: &str| snap.join(a).join("us-east-1/recovery-points.json");
    let sources = read_json(&path("222222222222"));
    let mut into = read_json(&path("111111111111"));
    let copies = into.as_array_mut().unwrap();
    for p in sources.as_array().unwrap() {
        if !p["ResourceArn"]
            .as_str()
            .unwrap()
            .contains(":222222222222:")
        {
            continue;
        }
        let mut copy = p.clone();
        let id = p["RecoveryPointArn"]
            .as_str()
            .unwrap()
            .replace("222222222222", "111111111111");
        copy["RecoveryPointArn"] = id.replace("recovery-point:", "recovery-point:copy-").into();
        copy["BackupVaultName"] = "payments".into();
        copy["BackupVaultArn"] =
            "arn:aws:backup:us-east-1:111111111111:backup-vault:payments".into();
        copies.push(copy);
    }
    std::fs::write(
        path("111111111111"),
        serde_json::to_vec_pretty(&into).unwrap(),
    )
    .unwrap();
    assert_merge_is_whole(&snap, 2, &[], "medium");
    drop(dir);
}

#[test]
fn shards_judged_otherwise_are_not_joined() {
    let dir = tempfile::tempdir().unwrap();
    let sample = root().join("samples/org");
    let one = dir.path().join("one");
    scan(&sample, &one, &["--shard", "1/2"]);
    let out = dir.path().join("merged");
    for (name, extra, says) in [
        (
            "later",
            vec!["--as-of", "2026-11-28T00:00:00Z"],
            "judged alike",
        ),
        (
            "waived",
            vec!["--waivers", "samples/waivers.yaml"],
            "waivers other than",
        ),
    ] {
        let two = dir.path().join(name);
        let mut args = extra;
        args.extend(["--shard", "2/2"]);
        scan(&sample, &two, &args);
        refused(&[one.to_str().unwrap(), two.to_str().unwrap()], &out, says);
    }
}
