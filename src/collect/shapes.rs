//! SDK outputs → the JSON shapes the AWS CLI prints, which is what a snapshot holds.
//!
//! The SDK types do not implement `Serialize` (only behind an unstable cfg, and then in
//! snake_case), so the mapping is written out here, member by member, with the API's own
//! PascalCase names. Timestamps are written as ISO-8601 like the CLI. Members the auditor does
//! not read today are kept where they are evidence an auditor would want (creation dates,
//! recovery point sizes, job messages).

use aws_sdk_backup::types as bk;
use aws_smithy_types::date_time::Format;
use aws_smithy_types::DateTime;
use serde_json::{Map, Value};
use std::collections::HashMap;

/// A value in its CLI JSON shape.
pub trait ToJson {
    fn to_json(&self) -> Value;
}

impl ToJson for String {
    fn to_json(&self) -> Value {
        Value::String(self.clone())
    }
}

impl ToJson for Value {
    fn to_json(&self) -> Value {
        self.clone()
    }
}

impl ToJson for bool {
    fn to_json(&self) -> Value {
        Value::Bool(*self)
    }
}

impl ToJson for i64 {
    fn to_json(&self) -> Value {
        Value::from(*self)
    }
}

impl ToJson for DateTime {
    fn to_json(&self) -> Value {
        match self.fmt(Format::DateTime) {
            Ok(s) => Value::String(s),
            // Out of RFC 3339's range: epoch seconds are also a valid snapshot timestamp.
            Err(_) => Value::from(self.secs()),
        }
    }
}

impl<T: ToJson> ToJson for Vec<T> {
    fn to_json(&self) -> Value {
        Value::Array(self.iter().map(ToJson::to_json).collect())
    }
}

impl<V: ToJson> ToJson for HashMap<String, V> {
    fn to_json(&self) -> Value {
        // Sorted, so a snapshot of the same account is byte-identical run to run.
        let sorted: std::collections::BTreeMap<_, _> = self.iter().collect();
        Value::Object(
            sorted
                .into_iter()
                .map(|(k, v)| (k.clone(), v.to_json()))
                .collect(),
        )
    }
}

/// Builds a JSON object, leaving out `None` members as the CLI does.
pub struct Obj(Map<String, Value>);

impl Obj {
    pub fn new() -> Obj {
        Obj(Map::new())
    }

    pub fn put<T: ToJson>(mut self, key: &str, value: &T) -> Obj {
        self.0.insert(key.to_string(), value.to_json());
        self
    }

    pub fn opt<T: ToJson>(mut self, key: &str, value: &Option<T>) -> Obj {
        if let Some(v) = value {
            self.0.insert(key.to_string(), v.to_json());
        }
        self
    }

    /// An enum member, by its wire name.
    pub fn name<E: AsRef<str>>(self, key: &str, value: Option<&E>) -> Obj {
        let v = value.map(|e| e.as_ref().to_string());
        self.opt(key, &v)
    }

    pub fn build(self) -> Value {
        Value::Object(self.0)
    }
}

impl Default for Obj {
    fn default() -> Self {
        Obj::new()
    }
}

/// Implements [`ToJson`] for enums the SDK generates (they all expose `as_str`).
macro_rules! enum_json {
    ($($t:ty),*) => {$(
        impl ToJson for $t {
            fn to_json(&self) -> Value {
                Value::String(self.as_str().to_string())
            }
        }
    )*};
}
enum_json!(bk::ConditionType);

impl ToJson for bk::Lifecycle {
    fn to_json(&self) -> Value {
        Obj::new()
            .opt(
                "MoveToColdStorageAfterDays",
                &self.move_to_cold_storage_after_days,
            )
            .opt("DeleteAfterDays", &self.delete_after_days)
            .opt(
                "OptInToArchiveForSupportedResources",
                &self.opt_in_to_archive_for_supported_resources,
            )
            .build()
    }
}

impl ToJson for bk::CopyAction {
    fn to_json(&self) -> Value {
        Obj::new()
            .opt("Lifecycle", &self.lifecycle)
            .put(
                "DestinationBackupVaultArn",
                &self.destination_backup_vault_arn,
            )
            .build()
    }
}

