//! `--format asff`: every finding of the sample as Security Hub's BatchImportFindings takes it,
//! checked against the field rules of `AwsSecurityFinding` (required fields, enums, lengths).

use crate::util::*;
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};

/// Security Hub's rules for the fields the tool writes: what is required, which values an
/// enum takes, how long a text may be.
fn violations(f: &Value) -> Vec<String> {
    let mut bad = Vec::new();
    let text = |path: &str| f.pointer(path).and_then(Value::as_str);
    for (path, max) in [
        ("/SchemaVersion", 64),
        ("/Id", 512),
        ("/ProductArn", 2048),
        ("/GeneratorId", 512),
        ("/AwsAccountId", 12),
        ("/Region", 16),
        ("/CreatedAt", 64),
        ("/UpdatedAt", 64),
        ("/Title", 256),
        ("/Description", 1024),
        ("/Remediation/Recommendation/Text", 512),
    ] {
        match text(path) {
            None => bad.push(format!("{path} missing")),
            Some(s) if s.trim().is_empty() || s.chars().count() > max => bad.push(format!(
                "{path} is {} characters (1 to {max})",
                s.chars().count()
            )),
            _ => {}
        }
    }
    let one_of = |path: &str, allowed: &[&str]| match text(path) {
        Some(s) if allowed.contains(&s) => None,
        other => Some(format!("{path} = {other:?}, not one of {allowed:?}")),
    };
    bad.extend(
        [
            one_of("/SchemaVersion", &["2018-10-08"]),
            one_of(
                "/Severity/Label",
                &["INFORMATIONAL", "LOW", "MEDIUM", "HIGH", "CRITICAL"],
            ),
            one_of(
                "/Compliance/Status",
                &["PASSED", "WARNING", "FAILED", "NOT_AVAILABLE"],
            ),
            one_of(
                "/Workflow/Status",
                &["NEW", "NOTIFIED", "RESOLVED", "SUPPRESSED"],
            ),
            one_of("/RecordState", &["ACTIVE", "ARCHIVED"]),
            one_of("/Resources/0/Partition", &["aws", "aws-cn", "aws-us-gov"]),
        ]
        .into_iter()
        .flatten(),
    );
    if text("/AwsAccountId")
        .is_some_and(|a| a.len() != 12 || !a.bytes().all(|b| b.is_ascii_digit()))
    {
        bad.push("AwsAccountId is not 12 digits".into());
    }
    for t in ["/CreatedAt", "/UpdatedAt"] {
        if text(t)
            .is_some_and(|s| chrono::DateTime::parse_from_rfc3339(s).is_err() || !s.ends_with('Z'))
        {
            bad.push(format!("{t} is not an RFC 3339 time in UTC"));
        }
    }
    let types = f["Types"].as_array().map_or(0, Vec::len);
    if !(1..=50).contains(&types)
        || !f["Types"][0]
            .as_str()
            .is_some_and(|t| t.starts_with("Software and Configuration Checks/"))
    {
        bad.push(format!("Types {}", f["Types"]));
    }
    let resources = f["Resources"].as_array().map_or(0, Vec::len);
    if !(1..=32).contains(&resources) || text("/Resources/0/Id").is_none_or(str::is_empty) {
        bad.push(format!("Resources {}", f["Resources"]));
    }
    if text("/Resources/0/Type").is_none_or(|t| t.is_empty() || t.len() > 256) {
        bad.push("Resources/0/Type".into());
    }
    let fields = f["ProductFields"].as_object().cloned().unwrap_or_default();
    if fields.len() > 50
        || fields
            .iter()
            .any(|(k, v)| k.len() > 128 || v.as_str().is_none_or(|v| v.len() > 2048))
    {
        bad.push(
            "ProductFields beyond 50 pairs, 128-character keys or 2048-character values".into(),
        );
    }
    if f["Compliance"]["RelatedRequirements"]
        .as_array()
        .is_some_and(|r| r.len() > 32)
    {
        bad.push("more than 32 RelatedRequirements".into());
    }
    if let Some(note) = f.get("Note") {
        let ok = |k: &str, max: usize| {
            note[k]
                .as_str()
                .is_some_and(|s| !s.is_empty() && s.len() <= max)
        };
        if !(ok("Text", 512) && ok("UpdatedBy", 512) && ok("UpdatedAt", 64)) {
            bad.push(format!("Note {note}"));
        }
    }
    if serde_json::to_vec(f).unwrap().len() > 240 * 1024 {
        bad.push("over 240 KB".into());
    }
    bad
}

