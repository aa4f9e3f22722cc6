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
    scan_as("--terraform-plan", plan, extra)
}

fn scan_as(flag: &str, plan: &Path, extra: &[&str]) -> (Output, Rows, tempfile::TempDir) {
    let out = tempfile::tempdir().unwrap();
    let o = Command::new(env!("CARGO_BIN_EXE_backup-auditor"))
        .args(["scan", "samples/org", flag])
        .arg(plan)
        .args(["--format", "csv,markdown", "--fail-on-new", "high"])
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
    // The pull-request comment says what it judged and what the plan changes; a streak
    // since the snapshot means nothing there and is left out.
    let md = std::fs::read_to_string(out.path().join("summary.md")).unwrap();
    assert!(md.contains("vol-01a10000000000004"), "{md}");
    assert!(md.contains("**Judged as the Terraform plan "), "{md}");
    assert!(md.contains("### What the plan changes"), "{md}");
    // Each new failure names the plan's address that causes it, and why it fails.
    assert!(
        md.lines().any(|l| l.contains("| `backup-protected` |")
            && l.contains("`aws_ebs_volume.payments_archive`")
            && l.contains("| regressed | no backup selection")),
        "{md}"
    );
    assert!(!md.contains("Longest-standing"), "{md}");
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
        imports.iter().any(|r| r["status"] == "UNDECIDABLE"
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

#[test]
fn versioning_attachments_and_selection_mistakes_are_laid_and_named() {
    let (o, rows, out) = scan(
        &root().join("tests/plans/amendments-and-mistakes.json"),
        &["--account", "111111111111"],
    );
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    // A new bucket with aws_s3_bucket_versioning Enabled (found through its reference) is
    // backed up; one without versioning cannot be.
    let ledger = protected(&rows, "arn:aws:s3:::acme-payments-ledger");
    assert_eq!(ledger["status"], "PASS", "{ledger:?}");
    let exports = protected(&rows, "arn:aws:s3:::acme-payments-exports");
    assert_eq!(
        (exports["status"].as_str(), exports["change"].as_str()),
        ("FAIL", "new")
    );
    assert!(exports["reason"].contains("versioning"), "{exports:?}");
    // Attached to a protected instance, the volume is backed up with it.
    let ftp = protected(&rows, &format!("{VOLUMES}vol-01a00000000000001"));
    assert_eq!(
        (ftp["status"].as_str(), ftp["change"].as_str()),
        ("PASS", "resolved")
    );
    assert!(ftp["reason"].contains("through EC2 instance i-01a10000000000001"));
    // The sloppy selection's three mistakes, each at its address; the IAM role is not
    // backup's business and goes unmentioned.
    let err = stderr(&o);
    for says in [
        "aws_backup_selection.sloppy: condition key \"env\" lacks the aws:ResourceTag/ prefix",
        "aws_backup_selection.sloppy: selection_tag key \"aws:ResourceTag/backup\"",
        "aws_backup_selection.sloppy: resources = [\"*\"] with selection_tag",
    ] {
        assert!(err.contains(says), "{says}\n{err}");
    }
    assert!(!err.contains("aws_iam_role"), "{err}");
    // And in the pull-request comment, in full.
    let md = std::fs::read_to_string(out.path().join("summary.md")).unwrap();
    assert!(
        md.contains("### ⚠️ In the plan, at their addresses"),
        "{md}"
    );
    assert!(md.contains("(only condition narrows a selection)"), "{md}");
}

#[test]
fn a_cloudformation_change_set_is_judged_like_a_plan() {
    let set = root().join("samples/plans/change-set-payments-storage.json");
    let (o, rows, _out) = scan_as("--cfn-change-set", &set, &[]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    // Modify: the tag CloudFormation removes from the stack's volume (its physical id).
    let scratch = protected(&rows, &format!("{VOLUMES}vol-01a10000000000004"));
    assert_eq!(
        (scratch["status"].as_str(), scratch["change"].as_str()),
        ("FAIL", "regressed")
    );
    // Add: a volume the stack's account and region receive, tagged into payments-app.
    let reports = protected(
        &rows,
        &format!("{VOLUMES}(known after apply: Reports (AWS::EC2::Volume))"),
    );
    assert_eq!(reports["status"], "PASS", "{reports:?}");
    // The new selection's condition key lacks its prefix: named at its logical id.
    let err = stderr(&o);
    assert!(
        err.contains("ByTagKey (AWS::Backup::BackupSelection): condition key \"env\" lacks"),
        "{err}"
    );
}

#[test]
fn a_change_set_without_property_values_asks_for_them() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("bare.json");
    std::fs::write(
        &path,
        r#"{"StackId": "arn:aws:cloudformation:us-east-1:111111111111:stack/s/1",
            "Changes": [{"Type": "Resource", "ResourceChange": {"Action": "Add",
            "LogicalResourceId": "Data", "ResourceType": "AWS::EC2::Volume"}}]}"#,
    )
    .unwrap();
    let (o, _, out) = scan_as("--cfn-change-set", &path, &[]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("--include-property-values"),
        "{}",
        stderr(&o)
    );
    assert!(!out.path().join("findings.csv").exists());
}

#[test]
fn a_region_opt_out_and_a_vault_lock_in_a_plan_are_judged_and_named() {
    let (o, rows, _out) = scan(
        &root().join("tests/plans/vault-lock-and-opt-out.json"),
        &["--account", "111111111111"],
    );
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    // EBS opted out: a volume selected through `*` and a tag condition is no longer backed
    // up; one attached to a selected instance still is (through its AMI).
    let scratch = protected(&rows, &format!("{VOLUMES}vol-01a10000000000004"));
    assert_eq!(
        (scratch["status"].as_str(), scratch["change"].as_str()),
        ("FAIL", "regressed")
    );
    assert!(scratch["reason"].contains("not opted in"), "{scratch:?}");
    let attached = protected(&rows, &format!("{VOLUMES}vol-01a10000000000003"));
    assert_eq!(attached["status"], "PASS", "{attached:?}");
    // The lock's bounds refuse the vault's keep-forever rule: named before its jobs fail.
    let err = stderr(&o);
    assert!(
        err.contains(
            "aws_backup_vault_lock_configuration.analytics: locks vault analytics to 30–400 \
             days, but rule yearly-keep-forever of plan analytics-prod keeps recovery points \
             forever: its backup jobs will fail"
        ),
        "{err}"
    );
    assert!(!err.contains("nightly-35d"), "{err}");
}

#[test]
fn explain_tells_a_resource_s_story_before_and_after_the_plan() {
    let explain = |target: &str, plan: &str, extra: &[&str]| {
        let o = Command::new(env!("CARGO_BIN_EXE_backup-auditor"))
            .args(["explain", "samples/org", target, "--terraform-plan", plan])
            .args(extra)
            .current_dir(root())
            .output()
            .unwrap();
        assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
        String::from_utf8(o.stdout).unwrap()
    };
    // By its address in the plan: selected before, not after, and why.
    let text = explain(
        "aws_ebs_volume.payments_archive",
        "samples/plans/untag-payments-volume.json",
        &[],
    );
    let (before, after) = text.split_once("\nAfter the Terraform plan").expect(&text);
    assert!(before.starts_with("Before the Terraform plan"), "{text}");
    assert!(
        before.contains("[selected] plan payments-prod / selection payments-app"),
        "{before}"
    );
    assert!(
        after.contains("[not selected] plan payments-prod / selection payments-app"),
        "{after}"
    );
    // A volume the plan creates has no story before it.
    let text = explain(
        "aws_ebs_volume.ledger",
        "samples/plans/new-volumes.json",
        &["--account", "111111111111"],
    );
    assert!(
        text.contains("not in the snapshot (the plan creates it)"),
        "{text}"
    );
    assert!(
        text.contains("[selected] plan orders-prod / selection orders-app"),
        "{text}"
    );
    // A change set's resource, by its logical id.
    let o = Command::new(env!("CARGO_BIN_EXE_backup-auditor"))
        .args(["explain", "samples/org", "BatchScratch", "--cfn-change-set"])
        .arg("samples/plans/change-set-payments-storage.json")
        .current_dir(root())
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&o.stdout);
    assert!(
        text.contains("Before the CloudFormation change set"),
        "{text}{}",
        stderr(&o)
    );
    assert!(text.contains("volume/vol-01a10000000000004"), "{text}");
}

