//! Nothing dropped in silence: inventory items of types the tool does not judge, and resources
//! AWS Backup lists as backed up that no inventory item describes, are counted per
//! account-region, reach the terminal summary, summary.md, findings.json and the HTML report,
//! and change no verdict.

use crate::util::{csv_rows, root, run, sample_copy, stderr, stdout};
use serde_json::{json, Value};
use std::collections::BTreeSet;
use std::path::Path;

/// Appends `items` to the JSON array `file` of the snapshot.
fn append(snap: &Path, file: &str, items: Value) {
    let path = snap.join(file);
    let mut all: Vec<Value> = serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
    all.extend(items.as_array().unwrap().iter().cloned());
    std::fs::write(&path, serde_json::to_vec_pretty(&all).unwrap()).unwrap();
}

fn item(ty: &str, account: &str, arn: &str, name: &str) -> Value {
    json!({"resourceType": ty, "resourceId": name, "resourceName": name, "arn": arn,
           "accountId": account, "awsRegion": "us-east-1",
           "tags": [{"key": "app", "value": "orders"}], "configuration": {}})
}

fn protected(arn: &str, ty: &str) -> Value {
    json!({"ResourceArn": arn, "ResourceType": ty,
           "LastBackupTime": "2026-11-26T05:40:10+00:00"})
}

