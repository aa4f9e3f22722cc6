//! Organizations' effective backup policy validation, answered from the snapshot's
//! `organization/invalid-effective-policies.json` and `effective-policy-validation-errors.json`
//! (absent: no account is invalid), failing as the manifest's `organization.errors` says.

use super::protocols::{paged_in, Reply, Request};
use super::State;
use serde_json::{json, Value};

const INVALID: &str = "invalid-effective-policies.json";
const DETAILS: &str = "effective-policy-validation-errors.json";

pub fn backup_policies(state: &State, r: &Request) -> Reply {
    if r.input["PolicyType"] != "BACKUP_POLICY" {
        return r.error(
            400,
            "InvalidInputException",
            "the fake answers only PolicyType BACKUP_POLICY",
        );
    }
    let file = match r.operation.as_str() {
        "ListAccountsWithInvalidEffectivePolicy" => INVALID,
        _ => DETAILS,
    };
    if let Some((code, message)) = state.served.org_failing.get(file) {
        return r.error(400, code, message);
    }
    let served = state.served.org_files.get(file);
    if file == INVALID {
        let accounts = served
            .and_then(|v| v["Accounts"].as_array())
            .map_or(&[][..], Vec::as_slice);
        let out = json!({"PolicyType": "BACKUP_POLICY"});
        return paged_in(state, r, accounts.to_vec(), "Accounts", "NextToken", out);
    }
    let account = r.input["AccountId"].as_str().unwrap_or_default();
    let found = served
        .and_then(|v| v.as_array())
        .and_then(|list| list.iter().find(|d| d["AccountId"] == account));
    let Some(d) = found else {
        return r.error(
            400,
            "AccountNotFoundException",
            &format!("the fake has no validation errors for {account}"),
        );
    };
    let errors: Vec<Value> = d["EffectivePolicyValidationErrors"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    let mut out = d.clone();
    if let Some(o) = out.as_object_mut() {
        o.remove("EffectivePolicyValidationErrors");
    }
    paged_in(
        state,
        r,
        errors,
        "EffectivePolicyValidationErrors",
        "NextToken",
        out,
    )
}
