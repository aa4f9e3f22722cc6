//! The AWS API output shapes a snapshot holds, exactly as the AWS CLI prints them.
//!
//! Only the fields the auditor reads are declared; AWS adds fields over time, so unknown ones
//! are ignored. A declared field of the wrong type is an error (reported with file:line:column).

use super::time::{self, Timestamp};
use serde::Deserialize;
use std::collections::BTreeMap;
use std::sync::Arc;

// ---- AWS Config configuration items -------------------------------------------------------

/// One AWS Config configuration item, in every shape AWS delivers one: a `SelectResourceConfig`
/// row (`arn`, `accountId`, `configuration` an object), an item of Config's delivery files and
/// of `GetResourceConfigHistory` (`ARN` or `arn`, `awsAccountId`, tags as a map,
/// `configuration` and `supplementaryConfiguration` as JSON strings).
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ConfigItem {
    pub resource_type: String,
    #[serde(default)]
    pub resource_id: String,
    #[serde(default)]
    pub resource_name: Option<String>,
    #[serde(alias = "ARN")]
    pub arn: String,
    #[serde(default, alias = "awsAccountId")]
    pub account_id: Option<String>,
    #[serde(default)]
    pub aws_region: Option<String>,
    #[serde(default)]
    pub tags: Tags,
    #[serde(default, deserialize_with = "super::json_string::object_or_string")]
    pub configuration: ConfigDetails,
    /// Kept as data (S3 versioning lives here); each value parsed if it is a JSON string.
    #[serde(default)]
    pub supplementary_configuration: super::json_string::Supplementary,
    /// `ResourceDeleted` / `ResourceDeletedNotRecorded` in Config's history: see `is_deleted`.
    #[serde(default)]
    pub configuration_item_status: Option<String>,
}

impl ConfigItem {
    /// The item records that the resource no longer exists, so there is nothing to judge.
    pub fn is_deleted(&self) -> bool {
        matches!(
            self.configuration_item_status.as_deref(),
            Some("ResourceDeleted" | "ResourceDeletedNotRecorded")
        )
    }
}

/// Config prints tags as `[{key, value}]`; some tools write a `{key: value}` map. Both load.
#[derive(Debug, Clone, Default)]
pub struct Tags(pub Vec<(String, String)>);

#[derive(Deserialize)]
struct TagPair {
    #[serde(alias = "Key")]
    key: String,
    #[serde(alias = "Value", default)]
    value: String,
}

/// Reads the list, the map or `null` directly (an untagged enum would buffer every tag).
impl<'de> Deserialize<'de> for Tags {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct TagsVisitor;
        impl<'de> serde::de::Visitor<'de> for TagsVisitor {
            type Value = Tags;

            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a list of {key, value} objects, a {key: value} map or null")
            }

            fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<Tags, A::Error> {
                let mut tags = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(64));
                while let Some(t) = seq.next_element::<TagPair>()? {
                    tags.push((t.key, t.value));
                }
                Ok(Tags(tags))
            }

            fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<Tags, A::Error> {
                // Same result as collecting into a BTreeMap: sorted by key, last value wins.
                let mut m = BTreeMap::new();
                while let Some((k, v)) = map.next_entry::<String, String>()? {
                    m.insert(k, v);
                }
                Ok(Tags(m.into_iter().collect()))
            }

            fn visit_unit<E: serde::de::Error>(self) -> Result<Tags, E> {
                Ok(Tags(Vec::new()))
            }

            fn visit_none<E: serde::de::Error>(self) -> Result<Tags, E> {
                Ok(Tags(Vec::new()))
            }
        }
        d.deserialize_any(TagsVisitor)
    }
}

