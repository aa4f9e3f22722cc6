//! Where a part of the synthetic organisation is written: the account-region, its names and
//! ARNs. Every part of a scope reads it; it reads none of them.

use super::{Account, SynthOptions};
use std::path::PathBuf;

/// The scope being written: what every part of it names or needs to know.
pub(super) struct Place<'a> {
    pub(super) opts: &'a SynthOptions,
    pub(super) accounts: &'a [Account],
    /// Index of the account (0 is the central backup account) and of the region.
    pub(super) a: usize,
    pub(super) r: usize,
    pub(super) acct: &'a Account,
    /// Account id and region name.
    pub(super) acc: &'a str,
    pub(super) reg: &'a str,
    pub(super) dir: PathBuf,
    /// `collected_at` in epoch milliseconds.
    pub(super) now: i64,
}

impl Place<'_> {
    /// An RDS ARN of this scope: `pattern` is what follows the account, e.g. `db:*`.
    pub(super) fn rds(&self, pattern: &str) -> String {
        format!("arn:aws:rds:{}:{}:{pattern}", self.reg, self.acc)
    }

    /// The IAM role that every selection names and every recovery point was made with.
    pub(super) fn role(&self) -> String {
        format!(
            "arn:aws:iam::{}:role/service-role/AWSBackupDefaultServiceRole",
            self.acc
        )
    }

    /// `role()` as `iam-roles.json` holds it: trusted by AWS Backup, as AWS creates it.
    pub(super) fn role_doc(&self) -> serde_json::Value {
        serde_json::json!({
            "Path": "/service-role/",
            "RoleName": "AWSBackupDefaultServiceRole",
            "RoleId": format!("AROA{}DEFAULT", self.acc),
            "Arn": self.role(),
            "CreateDate": "2024-01-01T00:00:00+00:00",
            "AssumeRolePolicyDocument": {"Version": "2012-10-17", "Statement": [{"Effect": "Allow",
                "Principal": {"Service": "backup.amazonaws.com"}, "Action": "sts:AssumeRole"}]},
            "MaxSessionDuration": 3600,
        })
    }
}