#[test]
fn every_finding_of_the_sample_is_a_valid_security_hub_finding() {
    let out = tempfile::tempdir().unwrap();
    let o = run(
        &[
            "scan",
            "samples/org",
            "--waivers",
            "samples/waivers.yaml",
            "--format",
            "csv,asff",
            "--out",
            out.path().to_str().unwrap(),
        ],
        &root(),
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let asff: Vec<Value> = serde_json::from_str(
        &std::fs::read_to_string(out.path().join("findings.asff.json")).unwrap(),
    )
    .unwrap();
    let rows = csv_rows(&out.path().join("findings.csv"));
    let judged = rows
        .iter()
        .filter(|r| r["status"] != "NOT_APPLICABLE")
        .count();
    assert_eq!(
        asff.len(),
        judged,
        "one ASFF finding per finding but NOT_APPLICABLE ones"
    );
    for f in &asff {
        let bad = violations(f);
        assert!(bad.is_empty(), "{}: {bad:?}", f["Id"]);
    }
    let ids: BTreeSet<&str> = asff.iter().map(|f| f["Id"].as_str().unwrap()).collect();
    assert_eq!(ids.len(), asff.len(), "Ids are unique");
    // What each of the tool's statuses becomes.
    let mut seen = BTreeMap::new();
    for f in &asff {
        let ours = f["ProductFields"]["backup-auditor/Status"]
            .as_str()
            .unwrap();
        let theirs = (
            f["Compliance"]["Status"].as_str().unwrap(),
            f["Workflow"]["Status"].as_str().unwrap(),
            f["RecordState"].as_str().unwrap(),
        );
        let want = match ours {
            "PASS" => ("PASSED", "RESOLVED", "ARCHIVED"),
            "FAIL" => ("FAILED", "NEW", "ACTIVE"),
            "WAIVED" => ("FAILED", "SUPPRESSED", "ACTIVE"),
            "NOT_ASSESSED" => ("NOT_AVAILABLE", "NEW", "ACTIVE"),
            other => panic!("{other}"),
        };
        assert_eq!(theirs, want, "{ours}");
        assert_eq!(f.get("Note").is_some(), ours == "WAIVED", "{f}");
        *seen.entry(ours.to_owned()).or_insert(0) += 1;
    }
    assert_eq!(seen.len(), 4, "{seen:?}");
    // The same rule and resource give the same Id in every scan.
    let again = tempfile::tempdir().unwrap();
    run(
        &[
            "scan",
            "samples/org",
            "--format",
            "asff",
            "--out",
            again.path().to_str().unwrap(),
        ],
        &root(),
    );
    let second: Vec<Value> = serde_json::from_str(
        &std::fs::read_to_string(again.path().join("findings.asff.json")).unwrap(),
    )
    .unwrap();
    let second: BTreeSet<&str> = second.iter().map(|f| f["Id"].as_str().unwrap()).collect();
    assert_eq!(second, ids);
    // A resource's finding names its type as ASFF does, with the product of its own account.
    let volume = asff
        .iter()
        .find(|f| f["Id"] == "backup-auditor/backup-protected/arn:aws:ec2:us-east-1:111111111111:volume/vol-01a10000000000004")
        .unwrap();
    assert_eq!(volume["Resources"][0]["Type"], "AwsEc2Volume");
    assert_eq!(
        volume["ProductArn"],
        "arn:aws:securityhub:us-east-1:111111111111:product/111111111111/default"
    );
    assert!(volume["Compliance"]["RelatedRequirements"]
        .as_array()
        .unwrap()
        .iter()
        .any(|r| r == "aws-security-hub/EC2.28"));
}
