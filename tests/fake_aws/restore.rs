//! AWS Backup restore testing (restJson1), served from a scope's restore-testing-plans.json,
//! restore-testing-selections.json and restore-jobs.json: plans and selections listed from
//! their Get outputs, then each read back whole.

use super::protocols::{not_found, paged, Reply, Request};
use super::State;
use serde_json::{json, Value};

/// The operation of a restore testing path (GET only), if it is one.
pub fn operation(seg: &[&str]) -> Option<&'static str> {
    Some(match seg {
        ["restore-testing", "plans"] => "ListRestoreTestingPlans",
        ["restore-testing", "plans", _] => "GetRestoreTestingPlan",
        ["restore-testing", "plans", _, "selections"] => "ListRestoreTestingSelections",
        ["restore-testing", "plans", _, "selections", _] => "GetRestoreTestingSelection",
        ["restore-jobs"] => "ListRestoreJobs",
        _ => return None,
    })
}

/// The snapshot file an operation reads.
pub fn file(op: &str) -> Option<&'static str> {
    Some(match op {
        "ListRestoreTestingPlans" | "GetRestoreTestingPlan" => "restore-testing-plans.json",
        "ListRestoreTestingSelections" | "GetRestoreTestingSelection" => {
            "restore-testing-selections.json"
        }
        "ListRestoreJobs" => "restore-jobs.json",
        _ => return None,
    })
}

pub fn reply(state: &State, r: &Request, items: &[Value]) -> Reply {
    let seg: Vec<&str> = r.segments.iter().map(String::as_str).collect();
    let plan = |p: &Value| p["RestoreTestingPlan"].clone();
    let selection = |s: &Value| s["RestoreTestingSelection"].clone();
    let of_plan = |s: &&Value| selection(s)["RestoreTestingPlanName"].as_str() == Some(seg[2]);
    match r.operation.as_str() {
        "ListRestoreTestingPlans" => {
            let list: Vec<Value> = items
                .iter()
                .map(|p| {
                    let p = plan(p);
                    json!({"RestoreTestingPlanName": p["RestoreTestingPlanName"],
                           "RestoreTestingPlanArn": p["RestoreTestingPlanArn"],
                           "ScheduleExpression": p["ScheduleExpression"],
                           "CreationTime": p["CreationTime"],
                           "StartWindowHours": p["StartWindowHours"]})
                })
                .collect();
            paged(state, r, list, "RestoreTestingPlans", "NextToken")
        }
        "GetRestoreTestingPlan" => match items
            .iter()
            .find(|p| plan(p)["RestoreTestingPlanName"].as_str() == Some(seg[2]))
        {
            Some(p) => Reply::json(p.clone()),
            None => not_found(r, "restore testing plan"),
        },
        "ListRestoreTestingSelections" => {
            let list: Vec<Value> = items
                .iter()
                .filter(of_plan)
                .map(|s| {
                    let s = selection(s);
                    json!({"RestoreTestingPlanName": s["RestoreTestingPlanName"],
                           "RestoreTestingSelectionName": s["RestoreTestingSelectionName"],
                           "ProtectedResourceType": s["ProtectedResourceType"],
                           "IamRoleArn": s["IamRoleArn"],
                           "CreationTime": s["CreationTime"],
                           "ValidationWindowHours": s["ValidationWindowHours"]})
                })
                .collect();
            paged(state, r, list, "RestoreTestingSelections", "NextToken")
        }
        "GetRestoreTestingSelection" => match items
            .iter()
            .filter(of_plan)
            .find(|s| selection(s)["RestoreTestingSelectionName"].as_str() == Some(seg[4]))
        {
            Some(s) => Reply::json(s.clone()),
            None => not_found(r, "restore testing selection"),
        },
        _ => paged(state, r, items.iter().collect(), "RestoreJobs", "NextToken"),
    }
}
