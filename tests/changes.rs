//! What changed since the last scan, as users see it: the sample organisation scanned, then
//! scanned again a week later (`samples/org-later`) with `--baseline` naming the first scan's
//! output directory.

use crate::util::*;
use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

type Key = (String, String, String, String);
type Rows = Vec<BTreeMap<String, String>>;

fn scan(snapshot: &Path, out: &Path, extra: &[&str]) -> std::process::Output {
    scan_rules(snapshot, out, Path::new("rules"), extra)
}

fn scan_rules(snapshot: &Path, out: &Path, rules: &Path, extra: &[&str]) -> std::process::Output {
    let mut args = vec![
        "scan",
        snapshot.to_str().unwrap(),
        "--rules",
        rules.to_str().unwrap(),
        "--waivers",
        "samples/waivers.yaml",
        "--format",
        "csv,json,markdown",
        "--out",
        out.to_str().unwrap(),
    ];
    args.extend_from_slice(extra);
    run(&args, &root())
}

/// The first scan (`samples/org`) and the second (`second`) against it, with `extra`.
fn week(
    second: &str,
    extra: &[&str],
) -> (tempfile::TempDir, tempfile::TempDir, std::process::Output) {
    let (first, later) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let o = scan(Path::new("samples/org"), first.path(), &[]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let mut args = vec!["--baseline", first.path().to_str().unwrap()];
    args.extend_from_slice(extra);
    let o = scan(Path::new(second), later.path(), &args);
    (first, later, o)
}

fn key(r: &BTreeMap<String, String>) -> Key {
    let f = |c: &str| r[c].clone();
    (
        f("rule_id"),
        f("account_id"),
        f("region"),
        f("resource_arn"),
    )
}

/// The account-regions a snapshot's manifest says were read completely.
fn complete(snapshot: &str) -> BTreeSet<(String, String)> {
    let m: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(root().join(snapshot).join("manifest.json")).unwrap(),
    )
    .unwrap();
    m["scopes"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|s| s["status"] == "complete")
        .map(|s| {
            (
                s["account_id"].as_str().unwrap().into(),
                s["region"].as_str().unwrap().into(),
            )
        })
        .collect()
}

/// The change a finding should have, worked out from the two CSVs on their own terms.
fn expected(was: Option<&str>, now: &str, check: &str, read_before: bool) -> &'static str {
    let failing = |s: &str| s == "FAIL" || s == "WAIVED";
    let assessed = |s: &str| s != "NOT_ASSESSED";
    match was {
        None if !assessed(now) || !read_before => "unknown",
        None if failing(now) => "new",
        None => "unchanged",
        Some(w) if !assessed(now) && assessed(w) => "unassessed-now",
        Some(_) if !assessed(now) => "unchanged",
        Some(w) if !assessed(w) => "assessed-again",
        Some(w) if failing(w) && failing(now) => "still-failing",
        Some(w) if failing(w) => "resolved",
        Some(w) if failing(now) && w == "PASS" && check == "protected" => "regressed",
        Some(_) if failing(now) => "new",
        Some(_) => "unchanged",
    }
}

