//! What an absent data file means: a list answer (plans, points, …) absent is empty; a
//! single-object answer (region settings) absent is unknown, and every summary says where.

use crate::util::*;

/// The sample without one scope's `region-settings.json`, scanned to every summary format.
fn scan_without_region_settings() -> (tempfile::TempDir, String) {
    let (dir, snap) = sample_copy();
    let out = dir.path().join("out");
    std::fs::remove_file(snap.join("111111111111/us-east-1/region-settings.json")).unwrap();
    let o = run(
        &[
            "scan",
            snap.to_str().unwrap(),
            "--rules",
            "rules",
            "--out",
            out.to_str().unwrap(),
            "--format",
            "html,json,markdown",
        ],
        &root(),
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    (dir, stdout(&o))
}

#[test]
fn absent_region_settings_are_unknown_and_every_summary_names_the_scope() {
    let (dir, terminal) = scan_without_region_settings();
    let out = dir.path().join("out");
    let why = "region-settings.json: absent from the snapshot: AWS always answers this call, \
               so what it holds is unknown, not empty";
    assert!(
        terminal.contains(&format!("111111111111 (prod) us-east-1 [partial]: {why}")),
        "{terminal}"
    );
    let json: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out.join("findings.json")).unwrap()).unwrap();
    let scopes = json["summary"]["not_assessed_scopes"].as_array().unwrap();
    let named = |account: &str, region: &str| {
        scopes
            .iter()
            .find(|s| s["account_id"] == account && s["region"] == region)
    };
    let prod = named("111111111111", "us-east-1").expect("the scope is named");
    assert_eq!(prod["status"], "partial");
    assert_eq!(prod["reason"], why);
    // Absent list answers are empty, not unknown: this scope has no plans, selections or jobs.
    assert!(named("333333333333", "eu-west-1").is_none(), "{scopes:?}");
    let markdown = std::fs::read_to_string(out.join("summary.md")).unwrap();
    assert!(
        markdown.contains(&format!(
            "`111111111111` (prod) `us-east-1` **partial**: {why}"
        )),
        "{markdown}"
    );
    let html = std::fs::read_to_string(out.join("report.html")).unwrap();
    let list = &html[html.find("NOT ASSESSED:").expect("a not-assessed list")..];
    assert!(list.contains("region-settings.json: absent from the snapshot"));
}

/// A scope whose list answers are all absent (empty) and whose region settings were read: a
/// complete scope with nothing in it, which no summary may call "0% covered".
#[test]
fn a_snapshot_with_no_resources_says_so_rather_than_zero_coverage() {
    let out = tempfile::tempdir().unwrap();
    let o = run(
        &[
            "scan",
            "tests/fixtures/empty",
            "--rules",
            "rules",
            "--out",
            out.path().to_str().unwrap(),
            "--format",
            "html,markdown",
        ],
        &root(),
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let terminal = stdout(&o).replace(out.path().to_str().unwrap(), "[OUT]");
    insta::assert_snapshot!(terminal);
    let markdown = std::fs::read_to_string(out.path().join("summary.md")).unwrap();
    assert_eq!(
        markdown.lines().next(),
        Some("## backup-auditor: no resources in this snapshot")
    );
    let html = std::fs::read_to_string(out.path().join("report.html")).unwrap();
    assert!(html.contains("<strong>No resources</strong> in this snapshot"));
    assert!(html.contains("<div class=\"kpi-value\">no resources</div>"));
    assert!(
        html.contains("failures · no resources · 2026-11-27"),
        "the title"
    );
    assert!(!html.contains("<strong>0.0%</strong>"));
}