#[test]
fn provider_aliases_modules_replacements_and_a_destroyed_vault_are_laid_where_they_land() {
    let (o, rows, _out) = scan(
        &root().join("tests/plans/regions-modules-replacements.json"),
        &["--account", "111111111111"],
    );
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    let err = stderr(&o);
    // The replaced selection (provider alias `aws.ireland`: eu-west-1) now excludes
    // instances through NotResources.
    let web = protected(
        &rows,
        "arn:aws:ec2:eu-west-1:111111111111:instance/i-01e30000000000001",
    );
    assert_eq!(
        (web["status"].as_str(), web["change"].as_str()),
        ("FAIL", "regressed")
    );
    // A module's for_each instance lands in its provider's region, selected by its tag.
    let data = protected(
        &rows,
        "arn:aws:ec2:eu-west-1:111111111111:volume/(known after apply: module.eu.aws_ebs_volume.data[\"web2\"])",
    );
    assert_eq!(data["status"], "PASS", "{data:?}");
    // A replaced DB instance keeps its ARN (its identifier), so the explicit-ARN selection
    // still names it; its recovery points do not carry over.
    let db = "arn:aws:rds:us-east-1:222222222222:db:orders-staging";
    assert_eq!(protected(&rows, db)["status"], "PASS");
    let recent = rows
        .iter()
        .find(|r| r["rule_id"] == "backup-recovery-point-recent" && r["resource_arn"] == db)
        .unwrap();
    assert_eq!(
        (recent["status"].as_str(), recent["change"].as_str()),
        ("FAIL", "new")
    );
    assert!(
        err.contains("aws_db_instance.orders_staging: replaced"),
        "{err}"
    );
    // A vault destroyed with force_destroy takes its points, and the rules that target it
    // make no more backups.
    assert!(
        err.contains("aws_backup_vault.analytics: force_destroy on vault analytics, which holds 14 recovery points: destroying it deletes them"),
        "{err}"
    );
    assert!(rows.iter().any(|r| r["rule_id"] == "backup-protected"
        && r["change"] == "regressed"
        && r["resource_arn"].contains("analytics")));
    // The moved block (a no-op) changes nothing.
    assert_eq!(
        protected(
            &rows,
            "arn:aws:ec2:eu-west-1:111111111111:volume/vol-01e00000000000002"
        )["change"],
        "still-failing"
    );
}

