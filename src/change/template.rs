//! `--cfn-template`: a CloudFormation template (YAML or JSON) and its parameters, read as the
//! change its deployment makes to the account-region it is deployed in (`--account`,
//! `--region`): each resource's properties resolved where the template decides them
//! ([`super::intrinsics`]), then laid over the snapshot as a change set's would be.
//!
//! What the template replaces is found in the snapshot ([`bind`]), so that an old version and
//! its new one are never both counted. Anything else is created.

mod bind;

use super::cloudformation::CfnChange;
use super::intrinsics::Context;
use super::terraform::{Action, ResourceChange};
use super::Defaults;
use crate::error::{Diagnostic, Error, Result};
use crate::snapshot::Snapshot;
use serde_json::{json, Map, Value};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

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
        let kind = decl["Type"].as_str().unwrap_or_default();
        // An SSM parameter type's value is the name of the parameter that holds it.
        let from_ssm = kind.starts_with("AWS::SSM::Parameter::Value");
        let value = given
            .get(name)
            .cloned()
            .or_else(|| decl.get("Default").cloned())
            .filter(|_| !from_ssm);
        let Some(value) = value else {
            notes.push(format!(
                "parameter {name} has no value{}: what depends on it is undecidable until the \
                 stack is deployed",
                if from_ssm {
                    " here (SSM resolves it at deployment)"
                } else {
                    " and no default"
                }
            ));
            continue;
        };
        let is_list = kind.starts_with("List<") || kind == "CommaDelimitedList";
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

    /// The template's resource changes where it lands, what is said of it (parameters
    /// without a value, resources a condition leaves out or undecided), and the selections
    /// its deployment may delete.
    pub fn changes(&self, snap: &Snapshot, d: &Defaults, stack: Option<&str>) -> Result<Deployed> {
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
        let binding = data.map(|d| bind::bind(&mut ctx, d)).unwrap_or_default();
        let mut deploy = Deploy {
            ctx: &ctx,
            binding: &binding,
            at: (account.as_str(), region.as_str()),
            out: Deployed {
                changes: Vec::new(),
                notes: self.notes.clone(),
                orphans: binding.orphans.clone(),
            },
        };
        let resources = self.doc["Resources"]
            .as_object()
            .cloned()
            .unwrap_or_default();
        for (logical, r) in &resources {
            deploy.resource(logical, r);
        }
        let mut out = deploy.out;
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
            bind::existing(&mut out.changes, data, at, stack);
        }
        Ok(out)
    }
}

/// A template as the change its deployment makes.
pub struct Deployed {
    pub changes: Vec<ResourceChange>,
    pub notes: Vec<String>,
    /// Selections of a plan the template replaces that it does not name: (selection id, why).
    pub orphans: Vec<(String, String)>,
}

/// One resource of the template at a time.
struct Deploy<'a, 'c> {
    ctx: &'a Context<'c>,
    binding: &'a bind::Binding,
    at: (&'a str, &'a str),
    out: Deployed,
}

impl Deploy<'_, '_> {
    fn resource(&mut self, logical: &str, r: &Value) {
        let (ctx, (account, region)) = (self.ctx, self.at);
        let t = r["Type"].as_str().unwrap_or_default();
        let decided = match r.get("Condition").and_then(Value::as_str) {
            Some(c) => ctx.condition(c, 0),
            None => Some(true),
        };
        let physical = self.binding.bound.get(logical);
        if decided == Some(false) {
            self.out.notes.push(format!(
                "{logical}: its condition is false, so it is not created"
            ));
            // One the snapshot has goes: the deployment deletes it.
            if let Some(b) = physical {
                let gone = CfnChange {
                    logical_id: logical,
                    resource_type: t,
                    action: Action::Delete,
                    physical_id: b.id.as_deref(),
                    before: Some(b.before.clone()),
                    after: None,
                };
                self.out
                    .changes
                    .extend(gone.as_resource_changes(account, region));
            }
            return;
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
        // Whether an Organizations policy exists already is not in the snapshot: a template's
        // is taken as changing one, never as only adding protection.
        let action = if physical.is_some() || t == "AWS::Organizations::Policy" {
            Action::Update
        } else {
            Action::Create
        };
        let one = CfnChange {
            logical_id: logical,
            resource_type: t,
            action,
            physical_id: physical.and_then(|b| b.id.as_deref()),
            before: physical.map(|b| b.before.clone()),
            after: props.as_object().cloned(),
        };
        let unsure = self.binding.unsure.contains(logical);
        if unsure {
            self.out.notes.push(format!(
                "{logical}: its name is decided at deployment, so whether it replaces one the \
                 snapshot has is unknown: what it protects is undecidable"
            ));
        }
        if decided.is_none() {
            self.out.notes.push(format!(
                "{logical}: whether it is created is decided at deployment (its condition); \
                 what it would change is undecidable"
            ));
        }
        for mut c in one.as_resource_changes(account, region) {
            if decided.is_none() {
                for k in MAYBE {
                    c.unknown[k] = json!(true);
                }
            }
            if unsure {
                // The overlay then holds the account-region's protection undecided.
                c.unknown["rule"] = json!(true);
                c.unknown["condition"] = json!(true);
            }
            self.out.changes.push(c);
        }
    }
}