/// The few `configuration` fields the auditor relies on (reference, Appendix A). Casing
/// differs between resource types because each is serialised from its own service model.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ConfigDetails {
    /// EC2 instance: `{code, name}`; EBS volume: a string or `{value}`.
    #[serde(default)]
    pub state: Option<serde_json::Value>,
    /// EC2 instance: `ebs` or `instance-store`.
    #[serde(default)]
    pub root_device_type: Option<String>,
    #[serde(default)]
    pub block_device_mappings: Vec<BlockDeviceMapping>,
    #[serde(default)]
    pub attachments: Vec<VolumeAttachment>,
    #[serde(default)]
    pub encrypted: Option<bool>,
    #[serde(default)]
    pub storage_encrypted: Option<bool>,
    #[serde(default)]
    pub engine: Option<String>,
    #[serde(default, rename = "dBInstanceIdentifier")]
    pub db_instance_identifier: Option<String>,
    #[serde(default, rename = "dBClusterIdentifier")]
    pub db_cluster_identifier: Option<String>,
    #[serde(default, rename = "dbclusterIdentifier")]
    pub dbcluster_identifier: Option<String>,
    #[serde(default, rename = "dbclusterMembers")]
    pub dbcluster_members: Vec<ClusterMember>,
    /// The KMS key that encrypts it (EBS, RDS and its clusters: `kmsKeyId`; FSx: `KmsKeyId`):
    /// a key ARN, key id, or alias.
    #[serde(default, alias = "KmsKeyId")]
    pub kms_key_id: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BlockDeviceMapping {
    #[serde(default)]
    pub device_name: Option<String>,
    #[serde(default)]
    pub ebs: Option<EbsMapping>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct EbsMapping {
    pub volume_id: String,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct VolumeAttachment {
    pub instance_id: String,
}

#[derive(Debug, Clone, Deserialize)]
pub struct ClusterMember {
    #[serde(rename = "dbinstanceIdentifier", alias = "dBInstanceIdentifier")]
    pub dbinstance_identifier: String,
}

// ---- AWS Backup -------------------------------------------------------------------------

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct GetBackupPlanOutput {
    pub backup_plan: BackupPlan,
    pub backup_plan_id: String,
    #[serde(default)]
    pub backup_plan_arn: Option<String>,
    #[serde(default)]
    pub version_id: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct BackupPlan {
    pub backup_plan_name: String,
    #[serde(default)]
    pub rules: Vec<BackupRule>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct BackupRule {
    pub rule_name: String,
    pub target_backup_vault_name: String,
    #[serde(default)]
    pub schedule_expression: Option<String>,
    #[serde(default)]
    pub schedule_expression_timezone: Option<String>,
    #[serde(default)]
    pub start_window_minutes: Option<i64>,
    #[serde(default)]
    pub completion_window_minutes: Option<i64>,
    #[serde(default)]
    pub lifecycle: Option<Lifecycle>,
    #[serde(default)]
    pub enable_continuous_backup: Option<bool>,
    #[serde(default)]
    pub copy_actions: Vec<CopyAction>,
    #[serde(default)]
    pub rule_id: Option<String>,
    #[serde(default)]
    pub target_logically_air_gapped_backup_vault_arn: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Lifecycle {
    #[serde(default)]
    pub delete_after_days: Option<i64>,
    #[serde(default)]
    pub move_to_cold_storage_after_days: Option<i64>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct CopyAction {
    pub destination_backup_vault_arn: String,
    #[serde(default)]
    pub lifecycle: Option<Lifecycle>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct GetBackupSelectionOutput {
    pub backup_selection: BackupSelection,
    #[serde(default)]
    pub selection_id: Option<String>,
    pub backup_plan_id: String,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct BackupSelection {
    pub selection_name: String,
    #[serde(default)]
    pub iam_role_arn: Option<String>,
    #[serde(default)]
    pub resources: Vec<String>,
    #[serde(default)]
    pub not_resources: Vec<String>,
    #[serde(default)]
    pub list_of_tags: Vec<TagCondition>,
    #[serde(default)]
    pub conditions: Option<Conditions>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct TagCondition {
    #[serde(default)]
    pub condition_type: Option<String>,
    pub condition_key: String,
    pub condition_value: String,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Conditions {
    #[serde(default)]
    pub string_equals: Vec<ConditionParameter>,
    #[serde(default)]
    pub string_not_equals: Vec<ConditionParameter>,
    #[serde(default)]
    pub string_like: Vec<ConditionParameter>,
    #[serde(default)]
    pub string_not_like: Vec<ConditionParameter>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ConditionParameter {
    pub condition_key: String,
    pub condition_value: String,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct DescribeBackupVaultOutput {
    pub backup_vault_name: String,
    pub backup_vault_arn: String,
    #[serde(default)]
    pub vault_type: Option<String>,
    #[serde(default)]
    pub encryption_key_arn: Option<String>,
    #[serde(default)]
    pub encryption_key_type: Option<String>,
    #[serde(default)]
    pub locked: Option<bool>,
    #[serde(default)]
    pub min_retention_days: Option<i64>,
    #[serde(default)]
    pub max_retention_days: Option<i64>,
    #[serde(default, with = "time::option")]
    pub lock_date: Option<Timestamp>,
    /// Multi-party approval of a logically air-gapped vault (only `DescribeBackupVault` says).
    #[serde(default)]
    pub mpa_approval_team_arn: Option<String>,
    #[serde(default)]
    pub latest_mpa_approval_team_update: Option<MpaUpdate>,
}

/// The latest change of a vault's multi-party approval team.
#[derive(Debug, Clone, Deserialize, serde::Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct MpaUpdate {
    /// `PENDING`, `APPROVED`, `FAILED`.
    #[serde(default)]
    pub status: Option<String>,
    #[serde(default)]
    pub status_message: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct VaultAccessPolicy {
    pub backup_vault_name: String,
    #[serde(default)]
    pub backup_vault_arn: Option<String>,
    /// The policy document, as a JSON string (as the API returns it).
    pub policy: String,
}

/// Millions of these are held at once, so only what the checks and `explain` read is kept
/// (`CreatedBy`, `EncryptionKeyArn`, `StatusMessage`, … are skipped like any unknown field).
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct RecoveryPoint {
    pub recovery_point_arn: String,
    /// This and the other strings every point of a vault repeats are shared within an
    /// account-region once it is read (`scope::share_strings`).
    pub backup_vault_name: Arc<str>,
    #[serde(default)]
    pub backup_vault_arn: Option<Arc<str>>,
    pub resource_arn: String,
    #[serde(default)]
    pub resource_type: Option<Arc<str>>,
    pub status: Arc<str>,
    #[serde(default, with = "time::option")]
    pub creation_date: Option<Timestamp>,
    #[serde(default, with = "time::option")]
    pub completion_date: Option<Timestamp>,
    #[serde(default)]
    pub calculated_lifecycle: Option<CalculatedLifecycle>,
    /// The retention asked for; continuous points may carry only this.
    #[serde(default)]
    pub lifecycle: Option<PointLifecycle>,
    #[serde(default)]
    pub is_encrypted: Option<bool>,
    /// GuardDuty's malware scans of the point, summed up (`None`: no result in the snapshot).
    #[serde(
        default,
        rename = "AggregatedScanResult",
        deserialize_with = "scan_result"
    )]
    pub scan: Option<ScanResult>,
}

/// What GuardDuty's malware scans of a recovery point found, as its `AggregatedScanResult`
/// sums them up. One byte: the findings' names are not kept.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ScanResult {
    /// Scanned, nothing found, no scan failed.
    Clean,
    /// A scan found something (`Findings`: `MALWARE`, or a kind this tool does not know yet).
    Threat,
    /// No finding, but a scan failed: whether the point is clean is unknown.
    Failed,
}

impl ScanResult {
    /// As evidence reads it.
    pub fn as_str(self) -> &'static str {
        match self {
            ScanResult::Clean => "clean",
            ScanResult::Threat => "threat found",
            ScanResult::Failed => "scan failed",
        }
    }
}

fn scan_result<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<ScanResult>, D::Error> {
    #[derive(Deserialize)]
    #[serde(rename_all = "PascalCase")]
    struct Aggregated {
        #[serde(default)]
        failed_scan: Option<bool>,
        #[serde(default)]
        findings: Vec<serde::de::IgnoredAny>,
    }
    let a: Option<Aggregated> = Option::deserialize(d)?;
    Ok(a.map(|a| {
        if !a.findings.is_empty() {
            ScanResult::Threat
        } else if a.failed_scan == Some(true) {
            ScanResult::Failed
        } else {
            ScanResult::Clean
        }
    }))
}

impl RecoveryPoint {
    /// A continuous-backup (point-in-time recovery) point, updated continuously.
    pub fn is_continuous(&self) -> bool {
        self.recovery_point_arn
            .contains(":recovery-point:continuous:")
    }

    /// A temporary point AWS deletes once it has been copied (e.g. to an air-gapped vault).
    pub fn deleted_after_copy(&self) -> bool {
        self.lifecycle
            .is_some_and(|l| l.delete_after_event == Some(DeleteAfterEvent::DeleteAfterCopy))
    }
}

#[derive(Debug, Clone, Copy, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct PointLifecycle {
    /// Negative (-1) means kept indefinitely. `i32` (AWS allows at most 36,500) keeps the
    /// millions of recovery points of a large organisation small.
    #[serde(default)]
    pub delete_after_days: Option<i32>,
    #[serde(default)]
    pub delete_after_event: Option<DeleteAfterEvent>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
pub enum DeleteAfterEvent {
    #[serde(rename = "DELETE_AFTER_COPY")]
    DeleteAfterCopy,
    #[serde(other)]
    Other,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct CalculatedLifecycle {
    #[serde(default, with = "time::option")]
    pub move_to_cold_storage_at: Option<Timestamp>,
    #[serde(default, with = "time::option")]
    pub delete_at: Option<Timestamp>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ProtectedResource {
    pub resource_arn: String,
    #[serde(default)]
    pub resource_type: Option<String>,
    #[serde(default, with = "time::option")]
    pub last_backup_time: Option<Timestamp>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct RegionSettings {
    #[serde(default)]
    pub resource_type_opt_in_preference: BTreeMap<String, bool>,
    #[serde(default)]
    pub resource_type_management_preference: BTreeMap<String, bool>,
}

/// `DescribeGlobalSettings`: the organisation's cross-account management flags, as strings
/// (`"isCrossAccountBackupEnabled": "true"`).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct GlobalSettings {
    #[serde(default)]
    pub global_settings: BTreeMap<String, String>,
}

impl GlobalSettings {
    /// `isCrossAccountBackupEnabled`: `None` when it is missing or neither "true" nor "false".
    pub fn cross_account_backup(&self) -> Option<bool> {
        match self
            .global_settings
            .get("isCrossAccountBackupEnabled")?
            .as_str()
        {
            "true" => Some(true),
            "false" => Some(false),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct BackupJob {
    #[serde(default)]
    pub backup_job_id: Option<String>,
    #[serde(default)]
    pub resource_arn: Option<String>,
    #[serde(default)]
    pub backup_vault_name: Option<String>,
    #[serde(default)]
    pub state: Option<String>,
    #[serde(default)]
    pub status_message: Option<String>,
    #[serde(default, with = "time::option")]
    pub creation_date: Option<Timestamp>,
    #[serde(default, with = "time::option")]
    pub completion_date: Option<Timestamp>,
    /// The plan and rule that started the job; absent for an on-demand job.
    #[serde(default)]
    pub created_by: Option<JobCreator>,
    /// `SUCCESS`, or what a COMPLETED job "completed with issues" says (`ABORTED`, `FAILED`
    /// or a message category AWS adds).
    #[serde(default)]
    pub message_category: Option<String>,
}

impl BackupJob {
    /// A job that ended without a usable backup, or with only part of one: `FAILED`,
    /// `ABORTED`, `EXPIRED` (it never started within its start window) or `PARTIAL`.
    pub fn is_unsuccessful(&self) -> bool {
        matches!(
            self.state.as_deref(),
            Some("FAILED" | "ABORTED" | "EXPIRED" | "PARTIAL")
        )
    }

    /// `COMPLETED` with a `MessageCategory` other than `SUCCESS`: what the console calls
    /// "completed with issues" (the API has no such state).
    pub fn completed_with_issues(&self) -> bool {
        self.state.as_deref() == Some("COMPLETED")
            && self
                .message_category
                .as_deref()
                .is_some_and(|c| !c.eq_ignore_ascii_case("SUCCESS"))
    }
}

/// One `ListCopyJobs` item: a copy of a recovery point to another vault, listed in the
/// account that made the source backup.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct CopyJob {
    #[serde(default)]
    pub copy_job_id: Option<String>,
    #[serde(default)]
    pub resource_arn: Option<String>,
    #[serde(default)]
    pub destination_backup_vault_arn: Option<String>,
    #[serde(default)]
    pub state: Option<String>,
    #[serde(default)]
    pub status_message: Option<String>,
    #[serde(default, with = "time::option")]
    pub creation_date: Option<Timestamp>,
    /// The backup job whose recovery point it copies.
    #[serde(default)]
    pub created_by_backup_job_id: Option<String>,
}

impl CopyJob {
    /// `FAILED` or `PARTIAL` (the states `ListCopyJobs` names beside CREATED, RUNNING and
    /// COMPLETED).
    pub fn is_unsuccessful(&self) -> bool {
        matches!(self.state.as_deref(), Some("FAILED" | "PARTIAL"))
    }
}

/// `CreatedBy` of a backup job (a `RecoveryPointCreator`).
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct JobCreator {
    #[serde(default)]
    pub backup_plan_id: Option<String>,
    #[serde(default)]
    pub backup_rule_id: Option<String>,
}

// ---- IAM ------------------------------------------------------------------------------------

/// One item of `iam-roles.json`: the `Role` member of an `aws iam get-role` output, for each
/// role the scope's backup selections name in the scope's own account that exists. A role
/// named but not listed did not exist when the snapshot was taken (`NoSuchEntity`).
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct IamRole {
    pub role_name: String,
    pub arn: String,
    #[serde(default)]
    pub path: Option<String>,
    /// The trust policy: an object as the AWS CLI prints it, or the URL-encoded JSON string
    /// the API returns (see `model::role`).
    #[serde(default)]
    pub assume_role_policy_document: Option<serde_json::Value>,
}
