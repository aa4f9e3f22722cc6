use super::*;
use serde_json::json;

const SOURCE: &str = "111111111111";
const ORG: &str = "o-a1b2c3d4e5";

fn access(doc: Value, org: Option<&str>) -> CopyAccess {
    copy_access(Some(&Ok(doc)), SOURCE, org)
}

fn statement(effect: &str, principal: Value, action: Value, condition: Option<Value>) -> Value {
    let mut st =
        json!({"Effect": effect, "Principal": principal, "Action": action, "Resource": "*"});
    if let Some(c) = condition {
        st["Condition"] = c;
    }
    json!({"Version": "2012-10-17", "Statement": [st]})
}

fn org_condition(id: &str) -> Option<Value> {
    Some(json!({"StringEquals": {"aws:PrincipalOrgID": id}}))
}

#[test]
fn no_policy_refuses_other_accounts() {
    assert!(matches!(
        copy_access(None, SOURCE, Some(ORG)),
        CopyAccess::Refused(_)
    ));
}

#[test]
fn the_organisation_condition_is_decided_by_the_organisation_id() {
    let doc = statement(
        "Allow",
        json!({"AWS": "*"}),
        json!("backup:CopyIntoBackupVault"),
        org_condition(ORG),
    );
    assert_eq!(access(doc.clone(), Some(ORG)), CopyAccess::Allowed);
    assert!(matches!(
        access(doc.clone(), Some("o-other")),
        CopyAccess::Refused(_)
    ));
    // Without the organisation's id, nothing is assumed.
    assert!(matches!(access(doc, None), CopyAccess::Unknown(w) if w.contains("PrincipalOrgID")));
}

#[test]
fn principals_allow_the_account_only_when_they_name_all_of_it() {
    for p in [
        json!("*"),
        json!({"AWS": SOURCE}),
        json!({"AWS": ["arn:aws:iam::111111111111:root"]}),
    ] {
        let doc = statement(
            "Allow",
            p.clone(),
            json!("backup:CopyIntoBackupVault"),
            None,
        );
        assert_eq!(access(doc, None), CopyAccess::Allowed, "{p}");
    }
    let other = statement(
        "Allow",
        json!({"AWS": "222222222222"}),
        json!("backup:CopyIntoBackupVault"),
        None,
    );
    assert!(matches!(access(other, None), CopyAccess::Refused(_)));
    let role = statement(
        "Allow",
        json!({"AWS": "arn:aws:iam::111111111111:role/x"}),
        json!("backup:*"),
        None,
    );
    assert!(matches!(access(role, None), CopyAccess::Unknown(_)));
}

#[test]
fn actions_match_with_iam_wildcards_and_without_case() {
    for a in [
        json!("backup:*"),
        json!("*"),
        json!("Backup:Copy*"),
        json!(["s3:GetObject", "backup:CopyIntoBackupVaul?"]),
    ] {
        let doc = statement("Allow", json!("*"), a.clone(), None);
        assert_eq!(access(doc, None), CopyAccess::Allowed, "{a}");
    }
    let other = statement(
        "Allow",
        json!("*"),
        json!("backup:DeleteRecoveryPoint"),
        None,
    );
    assert!(matches!(access(other, None), CopyAccess::Refused(_)));
}

#[test]
fn a_deny_wins_and_a_deny_that_cannot_be_evaluated_leaves_it_unknown() {
    let allow = json!({"Effect": "Allow", "Principal": "*", "Action": "backup:CopyIntoBackupVault", "Resource": "*"});
    let deny = json!({"Sid": "NoCopies", "Effect": "Deny", "Principal": "*", "Action": "backup:CopyIntoBackupVault", "Resource": "*"});
    let doc = json!({"Statement": [allow.clone(), deny]});
    assert!(matches!(access(doc, None), CopyAccess::Refused(w) if w.contains("NoCopies")));
    let tagged = json!({"Effect": "Deny", "Principal": "*", "Action": "backup:*", "Resource": "*",
        "Condition": {"StringEquals": {"aws:PrincipalTag/team": "x"}}});
    let doc = json!({"Statement": [allow, tagged]});
    assert!(
        matches!(access(doc, None), CopyAccess::Unknown(w) if w.contains("aws:PrincipalTag/team"))
    );
}

#[test]
fn not_principal_and_invalid_json_are_unknown() {
    let doc = json!({"Statement": {"Effect": "Allow", "NotPrincipal": {"AWS": "x"}, "Action": "backup:*"}});
    assert!(matches!(access(doc, None), CopyAccess::Unknown(_)));
    assert!(matches!(
        copy_access(Some(&Err("eof".into())), SOURCE, None),
        CopyAccess::Unknown(_)
    ));
}
