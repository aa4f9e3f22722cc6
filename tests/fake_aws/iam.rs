//! IAM (awsQuery): `GetRole` answered from the served snapshot's `iam-roles.json` files. IAM
//! is global, so a role is looked up in every region of the account.

use super::protocols::{form, Reply, Request};
use super::State;
use serde_json::Value;

pub fn iam(state: &State, r: &Request, account: &str) -> Reply {
    let params = form(&String::from_utf8_lossy(&r.body));
    if r.operation != "GetRole" {
        return r.error(
            400,
            "InvalidAction",
            &format!("fake IAM does not implement {}", r.operation),
        );
    }
    let name = params.get("RoleName").cloned().unwrap_or_default();
    let regions = state.served.regions_of(account);
    // A manifest that records iam-roles.json as failed in a region: GetRole fails so.
    if let Some((code, message)) = regions
        .iter()
        .find_map(|g| state.served.failing(account, g, "iam-roles.json"))
    {
        return r.error(403, &code, &message);
    }
    let found = regions.iter().find_map(|g| {
        state
            .served
            .items(account, g, "iam-roles.json")
            .iter()
            .find(|role| role["RoleName"].as_str() == Some(name.as_str()))
    });
    match found {
        Some(role) => Reply::xml(
            200,
            format!(
                "<GetRoleResponse xmlns=\"https://iam.amazonaws.com/doc/2010-05-08/\">\
                 <GetRoleResult><Role>{}</Role></GetRoleResult>\
                 <ResponseMetadata><RequestId>fake</RequestId></ResponseMetadata>\
                 </GetRoleResponse>",
                role_xml(role)
            ),
        ),
        None => r.error(
            404,
            "NoSuchEntity",
            &format!("The role with name {name} cannot be found."),
        ),
    }
}

/// The members of a `Role` as IAM's XML carries them: the trust policy URL-encoded, times as
/// ISO-8601 (the served file holds epoch seconds).
fn role_xml(role: &Value) -> String {
    let mut out = String::new();
    for (k, v) in role.as_object().into_iter().flatten() {
        let text = match (k.as_str(), v) {
            ("AssumeRolePolicyDocument", doc) => url_encode(&doc.to_string()),
            ("CreateDate", Value::Number(n)) => {
                chrono::DateTime::from_timestamp(n.as_f64().unwrap_or_default() as i64, 0)
                    .unwrap()
                    .to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
            }
            (_, Value::String(s)) => xml_escape(s),
            (_, Value::Number(n)) => n.to_string(),
            // Tags, RoleLastUsed, …: not read by the collector.
            _ => continue,
        };
        out.push_str(&format!("<{k}>{text}</{k}>"));
    }
    out
}

fn url_encode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

fn xml_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}
