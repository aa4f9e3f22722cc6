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

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn testing(selection: serde_json::Value, jobs: serde_json::Value) -> RestoreTesting {
        let plan = json!([{"RestoreTestingPlan": {"RestoreTestingPlanName": "p",
            "RestoreTestingPlanArn": "arn:aws:backup:us-east-1:1:restore-testing-plan:p-1"}}]);
        RestoreTesting::build(
            serde_json::from_value(plan).unwrap(),
            serde_json::from_value(json!([{ "RestoreTestingSelection": selection }])).unwrap(),
            serde_json::from_value(jobs).unwrap(),
        )
    }

    /// The sample's orders table (DynamoDB; app=orders, env=prod).
    fn orders_table() -> Resource {
        let inv = crate::app::evaluate_sample().inventory;
        let arn = "arn:aws:dynamodb:us-east-1:111111111111:table/orders";
        let (si, ri) = inv.find_resource(arn).unwrap();
        inv.scopes[si].resources[ri].clone()
    }

    #[test]
    fn a_selection_covers_by_type_arn_or_star_and_every_condition() {
        let res = orders_table();
        let sel = |arns: serde_json::Value, conditions: serde_json::Value| {
            testing(
                json!({"RestoreTestingPlanName": "p", "RestoreTestingSelectionName": "s",
                       "ProtectedResourceType": "DynamoDB", "ProtectedResourceArns": arns,
                       "ProtectedResourceConditions": conditions}),
                json!([]),
            )
            .selections
            .remove(0)
        };
        let s = sel(json!(["*"]), json!({}));
        assert_eq!(s.covers(&res), Ok(()));
        assert_eq!(
            s.plan_arn.as_deref(),
            Some("arn:aws:backup:us-east-1:1:restore-testing-plan:p-1")
        );
        assert_eq!(sel(json!([res.arn]), json!({})).covers(&res), Ok(()));
        let other = sel(
            json!(["arn:aws:dynamodb:us-east-1:111111111111:table/other"]),
            json!({}),
        );
        assert!(other
            .covers(&res)
            .unwrap_err()
            .contains("do not name the resource"));
        let both = json!({"StringEquals": [{"Key": "app", "Value": "orders"}],
                          "StringNotEquals": [{"Key": "env", "Value": "test"}]});
        assert_eq!(sel(json!(["*"]), both).covers(&res), Ok(()));
        let unmet = json!({"StringEquals": [{"Key": "app", "Value": "orders"}],
                           "StringNotEquals": [{"Key": "env", "Value": "prod"}]});
        assert_eq!(
            sel(json!(["*"]), unmet).covers(&res),
            Err("its condition StringNotEquals env=\"prod\" does not hold (the resource has env=\"prod\")".to_owned())
        );
        let missing_tag = json!({"StringEquals": [{"Key": "tier", "Value": "gold"}]});
        assert!(sel(json!(["*"]), missing_tag)
            .covers(&res)
            .unwrap_err()
            .contains("has no \"tier\" tag"));
    }

    #[test]
    fn a_resources_restore_jobs_are_one_slice_newest_first() {
        let job = |id: &str, arn: &str, at: &str| json!({"RestoreJobId": id, "SourceResourceArn": arn, "CreationDate": at});
        let t = testing(
            json!({"RestoreTestingPlanName": "p", "RestoreTestingSelectionName": "s",
                   "ProtectedResourceType": "EBS", "ProtectedResourceArns": ["*"]}),
            json!([
                job("1", "arn:b", "2026-11-01T00:00:00Z"),
                job("2", "arn:a", "2026-11-02T00:00:00Z"),
                job("3", "arn:b", "2026-11-03T00:00:00Z"),
                {"RestoreJobId": "4"},
            ]),
        );
        let ids = |arn: &str| -> Vec<&str> {
            t.jobs_of(arn)
                .iter()
                .map(|j| j.restore_job_id.as_deref().unwrap())
                .collect()
        };
        assert_eq!(ids("arn:b"), ["3", "1"]);
        assert_eq!(ids("arn:a"), ["2"]);
        assert!(ids("arn:c").is_empty());
    }
}
