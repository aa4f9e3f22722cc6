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

/// A manifest listing `n` complete scopes with no data at all.
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
        &["--rules", rules.to_str().unwrap(), "--format", "json,markdown"],
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
