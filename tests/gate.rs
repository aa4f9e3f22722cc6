//! A gate that cannot be fooled: waivers must name what they accept, a waiver's reach can be
//! bounded, and an audit that judged nothing does not pass.

use crate::util::*;
use std::path::Path;

fn scan_with(snapshot: &Path, extra: &[&str], out: &Path) -> std::process::Output {
    let mut args = vec![
        "scan",
        snapshot.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
    ];
    args.extend_from_slice(extra);
    run(&args, &root())
}

fn last_line(o: &std::process::Output) -> String {
    stdout(o).trim_end().lines().last().unwrap_or("").to_owned()
}

/// Every way of writing "all resources" without writing `"*"` for both fields is refused at
/// its position, unless marked broad with a ticket.
#[test]
fn waivers_that_name_no_account_and_no_resource_are_refused_where_written() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("waivers.yaml");
    let entry = |rule: &str, resource: &str, extra: &str| {
        format!(
            "  - rule: \"{rule}\"\n    resource: \"{resource}\"\n    reason: ok\n    owner: me{extra}\n"
        )
    };
    let mut text = String::from("waivers:\n");
    for (rule, resource) in [
        ("backup-protected", "**"),
        ("backup-protected", "arn:*"),
        ("*", "arn:aws:*"),
        ("backup-*", "*"),
        ("backup-protected", "arn:aws:s3:::backup-*"),
        ("backup-protected", "arn:aws:ec2:*:*:instance/*"),
    ] {
        text.push_str(&entry(rule, resource, ""));
    }
    // Broad on purpose, but without a ticket.
    text.push_str(&entry("backup-protected", "arn:aws:*", "\n    broad: true"));
    std::fs::write(&path, &text).unwrap();
    let out = tempfile::tempdir().unwrap();
    let o = scan_with(
        &root().join("samples/org"),
        &["--waivers", path.to_str().unwrap()],
        out.path(),
    );
    assert_eq!(o.status.code(), Some(2), "{}", stdout(&o));
    let err = stderr(&o);
    let p = path.display();
    for (i, resource) in ["**", "arn:*", "arn:aws:*", "*", "arn:aws:s3:::backup-*"]
        .iter()
        .enumerate()
    {
        let line = 3 + 4 * i;
        assert!(
            err.contains(&format!(
                "{p}:{line}:15: resource \"{resource}\" fixes no account and no resource \
                 identifier"
            )),
            "{resource}: {err}"
        );
    }
    assert!(
        err.contains("add `broad: true` and cite a ticket reference: an id such as RISK-2291"),
        "{err}"
    );
    assert!(
        err.contains(&format!(
            "{p}:30:12: a waiver marked `broad: true` must cite in `reason` a ticket reference"
        )),
        "{err}"
    );
    assert!(err.contains("7 problems found"), "{err}");
    assert!(std::fs::read_dir(out.path()).unwrap().next().is_none());
}

#[test]
fn a_broad_waiver_with_a_ticket_is_accepted_and_counted() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("waivers.yaml");
    std::fs::write(
        &path,
        "waivers:\n  - rule: backup-vault-lock\n    resource: \"arn:aws:backup:*\"\n    \
         broad: true\n    reason: vault lock is rolled out in STORAGE-118\n    owner: me\n",
    )
    .unwrap();
    let out = tempfile::tempdir().unwrap();
    let o = scan_with(
        &root().join("samples/org"),
        &["--waivers", path.to_str().unwrap(), "--format", "csv"],
        out.path(),
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let waived = csv_rows(&out.path().join("findings.csv"))
        .iter()
        .filter(|r| r["status"] == "WAIVED")
        .count();
    assert!(waived > 1);
    assert!(
        stdout(&o).contains(&format!(
            "Findings waived, per waiver:\n  {waived}  backup-vault-lock arn:aws:backup:* ({}:2)\n",
            path.display()
        )),
        "{}",
        stdout(&o)
    );
}

/// The per-waiver counts are in the terminal summary and in findings.json, and agree.
#[test]
fn each_waiver_reports_how_many_findings_it_waived() {
    let (out, text) = sample_scan();
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.path().join("findings.json")).unwrap())
            .unwrap();
    let active = json["summary"]["waivers_active"].as_array().unwrap();
    assert_eq!(active.len(), 3);
    let total: u64 = active.iter().map(|w| w["hits"].as_u64().unwrap()).sum();
    assert_eq!(
        total,
        json["summary"]["by_status"]["WAIVED"].as_u64().unwrap()
    );
    for w in active {
        let line = format!(
            "  {}  {} {} ({})",
            w["hits"],
            w["rule"].as_str().unwrap(),
            w["resource"].as_str().unwrap(),
            w["source"].as_str().unwrap()
        );
        assert!(text.contains(&line), "{line} not in:\n{text}");
    }
}

