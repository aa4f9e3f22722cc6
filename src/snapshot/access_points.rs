//! Backup access points a snapshot holds: `backup-access-points.json`.

use serde::Deserialize;

/// One element of `ListBackupAccessPoints`: an S3 access point onto a recovery point. While
/// one is active, AWS Backup pauses the point's lifecycle and blocks its deletion.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct BackupAccessPoint {
    pub name: String,
    pub recovery_point_arn: String,
    pub status: String,
}
