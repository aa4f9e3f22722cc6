//! S3 backup access points (`ListBackupAccessPoints`, 2026): while one is active for a
//! recovery point, AWS Backup pauses its lifecycle transitions and blocks its deletion, so
//! a point kept past its retention may be held by one (reference aws-backup-2024-2026.md).
//! `explain` says so; no verdict depends on it.

use super::call::{ApiError, Caller};
use super::shapes::{Obj, ToJson};
use aws_sdk_backup::types as bk;
use aws_sdk_backup::Client as Backup;
use serde_json::Value;

impl ToJson for bk::ListAccessPointsMember {
    fn to_json(&self) -> Value {
        Obj::new()
            .put("AccessPointArn", &self.access_point_arn)
            .put("Name", &self.name)
            .put("RecoveryPointArn", &self.recovery_point_arn)
            .put("ResourceArn", &self.resource_arn)
            .put("ResourceType", &self.resource_type)
            .put("BackupVaultName", &self.backup_vault_name)
            .opt("BackupVaultArn", &self.backup_vault_arn)
            .put("CreationTime", &self.creation_time)
            .put("Status", &self.status.as_str().to_string())
            .opt("StatusMessage", &self.status_message)
            .build()
    }
}

/// Every backup access point of the account-region.
pub async fn list(caller: &Caller, backup: &Backup) -> Result<Value, ApiError> {
    let items = caller
        .all_pages(
            |t| backup.list_backup_access_points().set_next_token(t).send(),
            |o| (o.backup_access_points, o.next_token),
        )
        .await?;
    Ok(items.to_json())
}