#[test]
fn the_diff_names_exactly_the_findings_that_changed() {
    let (first, later, o) = week("samples/org-later", &[]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let before: Rows = csv_rows(&first.path().join("findings.csv"));
    let after: Rows = csv_rows(&later.path().join("findings.csv"));
    assert!(
        !before[0].contains_key("change"),
        "no baseline, no change column"
    );
    let was: BTreeMap<Key, &str> = before
        .iter()
        .map(|r| (key(r), r["status"].as_str()))
        .collect();
    let read_before = complete("samples/org");
    let read_now = complete("samples/org-later");
    let mut counts: BTreeMap<String, usize> = BTreeMap::new();
    for r in &after {
        let scope = (r["account_id"].clone(), r["region"].clone());
        let want = expected(
            was.get(&key(r)).copied(),
            &r["status"],
            &r["check"],
            read_before.contains(&scope),
        );
        assert_eq!(r["change"], want, "{:?}", key(r));
        *counts.entry(want.into()).or_default() += 1;
        let failing = r["status"] == "FAIL" || r["status"] == "WAIVED";
        assert_eq!(!r["failing_since"].is_empty(), failing, "{:?}", key(r));
    }
    // The failures of the first scan that are gone: resolved only where read completely now.
    let now: BTreeSet<Key> = after.iter().map(key).collect();
    let (mut resolved, mut unknown) = (BTreeSet::new(), BTreeSet::new());
    for r in before
        .iter()
        .filter(|r| r["status"] == "FAIL" || r["status"] == "WAIVED")
    {
        if !now.contains(&key(r)) {
            let read = read_now.contains(&(r["account_id"].clone(), r["region"].clone()));
            if read { &mut resolved } else { &mut unknown }.insert(key(r));
        }
    }
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(later.path().join("findings.json")).unwrap())
            .unwrap();
    let d = &json["diff"];
    let listed = |list: &str, change: &str| -> BTreeSet<Key> {
        d[list]
            .as_array()
            .unwrap()
            .iter()
            .filter(|l| l["change"] == change && l["status"] == "")
            .map(|l| {
                let f = |c: &str| l[c].as_str().unwrap().to_owned();
                (
                    f("rule_id"),
                    f("account_id"),
                    f("region"),
                    f("resource_arn"),
                )
            })
            .collect()
    };
    assert_eq!(listed("resolved", "resolved"), resolved);
    assert_eq!(listed("unknown", "unknown"), unknown);
    for (change, n) in [("resolved", resolved.len()), ("unknown", unknown.len())] {
        *counts.entry(change.into()).or_default() += n;
    }
    let reported: BTreeMap<String, usize> = d["counts"]
        .as_object()
        .unwrap()
        .iter()
        .filter(|(_, n)| n.as_u64() != Some(0))
        .map(|(k, n)| (k.clone(), n.as_u64().unwrap() as usize))
        .collect();
    assert_eq!(reported, counts);

    // What the sample's README says happened.
    let change_of = |rule: &str, arn_part: &str| -> BTreeSet<String> {
        after
            .iter()
            .filter(|r| r["rule_id"] == rule && r["resource_arn"].contains(arn_part))
            .map(|r| r["change"].clone())
            .collect()
    };
    // The deleted selection `orders-app`: the orders resources are no longer protected.
    for arn in [
        "arn:aws:ec2:us-east-1:111111111111:instance/i-01a20000000000001",
        "arn:aws:ec2:us-east-1:111111111111:volume/vol-01a20000000000001",
    ] {
        assert_eq!(
            change_of("backup-protected", arn),
            BTreeSet::from(["regressed".into()]),
            "{arn}"
        );
    }
    // staging us-east-1 can no longer be read: unknown, never resolved nor new.
    let staging = |r: &BTreeMap<String, String>| {
        r["account_id"] == "222222222222" && r["region"] == "us-east-1"
    };
    // Its resources are unknown; the organisation's policy check, judged on the account-region
    // itself in both scans, could be assessed before and cannot be now.
    assert!(after.iter().filter(|r| staging(r)).all(|r| {
        r["change"] == "unknown"
            || (r["rule_id"] == "org-backup-policy-valid" && r["change"] == "unassessed-now")
    }));
    assert!(
        !unknown.is_empty()
            && unknown
                .iter()
                .all(|k| k.1 == "222222222222" && k.2 == "us-east-1")
    );
    assert!(resolved
        .iter()
        .all(|k| !(k.1 == "222222222222" && k.2 == "us-east-1")));
    // The catalog vault's compliance lock is in force now: its lock rule passes.
    let catalog: Vec<&BTreeMap<String, String>> = after
        .iter()
        .filter(|r| {
            r["rule_id"] == "backup-vault-lock"
                && r["resource_arn"] == "arn:aws:backup:us-east-1:111111111111:backup-vault:catalog"
        })
        .collect();
    assert!(
        !catalog.is_empty() && catalog.iter().all(|r| r["change"] == "resolved"),
        "{catalog:?}"
    );
    // A streak keeps the first scan's time; a new failure starts at this one's.
    let first_time = "2026-11-27T05:00:00Z";
    assert!(after
        .iter()
        .filter(|r| r["change"] == "still-failing")
        .all(|r| r["failing_since"] == first_time));
    assert!(after
        .iter()
        .filter(|r| r["change"] == "new")
        .all(|r| r["failing_since"] == "2026-12-04T05:00:00Z"));
}