#[test]
fn max_waiver_matches_refuses_a_waiver_over_the_limit_and_writes_nothing() {
    let text = std::fs::read_to_string(root().join("samples/waivers.yaml")).unwrap();
    // The staging waiver is the only one that waives more than one finding.
    let line = text
        .lines()
        .position(|l| l.contains("rule: backup-frequency-retention"))
        .unwrap()
        + 1;
    let out = tempfile::tempdir().unwrap();
    let args = ["--waivers", "samples/waivers.yaml", "--max-waiver-matches"];
    let o = scan_with(
        Path::new("samples/org"),
        &[&args[..], &["1"]].concat(),
        out.path(),
    );
    assert_eq!(o.status.code(), Some(2), "{}", stdout(&o));
    let err = stderr(&o);
    assert!(
        err.starts_with(&format!(
            "error: samples/waivers.yaml:{line}:5: this waiver of rule \
             \"backup-frequency-retention\" for \"arn:aws:*:*:222222222222:*\" waived 13 \
             findings, more than --max-waiver-matches 1"
        )),
        "{err}"
    );
    assert_eq!(err.lines().count(), 1, "only that waiver: {err}");
    assert!(std::fs::read_dir(out.path()).unwrap().next().is_none());
    let o = scan_with(
        Path::new("samples/org"),
        &[&args[..], &["14"]].concat(),
        out.path(),
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
}

/// A policy with no rules judges nothing: the gate does not pass it.
#[test]
fn fail_on_with_no_rules_exits_3() {
    let dir = tempfile::tempdir().unwrap();
    let rules = dir.path().join("rules.yaml");
    std::fs::write(&rules, "rules: []\n").unwrap();
    let out = tempfile::tempdir().unwrap();
    let args = ["--rules", rules.to_str().unwrap(), "--fail-on", "info"];
    let o = scan_with(&root().join("samples/org"), &args, out.path());
    assert_eq!(o.status.code(), Some(3), "{}", stderr(&o));
    assert_eq!(
        last_line(&o),
        "--fail-on info: no unwaived failures at info or above, but no rules were loaded, so \
         nothing was judged → exit 3"
    );
    // Without a gate, the run is only reported.
    let o = scan_with(&root().join("samples/org"), &args[..2], out.path());
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
}

/// A manifest listing `n` complete scopes with no data.
fn empty_snapshot(n: usize) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let scopes: Vec<serde_json::Value> = (0..n)
        .map(|i| {
            serde_json::json!({
                "account_id": format!("{:012}", 100_000_000_000u64 + i as u64),
                "region": "us-east-1",
                "status": "complete"
            })
        })
        .collect();
    let manifest = serde_json::json!({
        "format": "backup-auditor-snapshot/v1",
        "collected_at": "2026-11-27T05:00:00Z",
        "scopes": scopes,
    });
    std::fs::write(
        dir.path().join("manifest.json"),
        serde_json::to_string_pretty(&manifest).unwrap(),
    )
    .unwrap();
    // What a collector writes for an account-region with nothing in it: list files may be
    // absent, but copy-jobs.json's absence would mean a collector that never listed copies.
    for s in &scopes {
        let at = dir
            .path()
            .join(s["account_id"].as_str().unwrap())
            .join("us-east-1");
        std::fs::create_dir_all(&at).unwrap();
        std::fs::write(at.join("copy-jobs.json"), "[]").unwrap();
    }
    dir
}

#[test]
fn fail_on_over_a_snapshot_that_judges_nothing_exits_3() {
    for n in [0, 2000] {
        let snap = empty_snapshot(n);
        let out = tempfile::tempdir().unwrap();
        let o = scan_with(snap.path(), &["--fail-on", "info"], out.path());
        assert_eq!(o.status.code(), Some(3), "{n} scopes: {}", stderr(&o));
        assert_eq!(
            last_line(&o),
            "--fail-on info: no unwaived failures at info or above, but nothing was judged: \
             no resource has a PASS, FAIL or WAIVED finding → exit 3",
            "{n} scopes"
        );
        // Every rule is named as having judged nothing.
        assert!(
            stdout(&o).contains("Rules that judged nothing"),
            "{}",
            stdout(&o)
        );
    }
}

/// A rule scoped to an account the snapshot does not hold is a warning in the terminal
/// summary, findings.json and summary.md; the rest of the policy still gates.
#[test]
fn a_rule_whose_scope_matches_nothing_is_a_warning() {
    let dir = tempfile::tempdir().unwrap();
    let rules = dir.path().join("rules.yaml");
    std::fs::write(
        &rules,
        "rules:\n\
         - {id: protected, title: P, severity: info, check: protected, docs: {what: w, why: y, remediation: r}}\n\
         - id: elsewhere\n  title: E\n  severity: info\n  check: protected\n  \
         scope: {accounts: [\"999999999999\"]}\n  docs: {what: w, why: y, remediation: r}\n",
    )
    .unwrap();
    let out = tempfile::tempdir().unwrap();
    let o = scan_with(
        &root().join("samples/org"),
        &[
            "--rules",
            rules.to_str().unwrap(),
            "--format",
            "json,markdown",
        ],
        out.path(),
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let source = format!("{}:3", rules.display());
    assert!(
        stdout(&o).contains(&format!(
            "Rules that judged nothing (their scope matches nothing in this snapshot):\n  \
             elsewhere ({source})\n"
        )),
        "{}",
        stdout(&o)
    );
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.path().join("findings.json")).unwrap())
            .unwrap();
    assert_eq!(
        json["summary"]["rules_matching_nothing"],
        serde_json::json!([{"id": "elsewhere", "source": source}])
    );
    let md = std::fs::read_to_string(out.path().join("summary.md")).unwrap();
    assert!(md.contains("### ⚠️ Rules that judged nothing"), "{md}");
    assert!(md.contains("- `elsewhere` ("), "{md}");
}
