//! Restore testing: which restore testing selections cover a resource, and the restore jobs
//! those plans ran for it. Plans and selections are few per scope; jobs are kept sorted by
//! source resource ARN, newest first, so a resource's jobs are one slice found by binary
//! search. Nothing is held per recovery point.

use super::resource::Resource;
use crate::snapshot::restore::{
    GetRestoreTestingPlanOutput, GetRestoreTestingSelectionOutput, RestoreJob,
};
use std::cmp::Reverse;

/// A scope's restore testing, as its three files say.
#[derive(Debug, Clone, Default)]
pub struct RestoreTesting {
    pub selections: Vec<TestSelection>,
    /// Sorted by `SourceResourceArn`, then newest first: see [`RestoreTesting::jobs_of`].
    pub jobs: Vec<RestoreJob>,
}

/// One restore testing selection, with its plan's ARN (from `restore-testing-plans.json`).
#[derive(Debug, Clone)]
pub struct TestSelection {
    pub plan: String,
    /// `None` when the plan is not in `restore-testing-plans.json`: its jobs cannot be told.
    pub plan_arn: Option<String>,
    pub name: String,
    pub resource_type: String,
    pub arns: Vec<String>,
    /// `(key, value, equals)`: `StringEquals` when `equals`, else `StringNotEquals`.
    pub conditions: Vec<(String, String, bool)>,
}

impl RestoreTesting {
    pub fn build(
        plans: Vec<GetRestoreTestingPlanOutput>,
        selections: Vec<GetRestoreTestingSelectionOutput>,
        mut jobs: Vec<RestoreJob>,
    ) -> RestoreTesting {
        let selections = selections
            .into_iter()
            .map(|s| {
                let s = s.restore_testing_selection;
                let plan_arn = plans
                    .iter()
                    .map(|p| &p.restore_testing_plan)
                    .find(|p| p.restore_testing_plan_name == s.restore_testing_plan_name)
                    .map(|p| p.restore_testing_plan_arn.clone());
                let c = s.protected_resource_conditions.unwrap_or_default();
                let conditions = (c.string_equals.into_iter().map(|kv| (kv, true)))
                    .chain(c.string_not_equals.into_iter().map(|kv| (kv, false)))
                    .map(|(kv, eq)| (kv.key, kv.value, eq))
                    .collect();
                TestSelection {
                    plan: s.restore_testing_plan_name,
                    plan_arn,
                    name: s.restore_testing_selection_name,
                    resource_type: s.protected_resource_type,
                    arns: s.protected_resource_arns,
                    conditions,
                }
            })
            .collect();
        jobs.sort_by(|a, b| {
            (a.source_resource_arn.as_deref(), Reverse(a.creation_date))
                .cmp(&(b.source_resource_arn.as_deref(), Reverse(b.creation_date)))
        });
        jobs.shrink_to_fit();
        RestoreTesting { selections, jobs }
    }

    /// The restore jobs whose source is the resource `arn`, newest first.
    pub fn jobs_of(&self, arn: &str) -> &[RestoreJob] {
        fn key(j: &RestoreJob) -> Option<&str> {
            j.source_resource_arn.as_deref()
        }
        let start = self.jobs.partition_point(|j| key(j) < Some(arn));
        let len = self.jobs[start..].partition_point(|j| key(j) == Some(arn));
        &self.jobs[start..start + len]
    }
}

impl TestSelection {
    /// `Ok(())` when the selection covers `res`, else why not. Several conditions must all
    /// hold: AWS does not say how they combine, and "all" is the reading that selects less.
    pub fn covers(&self, res: &Resource) -> Result<(), String> {
        if self.resource_type != res.kind.backup_type() {
            return Err(format!(
                "it selects {} resources, not {}",
                self.resource_type,
                res.kind.backup_type()
            ));
        }
        if !self.arns.iter().any(|a| a == "*" || *a == res.arn) {
            return Err("its ProtectedResourceArns do not name the resource".to_owned());
        }
        for (key, value, equals) in &self.conditions {
            let has = res.tag(key);
            if (has == Some(value.as_str())) != *equals {
                let op = if *equals {
                    "StringEquals"
                } else {
                    "StringNotEquals"
                };
                let have = match has {
                    Some(v) => format!("the resource has {key}={v:?}"),
                    None => format!("the resource has no {key:?} tag"),
                };
                return Err(format!(
                    "its condition {op} {key}={value:?} does not hold ({have})"
                ));
            }
        }
        Ok(())
    }

    /// `plan/selection`, for reasons.
    pub fn label(&self) -> String {
        format!("{}/{}", self.plan, self.name)
    }
}
