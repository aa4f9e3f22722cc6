use super::*;
use crate::snapshot::organization::InvalidAccount;

/// The sample organisation, as the model reads it.
fn sample() -> Inventory {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("samples/org");
    let snapshot = crate::snapshot::Snapshot::load(&root).expect("the sample loads");
    Inventory::build(snapshot, None).expect("the sample builds")
}

fn judged(inv: &Inventory, account: &str) -> Verdict {
    judge(inv, inv.scope_at(account, "us-east-1").unwrap())
}

fn listed(details: Result<Vec<AccountValidationErrors>, String>) -> BackupPolicies {
    BackupPolicies::Read {
        invalid: vec![InvalidAccount {
            id: "222222222222".into(),
            name: Some("staging".into()),
        }],
        details,
    }
}

#[test]
fn a_listed_account_fails_with_each_error_and_the_others_pass() {
    let mut inv = sample();
    inv.backup_policies = listed(Ok(vec![AccountValidationErrors {
        account_id: "222222222222".into(),
        effective_policy_validation_errors: vec![
            ValidationError {
                error_code: Some("ELEMENTS_TOO_MANY".into()),
                error_message: Some("too many rules".into()),
                path_to_error: Some("plans.org-daily-baseline.rules".into()),
                contributing_policies: vec!["p-a1b2c3d4".into(), "p-e5f6a7b8".into()],
            },
            ValidationError {
                error_code: Some("MISSING_VAULT".into()),
                error_message: None,
                path_to_error: None,
                contributing_policies: vec![],
            },
        ],
    }]));
    let v = judged(&inv, "222222222222");
    assert_eq!(v.status, Status::Fail);
    assert_eq!(
        v.reason,
        "the effective backup policy of account 222222222222 is not fully enforced: \
         ELEMENTS_TOO_MANY at plans.org-daily-baseline.rules (policies p-a1b2c3d4, p-e5f6a7b8): \
         too many rules; MISSING_VAULT"
    );
    let v = judged(&inv, "111111111111");
    assert_eq!(v.status, Status::Pass, "{}", v.reason);
}

#[test]
fn a_listed_account_fails_though_its_errors_are_unknown() {
    let mut inv = sample();
    inv.backup_policies = listed(Err("AccessDeniedException: denied".into()));
    let v = judged(&inv, "222222222222");
    assert_eq!(v.status, Status::Fail);
    assert!(v
        .reason
        .ends_with("its validation errors are unknown: AccessDeniedException: denied"));
}

#[test]
fn unread_or_uncollected_policies_are_not_assessed_and_no_organisation_is_not_applicable() {
    let mut inv = sample();
    inv.backup_policies = BackupPolicies::Unreadable("AccessDeniedException: no".into());
    let v = judged(&inv, "111111111111");
    assert_eq!(v.status, Status::NotAssessed);
    assert!(
        v.reason.contains("AccessDeniedException: no"),
        "{}",
        v.reason
    );

    inv.backup_policies = BackupPolicies::NotCollected;
    let v = judged(&inv, "111111111111");
    assert_eq!(v.status, Status::NotAssessed);
    assert!(v.reason.contains("is not in the snapshot"), "{}", v.reason);

    inv.organization = None;
    inv.organization_unreadable = Some("AccessDeniedException: not allowed".into());
    let v = judged(&inv, "111111111111");
    assert_eq!(v.status, Status::NotAssessed);
    assert!(
        v.reason
            .contains("DescribeOrganization): AccessDeniedException"),
        "{}",
        v.reason
    );

    inv.organization_unreadable = None;
    let v = judged(&inv, "111111111111");
    assert_eq!(v.status, Status::NotApplicable, "{}", v.reason);
}

#[test]
fn an_account_region_that_could_not_be_entered_is_not_assessed_saying_what_the_organisation_says() {
    let mut inv = sample();
    inv.backup_policies = listed(Err("not read".into()));
    let failed = inv.scope_at("444444444444", "us-east-1").unwrap();
    let v = judge(&inv, failed);
    assert_eq!(v.status, Status::NotAssessed, "{}", v.reason);
    assert!(
        v.reason.contains("AccessDenied")
            && v.reason
                .contains("the organisation says: account 444444444444 is not among"),
        "{}",
        v.reason
    );
    let mut staging = inv.scope_at("222222222222", "us-east-1").unwrap().clone();
    staging.status = ScopeStatus::Failed;
    let v = judge(&inv, &staging);
    assert_eq!(v.status, Status::NotAssessed);
    assert!(v.reason.contains("the organisation says: the effective backup policy of account 222222222222 is not fully enforced"), "{}", v.reason);
}