impl ToJson for bk::BackupRule {
    fn to_json(&self) -> Value {
        Obj::new()
            .put("RuleName", &self.rule_name)
            .put("TargetBackupVaultName", &self.target_backup_vault_name)
            .opt(
                "TargetLogicallyAirGappedBackupVaultArn",
                &self.target_logically_air_gapped_backup_vault_arn,
            )
            .opt("ScheduleExpression", &self.schedule_expression)
            .opt("StartWindowMinutes", &self.start_window_minutes)
            .opt("CompletionWindowMinutes", &self.completion_window_minutes)
            .opt("Lifecycle", &self.lifecycle)
            .opt("RecoveryPointTags", &self.recovery_point_tags)
            .opt("RuleId", &self.rule_id)
            .opt("CopyActions", &self.copy_actions)
            .opt("EnableContinuousBackup", &self.enable_continuous_backup)
            .opt(
                "ScheduleExpressionTimezone",
                &self.schedule_expression_timezone,
            )
            .build()
    }
}

impl ToJson for bk::AdvancedBackupSetting {
    fn to_json(&self) -> Value {
        Obj::new()
            .opt("ResourceType", &self.resource_type)
            .opt("BackupOptions", &self.backup_options)
            .build()
    }
}

impl ToJson for bk::BackupPlan {
    fn to_json(&self) -> Value {
        Obj::new()
            .put("BackupPlanName", &self.backup_plan_name)
            .put("Rules", &self.rules)
            .opt("AdvancedBackupSettings", &self.advanced_backup_settings)
            .build()
    }
}

impl ToJson for aws_sdk_backup::operation::get_backup_plan::GetBackupPlanOutput {
    fn to_json(&self) -> Value {
        Obj::new()
            .opt("BackupPlan", &self.backup_plan)
            .opt("BackupPlanId", &self.backup_plan_id)
            .opt("BackupPlanArn", &self.backup_plan_arn)
            .opt("VersionId", &self.version_id)
            .opt("CreatorRequestId", &self.creator_request_id)
            .opt("CreationDate", &self.creation_date)
            .opt("DeletionDate", &self.deletion_date)
            .opt("LastExecutionDate", &self.last_execution_date)
            .opt("AdvancedBackupSettings", &self.advanced_backup_settings)
            .build()
    }
}

impl ToJson for bk::Condition {
    fn to_json(&self) -> Value {
        Obj::new()
            .put("ConditionType", &self.condition_type)
            .put("ConditionKey", &self.condition_key)
            .put("ConditionValue", &self.condition_value)
            .build()
    }
}

impl ToJson for bk::ConditionParameter {
    fn to_json(&self) -> Value {
        Obj::new()
            .opt("ConditionKey", &self.condition_key)
            .opt("ConditionValue", &self.condition_value)
            .build()
    }
}

impl ToJson for bk::Conditions {
    fn to_json(&self) -> Value {
        Obj::new()
            .opt("StringEquals", &self.string_equals)
            .opt("StringNotEquals", &self.string_not_equals)
            .opt("StringLike", &self.string_like)
            .opt("StringNotLike", &self.string_not_like)
            .build()
    }
}

impl ToJson for bk::BackupSelection {
    fn to_json(&self) -> Value {
        Obj::new()
            .put("SelectionName", &self.selection_name)
            .put("IamRoleArn", &self.iam_role_arn)
            .opt("Resources", &self.resources)
            .opt("ListOfTags", &self.list_of_tags)
            .opt("NotResources", &self.not_resources)
            .opt("Conditions", &self.conditions)
            .build()
    }
}

impl ToJson for aws_sdk_backup::operation::get_backup_selection::GetBackupSelectionOutput {
    fn to_json(&self) -> Value {
        Obj::new()
            .opt("BackupSelection", &self.backup_selection)
            .opt("SelectionId", &self.selection_id)
            .opt("BackupPlanId", &self.backup_plan_id)
            .opt("CreationDate", &self.creation_date)
            .opt("CreatorRequestId", &self.creator_request_id)
            .build()
    }
}

