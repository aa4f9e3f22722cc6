//! What the collection reads of the organisation itself, once, from the caller's account:
//! `DescribeOrganization` (any member may call it), then which accounts' effective backup
//! policies are invalid and why (`ListAccountsWithInvalidEffectivePolicy`,
//! `ListEffectivePolicyValidationErrors`: only the management account or a delegated
//! administrator may call them). Written under `organization/` in the AWS CLI's shapes; what
//! failed goes to the manifest's `organization.errors`, so it is unknown, never "valid".

use super::call::{ApiError, Caller};
use super::progress::{Progress, Stats};
use super::shapes::Obj;
use crate::snapshot::organization::{OrgFileError, DESCRIBE, INVALID_POLICIES, VALIDATION_ERRORS};
use aws_config::SdkConfig;
use aws_sdk_organizations::types::EffectivePolicyType;
use serde_json::{json, Value};
use std::sync::Arc;

/// The organisation's files (name in `organization/` → content) and what could not be read.
#[derive(Debug, Default)]
pub struct OrganizationRecord {
    pub files: Vec<(&'static str, Value)>,
    pub errors: Vec<OrgFileError>,
}

impl OrganizationRecord {
    fn failed(&mut self, file: &str, e: &ApiError, progress: &Progress, op: &str) {
        progress.note(&format!(
            "{file} could not be read (organizations:{op}): {e}"
        ));
        self.errors.push(OrgFileError {
            file: file.to_owned(),
            error: e.to_string(),
        });
    }
}

pub async fn organization(
    base: &SdkConfig,
    home: &Caller,
    stats: &Arc<Stats>,
    progress: &Progress,
) -> OrganizationRecord {
    let org = client!(aws_sdk_organizations, base, stats);
    let mut record = OrganizationRecord::default();
    let o = match home.call(|| org.describe_organization().send()).await {
        Ok(out) => match out.organization {
            Some(o) => o,
            None => return record,
        },
        // No organisation: nothing to read, and nothing unknown.
        Err(e) if e.code.as_deref() == Some("AWSOrganizationsNotInUseException") => return record,
        Err(e) => {
            record.failed(DESCRIBE, &e, progress, "DescribeOrganization");
            return record;
        }
    };
    let organization = Obj::new()
        .opt("Id", &o.id)
        .opt("Arn", &o.arn)
        .name("FeatureSet", o.feature_set.as_ref())
        .opt("MasterAccountArn", &o.master_account_arn)
        .opt("MasterAccountId", &o.master_account_id)
        .opt("MasterAccountEmail", &o.master_account_email)
        .build();
    record
        .files
        .push((DESCRIBE, json!({ "Organization": organization })));
    let listed = home
        .all_pages(
            |t| {
                org.list_accounts_with_invalid_effective_policy()
                    .policy_type(EffectivePolicyType::BackupPolicy)
                    .set_next_token(t)
                    .send()
            },
            |o| (o.accounts.unwrap_or_default(), o.next_token),
        )
        .await;
    let accounts = match listed {
        Ok(a) => a,
        Err(e) => {
            let op = "ListAccountsWithInvalidEffectivePolicy";
            record.failed(INVALID_POLICIES, &e, progress, op);
            return record;
        }
    };
    let ids: Vec<String> = accounts.iter().filter_map(|a| a.id.clone()).collect();
    let accounts: Vec<Value> = accounts.into_iter().map(account).collect();
    record.files.push((
        INVALID_POLICIES,
        json!({ "Accounts": accounts, "PolicyType": "BACKUP_POLICY" }),
    ));
    if ids.is_empty() {
        return record;
    }
    let mut details = Vec::with_capacity(ids.len());
    for id in &ids {
        match validation_errors(home, &org, id).await {
            Ok(v) => details.push(v),
            Err(e) => {
                let op = "ListEffectivePolicyValidationErrors";
                record.failed(VALIDATION_ERRORS, &e, progress, op);
                return record;
            }
        }
    }
    record
        .files
        .push((VALIDATION_ERRORS, Value::Array(details)));
    record
}

fn account(a: aws_sdk_organizations::types::Account) -> Value {
    Obj::new()
        .opt("Id", &a.id)
        .opt("Arn", &a.arn)
        .opt("Email", &a.email)
        .opt("Name", &a.name)
        .name("Status", a.status.as_ref())
        .name("State", a.state.as_ref())
        .name("JoinedMethod", a.joined_method.as_ref())
        .opt("JoinedTimestamp", &a.joined_timestamp)
        .build()
}

/// One account's validation errors, its pages merged as the AWS CLI merges them.
async fn validation_errors(
    home: &Caller,
    org: &aws_sdk_organizations::Client,
    account: &str,
) -> Result<Value, ApiError> {
    let pages = home
        .all_pages(
            |t| {
                org.list_effective_policy_validation_errors()
                    .account_id(account)
                    .policy_type(EffectivePolicyType::BackupPolicy)
                    .set_next_token(t)
                    .send()
            },
            |o| {
                let next = o.next_token.clone();
                (vec![o], next)
            },
        )
        .await?;
    let first = pages.first();
    let errors: Vec<Value> = pages
        .iter()
        .flat_map(|p| p.effective_policy_validation_errors())
        .map(|e| {
            Obj::new()
                .opt("ErrorCode", &e.error_code)
                .opt("ErrorMessage", &e.error_message)
                .opt("PathToError", &e.path_to_error)
                .put("ContributingPolicies", &e.contributing_policies().to_vec())
                .build()
        })
        .collect();
    Ok(Obj::new()
        .put("AccountId", &account.to_owned())
        .name("PolicyType", first.and_then(|p| p.policy_type.as_ref()))
        .opt("Path", &first.and_then(|p| p.path.clone()))
        .opt(
            "EvaluationTimestamp",
            &first.and_then(|p| p.evaluation_timestamp),
        )
        .put("EffectivePolicyValidationErrors", &errors)
        .build())
}
