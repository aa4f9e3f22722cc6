//! One story per resource: `explain` (JSON and text), the HTML report's panel and
//! `findings.json` tell the same one, because all of them serialise the engine's story.

use crate::util::{root, run, sample_scan, stdout};
use backup_auditor::app::{evaluate, Output};
use backup_auditor::cli::PolicyArgs;
use backup_auditor::report::explain::{explain, Explanation};
use backup_auditor::report::Templates;
use serde_json::Value;
use std::collections::BTreeMap;

const ISLAND_OPEN: &str = r#"<script type="application/json" id="data">"#;

fn html_stories(html: &str) -> BTreeMap<String, Value> {
    let start = html.find(ISLAND_OPEN).expect("data island") + ISLAND_OPEN.len();
    let len = html[start..].find("</script>").expect("end of data island");
    let data: Value = serde_json::from_str(&html[start..start + len]).unwrap();
    data["stories"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| (s["resource"]["arn"].as_str().unwrap().to_owned(), s.clone()))
        .collect()
}

/// `explain ARN` on the command line, for a few resources: the library call below is the
/// same code, run once for all 98.
fn explain_cli(arn: &str) -> Value {
    let o = run(
        &[
            "explain",
            "samples/org",
            "--rules",
            "rules",
            "--waivers",
            "samples/waivers.yaml",
            arn,
            "--format",
            "json",
        ],
        &root(),
    );
    assert_eq!(o.status.code(), Some(0), "{arn}");
    serde_json::from_str(&stdout(&o)).unwrap()
}

/// What the text of a story must show: every selection's reason, every rule, copy and point.
fn told_in_text(story: &Value, text: &str) {
    let arn = story["resource"]["arn"].as_str().unwrap();
    for s in story["selections"].as_array().unwrap() {
        let line = format!(
            "{} / selection {}",
            s["plan"].as_str().unwrap(),
            s["selection"]
        );
        let line = line.replace('"', "");
        assert!(text.contains(&line), "{arn}: {line}");
        assert!(text.contains(s["reason"].as_str().unwrap()), "{arn}: {s}");
    }
    for r in story["rules"].as_array().unwrap() {
        let head = format!(
            "{} / {}",
            r["plan"].as_str().unwrap(),
            r["rule"].as_str().unwrap()
        );
        assert!(text.contains(&head), "{arn}: {head}");
        for c in r["copies"].as_array().unwrap() {
            let to = c["destination_vault_arn"].as_str().unwrap();
            assert!(text.contains(&format!("copy to {to}")), "{arn}: {to}");
        }
    }
    for p in story["recovery_points"].as_array().unwrap() {
        assert!(text.contains(p["arn"].as_str().unwrap()), "{arn}: {p}");
    }
}

#[test]
fn explain_html_and_json_tell_the_same_story_of_every_sample_resource() {
    let (out, _) = sample_scan();
    let json: Value =
        serde_json::from_slice(&std::fs::read(out.path().join("findings.json")).unwrap()).unwrap();
    let html = std::fs::read_to_string(out.path().join("report.html")).unwrap();
    let in_html = html_stories(&html);
    let mut first: BTreeMap<&str, &Value> = BTreeMap::new();
    for s in json["stories"].as_array().unwrap() {
        first
            .entry(s["resource"]["arn"].as_str().unwrap())
            .or_insert(s);
    }
    assert_eq!(first.len(), 98, "one story per resource of the sample");
    let policy = PolicyArgs {
        rules: vec![root().join("rules")],
        waivers: Some(root().join("samples/waivers.yaml")),
        as_of: None,
    };
    let e = evaluate(&root().join("samples/org"), &policy, &Output::silent()).unwrap();
    let templates = Templates::builtin().unwrap();
    let mut compared_with_html = 0;
    for (n, (arn, story)) in first.iter().enumerate() {
        let (si, ri) = e.inventory.find_resource(arn).unwrap();
        let told = explain(&e.inventory, &e.rules, &e.evaluation, si, ri);
        let mut explained = serde_json::to_value(&told).unwrap();
        let verdicts = explained.as_object_mut().unwrap().remove("verdicts");
        assert!(verdicts.is_some_and(|v| !v.as_array().unwrap().is_empty()));
        assert_eq!(&explained, *story, "{arn}: explain vs findings.json");
        if n % 40 == 0 {
            let mut cli = explain_cli(arn);
            cli.as_object_mut().unwrap().remove("verdicts");
            assert_eq!(
                &cli, *story,
                "{arn}: explain --format json vs findings.json"
            );
        }
        if let Some(h) = in_html.get(*arn) {
            assert_eq!(h, *story, "{arn}: report.html vs findings.json");
            compared_with_html += 1;
        }
        #[derive(serde::Serialize)]
        struct View<'a> {
            r: &'a Explanation<'a>,
        }
        told_in_text(
            story,
            &templates
                .render("explain.txt.j2", &View { r: &told })
                .unwrap(),
        );
    }
    // The report embeds the stories of the resources in its findings table: all of them here.
    assert_eq!(compared_with_html, in_html.len());
    assert!(
        in_html.len() > 80,
        "{} stories in report.html",
        in_html.len()
    );
}