#[test]
fn shortening_retention_below_a_vault_lock_fails_the_jobs_and_is_named() {
    let (o, rows, _out) = scan(&root().join("tests/plans/shorter-retention.json"), &[]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    // The rule's ARN is known: the plan lands in its account without --account.
    assert!(stderr(&o).contains(
        "aws_backup_plan.orders: rule daily-35d keeps recovery points 5 days but vault orders \
         is locked to 7–365 days: its backup jobs will fail"
    ));
    // Vault lock fails the jobs rather than adjusting retention: what the rule selected is no
    // longer backed up.
    let worker = protected(
        &rows,
        "arn:aws:ec2:us-east-1:111111111111:instance/i-01a20000000000001",
    );
    assert_eq!(
        (worker["status"].as_str(), worker["change"].as_str()),
        ("FAIL", "regressed")
    );
    assert!(
        worker["reason"].contains("minimum retention 7 days"),
        "{worker:?}"
    );
}

#[test]
fn a_new_stack_s_selection_finds_its_plan_and_new_resources_owe_no_history() {
    let set = root().join("tests/plans/change-set-new-stack.json");
    let (o, rows, _out) = scan_as("--cfn-change-set", &set, &[]);
    // Nothing the stack adds is worse than before; the sample's unreadable account still
    // makes the gate say 3 rather than 0.
    assert_eq!(o.status.code(), Some(3), "{}", stderr(&o));
    // `BackupPlanId: !Ref ArchivePlan` reads KNOWN_AFTER_APPLY: the one plan the stack
    // creates is taken, and said so.
    assert!(stderr(&o).contains(
        "ArchiveSelection (AWS::Backup::BackupSelection): its plan_id is known only after apply"
    ));
    let volume = "arn:aws:ec2:eu-west-1:111111111111:volume/(known after apply: ArchiveVolume (AWS::EC2::Volume))";
    assert_eq!(protected(&rows, volume)["status"], "PASS");
    // No recovery point or job can exist yet: not a failure of the change.
    for rule in ["backup-recovery-point-recent", "backup-jobs-succeeded"] {
        let f = rows
            .iter()
            .find(|r| r["rule_id"] == rule && r["resource_arn"] == volume)
            .unwrap();
        assert_eq!(f["status"], "NOT_APPLICABLE", "{f:?}");
        assert!(f["reason"].starts_with("created by the plan"), "{f:?}");
    }
}

#[test]
fn tags_known_only_after_apply_are_undecidable_and_the_gate_counts_them_only_when_asked() {
    let plan = root().join("tests/plans/unknown-tags.json");
    let arn = format!("{VOLUMES}vol-01a10000000000004");
    let (o, rows, out) = scan(&plan, &[]);
    let f = protected(&rows, &arn);
    assert_eq!(
        (f["status"].as_str(), f["change"].as_str()),
        ("UNDECIDABLE", "undecidable"),
        "{f:?}"
    );
    assert!(
        f["reason"].contains("undecidable until apply")
            && f["reason"].contains("aws_ebs_volume.payments_archive"),
        "{f:?}"
    );
    // `warn` (the default): named, not counted; the sample's unreadable account still says 3.
    let said = String::from_utf8_lossy(&o.stdout);
    assert_eq!(o.status.code(), Some(3), "{said}{}", stderr(&o));
    assert!(
        said.contains("undecidable until apply (not counted: --undecidable warn)"),
        "{said}"
    );
    let md = std::fs::read_to_string(out.path().join("summary.md")).unwrap();
    assert!(md.contains("#### Undecidable until apply"), "{md}");
    assert!(md.contains("| UNDECIDABLE |"), "{md}");
    // `fail`: the same finding fails the gate.
    let (o, _, _) = scan(&plan, &["--undecidable", "fail"]);
    let said = String::from_utf8_lossy(&o.stdout);
    assert_eq!(o.status.code(), Some(1), "{said}{}", stderr(&o));
    assert!(
        said.contains("counted as failures: --undecidable fail"),
        "{said}"
    );
}

#[test]
fn a_selection_that_selects_nothing_and_a_volume_untagged_like_its_instance_are_named() {
    let (o, rows, _out) = scan(
        &root().join("tests/plans/selections-that-miss.json"),
        &["--account", "111111111111"],
    );
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    let err = stderr(&o);
    for address in [
        "aws_backup_selection.team_volumes",
        "aws_backup_selection.nightly",
    ] {
        assert!(
            err.lines()
                .any(|l| l.contains(address) && l.contains("selects nothing")),
            "{address}: {err}"
        );
    }
    assert!(
        err.lines().any(|l| l.contains("aws_ebs_volume.worker_data")
            && l.contains("attached to instance (known after apply: aws_instance.worker)")
            && l.contains("team-volumes")),
        "{err}"
    );
    // The warnings name the cause; the verdicts are the engine's: neither is backed up.
    for arn in [
        format!("{VOLUMES}(known after apply: aws_ebs_volume.worker_data)"),
        "arn:aws:ec2:us-east-1:111111111111:instance/(known after apply: aws_instance.worker)"
            .to_string(),
    ] {
        let f = protected(&rows, &arn);
        assert_eq!(
            (f["status"].as_str(), f["change"].as_str()),
            ("FAIL", "new")
        );
    }
}

fn template_scan(template: &str, extra: &[&str]) -> (Output, Rows, tempfile::TempDir) {
    scan_as("--cfn-template", &root().join(template), extra)
}

#[test]
fn a_cloudformation_template_is_judged_where_it_is_deployed() {
    let (o, rows, out) = template_scan(
        "samples/plans/orders-stack.yaml",
        &[
            "--cfn-parameters",
            "samples/plans/orders-stack.params.json",
            "--account",
            "111111111111",
            "--region",
            "us-east-1",
        ],
    );
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    let new = |logical: &str| format!("{VOLUMES}(known after apply: {logical} (AWS::EC2::Volume))");
    let verdict = |logical: &str| {
        let f = protected(&rows, &new(logical));
        (f["status"].clone(), f["reason"].clone())
    };
    assert_eq!(verdict("ScratchVolume").0, "FAIL");
    let (ledger, why) = verdict("LedgerVolume");
    assert_eq!(ledger, "PASS", "{why}");
    assert!(why.contains("orders-app"), "{why}");
    // `!Sub …volume/${JournalVolume}` names the planned volume; `!Ref OrdersPlan` the plan the
    // template updates, which keeps its id.
    let (journal, why) = verdict("JournalVolume");
    assert_eq!(journal, "PASS", "{why}");
    assert!(why.contains("orders-journal"), "{why}");
    // `Value: !Ref SharedAppTag`, a parameter without a value.
    let (imports, why) = verdict("ImportsVolume");
    assert_eq!(imports, "UNDECIDABLE", "{why}");
    assert!(why.contains("ImportsVolume"), "{why}");
    // `Condition: IsDev` is false with Env's default.
    assert!(!rows
        .iter()
        .any(|r| r["resource_arn"].contains("DevScratchVolume")));
    // The template's orders-prod replaces the snapshot's (same name): its 7 days now fail the
    // 35-day policy for what that plan backs up. Two plans side by side would have hidden it.
    let worker = rows
        .iter()
        .find(|r| {
            r["rule_id"] == "backup-frequency-retention"
                && r["resource_arn"].ends_with("instance/i-01a20000000000001")
        })
        .unwrap();
    assert_eq!(
        (worker["status"].as_str(), worker["change"].as_str()),
        ("FAIL", "new"),
        "{worker:?}"
    );
    let err = stderr(&o);
    assert!(err.contains("parameter SharedAppTag has no value"), "{err}");
    assert!(
        err.contains("DevScratchVolume: its condition is false"),
        "{err}"
    );
    let md = std::fs::read_to_string(out.path().join("summary.md")).unwrap();
    assert!(md.contains("the CloudFormation template "), "{md}");
}

#[test]
fn a_template_with_a_stack_name_updates_and_deletes_that_stack_s_resources() {
    let (_dir, snapshot) = crate::util::sample_copy();
    let file = snapshot.join("111111111111/us-east-1/resources.json");
    let mut items: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&file).unwrap()).unwrap();
    for item in items.as_array_mut().unwrap() {
        let logical = match item["resourceId"].as_str().unwrap() {
            "vol-01a10000000000004" => "ArchiveVolume",
            "vol-01a10000000000003" => "OldScratch",
            _ => continue,
        };
        let tags = item["tags"].as_array_mut().unwrap();
        tags.push(serde_json::json!({"key": "aws:cloudformation:stack-name", "value": "payments-storage"}));
        tags.push(serde_json::json!({"key": "aws:cloudformation:logical-id", "value": logical}));
    }
    std::fs::write(&file, serde_json::to_string(&items).unwrap()).unwrap();
    let out = tempfile::tempdir().unwrap();
    let o = Command::new(env!("CARGO_BIN_EXE_backup-auditor"))
        .arg("scan")
        .arg(&snapshot)
        .arg("--cfn-template")
        .arg(root().join("tests/plans/templates/payments-storage.yaml"))
        .args(["--stack-name", "payments-storage", "--region", "us-east-1"])
        .args([
            "--account",
            "111111111111",
            "--format",
            "csv",
            "--fail-on-new",
            "high",
        ])
        .arg("--out")
        .arg(out.path())
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    let rows = csv_rows(&out.path().join("findings.csv"));
    let archive = protected(&rows, &format!("{VOLUMES}vol-01a10000000000004"));
    assert_eq!(
        (archive["status"].as_str(), archive["change"].as_str()),
        ("FAIL", "regressed"),
        "{archive:?}"
    );
    assert!(!rows
        .iter()
        .any(|r| r["resource_arn"].ends_with("vol-01a10000000000003")));
    assert!(!rows
        .iter()
        .any(|r| r["resource_arn"].contains("known after apply")));
}

