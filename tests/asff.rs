//! `--format asff`: every finding of the sample as Security Hub's BatchImportFindings takes it,
//! checked against the field rules of `AwsSecurityFinding` (required fields, enums, lengths).

use crate::util::*;
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

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

/// The findings moto's Security Hub holds for `account` in us-east-1, by Id: (compliance
/// status, record state). Read with that account's role, as the import wrote them.
fn held(url: &str, account: &str) -> BTreeMap<String, (String, String)> {
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        let conf = crate::moto::test_config(url).await;
        let sts = aws_sdk_sts::Client::new(&conf);
        let k = sts
            .assume_role()
            .role_arn(format!("arn:aws:iam::{account}:role/BackupAuditor"))
            .role_session_name("test")
            .send()
            .await
            .unwrap()
            .credentials
            .unwrap();
        let creds = aws_credential_types::Credentials::new(
            k.access_key_id,
            k.secret_access_key,
            Some(k.session_token),
            None,
            "test",
        );
        let hub = aws_sdk_securityhub::Client::from_conf(
            aws_sdk_securityhub::config::Builder::from(&conf)
                .credentials_provider(creds)
                .build(),
        );
        let mut pages = hub.get_findings().max_results(100).into_paginator().send();
        let mut found = BTreeMap::new();
        while let Some(page) = pages.next().await {
            for f in page.unwrap().findings() {
                let status = f.compliance.as_ref().and_then(|c| c.status.clone());
                found.insert(
                    f.id.clone().unwrap(),
                    (
                        status.map(|s| s.as_str().to_owned()).unwrap_or_default(),
                        f.record_state
                            .as_ref()
                            .map(|s| s.as_str().to_owned())
                            .unwrap_or_default(),
                    ),
                );
            }
        }
        found
    })
}

fn import(
    url: &str,
    snapshot: &Path,
    out: &Path,
    extra: &[(&str, &str)],
    args: &[&str],
) -> std::process::Output {
    let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_backup-auditor"));
    cmd.arg("scan")
        .arg(snapshot)
        .args([
            "--security-hub",
            "--role-name",
            "BackupAuditor",
            "--format",
            "asff",
            "--out",
        ])
        .arg(out)
        .envs(crate::moto::ENV)
        .env("AWS_ENDPOINT_URL", url)
        .envs(extra.iter().copied())
        .args(args)
        .current_dir(root());
    cmd.output().unwrap()
}

#[test]
fn security_hub_holds_exactly_the_findings_written_and_archives_a_resolved_one() {
    let Some((_moto, url)) = crate::moto::moto_or_skip() else {
        return;
    };
    let out = tempfile::tempdir().unwrap();
    let o = import(&url, &root().join("samples/org"), out.path(), &[], &[]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(
        stdout(&o).contains("Security Hub: 645 findings imported"),
        "{}",
        stdout(&o)
    );
    let written: Vec<Value> = serde_json::from_str(
        &std::fs::read_to_string(out.path().join("findings.asff.json")).unwrap(),
    )
    .unwrap();
    // Each account's findings go into its own Security Hub; a PASS only closes an open one.
    let open_here: BTreeSet<String> = written
        .iter()
        .filter(|f| f["AwsAccountId"] == "111111111111" && f["Region"] == "us-east-1")
        .filter(|f| f["Compliance"]["Status"] != "PASSED")
        .map(|f| f["Id"].as_str().unwrap().to_owned())
        .collect();
    let hub = held(&url, "111111111111");
    assert_eq!(hub.keys().cloned().collect::<BTreeSet<_>>(), open_here);
    let instance = "backup-auditor/backup-protected/arn:aws:ec2:us-east-1:111111111111:instance/i-01a00000000000001";
    assert_eq!(hub[instance], ("FAILED".into(), "ACTIVE".into()));

    // The fix: the instance's backup tag gets the value its selection asks for.
    let (_dir, fixed) = sample_copy();
    let file = fixed.join("111111111111/us-east-1/resources.json");
    let mut items: Value = serde_json::from_str(&std::fs::read_to_string(&file).unwrap()).unwrap();
    for item in items.as_array_mut().unwrap() {
        if item["resourceId"] == "i-01a00000000000001" {
            for t in item["tags"].as_array_mut().unwrap() {
                if t["key"] == "backup" {
                    t["value"] = "daily".into();
                }
            }
        }
    }
    std::fs::write(&file, serde_json::to_string(&items).unwrap()).unwrap();
    let again = tempfile::tempdir().unwrap();
    let o = import(&url, &fixed, again.path(), &[], &[]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let hub = held(&url, "111111111111");
    assert_eq!(hub[instance], ("PASSED".into(), "ARCHIVED".into()));
    assert_eq!(hub.len(), open_here.len(), "updated in place, not added");

    // Security Hub out of reach: every account-region is named, and the code says so.
    let lost = tempfile::tempdir().unwrap();
    let closed = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let unreachable = format!("http://127.0.0.1:{closed}");
    let o = import(
        &url,
        &root().join("samples/org"),
        lost.path(),
        &[("AWS_ENDPOINT_URL_SECURITYHUB", unreachable.as_str())],
        &["--max-attempts", "1"],
    );
    assert_eq!(o.status.code(), Some(4), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("Security Hub in 111111111111 us-east-1: securityhub:"),
        "{}",
        stderr(&o)
    );
    assert!(
        lost.path().join("findings.asff.json").exists(),
        "the reports are written first"
    );
}

/// Writing into Security Hub is opt-in: its operations are listed apart from collection's,
/// granted only by their own policy, and never by the read-only ones.
#[test]
fn security_hub_s_operations_are_apart_from_the_read_only_collection() {
    use backup_auditor::collect::{OPERATIONS, WRITE_OPERATIONS};
    let read = |f: &str| -> BTreeSet<String> {
        let p: Value =
            serde_json::from_str(&std::fs::read_to_string(root().join(f)).unwrap()).unwrap();
        p["Statement"]
            .as_array()
            .unwrap()
            .iter()
            .flat_map(|s| s["Action"].as_array().unwrap().iter())
            .map(|a| a.as_str().unwrap().to_owned())
            .collect()
    };
    let granted = read("iam/security-hub-import-policy.json");
    let wanted: BTreeSet<String> = WRITE_OPERATIONS.iter().map(|s| s.to_string()).collect();
    assert_eq!(granted, wanted);
    for op in WRITE_OPERATIONS {
        assert!(
            !OPERATIONS.contains(op),
            "{op} is not a collection operation"
        );
        for f in ["iam/member-role-policy.json", "iam/management-policy.json"] {
            assert!(!read(f).contains(*op), "{f} grants {op}");
        }
    }
}
