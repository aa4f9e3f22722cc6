//! `iam-roles.json`: the IAM roles a scope's backup selections name, read with `iam:GetRole`
//! so the evaluation can tell whether AWS Backup can assume them (trap 26).
//!
//! IAM is global: one account's regions name the same roles, so each role is asked for once
//! per account ([`RoleCache`]) and written into every scope that names it. Only roles in the
//! account the collector is in can be read (GetRole takes a name); others are left out, and
//! the evaluation says they were not read.

use super::call::{ApiError, Caller};
use super::shapes::Obj;
use crate::model::selection::role::role_of;
use aws_sdk_iam::Client as Iam;
use serde_json::Value;
use std::collections::{BTreeSet, HashMap};
use std::sync::{Arc, Mutex};
use tokio::sync::OnceCell;

/// What GetRole answered for a role name: the role, `None` for `NoSuchEntity`, or the error.
type Answer = Result<Option<Value>, ApiError>;

/// One account's roles, each asked for once whichever of its regions asks first. The calls
/// are the account's work, like entering it: they count in the run's totals, not on a
/// region's progress line (which counts only that region's own calls).
pub struct AccountRoles {
    caller: Caller,
    iam: Iam,
    asked: Mutex<HashMap<String, Arc<OnceCell<Answer>>>>,
}

impl AccountRoles {
    pub fn new(caller: Caller, iam: Iam) -> AccountRoles {
        AccountRoles {
            caller,
            iam,
            asked: Mutex::default(),
        }
    }

    async fn get(&self, name: &str) -> Answer {
        let cell = self
            .asked
            .lock()
            .expect("the role cache's lock is never held across a panic")
            .entry(name.to_owned())
            .or_default()
            .clone();
        cell.get_or_init(|| get_role(&self.caller, &self.iam, name))
            .await
            .clone()
    }
}

async fn get_role(caller: &Caller, iam: &Iam, name: &str) -> Answer {
    match caller.call(|| iam.get_role().role_name(name).send()).await {
        Ok(o) => Ok(o.role.as_ref().map(role_json)),
        // The role does not exist: what the evaluation needs to know, not a failure.
        Err(e) if e.is("NoSuchEntity") => Ok(None),
        Err(e) => Err(e),
    }
}

/// The roles `selections` (a `backup-selections.json` array) name in `account` that exist, as
/// `GetRole`'s `Role` members, sorted by name. One failed call fails the file.
pub async fn roles(
    roles: &AccountRoles,
    account: &str,
    selections: &Value,
) -> Result<Value, ApiError> {
    let names = role_names(account, selections);
    let got = futures_util::future::join_all(names.iter().map(|n| roles.get(n))).await;
    let mut out = Vec::new();
    for r in got {
        out.extend(r?);
    }
    Ok(Value::Array(out))
}

/// The names of the roles in `account` that the selections name.
fn role_names(account: &str, selections: &Value) -> BTreeSet<String> {
    let arns = selections
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|s| s["BackupSelection"]["IamRoleArn"].as_str());
    arns.filter_map(role_of)
        .filter(|(in_account, _)| *in_account == account)
        .map(|(_, name)| name.to_owned())
        .collect()
}

/// A role as `aws iam get-role` prints it: the trust policy URL-decoded into an object.
/// (Public for the interoperability test against moto, which has no backup selections.)
pub fn role_json(r: &aws_sdk_iam::types::Role) -> Value {
    Obj::new()
        .put("Path", &r.path)
        .put("RoleName", &r.role_name)
        .put("RoleId", &r.role_id)
        .put("Arn", &r.arn)
        .put("CreateDate", &r.create_date)
        .opt(
            "AssumeRolePolicyDocument",
            &r.assume_role_policy_document.as_deref().map(trust_document),
        )
        .opt("Description", &r.description)
        .opt("MaxSessionDuration", &r.max_session_duration.map(i64::from))
        .build()
}

/// The API returns the policy URL-encoded; the CLI prints it decoded. Text that does not decode
/// to JSON is kept as it came (the evaluation then says it cannot read it).
fn trust_document(encoded: &str) -> Value {
    percent_encoding::percent_decode_str(encoded)
        .decode_utf8()
        .ok()
        .and_then(|t| serde_json::from_str(&t).ok())
        .unwrap_or_else(|| Value::String(encoded.to_owned()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn only_the_accounts_own_roles_are_asked_for_once_each() {
        let sel = |arn: &str| json!({"BackupSelection": {"IamRoleArn": arn}});
        let selections = json!([
            sel("arn:aws:iam::111111111111:role/service-role/AWSBackupDefaultServiceRole"),
            sel("arn:aws:iam::111111111111:role/service-role/AWSBackupDefaultServiceRole"),
            sel("arn:aws:iam::111111111111:role/aws-service-role/backup.amazonaws.com/AWSServiceRoleForBackup"),
            sel("arn:aws:iam::333333333333:role/other"),
            sel("not an arn"),
        ]);
        let names: Vec<String> = role_names("111111111111", &selections)
            .into_iter()
            .collect();
        assert_eq!(
            names,
            ["AWSBackupDefaultServiceRole", "AWSServiceRoleForBackup"]
        );
    }

    #[test]
    fn the_trust_policy_is_decoded_as_the_cli_prints_it() {
        let encoded = "%7B%22Version%22%3A%222012-10-17%22%2C%22Statement%22%3A%5B%5D%7D";
        assert_eq!(
            trust_document(encoded),
            json!({"Version": "2012-10-17", "Statement": []})
        );
        assert_eq!(trust_document("%7Bbroken"), json!("%7Bbroken"));
    }
}