/// Scans `snap` into `out` with every output format; the terminal summary.
fn scan(snap: &Path, out: &Path) -> String {
    let o = run(
        &[
            "scan",
            snap.to_str().unwrap(),
            "--rules",
            "rules",
            "--format",
            "csv,json,markdown,html",
            "--out",
            out.to_str().unwrap(),
        ],
        &root(),
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    stdout(&o)
}

/// Every finding's rule, subject, status and reason.
fn verdicts(out: &Path) -> BTreeSet<Vec<String>> {
    csv_rows(&out.join("findings.csv"))
        .into_iter()
        .map(|r| {
            [
                "rule_id",
                "account_id",
                "region",
                "resource_arn",
                "status",
                "reason",
            ]
            .iter()
            .map(|k| r[*k].clone())
            .collect()
        })
        .collect()
}

#[test]
fn unjudged_items_and_backed_up_resources_are_counted_everywhere_and_change_no_verdict() {
    let (dir, snap) = sample_copy();
    let before_out = dir.path().join("before");
    let before_text = scan(&snap, &before_out);
    // The sample's own: an Aurora DSQL cluster backed up on demand (samples/README.md).
    assert!(
        before_text.contains("1 resource of type DSQL that AWS Backup lists as backed up (protected-resources.json) was not judged: no inventory item describes it"),
        "{before_text}"
    );
    assert!(!before_text.contains("items of type"), "{before_text}");

    let stack = |n: u32| {
        format!("arn:aws:cloudformation:us-east-1:111111111111:stack/orders-{n}/7d1e0000-0000-4000-8000-00000000000{n}")
    };
    append(
        &snap,
        "111111111111/us-east-1/resources.json",
        json!([
            item(
                "AWS::CloudFormation::Stack",
                "111111111111",
                &stack(1),
                "orders-1"
            ),
            item(
                "AWS::CloudFormation::Stack",
                "111111111111",
                &stack(2),
                "orders-2"
            ),
        ]),
    );
    append(
        &snap,
        "222222222222/us-east-1/resources.json",
        json!([item(
            "AWS::DSQL::Cluster",
            "222222222222",
            "arn:aws:dsql:us-east-1:222222222222:cluster/abcdefghijklmnopqrstuvwxyz",
            "ledger-dsql"
        )]),
    );
    append(
        &snap,
        "111111111111/us-east-1/protected-resources.json",
        json!([
            // No inventory item anywhere: counted.
            protected(
                "arn:aws:dsql:us-east-1:111111111111:cluster/zyxwvutsrqponmlkjihgfedcba",
                "DSQL"
            ),
            // An item of a type not judged describes it: counted as that item only.
            protected(&stack(1), "CloudFormation"),
            // Held here, judged in its own account-region (a copy): not counted.
            protected(
                "arn:aws:ec2:us-east-1:222222222222:instance/i-02a20000000000001",
                "EC2"
            ),
            // Its account-region could not be read: not assessed there, not counted here.
            protected(
                "arn:aws:ec2:us-east-1:444444444444:volume/vol-04a10000000000001",
                "EBS"
            ),
        ]),
    );
    let after_out = dir.path().join("after");
    let text = scan(&snap, &after_out);

    assert_eq!(
        verdicts(&before_out),
        verdicts(&after_out),
        "counting what is not judged must change no verdict"
    );

    let report: Value =
        serde_json::from_slice(&std::fs::read(after_out.join("findings.json")).unwrap()).unwrap();
    assert_eq!(
        report["summary"]["not_judged"],
        json!({
            "items": 3,
            "item_types": ["AWS::CloudFormation::Stack", "AWS::DSQL::Cluster"],
            "backed_up": 2,
            "backed_up_types": ["DSQL"],
            "scopes": [
                {"account_id": "111111111111", "region": "us-east-1",
                 "item_types": {"AWS::CloudFormation::Stack": 2},
                 "backed_up_types": {"DSQL": 2}},
                {"account_id": "222222222222", "region": "us-east-1",
                 "item_types": {"AWS::DSQL::Cluster": 1}, "backed_up_types": {}},
            ]
        })
    );

    let sentence =
        "3 items of types AWS::CloudFormation::Stack, AWS::DSQL::Cluster were not judged";
    assert!(text.contains(sentence), "{text}");
    assert!(
        text.contains("2 resources of type DSQL that AWS Backup lists as backed up (protected-resources.json) were not judged: no inventory item describes them"),
        "{text}"
    );
    assert!(
        text.contains("111111111111 us-east-1: 2 AWS::CloudFormation::Stack; backed up: 2 DSQL"),
        "{text}"
    );
    let md = std::fs::read_to_string(after_out.join("summary.md")).unwrap();
    assert!(
        md.contains("**3 items of types `AWS::CloudFormation::Stack`, `AWS::DSQL::Cluster` were not judged**"),
        "{md}"
    );
    assert!(
        md.contains("`222222222222` `us-east-1`: 1 `AWS::DSQL::Cluster`"),
        "{md}"
    );
    let html = std::fs::read_to_string(after_out.join("report.html")).unwrap();
    assert!(html.contains(r#"id="not-judged""#));
    assert!(html.contains(
        "<strong>3</strong> items of types <code>AWS::CloudFormation::Stack</code>, <code>AWS::DSQL::Cluster</code> were not judged"
    ));
    assert!(html.contains("<strong>2</strong> resources of type <code>DSQL</code> that AWS Backup lists as backed up were not judged"));
}

/// A backed-up resource whose type could not be listed in its account-region is already
/// NOT_ASSESSED there: it is not "not judged" as well. One whose type was listed and is not
/// there is.
#[test]
fn backed_up_resources_of_a_type_whose_listing_failed_are_not_counted() {
    let (dir, snap) = sample_copy();
    let manifest = snap.join("manifest.json");
    let mut m: Value = serde_json::from_slice(&std::fs::read(&manifest).unwrap()).unwrap();
    for s in m["scopes"].as_array_mut().unwrap() {
        if s["account_id"] == "222222222222" && s["region"] == "us-east-1" {
            s["status"] = json!("partial");
            s["errors"] = json!([{"file": "resources.json", "types": ["AWS::EC2::Volume"],
                                  "error": "AccessDenied: ec2:DescribeVolumes"}]);
        }
    }
    std::fs::write(&manifest, m.to_string()).unwrap();
    append(
        &snap,
        "222222222222/us-east-1/protected-resources.json",
        json!([
            protected(
                "arn:aws:ec2:us-east-1:222222222222:volume/vol-02a90000000000001",
                "EBS"
            ),
            protected(
                "arn:aws:ec2:us-east-1:222222222222:instance/i-02a90000000000001",
                "EC2"
            ),
        ]),
    );
    let out = dir.path().join("out");
    scan(&snap, &out);
    let report: Value =
        serde_json::from_slice(&std::fs::read(out.join("findings.json")).unwrap()).unwrap();
    let scopes = report["summary"]["not_judged"]["scopes"]
        .as_array()
        .unwrap();
    let staging: Vec<&Value> = scopes
        .iter()
        .filter(|s| s["account_id"] == "222222222222")
        .collect();
    assert_eq!(
        staging,
        [&json!({"account_id": "222222222222", "region": "us-east-1",
                 "item_types": {}, "backed_up_types": {"EC2": 1}})]
    );
}