/// A third scan against the second keeps the streaks the second wrote, and the trend grows.
#[test]
fn a_chain_of_baselines_keeps_streaks_and_the_trend() {
    let (_first, later, o) = week("samples/org-later", &[]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let third = tempfile::tempdir().unwrap();
    let o = scan(
        &root().join("samples/org-later"),
        third.path(),
        &["--baseline", later.path().to_str().unwrap()],
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let rows = csv_rows(&third.path().join("findings.csv"));
    let since: BTreeSet<&str> = rows
        .iter()
        .filter(|r| r["change"] == "still-failing")
        .map(|r| r["failing_since"].as_str())
        .collect();
    assert_eq!(
        since,
        BTreeSet::from(["2026-11-27T05:00:00Z", "2026-12-04T05:00:00Z"])
    );
    assert!(rows
        .iter()
        .all(|r| r["change"] != "new" && r["change"] != "regressed"));
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(third.path().join("findings.json")).unwrap())
            .unwrap();
    let earlier: Vec<&str> = json["earlier_scans"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["snapshot_collected_at"].as_str().unwrap())
        .collect();
    assert_eq!(earlier, ["2026-11-27T05:00:00Z", "2026-12-04T05:00:00Z"]);
}

#[test]
fn fail_on_new_fails_only_on_gaps_the_change_introduced() {
    let (_first, _later, o) = week("samples/org-later", &["--fail-on-new", "high"]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    let last = stdout(&o).trim_end().lines().last().unwrap().to_owned();
    assert!(
        last.starts_with("--fail-on-new high: 24 unwaived new failures at high or above ("),
        "{last}"
    );
    assert!(last.ends_with(" → exit 1"), "{last}");

    // The same snapshot again: nothing is new, but the sample could not be read everywhere.
    let (_first, _again, o) = week("samples/org", &["--fail-on-new", "high"]);
    assert_eq!(o.status.code(), Some(3), "{}", stdout(&o));
    assert!(stdout(&o).contains("--fail-on-new high: no unwaived new failures at high or above, but 95 findings could not be assessed"), "{}", stdout(&o));
}

/// Everything readable, scanned twice: nothing is new, the gate passes.
#[test]
fn fail_on_new_passes_a_second_scan_of_the_same_readable_snapshot() {
    let (dir, snap) = sample_copy();
    let manifest = snap.join("manifest.json");
    let mut m: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&manifest).unwrap()).unwrap();
    m["scopes"]
        .as_array_mut()
        .unwrap()
        .retain(|s| s["status"] == "complete");
    std::fs::write(&manifest, m.to_string()).unwrap();
    for gone in ["222222222222", "444444444444"] {
        let _ = std::fs::remove_dir_all(snap.join(gone));
    }
    // The sample records no job window, so backup-jobs-succeeded leaves a protected resource
    // without jobs NOT_ASSESSED (tests/cases/scenarios-jobs.yaml): this test is about the
    // gate, so it judges every other rule.
    let rules = dir.path().join("rules");
    copy_dir(&root().join("rules"), &rules);
    std::fs::remove_file(rules.join("default/jobs.yaml")).unwrap();
    // Likewise restore-tested: the retained scope whose directory is removed has no restore
    // testing files, so the example rule is NOT_ASSESSED there.
    std::fs::remove_file(rules.join("examples/restore-testing.yaml")).unwrap();
    // And recovery-point-clean: the sample holds a point whose malware scan failed, which is
    // NOT_ASSESSED by design.
    std::fs::remove_file(rules.join("examples/clean-backups.yaml")).unwrap();
    let scan = |snap: &Path, out: &Path, extra: &[&str]| scan_rules(snap, out, &rules, extra);
    let (first, second) = (dir.path().join("first"), dir.path().join("second"));
    assert_eq!(scan(&snap, &first, &[]).status.code(), Some(0));
    let o = scan(
        &snap,
        &second,
        &[
            "--baseline",
            first.to_str().unwrap(),
            "--fail-on-new",
            "high",
        ],
    );
    assert_eq!(o.status.code(), Some(0), "{}{}", stdout(&o), stderr(&o));
    assert!(
        stdout(&o).contains(
            "--fail-on-new high: no unwaived new failures at high or above, everything assessed ("
        ),
        "{}",
        stdout(&o)
    );
    // Without a baseline it says so and counts every failure.
    let o = scan(&snap, &dir.path().join("third"), &["--fail-on-new", "high"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stdout(&o).contains("--fail-on-new high: no baseline to compare with (no --baseline given), so every failure counts, as with --fail-on: "), "{}", stdout(&o));
}

#[test]
fn a_baseline_that_is_not_an_earlier_scan_is_refused_before_anything_is_written() {
    let out = tempfile::tempdir().unwrap();
    let o = scan(
        &root().join("samples/org"),
        out.path(),
        &["--baseline", "samples/org"],
    );
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("--baseline samples/org: no findings.json there"),
        "{}",
        stderr(&o)
    );
    let o = scan(
        &root().join("samples/org"),
        out.path(),
        &["--baseline", "20261206T095000Z-1a2b3c4d"],
    );
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("needs --history"), "{}", stderr(&o));
    assert!(std::fs::read_dir(out.path()).unwrap().next().is_none());
}

