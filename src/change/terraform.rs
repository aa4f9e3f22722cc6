//! Terraform's JSON plan (`terraform show -json plan.out`), format_version 1.x as HashiCorp
//! documents it (https://developer.hashicorp.com/terraform/internals/json-format): each
//! managed resource change with its actions, the values before and after, which after-values
//! are unknown until apply, and the region of the provider configuration it uses.

use crate::error::{Diagnostic, Error, Result};
use serde::Deserialize;
use serde_json::{Map, Value};
use std::collections::BTreeMap;
use std::path::Path;

/// What a change does to its resource (`change.actions`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    Create,
    Update,
    Delete,
    /// `["delete","create"]` or `["create","delete"]`: a new resource in the old one's place.
    Replace,
    NoOp,
}

/// One resource change, as the overlay reads it.
#[derive(Debug, Clone)]
pub struct ResourceChange {
    /// `module.x.aws_ebs_volume.data[0]`: how the user finds it in the plan.
    pub address: String,
    /// `aws_ebs_volume`.
    pub kind: String,
    pub action: Action,
    pub before: Option<Map<String, Value>>,
    pub after: Option<Map<String, Value>>,
    /// `after_unknown`: the same shape as `after`, `true` where a value is known only after
    /// apply.
    pub unknown: Value,
    /// The region of its provider configuration (or its stack), when that states it.
    pub region: Option<String>,
    /// The account it lands in, when its source states it (a CloudFormation stack).
    pub account: Option<String>,
    /// Addresses the configuration's expressions reference, per attribute (`plan_id` →
    /// `["aws_backup_plan.daily.id", "aws_backup_plan.daily"]`).
    pub references: BTreeMap<String, Vec<String>>,
}

impl ResourceChange {
    /// Whether an after-value (an attribute, or anything in it) is unknown until apply.
    pub fn is_unknown(&self, attribute: &str) -> bool {
        contains_true(&self.unknown[attribute])
    }
}

fn contains_true(v: &Value) -> bool {
    match v {
        Value::Bool(b) => *b,
        Value::Array(a) => a.iter().any(contains_true),
        Value::Object(o) => o.values().any(contains_true),
        _ => false,
    }
}

#[derive(Deserialize)]
struct Plan {
    format_version: String,
    #[serde(default)]
    resource_changes: Vec<RawChange>,
    #[serde(default)]
    configuration: Value,
}

#[derive(Deserialize)]
struct RawChange {
    address: String,
    #[serde(default)]
    mode: String,
    #[serde(rename = "type")]
    kind: String,
    change: RawDetail,
}

#[derive(Deserialize)]
struct RawDetail {
    actions: Vec<String>,
    #[serde(default)]
    before: Option<Map<String, Value>>,
    #[serde(default)]
    after: Option<Map<String, Value>>,
    #[serde(default)]
    after_unknown: Value,
}

/// Reads a plan file. Anything but a JSON plan of format 1.x is refused with what to do.
pub fn read(path: &Path) -> Result<Vec<ResourceChange>> {
    let bytes = crate::input::read_data(path)
        .map_err(|d| Error::Invalid(vec![d]))?
        .ok_or_else(|| Error::Invalid(vec![Diagnostic::file(path, "no such file")]))?;
    // A saved plan (`terraform plan -out`) is a zip archive.
    if bytes.starts_with(b"PK\x03\x04") {
        return Err(Error::Invalid(vec![Diagnostic::file(
            path,
            "is a binary plan file; give its JSON form: `terraform show -json plan.out > plan.json`",
        )]));
    }
    let plan: Plan =
        crate::snapshot::parse_json(path, &bytes).map_err(|d| Error::Invalid(vec![d]))?;
    if plan.format_version.split('.').next() != Some("1") {
        return Err(Error::Invalid(vec![Diagnostic::file(
            path,
            format!(
                "has format_version {}; this version reads Terraform JSON plans of format 1.x",
                plan.format_version
            ),
        )]));
    }
    let config = Configuration::of(&plan.configuration);
    plan.resource_changes
        .into_iter()
        .filter(|c| c.mode != "data")
        .map(|c| {
            let action = action(&c.change.actions).ok_or_else(|| {
                Error::Invalid(vec![Diagnostic::file(
                    path,
                    format!(
                        "{}: unknown change actions {:?}",
                        c.address, c.change.actions
                    ),
                )])
            })?;
            let (region, references) = config.of_resource(&c.address);
            Ok(ResourceChange {
                kind: c.kind,
                action,
                before: c.change.before,
                after: c.change.after,
                unknown: c.change.after_unknown,
                region,
                account: None,
                references,
                address: c.address,
            })
        })
        .collect()
}

