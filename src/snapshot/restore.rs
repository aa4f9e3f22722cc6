//! Restore testing: the shapes of `restore-testing-plans.json` (`GetRestoreTestingPlan`
//! outputs), `restore-testing-selections.json` (`GetRestoreTestingSelection` outputs) and
//! `restore-jobs.json` (`ListRestoreJobs` members), as the AWS CLI prints them. Only the
//! fields the auditor reads are declared.

use super::time::{self, Timestamp};
use serde::Deserialize;

/// One `GetRestoreTestingPlan` output.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct GetRestoreTestingPlanOutput {
    pub restore_testing_plan: RestoreTestingPlan,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct RestoreTestingPlan {
    pub restore_testing_plan_name: String,
    pub restore_testing_plan_arn: String,
    #[serde(default)]
    pub schedule_expression: Option<String>,
}

/// One `GetRestoreTestingSelection` output.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct GetRestoreTestingSelectionOutput {
    pub restore_testing_selection: RestoreTestingSelection,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct RestoreTestingSelection {
    pub restore_testing_plan_name: String,
    pub restore_testing_selection_name: String,
    /// The AWS Backup resource type (`EBS`, `RDS`, `DynamoDB`, …).
    pub protected_resource_type: String,
    /// ARNs, or `["*"]` for every resource of the type (AWS allows one or the other).
    #[serde(default)]
    pub protected_resource_arns: Vec<String>,
    #[serde(default)]
    pub protected_resource_conditions: Option<ProtectedResourceConditions>,
}

/// Tag conditions on the selected resources. Keys are plain tag keys (AWS refuses `aws:`).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ProtectedResourceConditions {
    #[serde(default)]
    pub string_equals: Vec<KeyValue>,
    #[serde(default)]
    pub string_not_equals: Vec<KeyValue>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct KeyValue {
    pub key: String,
    pub value: String,
}

/// One `ListRestoreJobs` member.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct RestoreJob {
    #[serde(default)]
    pub restore_job_id: Option<String>,
    #[serde(default)]
    pub source_resource_arn: Option<String>,
    /// `PENDING | RUNNING | COMPLETED | ABORTED | FAILED`.
    #[serde(default)]
    pub status: Option<String>,
    #[serde(default)]
    pub status_message: Option<String>,
    /// `FAILED | SUCCESSFUL | TIMED_OUT | VALIDATING`; absent when nothing was validated.
    #[serde(default)]
    pub validation_status: Option<String>,
    #[serde(default)]
    pub validation_status_message: Option<String>,
    #[serde(default, with = "time::option")]
    pub creation_date: Option<Timestamp>,
    #[serde(default, with = "time::option")]
    pub completion_date: Option<Timestamp>,
    /// The restore testing plan that started the job; absent for a restore run by hand.
    #[serde(default)]
    pub created_by: Option<RestoreJobCreator>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct RestoreJobCreator {
    #[serde(default)]
    pub restore_testing_plan_arn: Option<String>,
}