/// The multi-party approval fields of `DescribeBackupVault`, which `ListBackupVaults` members
/// lack (the collector describes only air-gapped vaults, for them).
impl ToJson for aws_sdk_backup::operation::describe_backup_vault::DescribeBackupVaultOutput {
    fn to_json(&self) -> Value {
        Obj::new()
            .opt("MpaApprovalTeamArn", &self.mpa_approval_team_arn)
            .opt("MpaSessionArn", &self.mpa_session_arn)
            .opt(
                "LatestMpaApprovalTeamUpdate",
                &self.latest_mpa_approval_team_update,
            )
            .build()
    }
}

impl ToJson for bk::LatestMpaApprovalTeamUpdate {
    fn to_json(&self) -> Value {
        Obj::new()
            .opt("MpaSessionArn", &self.mpa_session_arn)
            .name("Status", self.status.as_ref())
            .opt("StatusMessage", &self.status_message)
            .opt("InitiationDate", &self.initiation_date)
            .opt("ExpiryDate", &self.expiry_date)
            .build()
    }
}

/// `ListBackupVaults` members carry every other field of `DescribeBackupVault` the auditor
/// reads.
impl ToJson for bk::BackupVaultListMember {
    fn to_json(&self) -> Value {
        Obj::new()
            .opt("BackupVaultName", &self.backup_vault_name)
            .opt("BackupVaultArn", &self.backup_vault_arn)
            .name("VaultType", self.vault_type.as_ref())
            .name("VaultState", self.vault_state.as_ref())
            .opt("CreationDate", &self.creation_date)
            .opt("EncryptionKeyArn", &self.encryption_key_arn)
            .name("EncryptionKeyType", self.encryption_key_type.as_ref())
            .opt("CreatorRequestId", &self.creator_request_id)
            .put("NumberOfRecoveryPoints", &self.number_of_recovery_points)
            .opt("Locked", &self.locked)
            .opt("MinRetentionDays", &self.min_retention_days)
            .opt("MaxRetentionDays", &self.max_retention_days)
            .opt("LockDate", &self.lock_date)
            .build()
    }
}

impl ToJson
    for aws_sdk_backup::operation::get_backup_vault_access_policy::GetBackupVaultAccessPolicyOutput
{
    fn to_json(&self) -> Value {
        Obj::new()
            .opt("BackupVaultName", &self.backup_vault_name)
            .opt("BackupVaultArn", &self.backup_vault_arn)
            .opt("Policy", &self.policy)
            .build()
    }
}

impl ToJson for bk::CalculatedLifecycle {
    fn to_json(&self) -> Value {
        Obj::new()
            .opt("MoveToColdStorageAt", &self.move_to_cold_storage_at)
            .opt("DeleteAt", &self.delete_at)
            .build()
    }
}

impl ToJson for bk::RecoveryPointByBackupVault {
    fn to_json(&self) -> Value {
        Obj::new()
            .opt("RecoveryPointArn", &self.recovery_point_arn)
            .opt("BackupVaultName", &self.backup_vault_name)
            .opt("BackupVaultArn", &self.backup_vault_arn)
            .opt("SourceBackupVaultArn", &self.source_backup_vault_arn)
            .opt("ResourceArn", &self.resource_arn)
            .opt("ResourceType", &self.resource_type)
            .opt("ResourceName", &self.resource_name)
            .opt("IamRoleArn", &self.iam_role_arn)
            .name("Status", self.status.as_ref())
            .opt("StatusMessage", &self.status_message)
            .opt("CreationDate", &self.creation_date)
            .opt("InitiationDate", &self.initiation_date)
            .opt("CompletionDate", &self.completion_date)
            .opt("BackupSizeInBytes", &self.backup_size_in_bytes)
            .opt("CalculatedLifecycle", &self.calculated_lifecycle)
            .opt("Lifecycle", &self.lifecycle)
            .opt("EncryptionKeyArn", &self.encryption_key_arn)
            .put("IsEncrypted", &self.is_encrypted)
            .opt("LastRestoreTime", &self.last_restore_time)
            .opt("ParentRecoveryPointArn", &self.parent_recovery_point_arn)
            .put("IsParent", &self.is_parent)
            .name("VaultType", self.vault_type.as_ref())
            .opt("AggregatedScanResult", &self.aggregated_scan_result)
            .build()
    }
}

