use super::*;
use serde_json::json;

const ACCOUNT: &str = "111111111111";
const REGION: &str = "us-east-1";
const DEFAULT_ROLE: &str =
    "arn:aws:iam::111111111111:role/service-role/AWSBackupDefaultServiceRole";

fn role(name: &str, path: &str, doc: Value) -> IamRole {
    IamRole {
        role_name: name.into(),
        arn: format!("arn:aws:iam::{ACCOUNT}:role{path}{name}"),
        path: Some(path.into()),
        assume_role_policy_document: Some(doc),
    }
}

fn trust(statement: Value) -> Value {
    json!({"Version": "2012-10-17", "Statement": [statement]})
}

fn backup_allow() -> Value {
    json!({"Effect": "Allow", "Principal": {"Service": "backup.amazonaws.com"}, "Action": "sts:AssumeRole"})
}

fn judge(statement: Value) -> RoleState {
    trust_of(
        &role(
            "AWSBackupDefaultServiceRole",
            "/service-role/",
            trust(statement),
        ),
        ACCOUNT,
        REGION,
    )
}

fn with_condition(cond: Value) -> Value {
    let mut s = backup_allow();
    s["Condition"] = cond;
    s
}

#[test]
fn the_default_trust_policy_is_trusted() {
    assert_eq!(judge(backup_allow()), RoleState::Trusted);
    // Principal lists, action lists and wildcards, action names in any case.
    let mut s = backup_allow();
    s["Principal"] = json!({"Service": ["ec2.amazonaws.com", "backup.amazonaws.com"]});
    s["Action"] = json!(["sts:TagSession", "STS:Assume*"]);
    assert_eq!(judge(s), RoleState::Trusted);
}

#[test]
fn a_policy_for_another_service_is_untrusted() {
    let mut s = backup_allow();
    s["Principal"] = json!({"Service": "ec2.amazonaws.com"});
    let RoleState::Untrusted(why) = judge(s) else {
        panic!("expected untrusted")
    };
    assert!(why.contains("does not name backup.amazonaws.com"), "{why}");
    let mut s = backup_allow();
    s["Action"] = json!("sts:TagSession");
    assert!(matches!(judge(s), RoleState::Untrusted(w) if w.contains("sts:AssumeRole")));
}

#[test]
fn an_unconditional_deny_wins() {
    let deny = json!({"Effect": "Deny", "Principal": {"Service": "backup.amazonaws.com"}, "Action": "sts:AssumeRole"});
    let doc = json!({"Statement": [backup_allow(), deny]});
    let r = role("r", "/", doc);
    assert!(matches!(trust_of(&r, ACCOUNT, REGION), RoleState::Untrusted(w) if w.contains("Deny")));
}

#[test]
fn source_account_is_evaluated_against_the_selections_account() {
    let own = with_condition(json!({"StringEquals": {"aws:SourceAccount": ACCOUNT}}));
    assert_eq!(judge(own), RoleState::Trusted);
    let other = with_condition(json!({"StringEquals": {"aws:SourceAccount": "222222222222"}}));
    assert!(matches!(judge(other), RoleState::Untrusted(w) if w.contains("222222222222")));
}

#[test]
fn source_arn_of_another_account_fails_and_an_undocumented_one_is_unknown() {
    let other =
        with_condition(json!({"ArnLike": {"aws:SourceArn": "arn:aws:backup:*:222222222222:*"}}));
    assert!(matches!(judge(other), RoleState::Untrusted(_)));
    let own_any =
        with_condition(json!({"ArnLike": {"aws:SourceArn": "arn:aws:backup:*:111111111111:*"}}));
    assert_eq!(judge(own_any), RoleState::Trusted);
    let own_plan = with_condition(json!({"ArnEquals": {"aws:SourceArn":
        "arn:aws:backup:us-east-1:111111111111:backup-plan:abc"}}));
    assert!(matches!(judge(own_plan), RoleState::Unknown(w) if w.contains("not documented")));
}

#[test]
fn other_conditions_and_wildcard_principals_are_unknown() {
    let tag = with_condition(json!({"StringEquals": {"aws:PrincipalTag/team": "backup"}}));
    assert!(matches!(judge(tag), RoleState::Unknown(w) if w.contains("aws:PrincipalTag/team")));
    let op =
        with_condition(json!({"DateGreaterThan": {"aws:CurrentTime": "2026-01-01T00:00:00Z"}}));
    assert!(matches!(judge(op), RoleState::Unknown(_)));
    let mut star = backup_allow();
    star["Principal"] = json!("*");
    assert!(matches!(judge(star), RoleState::Unknown(w) if w.contains("wildcard")));
}

#[test]
fn the_api_url_encoded_document_is_read() {
    let text = serde_json::to_string(&trust(backup_allow())).unwrap();
    let encoded: String =
        percent_encoding::utf8_percent_encode(&text, percent_encoding::NON_ALPHANUMERIC)
            .to_string();
    let r = role("r", "/", Value::String(encoded));
    assert_eq!(trust_of(&r, ACCOUNT, REGION), RoleState::Trusted);
    let r = role("r", "/", Value::String("%7Bnot json".into()));
    assert!(
        matches!(trust_of(&r, ACCOUNT, REGION), RoleState::Unknown(w) if w.contains("not JSON"))
    );
}

#[test]
fn the_service_linked_role_is_trusted_by_definition() {
    let r = role(
        "AWSServiceRoleForBackup",
        "/aws-service-role/backup.amazonaws.com/",
        json!({}),
    );
    assert_eq!(trust_of(&r, ACCOUNT, REGION), RoleState::Trusted);
}

#[test]
fn state_of_tells_missing_other_account_unreadable_and_not_collected_apart() {
    let roles = [role(
        "AWSBackupDefaultServiceRole",
        "/service-role/",
        trust(backup_allow()),
    )];
    let read = Roles::Read(&roles);
    assert_eq!(
        state_of(Some(DEFAULT_ROLE), ACCOUNT, REGION, read),
        RoleState::Trusted
    );
    assert_eq!(
        state_of(
            Some("arn:aws:iam::111111111111:role/gone"),
            ACCOUNT,
            REGION,
            read
        ),
        RoleState::Missing
    );
    let other = "arn:aws:iam::333333333333:role/service-role/AWSBackupDefaultServiceRole";
    assert!(matches!(
        state_of(Some(other), ACCOUNT, REGION, read),
        RoleState::Unknown(w) if w.contains("account 333333333333")
    ));
    assert!(matches!(
        state_of(Some(DEFAULT_ROLE), ACCOUNT, REGION, Roles::Unreadable("AccessDenied")),
        RoleState::Unknown(w) if w.contains("AccessDenied")
    ));
    assert_eq!(
        state_of(Some(DEFAULT_ROLE), ACCOUNT, REGION, Roles::NotCollected),
        RoleState::NotChecked
    );
}