#[test]
fn a_broken_template_is_refused_with_where_and_why() {
    let dir = tempfile::tempdir().unwrap();
    let params = dir.path().join("params.json");
    std::fs::write(&params, r#"{"Nope": "1"}"#).unwrap();
    let at = |f: &str| root().join(f).to_string_lossy().into_owned();
    let region = ["--region", "us-east-1"];
    let cases: [(String, Vec<&str>, String); 5] = [
        (
            at("tests/plans/templates/broken.yaml"),
            region.to_vec(),
            "broken.yaml:6:".into(),
        ),
        (
            at("tests/plans/templates/dangling.json"),
            vec!["--region", "us-east-1", "--account", "111111111111"],
            "Ref to \"NoSuchPlan\"".into(),
        ),
        (
            at("samples/plans/orders-stack.yaml"),
            vec![
                "--cfn-parameters",
                params.to_str().unwrap(),
                "--region",
                "us-east-1",
            ],
            "parameter \"Nope\" is not declared".into(),
        ),
        (
            at("samples/plans/new-volumes.json"),
            region.to_vec(),
            "a Terraform plan, not a template".into(),
        ),
        (
            at("samples/plans/orders-stack.yaml"),
            vec![],
            "give --region".into(),
        ),
    ];
    for (template, extra, said) in cases {
        let (o, _, out) = scan_as("--cfn-template", Path::new(&template), &extra);
        let err = stderr(&o);
        assert_eq!(o.status.code(), Some(2), "{template}: {err}");
        assert!(err.contains(&said), "{template}: wanted {said:?} in {err}");
        assert!(!out.path().join("findings.csv").exists());
    }
}

#[test]
fn a_vault_updated_in_place_keeps_its_lock_and_recovery_points() {
    let (o, rows, _out) = scan(&root().join("tests/plans/vault-tags.json"), &[]);
    let worse: Vec<_> = rows
        .iter()
        .filter(|r| !matches!(r["change"].as_str(), "unchanged" | "still-failing" | ""))
        .collect();
    assert!(worse.is_empty(), "{worse:#?}\n{}", stderr(&o));
    let vault = rows
        .iter()
        .find(|r| {
            r["rule_id"] == "backup-vault-lock"
                && r["resource_arn"]
                    == "arn:aws:backup:us-east-1:111111111111:backup-vault:payments"
        })
        .expect("the payments vault's lock finding");
    assert_eq!(vault["status"], "PASS", "{vault:?}");
}

#[test]
fn vault_access_policies_and_organisation_backup_policies_in_a_plan() {
    let (o, rows, _out) = scan(
        &root().join("tests/plans/policies.json"),
        &["--account", "111111111111"],
    );
    assert_eq!(o.status.code(), Some(3), "{}", stderr(&o));
    let vault = |name: &str| {
        let arn = format!("arn:aws:backup:us-east-1:111111111111:backup-vault:{name}");
        let f = rows
            .iter()
            .find(|r| {
                r["rule_id"] == "backup-vault-deletion-protection" && r["resource_arn"] == arn
            })
            .unwrap();
        (f["status"].clone(), f["change"].clone())
    };
    // The policy that denied deletion is removed; one is added; one is known only after apply.
    assert_eq!(vault("payments"), ("FAIL".into(), "new".into()));
    assert_eq!(vault("catalog").0, "PASS");
    assert_eq!(
        vault("analytics"),
        ("UNDECIDABLE".into(), "undecidable".into())
    );
    // An altered backup policy: what the plans it delivers protect waits for apply; a local
    // plan's protection in the same account-region does not.
    let staging = |arn: &str| protected(&rows, arn)["status"].clone();
    assert_eq!(
        staging("arn:aws:dynamodb:us-east-1:222222222222:table/payments-staging-transactions"),
        "UNDECIDABLE"
    );
    assert_eq!(
        staging("arn:aws:ec2:us-east-1:222222222222:instance/i-02a20000000000001"),
        "PASS"
    );
    // A service control policy changes no backup verdict.
    assert!(!stderr(&o).contains("no_public_buckets"), "{}", stderr(&o));
}

#[test]
fn a_template_replacing_a_plan_leaves_its_unnamed_selections_undecidable_and_deletes_what_its_conditions_drop(
) {
    let (o, rows, _out) = template_scan(
        "tests/plans/templates/payments-plan.yaml",
        &["--account", "111111111111", "--region", "us-east-1"],
    );
    let err = stderr(&o);
    // Protected through payments-app, which the template does not name.
    let payments = protected(&rows, &format!("{VOLUMES}vol-01a10000000000001"));
    assert_eq!(payments["status"], "UNDECIDABLE", "{payments:?}\n{err}");
    assert!(payments["reason"].contains("payments-app"), "{payments:?}");
    // prod-baseline's condition is false here: the deployment deletes the plan, and what only
    // it protected is no longer protected.
    assert!(
        err.contains("BaselinePlan: its condition is false"),
        "{err}"
    );
    let worse: Vec<_> = rows
        .iter()
        .filter(|r| r["rule_id"] == "backup-protected" && r["change"] == "regressed")
        .collect();
    assert!(!worse.is_empty(), "{err}");
    assert!(
        worse.iter().all(|r| !r["reason"].contains("prod-baseline")),
        "{worse:#?}"
    );
}

#[test]
fn security_hub_is_refused_with_a_planned_change() {
    let (o, _, _) = scan(
        &root().join("samples/plans/untag-payments-volume.json"),
        &["--security-hub"],
    );
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("--security-hub"), "{}", stderr(&o));
}
