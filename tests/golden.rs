//! Golden tests of what users see, on the embedded sample (review changes with
//! `cargo insta review`).

use crate::util::*;

#[test]
fn terminal_summary() {
    insta::assert_snapshot!(sample_scan().1);
}

#[test]
fn findings_and_summary_csv() {
    let (out, _) = sample_scan();
    insta::assert_snapshot!("summary_csv", read_redacted(out.path(), "summary.csv"));
    insta::assert_snapshot!("findings_csv", read_redacted(out.path(), "findings.csv"));
}

#[test]
fn findings_json_header_and_summary() {
    let (out, _) = sample_scan();
    let mut v: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.path().join("findings.json")).unwrap())
            .unwrap();
    let findings = v["findings"].as_array().unwrap().len();
    assert_eq!(v["run_id"].as_str().unwrap(), mark_run_id(out.path()));
    v["run_id"] = "[run_id]".into();
    v["run_at"] = "[run_at]".into();
    // This scan's record names the run too.
    for k in ["scan_id", "scan_time", "run_id"] {
        v["scan"][k] = format!("[{k}]").into();
    }
    v["findings"] = format!("[{findings} findings, as in findings.csv]").into();
    let stories = v["stories"].as_array().unwrap().len();
    v["stories"] = format!("[{stories} stories, as explain tells them]").into();
    insta::assert_json_snapshot!(v);
}

fn explain(arn: &str, format: &str) -> String {
    let o = run(
        &[
            "explain",
            "samples/org",
            arn,
            "--rules",
            "rules",
            "--format",
            format,
        ],
        &root(),
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    stdout(&o)
}

#[test]
fn explain_volume_protected_through_its_instance() {
    insta::assert_snapshot!(explain(
        "arn:aws:ec2:us-east-1:111111111111:volume/vol-01a10000000000003",
        "text"
    ));
}

/// A cold-storage transition is shown only where AWS Backup makes it: an RDS rule's is
/// ignored, an EBS volume's is hedged, an AMI's (through the instance) is ignored.
#[test]
fn explain_cold_storage_only_where_aws_backup_moves_backups() {
    insta::assert_snapshot!(explain(
        "arn:aws:rds:us-east-1:111111111111:db:payments-ledger",
        "text"
    ));
    insta::assert_snapshot!(explain(
        "arn:aws:ec2:us-east-1:111111111111:volume/vol-01a10000000000001",
        "text"
    ));
}

#[test]
fn explain_documentdb_cluster_blocked_by_opt_in() {
    let arn = "arn:aws:rds:eu-west-1:111111111111:cluster:catalog-eu-reviews";
    insta::assert_snapshot!(explain(arn, "text"));
}

/// Its scope's recovery-points.json was throttled: the points are unknown, not "none".
#[test]
fn explain_in_a_partly_unreadable_scope_says_what_is_unknown() {
    let text = explain("arn:aws:s3:::acme-staging-eu-uploads", "text");
    assert!(!text.contains("(none found)"), "{text}");
    insta::assert_snapshot!(text);
}

#[test]
fn explain_aurora_member_as_json() {
    let arn = "arn:aws:rds:us-east-1:111111111111:db:orders-aurora-instance-1";
    let v: serde_json::Value = serde_json::from_str(&explain(arn, "json")).unwrap();
    insta::assert_json_snapshot!(v);
}

#[test]
fn help_teaches() {
    let o = run(&["scan", "--help"], &root());
    insta::assert_snapshot!(stdout(&o));
}

#[test]
fn explain_tells_the_story_of_every_sample_resource() {
    use backup_auditor::app::{evaluate, Output};
    use backup_auditor::cli::PolicyArgs;
    use backup_auditor::report::{explain::explain, Templates};
    let policy = PolicyArgs {
        rules: vec![root().join("rules")],
        waivers: Some(root().join("samples/waivers.yaml")),
        as_of: None,
    };
    let e = evaluate(&root().join("samples/org"), &policy, &Output::silent()).unwrap();
    let templates = Templates::builtin().unwrap();
    let homes: Vec<(usize, usize, &str)> = e
        .inventory
        .scopes
        .iter()
        .enumerate()
        .flat_map(|(si, s)| {
            s.resources
                .iter()
                .enumerate()
                .map(move |(ri, r)| (si, ri, r.arn.as_str()))
        })
        .collect();
    assert_eq!(homes.len(), 98);
    for (si, ri, arn) in homes {
        let story = explain(&e.inventory, &e.rules, &e.evaluation, si, ri);
        assert!(!story.verdicts.is_empty(), "{arn}: no verdicts");
        #[derive(serde::Serialize)]
        struct View<'a> {
            r: &'a backup_auditor::report::explain::Explanation<'a>,
        }
        let text = templates
            .render("explain.txt.j2", &View { r: &story })
            .unwrap();
        assert!(text.starts_with(arn), "{arn}");
        // Every verdict is explained, and every applied rule says whether it is effective.
        assert_eq!(
            text.matches("\n  PASS  ").count()
                + text.matches("\n  FAIL  ").count()
                + text.matches("\n  WAIVED  ").count()
                + text.matches("\n  NOT_APPLICABLE  ").count()
                + text.matches("\n  NOT_ASSESSED  ").count(),
            story.verdicts.len(),
            "{text}"
        );
    }
}

/// Its restore testing plan restored it and validated the restore: explain names the
/// selection and the job, and says the duration is inferred.
#[test]
fn explain_restore_testing() {
    let text = explain("arn:aws:rds:us-east-1:111111111111:db:orders-prod", "text");
    assert!(
        text.contains(
            "Restore testing (restore jobs newest first):\n  selected by restore testing \
             selection weekly_critical/orders_db\n  COMPLETED 2026-11-25T05:12:00Z, validation \
             SUCCESSFUL, took 52 min (inferred)"
        ),
        "{text}"
    );
    let bucket = explain("arn:aws:s3:::acme-payments-statements", "text");
    assert!(
        bucket.contains("  no restore testing selection covers it\n  (no restore job listed)"),
        "{bucket}"
    );
}

/// Its backup job completed and its copy to the central account failed: explain lists both,
/// each with the job it belongs to.
#[test]
fn explain_backup_and_copy_jobs() {
    let text = explain(
        "arn:aws:dynamodb:us-east-1:111111111111:table/orders",
        "text",
    );
    assert!(
        text.contains(
            "FAILED 2026-11-26T05:36:41Z to arn:aws:backup:us-east-1:333333333333:backup-vault:\
             central-us-east-1, copying backup job 20261126-0532-41A0-9008-111111111111"
        ),
        "{text}"
    );
    assert!(
        text.contains(
            "COMPLETED 2026-11-26T05:32:42Z in orders by plan orders-prod rule daily-35d"
        ),
        "{text}"
    );
    insta::assert_snapshot!(text);
}