/// The "since the last scan" sections of the terminal and of summary.md.
#[test]
fn since_the_last_scan_goldens() {
    let (first, later, o) = week("samples/org-later", &["--fail-on-new", "high"]);
    let first_id = json_scan_id(first.path());
    let text = stdout(&o);
    let section = &text[text.find("Since the last scan").unwrap()..];
    insta::assert_snapshot!("since_terminal", section.replace(&first_id, "[baseline]"));
    let md = read_redacted(later.path(), "summary.md");
    let section = &md[md.find("### Since the last scan").unwrap()..];
    let end = section[4..].find("\n### ").map_or(section.len(), |i| i + 4);
    insta::assert_snapshot!(
        "since_markdown",
        section[..end].replace(&first_id, "[baseline]")
    );
}

fn json_scan_id(out: &Path) -> String {
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("findings.json")).unwrap()).unwrap();
    json["scan"]["scan_id"].as_str().unwrap().to_owned()
}

/// A policy that changed between two scans of one snapshot: the diff names the rule, and the
/// only changes are that rule's.
#[test]
fn a_changed_rule_is_named_and_its_findings_are_the_only_changes() {
    let dir = tempfile::tempdir().unwrap();
    let (before, after) = (dir.path().join("before"), dir.path().join("after"));
    for d in [&before, &after] {
        copy_dir(&root().join("rules/default"), d);
    }
    // The second policy asks for 400 days where the first asked for 35.
    let file = after.join("protection.yaml");
    let text = std::fs::read_to_string(&file).unwrap();
    let stricter = text.replacen("min_retention_days: 35", "min_retention_days: 400", 1);
    assert_ne!(stricter, text);
    std::fs::write(&file, stricter).unwrap();
    let (out1, out2) = (dir.path().join("out1"), dir.path().join("out2"));
    let scan = |rules: &Path, out: &Path, extra: &[&str]| {
        let args = ["scan", "samples/org", "--rules", rules.to_str().unwrap()];
        let out_args = ["--out", out.to_str().unwrap(), "--format", "json"];
        run(&[&args[..], &out_args, extra].concat(), &root())
    };
    assert_eq!(scan(&before, &out1, &[]).status.code(), Some(0));
    let o = scan(&after, &out2, &["--baseline", out1.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(
        stdout(&o).contains("Rules changed between the two scans (they explain changes no resource caused): changed backup-frequency-retention;"),
        "{}",
        stdout(&o)
    );
    let report: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out2.join("findings.json")).unwrap()).unwrap();
    let diff = &report["diff"];
    assert_eq!(
        diff["rules"]["changed"],
        serde_json::json!(["backup-frequency-retention"])
    );
    assert_eq!(diff["counts"]["resolved"], 0);
    let new = diff["new"].as_array().unwrap();
    assert!(!new.is_empty());
    assert!(new
        .iter()
        .all(|l| l["rule_id"] == "backup-frequency-retention"));
}
