//! Restore testing: `restore-testing-plans.json`, `restore-testing-selections.json` (each
//! plan and selection listed, then read whole with its Get call) and `restore-jobs.json`
//! (`ListRestoreJobs` over the same days as backup jobs).

use super::call::{ApiError, Caller};
use super::shapes::{Obj, ToJson};
use aws_sdk_backup::types as bk;
use aws_sdk_backup::Client as Backup;
use futures_util::future::join_all;
use serde_json::Value;

/// The plans' `GetRestoreTestingPlan` outputs and, when the plans could be listed, their
/// selections' `GetRestoreTestingSelection` outputs.
pub async fn plans_and_selections(
    caller: &Caller,
    backup: &Backup,
) -> (Result<Value, ApiError>, Result<Value, ApiError>) {
    let listed = caller
        .all_pages(
            |t| backup.list_restore_testing_plans().set_next_token(t).send(),
            |o| (o.restore_testing_plans, o.next_token),
        )
        .await;
    let names: Vec<String> = match listed {
        Ok(l) => l.into_iter().map(|p| p.restore_testing_plan_name).collect(),
        Err(e) => return (Err(e.clone()), Err(e)),
    };
    let per_plan = join_all(names.iter().map(|name| async move {
        let plan = caller
            .call(|| {
                backup
                    .get_restore_testing_plan()
                    .restore_testing_plan_name(name)
                    .send()
            })
            .await;
        (plan, selections_of(caller, backup, name).await)
    }))
    .await;
    let mut plans = Ok(Vec::new());
    let mut selections = Ok(Vec::new());
    for (plan, sel) in per_plan {
        match (plan, &mut plans) {
            (Ok(p), Ok(all)) => all.push(p.to_json()),
            (Err(e), all @ Ok(_)) => *all = Err(e),
            _ => {}
        }
        match (sel, &mut selections) {
            (Ok(mut s), Ok(all)) => all.append(&mut s),
            (Err(e), all @ Ok(_)) => *all = Err(e),
            _ => {}
        }
    }
    (plans.map(Value::Array), selections.map(Value::Array))
}

async fn selections_of(
    caller: &Caller,
    backup: &Backup,
    plan: &str,
) -> Result<Vec<Value>, ApiError> {
    let list = caller
        .all_pages(
            |t| {
                backup
                    .list_restore_testing_selections()
                    .restore_testing_plan_name(plan)
                    .set_next_token(t)
                    .send()
            },
            |o| (o.restore_testing_selections, o.next_token),
        )
        .await?;
    let got = join_all(list.iter().map(|s| {
        caller.call(move || {
            backup
                .get_restore_testing_selection()
                .restore_testing_plan_name(plan)
                .restore_testing_selection_name(&s.restore_testing_selection_name)
                .send()
        })
    }))
    .await;
    got.into_iter().map(|r| r.map(|o| o.to_json())).collect()
}

/// The restore jobs created since `since` (the backup jobs' window: the manifest records it
/// as `restore_jobs_since`).
pub async fn jobs(
    caller: &Caller,
    backup: &Backup,
    since: aws_smithy_types::DateTime,
) -> Result<Value, ApiError> {
    let items = caller
        .all_pages(
            |t| {
                backup
                    .list_restore_jobs()
                    .by_created_after(since)
                    .set_next_token(t)
                    .send()
            },
            |o| (o.restore_jobs.unwrap_or_default(), o.next_token),
        )
        .await?;
    Ok(items.to_json())
}

fn int(v: i32) -> i64 {
    i64::from(v)
}

impl ToJson for aws_sdk_backup::operation::get_restore_testing_plan::GetRestoreTestingPlanOutput {
    fn to_json(&self) -> Value {
        Obj::new()
            .opt("RestoreTestingPlan", &self.restore_testing_plan)
            .build()
    }
}

