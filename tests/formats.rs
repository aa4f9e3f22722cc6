//! The CI formats: JUnit, Markdown summary and OCSF events, rendered from the same findings.

use crate::util::*;
use std::path::Path;

fn scan_formats(snapshot: &str, formats: &str, out: &Path) {
    scan_formats_with(snapshot, "rules", formats, out);
}

fn scan_formats_with(snapshot: &str, rules: &str, formats: &str, out: &Path) {
    let o = run(
        &[
            "scan",
            snapshot,
            "--rules",
            rules,
            "--waivers",
            "samples/waivers.yaml",
            "--format",
            formats,
            "--out",
            out.to_str().unwrap(),
        ],
        &root(),
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
}

#[test]
fn junit_and_markdown_goldens() {
    let out = tempfile::tempdir().unwrap();
    // The default policy: the examples' failures would crowd the hostile names out of the
    // Markdown's top failures.
    scan_formats_with("samples/org", "rules/default", "junit,markdown", out.path());
    assert!(
        !out.path().join("findings.csv").exists(),
        "only the formats asked for are written"
    );
    let md = read_redacted(out.path(), "summary.md");
    assert!(
        md.contains("\\<script\\>"),
        "hostile tags are escaped in Markdown"
    );
    assert!(!md.contains("<script>"));
    insta::assert_snapshot!("summary_md", md);
    insta::assert_snapshot!("junit_xml", read_redacted(out.path(), "junit.xml"));
}

#[test]
fn ocsf_events_carry_the_compliance_finding_required_fields() {
    use backup_auditor::report::ocsf::REQUIRED;
    let out = tempfile::tempdir().unwrap();
    scan_formats("samples/org", "csv,ocsf", out.path());
    let events: Vec<serde_json::Value> = serde_json::from_str(
        &std::fs::read_to_string(out.path().join("findings.ocsf.json")).unwrap(),
    )
    .unwrap();
    let non_pass = csv_rows(&out.path().join("findings.csv"))
        .iter()
        .filter(|r| r["status"] != "PASS")
        .count();
    assert_eq!(events.len(), non_pass, "one event per non-PASS finding");
    let mut seen = std::collections::BTreeSet::new();
    for e in &events {
        for field in REQUIRED {
            assert!(!e[field].is_null(), "missing {field} in {e}");
        }
        assert_eq!(e["class_uid"], 2003);
        assert_eq!(e["category_uid"], 2);
        assert_eq!(e["type_uid"], 200301);
        assert!((1..=5).contains(&e["severity_id"].as_u64().unwrap()));
        assert!(
            e["metadata"]["product"]["name"].is_string() && e["metadata"]["version"].is_string()
        );
        assert!(e["finding_info"]["uid"].is_string() && e["finding_info"]["title"].is_string());
        assert!(e["compliance"]["standards"].is_array());
        let status = e["compliance"]["status"].as_str().unwrap();
        let ours = e["unmapped"]["backup_auditor_status"].as_str().unwrap();
        assert_ne!(status, "Pass", "{ours} must never be reported as passing");
        // (finding status_id, compliance status_id): a waiver suppresses a failure without
        // making it pass; what could not be read is Unknown.
        let want = match ours {
            "FAIL" => (1, 3),
            "WAIVED" => (3, 3),
            "NOT_ASSESSED" => (1, 0),
            "NOT_APPLICABLE" => (1, 99),
            other => panic!("unexpected status {other}"),
        };
        let got = (
            e["status_id"].as_u64().unwrap(),
            e["compliance"]["status_id"].as_u64().unwrap(),
        );
        assert_eq!(got, want, "{ours}");
        seen.insert(ours.to_owned());
    }
    assert_eq!(
        seen.len(),
        4,
        "the sample has every non-PASS status: {seen:?}"
    );
    let uids: std::collections::BTreeSet<&str> = events
        .iter()
        .map(|e| e["finding_info"]["uid"].as_str().unwrap())
        .collect();
    assert_eq!(uids.len(), events.len(), "finding uids are unique");
}

#[test]
fn markdown_summary_stays_small_for_a_large_org() {
    let dir = tempfile::tempdir().unwrap();
    let snap = crate::util::synth(dir.path(), 3_000);
    let out = dir.path().join("out");
    let o = run(
        &[
            "scan",
            snap.to_str().unwrap(),
            "--format",
            "markdown",
            "--out",
            out.to_str().unwrap(),
            "-q",
        ],
        &root(),
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let size = std::fs::metadata(out.join("summary.md")).unwrap().len();
    assert!(size < 60_000, "summary.md is {size} bytes");
    let md = std::fs::read_to_string(out.join("summary.md")).unwrap();
    // The list is cut and says so, without pointing to a file this run did not write.
    assert!(
        md.contains("more failures (write them with `--format csv`)"),
        "{md}"
    );
}

/// A CI view shows a failure's type: it carries the rule's severity, so a high failure is
/// told from a low one without opening the HTML report.
#[test]
fn junit_failures_carry_the_rule_severity() {
    let out = tempfile::tempdir().unwrap();
    scan_formats("samples/org", "csv,junit", out.path());
    let severity: std::collections::BTreeMap<String, String> =
        csv_rows(&out.path().join("findings.csv"))
            .into_iter()
            .map(|r| (r["rule_id"].clone(), r["severity"].clone()))
            .collect();
    let xml = std::fs::read_to_string(out.path().join("junit.xml")).unwrap();
    let (mut rule, mut failures) = (String::new(), 0);
    for line in xml.lines().map(str::trim) {
        if let Some(rest) = line.strip_prefix("<testsuite name=\"") {
            rule = rest.split('"').next().unwrap().to_string();
        }
        if line.starts_with("<failure ") {
            failures += 1;
            let want = format!("type=\"FAIL {}\"", severity[&rule]);
            assert!(line.contains(&want), "{rule}: {line}");
        }
    }
    assert!(failures > 0);
}
