//! What a snapshot holds of S3 backups' newer features, for `explain` only: backup access
//! points (`backup-access-points.json`) and warm-tier tiering configurations
//! (`tiering-configurations.json`).

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

/// One element of `tiering-configurations.json`: a `GetTieringConfiguration` output.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct GetTieringConfigurationOutput {
    pub tiering_configuration: TieringConfiguration,
}

/// Which vaults' S3 backups move to the low-cost warm tier, and when. The move is one-way:
/// "Data moved to lower-cost tier remains there until deletion".
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct TieringConfiguration {
    pub tiering_configuration_name: String,
    /// A vault's name, or `*` for every vault.
    pub backup_vault_name: String,
    #[serde(default)]
    pub resource_selection: Vec<TieringSelection>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct TieringSelection {
    /// Resource ARNs, or `*` for every resource of the type.
    #[serde(default)]
    pub resources: Vec<String>,
    pub tiering_down_settings_in_days: i64,
    pub resource_type: String,
}
