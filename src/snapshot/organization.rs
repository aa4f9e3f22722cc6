//! The organisation the snapshot's accounts belong to: `organization/organization.json`, the
//! Organizations `DescribeOrganization` answer as the AWS CLI prints it. Optional: a snapshot
//! without it (of one account, or collected without Organizations access) knows no
//! organisation id, and what needs one is unknown.

use super::parse::parse_json;
use crate::error::Diagnostic;
use serde::Deserialize;
use std::path::Path;

/// Where it lies in a snapshot.
pub const ORGANIZATION_FILE: &str = "organization/organization.json";

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

/// The organisation, if the snapshot has its file.
pub fn read(root: &Path) -> Result<Option<Organization>, Diagnostic> {
    let path = root.join(ORGANIZATION_FILE);
    let Some(bytes) = crate::input::read_data(&path)? else {
        return Ok(None);
    };
    let out: DescribeOrganizationOutput = parse_json(&path, &bytes)?;
    Ok(Some(out.organization))
}