/// GuardDuty's malware scans of the point (`Findings` holds `MALWARE` when one found some).
impl ToJson for bk::AggregatedScanResult {
    fn to_json(&self) -> Value {
        let findings: Option<Vec<String>> = self
            .findings
            .as_ref()
            .map(|f| f.iter().map(|x| x.as_str().to_owned()).collect());
        Obj::new()
            .opt("FailedScan", &self.failed_scan)
            .opt("Findings", &findings)
            .opt("LastComputed", &self.last_computed)
            .build()
    }
}

impl ToJson for bk::ProtectedResource {
    fn to_json(&self) -> Value {
        Obj::new()
            .opt("ResourceArn", &self.resource_arn)
            .opt("ResourceType", &self.resource_type)
            .opt("ResourceName", &self.resource_name)
            .opt("LastBackupTime", &self.last_backup_time)
            .opt("LastBackupVaultArn", &self.last_backup_vault_arn)
            .opt("LastRecoveryPointArn", &self.last_recovery_point_arn)
            .build()
    }
}

impl ToJson for aws_sdk_backup::operation::describe_region_settings::DescribeRegionSettingsOutput {
    fn to_json(&self) -> Value {
        Obj::new()
            .opt(
                "ResourceTypeOptInPreference",
                &self.resource_type_opt_in_preference,
            )
            .opt(
                "ResourceTypeManagementPreference",
                &self.resource_type_management_preference,
            )
            .build()
    }
}

impl ToJson for aws_sdk_backup::operation::describe_global_settings::DescribeGlobalSettingsOutput {
    fn to_json(&self) -> Value {
        Obj::new()
            .opt("GlobalSettings", &self.global_settings)
            .opt("LastUpdateTime", &self.last_update_time)
            .build()
    }
}

impl ToJson for bk::BackupJob {
    fn to_json(&self) -> Value {
        Obj::new()
            .opt("AccountId", &self.account_id)
            .opt("BackupJobId", &self.backup_job_id)
            .opt("BackupVaultName", &self.backup_vault_name)
            .opt("BackupVaultArn", &self.backup_vault_arn)
            .opt("RecoveryPointArn", &self.recovery_point_arn)
            .opt("ResourceArn", &self.resource_arn)
            .opt("ResourceType", &self.resource_type)
            .opt("ResourceName", &self.resource_name)
            .opt("CreationDate", &self.creation_date)
            .opt("CompletionDate", &self.completion_date)
            .name("State", self.state.as_ref())
            .opt("StatusMessage", &self.status_message)
            .opt("BackupSizeInBytes", &self.backup_size_in_bytes)
            .opt("IamRoleArn", &self.iam_role_arn)
            .opt("CreatedBy", &self.created_by)
            .opt("MessageCategory", &self.message_category)
            .build()
    }
}

impl ToJson for bk::CopyJob {
    fn to_json(&self) -> Value {
        Obj::new()
            .opt("AccountId", &self.account_id)
            .opt("CopyJobId", &self.copy_job_id)
            .opt("SourceBackupVaultArn", &self.source_backup_vault_arn)
            .opt("SourceRecoveryPointArn", &self.source_recovery_point_arn)
            .opt(
                "DestinationBackupVaultArn",
                &self.destination_backup_vault_arn,
            )
            .opt(
                "DestinationRecoveryPointArn",
                &self.destination_recovery_point_arn,
            )
            .opt("ResourceArn", &self.resource_arn)
            .opt("ResourceType", &self.resource_type)
            .opt("CreationDate", &self.creation_date)
            .opt("CompletionDate", &self.completion_date)
            .name("State", self.state.as_ref())
            .opt("StatusMessage", &self.status_message)
            .opt("IamRoleArn", &self.iam_role_arn)
            .opt("CreatedBy", &self.created_by)
            .opt("CreatedByBackupJobId", &self.created_by_backup_job_id)
            .opt("MessageCategory", &self.message_category)
            .build()
    }
}

/// `CreatedBy` of a job: which plan and rule started it (absent for an on-demand job), what
/// `backup-jobs-succeeded` matches a job to its rule's runs by.
impl ToJson for bk::RecoveryPointCreator {
    fn to_json(&self) -> Value {
        Obj::new()
            .opt("BackupPlanId", &self.backup_plan_id)
            .opt("BackupPlanArn", &self.backup_plan_arn)
            .opt("BackupPlanVersion", &self.backup_plan_version)
            .opt("BackupRuleId", &self.backup_rule_id)
            .build()
    }
}