fn action(actions: &[String]) -> Option<Action> {
    let a: Vec<&str> = actions.iter().map(String::as_str).collect();
    Some(match a.as_slice() {
        ["create"] => Action::Create,
        ["update"] => Action::Update,
        ["delete"] => Action::Delete,
        ["delete", "create"] | ["create", "delete"] => Action::Replace,
        ["no-op"] | ["read"] | ["forget"] => Action::NoOp,
        _ => return None,
    })
}

/// The plan's `configuration`: provider regions and each resource's references, found by
/// the resource's address without instance keys (`module.a.aws_x.y`, not `…y[0]`).
struct Configuration {
    regions: BTreeMap<String, String>,
    resources: BTreeMap<String, (String, BTreeMap<String, Vec<String>>)>,
}

impl Configuration {
    fn of(c: &Value) -> Configuration {
        let mut regions = BTreeMap::new();
        for (key, p) in c["provider_config"].as_object().into_iter().flatten() {
            if let Some(r) = p["expressions"]["region"]["constant_value"].as_str() {
                regions.insert(key.clone(), r.to_string());
            }
        }
        let mut resources = BTreeMap::new();
        collect_module(&c["root_module"], "", &mut resources);
        Configuration { regions, resources }
    }

    fn of_resource(&self, address: &str) -> (Option<String>, BTreeMap<String, Vec<String>>) {
        let Some((provider, refs)) = self.resources.get(&strip_keys(address)) else {
            return (None, BTreeMap::new());
        };
        // A module's resource names its provider `module.m:aws` or the root's `aws`.
        let region = self
            .regions
            .get(provider)
            .or_else(|| {
                self.regions
                    .get(provider.rsplit(':').next().unwrap_or_default())
            })
            .cloned();
        (region, refs.clone())
    }
}

fn collect_module(
    m: &Value,
    prefix: &str,
    out: &mut BTreeMap<String, (String, BTreeMap<String, Vec<String>>)>,
) {
    for r in m["resources"].as_array().into_iter().flatten() {
        let Some(address) = r["address"].as_str() else {
            continue;
        };
        let provider = r["provider_config_key"]
            .as_str()
            .unwrap_or("aws")
            .to_string();
        let mut refs = BTreeMap::new();
        for (attr, e) in r["expressions"].as_object().into_iter().flatten() {
            let mut found = Vec::new();
            references_in(e, &mut found);
            if !found.is_empty() {
                refs.insert(attr.clone(), found);
            }
        }
        out.insert(format!("{prefix}{address}"), (provider, refs));
    }
    for (name, call) in m["module_calls"].as_object().into_iter().flatten() {
        let inner = format!("{prefix}module.{name}.");
        collect_module(&call["module"], &inner, out);
    }
}

fn references_in(e: &Value, found: &mut Vec<String>) {
    match e {
        Value::Object(o) => {
            if let Some(refs) = o.get("references").and_then(Value::as_array) {
                found.extend(refs.iter().filter_map(Value::as_str).map(str::to_owned));
            }
            for (k, v) in o {
                if k != "references" {
                    references_in(v, found);
                }
            }
        }
        Value::Array(a) => a.iter().for_each(|v| references_in(v, found)),
        _ => {}
    }
}

/// `module.a["x"].aws_y.z[0]` → `module.a.aws_y.z`: the configuration's address.
fn strip_keys(address: &str) -> String {
    let mut out = String::with_capacity(address.len());
    let mut depth = 0;
    for c in address.chars() {
        match c {
            '[' => depth += 1,
            ']' => depth -= 1,
            _ if depth == 0 => out.push(c),
            _ => {}
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn instance_keys_are_not_part_of_the_configuration_address() {
        assert_eq!(
            strip_keys(r#"module.app["eu"].aws_ebs_volume.data[0]"#),
            "module.app.aws_ebs_volume.data"
        );
    }

    #[test]
    fn replacement_in_either_order_is_one_action() {
        let a = |v: &[&str]| action(&v.iter().map(|s| s.to_string()).collect::<Vec<_>>());
        assert_eq!(a(&["delete", "create"]), Some(Action::Replace));
        assert_eq!(a(&["create", "delete"]), Some(Action::Replace));
        assert_eq!(a(&["no-op"]), Some(Action::NoOp));
        assert_eq!(a(&["explode"]), None);
    }

    #[test]
    fn an_unknown_value_anywhere_in_an_attribute_makes_it_unknown() {
        let c = ResourceChange {
            address: "a".into(),
            kind: "aws_ebs_volume".into(),
            action: Action::Create,
            before: None,
            after: None,
            unknown: serde_json::json!({"tags_all": {"app": true}, "arn": true, "size": false}),
            region: None,
            account: None,
            references: BTreeMap::new(),
        };
        assert!(c.is_unknown("tags_all") && c.is_unknown("arn"));
        assert!(!c.is_unknown("size") && !c.is_unknown("tags"));
    }
}