impl ToJson for bk::RestoreTestingPlanForGet {
    fn to_json(&self) -> Value {
        Obj::new()
            .put("CreationTime", &self.creation_time)
            .opt("LastExecutionTime", &self.last_execution_time)
            .opt("LastUpdateTime", &self.last_update_time)
            .opt("RecoveryPointSelection", &self.recovery_point_selection)
            .put("RestoreTestingPlanArn", &self.restore_testing_plan_arn)
            .put("RestoreTestingPlanName", &self.restore_testing_plan_name)
            .put("ScheduleExpression", &self.schedule_expression)
            .opt(
                "ScheduleExpressionTimezone",
                &self.schedule_expression_timezone,
            )
            .put("StartWindowHours", &int(self.start_window_hours))
            .build()
    }
}

impl ToJson for bk::RestoreTestingRecoveryPointSelection {
    fn to_json(&self) -> Value {
        let types: Option<Vec<String>> = self
            .recovery_point_types
            .as_ref()
            .map(|t| t.iter().map(|t| t.as_str().to_owned()).collect());
        Obj::new()
            .name("Algorithm", self.algorithm.as_ref())
            .opt("ExcludeVaults", &self.exclude_vaults)
            .opt("IncludeVaults", &self.include_vaults)
            .opt("RecoveryPointTypes", &types)
            .put("SelectionWindowDays", &int(self.selection_window_days))
            .build()
    }
}

impl ToJson
    for aws_sdk_backup::operation::get_restore_testing_selection::GetRestoreTestingSelectionOutput
{
    fn to_json(&self) -> Value {
        Obj::new()
            .opt("RestoreTestingSelection", &self.restore_testing_selection)
            .build()
    }
}

impl ToJson for bk::RestoreTestingSelectionForGet {
    fn to_json(&self) -> Value {
        Obj::new()
            .put("CreationTime", &self.creation_time)
            .put("IamRoleArn", &self.iam_role_arn)
            .opt("ProtectedResourceArns", &self.protected_resource_arns)
            .opt(
                "ProtectedResourceConditions",
                &self.protected_resource_conditions,
            )
            .put("ProtectedResourceType", &self.protected_resource_type)
            .put("RestoreTestingPlanName", &self.restore_testing_plan_name)
            .put(
                "RestoreTestingSelectionName",
                &self.restore_testing_selection_name,
            )
            .put("ValidationWindowHours", &int(self.validation_window_hours))
            .build()
    }
}

impl ToJson for bk::ProtectedResourceConditions {
    fn to_json(&self) -> Value {
        Obj::new()
            .opt("StringEquals", &self.string_equals)
            .opt("StringNotEquals", &self.string_not_equals)
            .build()
    }
}

impl ToJson for bk::KeyValue {
    fn to_json(&self) -> Value {
        Obj::new()
            .put("Key", &self.key)
            .put("Value", &self.value)
            .build()
    }
}

impl ToJson for bk::RestoreJobsListMember {
    fn to_json(&self) -> Value {
        Obj::new()
            .opt("AccountId", &self.account_id)
            .opt("RestoreJobId", &self.restore_job_id)
            .opt("RecoveryPointArn", &self.recovery_point_arn)
            .opt("SourceResourceArn", &self.source_resource_arn)
            .opt("BackupVaultArn", &self.backup_vault_arn)
            .opt("CreationDate", &self.creation_date)
            .opt("CompletionDate", &self.completion_date)
            .name("Status", self.status.as_ref())
            .opt("StatusMessage", &self.status_message)
            .opt("ResourceType", &self.resource_type)
            .opt(
                "RecoveryPointCreationDate",
                &self.recovery_point_creation_date,
            )
            .opt("CreatedBy", &self.created_by)
            .name("ValidationStatus", self.validation_status.as_ref())
            .opt("ValidationStatusMessage", &self.validation_status_message)
            .name("DeletionStatus", self.deletion_status.as_ref())
            .opt("DeletionStatusMessage", &self.deletion_status_message)
            .build()
    }
}

impl ToJson for bk::RestoreJobCreator {
    fn to_json(&self) -> Value {
        Obj::new()
            .opt("RestoreTestingPlanArn", &self.restore_testing_plan_arn)
            .build()
    }
}
