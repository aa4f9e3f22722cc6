//! Collecting what the organisation says of its effective backup policies, against the fake
//! AWS (Organizations `ListAccountsWithInvalidEffectivePolicy`,
//! `ListEffectivePolicyValidationErrors`), and the verdicts of `org-backup-policy-valid` that
//! follow.

use crate::collect::{collect, read_json};
use crate::fake_aws::{FakeAws, Faults};
use crate::util::{copy_dir, csv_rows, root, stderr};
use serde_json::{json, Value};
use std::path::Path;
use std::process::Command;

const RULE: &str = "org-backup-policy-valid";

/// The `org-backup-policy-valid` findings of a scan, one per account-region:
/// `(account, status, reason)`.
fn org_verdicts(snapshot: &Path) -> Vec<(String, String, String)> {
    let out = tempfile::tempdir().unwrap();
    let o = Command::new(env!("CARGO_BIN_EXE_backup-auditor"))
        .args(["scan", snapshot.to_str().unwrap(), "--rules", "rules"])
        .args(["--format", "csv", "-q", "--out"])
        .arg(out.path())
        .current_dir(root())
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    csv_rows(&out.path().join("findings.csv"))
        .into_iter()
        .filter(|r| r["rule_id"] == RULE)
        .map(|r| {
            (
                r["account_id"].clone(),
                r["status"].clone(),
                r["reason"].clone(),
            )
        })
        .collect()
}

/// The sample with three validation errors for staging: more than the fake's page of two.
fn sample_with_three_errors(dir: &Path) -> std::path::PathBuf {
    let served = dir.join("served");
    copy_dir(&root().join("samples/org"), &served);
    let path = served.join("organization/effective-policy-validation-errors.json");
    let mut details = read_json(&path);
    let errors = details[0]["EffectivePolicyValidationErrors"]
        .as_array_mut()
        .unwrap();
    for code in ["SECOND_ERROR", "THIRD_ERROR"] {
        errors.push(json!({"ErrorCode": code, "PathToError": "plans", "ContributingPolicies": []}));
    }
    std::fs::write(&path, serde_json::to_vec_pretty(&details).unwrap()).unwrap();
    served
}

