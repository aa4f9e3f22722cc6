//! The organisation the snapshot's accounts belong to, in the root folder `organization/`:
//! - `organization.json`, the Organizations `DescribeOrganization` answer as the AWS CLI prints
//!   it. Optional: a snapshot without it (of one account, or collected without Organizations
//!   access) knows no organisation id, and what needs one is unknown.
//! - `invalid-effective-policies.json`, `ListAccountsWithInvalidEffectivePolicy` for
//!   `BACKUP_POLICY` (`{"Accounts": [...], "PolicyType": "BACKUP_POLICY"}`), and
//!   `effective-policy-validation-errors.json`, one `ListEffectivePolicyValidationErrors`
//!   answer per listed account: only the management account or a delegated administrator can
//!   read them. Absent: not collected, so whether the policies are valid is unknown.
//!
//! The manifest's `organization.errors` (`[{file, error}]`, file names relative to the
//! folder) records which of them could not be read.

use super::parse::parse_json;
use crate::error::Diagnostic;
use serde::{Deserialize, Serialize};
use std::path::Path;

/// Where it lies in a snapshot.
pub const ORGANIZATION_FILE: &str = "organization/organization.json";
/// The folder of the organisation's files.
pub const FOLDER: &str = "organization";
/// Their names in [`FOLDER`], as the manifest's `organization.errors` names them.
pub const DESCRIBE: &str = "organization.json";
pub const INVALID_POLICIES: &str = "invalid-effective-policies.json";
pub const VALIDATION_ERRORS: &str = "effective-policy-validation-errors.json";
pub const FILES: [&str; 3] = [DESCRIBE, INVALID_POLICIES, VALIDATION_ERRORS];

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct DescribeOrganizationOutput {
    organization: Organization,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Organization {
    /// `o-…`: what `aws:PrincipalOrgID` conditions name.
    pub id: String,
    #[serde(default)]
    pub master_account_id: Option<String>,
}

/// The manifest's `organization` section: which of the organisation's files failed, and why.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
pub struct ManifestOrganization {
    #[serde(default)]
    pub errors: Vec<OrgFileError>,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct OrgFileError {
    /// One of [`FILES`].
    pub file: String,
    pub error: String,
}

impl ManifestOrganization {
    pub fn error(&self, file: &str) -> Option<&str> {
        self.errors
            .iter()
            .find(|e| e.file == file)
            .map(|e| e.error.as_str())
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct InvalidAccountsOutput {
    #[serde(default)]
    accounts: Vec<InvalidAccount>,
}

/// An account whose effective backup policy is not fully enforced.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct InvalidAccount {
    pub id: String,
    #[serde(default)]
    pub name: Option<String>,
}

/// One `ListEffectivePolicyValidationErrors` answer.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct AccountValidationErrors {
    pub account_id: String,
    #[serde(default)]
    pub effective_policy_validation_errors: Vec<ValidationError>,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ValidationError {
    #[serde(default)]
    pub error_code: Option<String>,
    #[serde(default)]
    pub error_message: Option<String>,
    #[serde(default)]
    pub path_to_error: Option<String>,
    #[serde(default)]
    pub contributing_policies: Vec<String>,
}

/// What the snapshot says of the organisation's effective backup policies.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum BackupPolicies {
    /// Not in the snapshot, and no error recorded: an older collector, or no organisation.
    #[default]
    NotCollected,
    /// Listing the accounts with an invalid policy failed: why.
    Unreadable(String),
    Read {
        invalid: Vec<InvalidAccount>,
        /// Each listed account's errors; `Err`: why they are unknown.
        details: Result<Vec<AccountValidationErrors>, String>,
    },
}

/// The organisation and what it says of its backup policies, as the snapshot holds them.
#[derive(Debug, Clone, Default)]
pub struct OrganizationData {
    pub organization: Option<Organization>,
    /// Why `DescribeOrganization` failed, when the manifest says it did.
    pub unreadable: Option<String>,
    pub backup_policies: BackupPolicies,
}

/// The organisation's files under `root`, with the manifest's record of what failed.
pub fn read(root: &Path, manifest: &ManifestOrganization) -> Result<OrganizationData, Diagnostic> {
    let organization = read_file::<DescribeOrganizationOutput>(root, DESCRIBE)?;
    let backup_policies = match manifest.error(INVALID_POLICIES) {
        Some(e) => BackupPolicies::Unreadable(e.to_owned()),
        None => match read_file::<InvalidAccountsOutput>(root, INVALID_POLICIES)? {
            None => BackupPolicies::NotCollected,
            Some(out) => {
                let details = match manifest.error(VALIDATION_ERRORS) {
                    Some(e) => Err(e.to_owned()),
                    None => {
                        match read_file::<Vec<AccountValidationErrors>>(root, VALIDATION_ERRORS)? {
                            Some(list) => Ok(list),
                            // Nothing to detail: the collector writes no file then.
                            None if out.accounts.is_empty() => Ok(Vec::new()),
                            None => Err(format!(
                                "{FOLDER}/{VALIDATION_ERRORS} is not in the snapshot"
                            )),
                        }
                    }
                };
                BackupPolicies::Read {
                    invalid: out.accounts,
                    details,
                }
            }
        },
    };
    Ok(OrganizationData {
        organization: organization.map(|o| o.organization),
        unreadable: manifest.error(DESCRIBE).map(str::to_owned),
        backup_policies,
    })
}

fn read_file<T: serde::de::DeserializeOwned>(
    root: &Path,
    name: &str,
) -> Result<Option<T>, Diagnostic> {
    let path = root.join(FOLDER).join(name);
    let Some(bytes) = crate::input::read_data(&path)? else {
        return Ok(None);
    };
    parse_json(&path, &bytes).map(Some)
}
