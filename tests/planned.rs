//! `scan --terraform-plan`: the shipped example plans laid over the sample organisation, as a
//! pull-request gate runs them. Each finding says what the plan does to it; `--fail-on-new`
//! fails on what it makes worse, and nothing known only after apply counts as protection.

use crate::util::{csv_rows, root, stderr};
use std::collections::BTreeMap;
use std::path::Path;
use std::process::{Command, Output};

const VOLUMES: &str = "arn:aws:ec2:us-east-1:111111111111:volume/";

type Rows = Vec<BTreeMap<String, String>>;

fn scan(plan: &Path, extra: &[&str]) -> (Output, Rows, tempfile::TempDir) {
    let out = tempfile::tempdir().unwrap();
    let o = Command::new(env!("CARGO_BIN_EXE_backup-auditor"))
        .args(["scan", "samples/org", "--terraform-plan"])
        .arg(plan)
        .args(["--format", "csv,markdown", "-q", "--fail-on-new", "high"])
        .args(["--out", out.path().to_str().unwrap()])
        .args(extra)
        .current_dir(root())
        .output()
        .unwrap();
    let rows = if out.path().join("findings.csv").exists() {
        csv_rows(&out.path().join("findings.csv"))
    } else {
        Vec::new()
    };
    (o, rows, out)
}

fn protected<'a>(rows: &'a Rows, arn: &str) -> &'a BTreeMap<String, String> {
    rows.iter()
        .find(|r| r["rule_id"] == "backup-protected" && r["resource_arn"] == arn)
        .unwrap_or_else(|| panic!("no backup-protected finding for {arn}"))
}

#[test]
fn removing_the_selecting_tag_is_a_regression_the_gate_fails_on() {
    let (o, rows, out) = scan(
        &root().join("samples/plans/untag-payments-volume.json"),
        &[],
    );
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    let f = protected(&rows, &format!("{VOLUMES}vol-01a10000000000004"));
    assert_eq!(
        (f["status"].as_str(), f["change"].as_str()),
        ("FAIL", "regressed"),
        "{f:?}"
    );
    // Everything else is as it was: the gate names one new failure of rule backup-protected.
    let worse: Vec<_> = rows
        .iter()
        .filter(|r| matches!(r["change"].as_str(), "new" | "regressed"))
        .collect();
    assert!(
        worse
            .iter()
            .all(|r| r["resource_arn"].ends_with("vol-01a10000000000004")),
        "{worse:#?}"
    );
    let md = std::fs::read_to_string(out.path().join("summary.md")).unwrap();
    assert!(md.contains("vol-01a10000000000004"), "{md}");
}

#[test]
fn new_volumes_are_judged_by_tags_and_references_and_unknown_tags_protect_nothing() {
    let (o, rows, _out) = scan(
        &root().join("samples/plans/new-volumes.json"),
        &["--account", "111111111111"],
    );
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    let new = |address: &str| format!("{VOLUMES}(known after apply: aws_ebs_volume.{address})");
    // Untagged: no selection picks it.
    let scratch = protected(&rows, &new("scratch"));
    assert_eq!(
        (scratch["status"].as_str(), scratch["change"].as_str()),
        ("FAIL", "new")
    );
    // `app = orders` meets the orders-app selection's condition.
    let ledger = protected(&rows, &new("ledger"));
    assert_eq!(ledger["status"], "PASS", "{ledger:?}");
    assert!(ledger["reason"].contains("orders-app"), "{ledger:?}");
    // Selected by a new selection whose resources reference the volume's ARN.
    let journal = protected(&rows, &new("journal"));
    assert_eq!(journal["status"], "PASS", "{journal:?}");
    assert!(journal["reason"].contains("orders-journal"), "{journal:?}");
    // Its tags come from a variable resolved at apply: never a PASS by assumption.
    let imports = rows
        .iter()
        .filter(|r| r["resource_arn"] == new("imports"))
        .collect::<Vec<_>>();
    assert!(!imports.is_empty());
    assert!(
        imports.iter().all(|r| r["status"] != "PASS"),
        "{imports:#?}"
    );
    assert!(
        imports.iter().any(|r| r["status"] == "NOT_ASSESSED"
            && r["reason"].contains("undecidable until apply")
            && r["reason"].contains("aws_ebs_volume.imports")),
        "{imports:#?}"
    );
}

#[test]
fn a_new_resource_without_an_account_asks_for_one() {
    let (o, _, _) = scan(&root().join("samples/plans/new-volumes.json"), &[]);
    assert_eq!(o.status.code(), Some(2));
    let err = stderr(&o);
    assert!(
        err.contains("aws_ebs_volume.scratch") && err.contains("--account"),
        "{err}"
    );
}

#[test]
fn what_is_not_a_json_plan_is_refused_with_where_and_why() {
    let dir = tempfile::tempdir().unwrap();
    let cases: [(&str, &[u8], &str); 3] = [
        (
            "plan.out",
            b"PK\x03\x04binary",
            "terraform show -json plan.out",
        ),
        (
            "future.json",
            br#"{"format_version": "2.0", "resource_changes": []}"#,
            "format_version 2.0",
        ),
        (
            "cut.json",
            b"{\"format_version\": \"1.2\",\n \"resource_",
            "cut.json:2:",
        ),
    ];
    for (name, bytes, says) in cases {
        let path = dir.path().join(name);
        std::fs::write(&path, bytes).unwrap();
        let (o, _, out) = scan(&path, &[]);
        assert_eq!(o.status.code(), Some(2), "{name}: {}", stderr(&o));
        assert!(stderr(&o).contains(says), "{name}: {}", stderr(&o));
        assert!(!out.path().join("findings.csv").exists(), "{name}");
    }
}