#[test]
fn invalid_effective_backup_policies_are_collected_with_every_page_of_their_errors() {
    let dir = tempfile::tempdir().unwrap();
    let served = sample_with_three_errors(dir.path());
    let fake = FakeAws::start(&served, Faults::default());
    let snap = dir.path().join("snap");
    let o = collect(&fake, &snap, &[]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let calls = fake.calls();
    assert_eq!(
        calls["organizations:ListAccountsWithInvalidEffectivePolicy"],
        1
    );
    // Two pages of one account's errors, merged into one answer as the AWS CLI prints it.
    assert_eq!(
        calls["organizations:ListEffectivePolicyValidationErrors"],
        2
    );
    let org = |root: &Path, name: &str| read_json(&root.join("organization").join(name));
    let invalid = org(&snap, "invalid-effective-policies.json");
    assert_eq!(invalid["PolicyType"], "BACKUP_POLICY");
    let ids: Vec<&Value> = invalid["Accounts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| &a["Id"])
        .collect();
    assert_eq!(ids, [&json!("222222222222")]);
    assert_eq!(
        invalid["Accounts"][0]["JoinedTimestamp"],
        "2024-01-15T09:00:00Z"
    );
    let got = org(&snap, "effective-policy-validation-errors.json");
    let want = org(&served, "effective-policy-validation-errors.json");
    assert_eq!(got[0]["AccountId"], "222222222222");
    assert_eq!(got[0]["Path"], want[0]["Path"]);
    assert_eq!(
        got[0]["EffectivePolicyValidationErrors"],
        want[0]["EffectivePolicyValidationErrors"]
    );
    assert!(
        read_json(&snap.join("manifest.json"))
            .get("organization")
            .is_none(),
        "nothing failed"
    );
    // Each account-region of the listed account fails, naming every error; the others pass.
    let judged = org_verdicts(&snap);
    for (account, status, reason) in &judged {
        if account == "222222222222" {
            assert_eq!(status, "FAIL", "{reason}");
            assert!(
                reason.contains("ELEMENTS_TOO_MANY at plans.org-daily-baseline.rules (policies p-5c1e0001, p-5c1e0002)")
                    && reason.contains("; SECOND_ERROR at plans; THIRD_ERROR at plans"),
                "{reason}"
            );
        } else if account == "444444444444" {
            // The sample's account that cannot be entered passes nothing.
            assert_eq!(status, "NOT_ASSESSED", "{reason}");
        } else {
            assert_eq!(status, "PASS", "{account}: {reason}");
        }
    }
    assert_eq!(
        judged.iter().filter(|j| j.1 == "FAIL").count(),
        2,
        "{judged:?}"
    );
}

/// A caller that is neither the management account nor a delegated administrator is refused
/// the list: recorded in the manifest, so every account-region is NOT_ASSESSED, never PASS.
#[test]
fn a_refused_listing_is_recorded_and_judged_not_assessed() {
    let faults = Faults {
        denied: ["organizations:ListAccountsWithInvalidEffectivePolicy".to_string()].into(),
        ..Faults::default()
    };
    let fake = FakeAws::start(&root().join("samples/org"), faults);
    let dir = tempfile::tempdir().unwrap();
    let snap = dir.path().join("snap");
    let o = collect(&fake, &snap, &[]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(snap.join("organization/organization.json").is_file());
    assert!(!snap
        .join("organization/invalid-effective-policies.json")
        .exists());
    assert_eq!(
        fake.calls()
            .get("organizations:ListEffectivePolicyValidationErrors"),
        None
    );
    let errors = &read_json(&snap.join("manifest.json"))["organization"]["errors"];
    assert_eq!(
        errors[0]["file"], "invalid-effective-policies.json",
        "{errors}"
    );
    let error = errors[0]["error"].as_str().unwrap();
    assert!(error.starts_with("AccessDeniedException: "), "{error}");
    let judged = org_verdicts(&snap);
    assert!(!judged.is_empty());
    for (account, status, reason) in &judged {
        assert_eq!(status, "NOT_ASSESSED", "{account}: {reason}");
        assert!(reason.contains("AccessDeniedException"), "{reason}");
    }
}

/// Refused only the details: the listed account still fails, saying its errors are unknown.
#[test]
fn refused_details_still_fail_the_listed_account() {
    let faults = Faults {
        denied: ["organizations:ListEffectivePolicyValidationErrors".to_string()].into(),
        ..Faults::default()
    };
    let fake = FakeAws::start(&root().join("samples/org"), faults);
    let dir = tempfile::tempdir().unwrap();
    let snap = dir.path().join("snap");
    let o = collect(&fake, &snap, &[]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let errors = &read_json(&snap.join("manifest.json"))["organization"]["errors"];
    assert_eq!(
        errors[0]["file"], "effective-policy-validation-errors.json",
        "{errors}"
    );
    for (account, status, reason) in org_verdicts(&snap) {
        if account == "222222222222" {
            assert_eq!(status, "FAIL");
            assert!(
                reason.contains("its validation errors are unknown: AccessDeniedException"),
                "{reason}"
            );
        }
    }
}

/// Without DescribeOrganization the organisation is unknown: recorded, and judged NOT_ASSESSED
/// (not NOT_APPLICABLE, which says there is no organisation).
#[test]
fn a_refused_describe_organization_is_recorded_and_judged_not_assessed() {
    let faults = Faults {
        denied: ["organizations:DescribeOrganization".to_string()].into(),
        ..Faults::default()
    };
    let fake = FakeAws::start(&root().join("samples/org"), faults);
    let dir = tempfile::tempdir().unwrap();
    let snap = dir.path().join("snap");
    let o = collect(&fake, &snap, &[]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(!snap.join("organization").exists());
    let errors = &read_json(&snap.join("manifest.json"))["organization"]["errors"];
    assert_eq!(errors[0]["file"], "organization.json", "{errors}");
    for (account, status, reason) in org_verdicts(&snap) {
        assert_eq!(status, "NOT_ASSESSED", "{account}: {reason}");
        assert!(reason.contains("DescribeOrganization"), "{reason}");
    }
}
