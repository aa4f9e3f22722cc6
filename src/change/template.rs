//! `--cfn-template`: a CloudFormation template (YAML or JSON) and its parameters, read as the
//! change its deployment makes to the account-region it is deployed in (`--account`,
//! `--region`): each resource's properties resolved where the template decides them
//! ([`super::intrinsics`]), then laid over the snapshot as a change set's would be.
//!
//! What the template replaces is found in the snapshot, so that an old selection and its new
//! version are never both counted: a backup plan or vault of the same name in that
//! account-region is updated (AWS Backup names are unique there), a selection of the same name
//! in the same plan likewise, a named resource (a bucket, a table, …) by its ARN, and with
//! `--stack-name` every resource the stack already has, by CloudFormation's
//! `aws:cloudformation:stack-name` and `logical-id` tags (one the template no longer has is
//! deleted). Anything else is created.

use super::cloudformation::{terraform_kind, CfnChange, UNKNOWN};
use super::intrinsics::Context;
use super::records::{self, At};
use super::terraform::{Action, ResourceChange};
use super::Defaults;
use crate::error::{Diagnostic, Error, Result};
use crate::snapshot::{ScopeData, Snapshot};
use serde_json::{json, Map, Value};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

const STACK_TAG: &str = "aws:cloudformation:stack-name";
const LOGICAL_TAG: &str = "aws:cloudformation:logical-id";

/// A template read and checked, with its parameters' values.
pub struct Template {
    path: PathBuf,
    doc: Map<String, Value>,
    parameters: BTreeMap<String, Value>,
    /// Said to the user: parameters without a value.
    notes: Vec<String>,
}

fn invalid(path: &Path, why: impl Into<String>) -> Error {
    Error::Invalid(vec![Diagnostic::file(path, why)])
}

/// Reads `path` (YAML or JSON) and the parameters file, if any: the CLI's
/// `[{"ParameterKey", "ParameterValue"}]`, CodePipeline's `{"Parameters": {…}}` or a plain
/// `{"Key": "Value"}`.
pub fn read(path: &Path, parameters: Option<&Path>) -> Result<Template> {
    let text = crate::input::read_text(path).map_err(|d| Error::Invalid(vec![d]))?;
    let doc = if text.trim_start().starts_with('{') {
        crate::snapshot::parse_json::<Value>(path, text.as_bytes())
    } else {
        super::yaml::parse(path, &text)
    }
    .map_err(|d| Error::Invalid(vec![d]))?;
    let Value::Object(doc) = doc else {
        return Err(invalid(
            path,
            "not a CloudFormation template (not a mapping)",
        ));
    };
    if doc.contains_key("resource_changes") || doc.contains_key("format_version") {
        return Err(invalid(
            path,
            "a Terraform plan, not a template: give it with --terraform-plan",
        ));
    }
    if doc.contains_key("Changes") && doc.contains_key("ChangeSetName") {
        return Err(invalid(
            path,
            "a change set, not a template: give it with --cfn-change-set",
        ));
    }
    let resources = doc.get("Resources").and_then(Value::as_object);
    let Some(resources) = resources.filter(|r| !r.is_empty()) else {
        return Err(invalid(path, "not a CloudFormation template: no Resources"));
    };
    for (logical, r) in resources {
        if r.get("Type").and_then(Value::as_str).is_none() {
            return Err(invalid(path, format!("Resources.{logical}: no Type")));
        }
    }
    let given = match parameters {
        Some(p) => read_parameters(p)?,
        None => BTreeMap::new(),
    };
    let declared = doc.get("Parameters").and_then(Value::as_object);
    if let Some(extra) = given
        .keys()
        .find(|k| !declared.is_some_and(|d| d.contains_key(*k)))
    {
        return Err(invalid(
            parameters.unwrap_or(path),
            format!("parameter {extra:?} is not declared in {}", path.display()),
        ));
    }
    let mut values = BTreeMap::new();
    let mut notes = Vec::new();
    for (name, decl) in declared.into_iter().flatten() {
        let value = given
            .get(name)
            .cloned()
            .or_else(|| decl.get("Default").cloned());
        let Some(value) = value else {
            notes.push(format!(
                "parameter {name} has no value and no default: what depends on it is \
                 undecidable until the stack is deployed"
            ));
            continue;
        };
        let is_list = decl["Type"]
            .as_str()
            .is_some_and(|t| t.starts_with("List<") || t == "CommaDelimitedList");
        let value = match value {
            Value::String(s) if is_list => {
                Value::Array(s.split(',').map(|x| Value::from(x.trim())).collect())
            }
            Value::Number(n) => Value::from(n.to_string()),
            v => v,
        };
        values.insert(name.clone(), value);
    }
    Ok(Template {
        path: path.to_path_buf(),
        doc,
        parameters: values,
        notes,
    })
}