/// `explain` of a selected resource names the selection's role and what the snapshot says of
/// it: a role that does not exist, or one a snapshot without iam-roles.json did not check.
#[test]
fn explain_tells_whether_the_selections_role_was_checked() {
    let (_dir, snap) = crate::util::sample_copy();
    let roles = snap.join("111111111111/us-east-1/iam-roles.json");
    let orders_worker = "arn:aws:ec2:us-east-1:111111111111:instance/i-01a20000000000001";
    let explain_text = || {
        let o = run(
            &[
                "explain",
                snap.to_str().unwrap(),
                "--rules",
                "rules",
                orders_worker,
            ],
            &root(),
        );
        assert_eq!(o.status.code(), Some(0));
        stdout(&o)
    };
    let role = "role arn:aws:iam::111111111111:role/service-role/AWSBackupDefaultServiceRole";
    let mut list: Vec<Value> = serde_json::from_slice(&std::fs::read(&roles).unwrap()).unwrap();
    list.retain(|r| r["RoleName"] != "AWSBackupDefaultServiceRole");
    std::fs::write(&roles, serde_json::to_vec(&list).unwrap()).unwrap();
    let text = explain_text();
    assert!(
        text.contains(&format!(
            "{role}: DOES NOT EXIST in account 111111111111: AWS Backup cannot assume it"
        )),
        "{text}"
    );
    assert!(text.contains("[INEFFECTIVE] orders-prod"), "{text}");
    assert!(
        text.contains("which does not exist in account 111111111111"),
        "{text}"
    );
    std::fs::remove_file(&roles).unwrap();
    let text = explain_text();
    assert!(
        text.contains(&format!(
            "{role}: not checked (the snapshot has no iam-roles.json)"
        )),
        "{text}"
    );
    assert!(!text.contains("INEFFECTIVE"), "{text}");
}

/// A backup access point keeps its recovery point past retention: `explain` says so beside the
/// point (text and JSON), and no verdict changes.
#[test]
fn explain_names_the_backup_access_points_of_a_recovery_point() {
    let bucket = "arn:aws:s3:::acme-payments-statements";
    let held =
        "arn:aws:backup:us-east-1:111111111111:recovery-point:20261122-0529-41a1-802e-111111111111";
    let story = explain_cli(bucket);
    let points = story["recovery_points"].as_array().unwrap();
    let with: Vec<&Value> = points
        .iter()
        .filter(|p| p.get("access_points").is_some())
        .collect();
    assert_eq!(with.len(), 1, "{points:#?}");
    assert_eq!(with[0]["arn"], held);
    assert_eq!(
        with[0]["access_points"],
        serde_json::json!(["statements-audit (AVAILABLE)"])
    );
    let o = run(
        &["explain", "samples/org", "--rules", "rules", bucket],
        &root(),
    );
    assert_eq!(o.status.code(), Some(0));
    let text = stdout(&o);
    assert!(
        text.contains("backup access points statements-audit (AVAILABLE): while one is active AWS Backup pauses this point's lifecycle and blocks its deletion"),
        "{text}"
    );
}

/// A tiering configuration that selects a bucket moves its backups to the warm tier for good:
/// `explain` says which and when; a bucket it does not select tells nothing of it.
#[test]
fn explain_names_the_warm_tier_of_a_bucket() {
    let story = explain_cli("arn:aws:s3:::acme-payments-statements");
    assert_eq!(
        story["warm_tier"],
        serde_json::json!(["statements_warm: its backups in vault payments move after 90 days"])
    );
    let other = explain_cli("arn:aws:s3:::acme-paylink-exports");
    assert!(other.get("warm_tier").is_none(), "{other:#}");
    let bucket = "arn:aws:s3:::acme-payments-statements";
    let o = run(
        &["explain", "samples/org", "--rules", "rules", bucket],
        &root(),
    );
    let text = stdout(&o);
    assert!(
        text.contains("Warm tier (tiering configurations; the move is one-way, points stay there until deleted):\n    statements_warm: its backups in vault payments move after 90 days"),
        "{text}"
    );
}