fn read_parameters(path: &Path) -> Result<BTreeMap<String, Value>> {
    let bytes = crate::input::read_data(path)
        .map_err(|d| Error::Invalid(vec![d]))?
        .ok_or_else(|| invalid(path, "no such file"))?;
    let v: Value =
        crate::snapshot::parse_json(path, &bytes).map_err(|d| Error::Invalid(vec![d]))?;
    let pairs: Option<BTreeMap<String, Value>> = match &v {
        Value::Array(list) => list
            .iter()
            .map(|p| {
                let k = p.get("ParameterKey")?.as_str()?.to_owned();
                Some((k, p.get("ParameterValue")?.clone()))
            })
            .collect(),
        Value::Object(o) => {
            let map = o.get("Parameters").and_then(Value::as_object).unwrap_or(o);
            Some(map.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
        }
        _ => None,
    };
    pairs.ok_or_else(|| {
        invalid(
            path,
            "not CloudFormation parameters: expected [{\"ParameterKey\", \"ParameterValue\"}] \
             or {\"Key\": \"Value\"}",
        )
    })
}

/// The attributes an identity stands in for where a template names a resource it creates.
const IDENTITIES: [(&str, &[&str]); 2] = [
    (
        "AWS::Backup::BackupSelection",
        &[
            "/BackupSelection/Resources",
            "/BackupSelection/NotResources",
            "/BackupPlanId",
        ],
    ),
    ("AWS::EC2::VolumeAttachment", &["/VolumeId", "/InstanceId"]),
];

/// What a resource whose `Condition` only the deployment decides could change.
const MAYBE: [&str; 9] = [
    "tags_all",
    "rule",
    "resources",
    "not_resources",
    "selection_tag",
    "condition",
    "plan_id",
    "volume_id",
    "instance_id",
];

impl Template {
    pub fn source(&self) -> String {
        format!("the CloudFormation template {}", self.path.display())
    }

    /// The template's resource changes where it lands, and what is said of it (parameters
    /// without a value, resources a condition leaves out or leaves undecided).
    pub fn changes(
        &self,
        snap: &Snapshot,
        d: &Defaults,
        stack: Option<&str>,
    ) -> Result<(Vec<ResourceChange>, Vec<String>)> {
        let region = d.region.clone().ok_or_else(|| {
            Error::Usage(format!(
                "{}: a template does not say where it is deployed: give --region (and --account)",
                self.path.display()
            ))
        })?;
        let accounts: Vec<&str> = snap
            .scopes
            .iter()
            .filter(|s| s.region == region)
            .map(|s| s.account_id.as_str())
            .collect();
        let account = match (&d.account, accounts.as_slice()) {
            (Some(a), _) => a.clone(),
            (None, [only]) => (*only).to_owned(),
            _ => {
                return Err(Error::Usage(format!(
                    "{}: which account is it deployed in? give --account",
                    self.path.display()
                )))
            }
        };
        let data = snap
            .scopes
            .iter()
            .find(|s| s.account_id == account && s.region == region)
            .map(|s| &s.data);
        let partition = crate::model::partition_of(&region);
        let mut ctx = Context::new(
            &self.doc,
            self.parameters.clone(),
            (&account, &region, partition),
            stack,
        );
        let bound = data.map(|d| bind(&mut ctx, d)).unwrap_or_default();
        let resources = self.doc["Resources"]
            .as_object()
            .cloned()
            .unwrap_or_default();
        let mut out = Vec::new();
        let mut notes = self.notes.clone();
        for (logical, r) in &resources {
            let t = r["Type"].as_str().unwrap_or_default();
            let decided = match r.get("Condition").and_then(Value::as_str) {
                Some(c) => ctx.condition(c, 0),
                None => Some(true),
            };
            if decided == Some(false) {
                notes.push(format!(
                    "{logical}: its condition is false, so it is not created"
                ));
                continue;
            }
            let raw = r.get("Properties").cloned().unwrap_or(json!({}));
            let mut props = ctx.resolve(&raw, false).unwrap_or(json!({}));
            for (_, paths) in IDENTITIES.iter().filter(|(k, _)| *k == t) {
                for p in *paths {
                    if let (Some(v), Some(slot)) = (raw.pointer(p), props.pointer_mut(p)) {
                        *slot = ctx.resolve(v, true).unwrap_or(Value::Null);
                    }
                }
            }
            let physical = bound.get(logical.as_str());
            let one = CfnChange {
                logical_id: logical,
                resource_type: t,
                action: if physical.is_some() {
                    Action::Update
                } else {
                    Action::Create
                },
                physical_id: physical.and_then(|b| b.id.as_deref()),
                before: physical.map(|b| b.before.clone()),
                after: props.as_object().cloned(),
            };
            for mut c in one.as_resource_changes(&account, &region) {
                if decided.is_none() {
                    notes.push(format!(
                        "{logical}: whether it is created is decided at deployment (its \
                         condition); what it would change is undecidable"
                    ));
                    for k in MAYBE {
                        c.unknown[k] = json!(true);
                    }
                }
                out.push(c);
            }
        }
        let errors = ctx.errors.take();
        if !errors.is_empty() {
            return Err(Error::Invalid(
                errors
                    .into_iter()
                    .map(|e| Diagnostic::file(&self.path, e))
                    .collect(),
            ));
        }
        if let Some(data) = data {
            let at = (partition, account.as_str(), region.as_str());
            existing(&mut out, data, at, stack);
        }
        Ok((out, notes))
    }
}

/// A template resource the snapshot already has: its physical id, and its properties before
/// as far as the overlay needs them (what names it).
#[derive(Default)]
struct Bound {
    id: Option<String>,
    before: Map<String, Value>,
}

/// Backup plans and vaults the snapshot has by the template's names, then selections by
/// name within their plan; a bound plan's `Ref` is its real id.
fn bind(ctx: &mut Context, data: &ScopeData) -> BTreeMap<String, Bound> {
    let resources = ctx.template["Resources"]
        .as_object()
        .cloned()
        .unwrap_or_default();
    let named = |ctx: &Context, r: &Value, path: &str| {
        let v = r.pointer(&format!("/Properties{path}"))?;
        ctx.resolve(v, true)?
            .as_str()
            .map(str::to_owned)
            .filter(|s| s != UNKNOWN)
    };
    let mut bound = BTreeMap::new();
    for pass in ["plans and vaults", "selections"] {
        for (logical, r) in &resources {
            let found = match (pass, r["Type"].as_str().unwrap_or_default()) {
                ("plans and vaults", "AWS::Backup::BackupPlan") => {
                    let name = named(ctx, r, "/BackupPlan/BackupPlanName");
                    data.plans
                        .iter()
                        .find(|p| Some(&p.backup_plan.backup_plan_name) == name.as_ref())
                        .map(|p| Bound {
                            id: Some(p.backup_plan_id.clone()),
                            ..Bound::default()
                        })
                }
                ("plans and vaults", "AWS::Backup::BackupVault") => {
                    let name = named(ctx, r, "/BackupVaultName");
                    name.filter(|n| data.vaults.iter().any(|v| &v.backup_vault_name == n))
                        .map(|n| Bound {
                            id: None,
                            before: Map::from_iter([("BackupVaultName".into(), json!(n))]),
                        })
                }
                ("selections", "AWS::Backup::BackupSelection") => {
                    let plan = named(ctx, r, "/BackupPlanId");
                    let name = named(ctx, r, "/BackupSelection/SelectionName");
                    data.selections
                        .iter()
                        .find(|s| {
                            Some(&s.backup_plan_id) == plan.as_ref()
                                && Some(&s.backup_selection.selection_name) == name.as_ref()
                        })
                        .map(|s| Bound {
                            id: s.selection_id.clone(),
                            ..Bound::default()
                        })
                }
                _ => None,
            };
            if let Some(b) = found {
                if let Some(id) = &b.id {
                    ctx.known.insert(logical.clone(), id.clone());
                }
                bound.insert(logical.clone(), b);
            }
        }
    }
    bound
}

/// Judged resources the snapshot already has become updates (by ARN, or with `--stack-name`
/// by the stack's tags); the stack's resources the template no longer has are deleted.
fn existing(
    out: &mut Vec<ResourceChange>,
    data: &ScopeData,
    (partition, account, region): (&str, &str, &str),
    stack: Option<&str>,
) {
    let tag = |item: &crate::snapshot::aws::ConfigItem, key: &str| {
        item.tags
            .0
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.clone())
    };
    let of_stack = |item: &&crate::snapshot::aws::ConfigItem| {
        stack.is_some() && tag(item, STACK_TAG).as_deref() == stack
    };
    let mut kept = std::collections::BTreeSet::new();
    for c in out.iter_mut().filter(|c| c.action == Action::Create) {
        let (Some(j), Some(after)) = (records::judged(&c.kind), c.after.as_mut()) else {
            continue;
        };
        let logical = c.address.split(" (").next().unwrap_or_default().to_owned();
        let placeholder = format!("(known after apply: {})", c.address);
        let at = At {
            partition,
            account,
            region,
            placeholder: &placeholder,
        };
        let arn = j.arn(after, &at);
        let item = data.resources.iter().find(|i| i.arn == arn).or_else(|| {
            data.resources
                .iter()
                .filter(of_stack)
                .find(|i| tag(i, LOGICAL_TAG).as_deref() == Some(logical.as_str()))
        });
        if let Some(item) = item {
            after.insert("arn".into(), json!(item.arn));
            c.before = Some(Map::from_iter([("arn".into(), json!(item.arn))]));
            c.action = Action::Update;
            if let Some(u) = c.unknown.as_object_mut() {
                u.remove("id");
            }
            kept.insert(item.arn.clone());
        }
    }
    for item in data.resources.iter().filter(of_stack) {
        let Some(kind) = terraform_kind(&item.resource_type) else {
            continue;
        };
        if kept.contains(&item.arn) {
            continue;
        }
        let logical = tag(item, LOGICAL_TAG).unwrap_or_default();
        out.push(ResourceChange {
            address: format!("{logical} ({}, not in the template)", item.resource_type),
            kind: kind.to_owned(),
            action: Action::Delete,
            before: Some(Map::from_iter([("arn".into(), json!(item.arn))])),
            after: None,
            unknown: Value::Null,
            region: Some(region.to_owned()),
            account: Some(account.to_owned()),
            references: BTreeMap::new(),
        });
    }
}
