//! What a template replaces in the snapshot, so that an old version and its new one are never
//! both counted (their union would protect what neither does alone): backup plans and vaults
//! by name (AWS Backup names are unique in an account-region), selections by name within
//! their plan, named resources by ARN, and with `--stack-name` the stack's resources by
//! CloudFormation's tags. What cannot be told (a name only the deployment decides, a
//! selection of a replaced plan that the template does not name) is undecidable.

use super::super::cloudformation::{terraform_kind, UNKNOWN};
use super::super::intrinsics::Context;
use super::super::records::{self, At};
use super::super::terraform::{Action, ResourceChange};
use crate::snapshot::aws::ConfigItem;
use crate::snapshot::ScopeData;
use serde_json::{json, Map, Value};
use std::collections::{BTreeMap, BTreeSet};

const STACK_TAG: &str = "aws:cloudformation:stack-name";
const LOGICAL_TAG: &str = "aws:cloudformation:logical-id";

/// A template resource the snapshot already has: its physical id, and its properties before
/// as far as the overlay needs them.
#[derive(Default)]
pub(super) struct Bound {
    pub id: Option<String>,
    pub before: Map<String, Value>,
}

/// What binding found.
#[derive(Default)]
pub(super) struct Binding {
    /// By logical id.
    pub bound: BTreeMap<String, Bound>,
    /// Plans and selections whose name only the deployment decides: whether they replace one
    /// the snapshot has is unknown.
    pub unsure: BTreeSet<String>,
    /// Selections of a plan the template replaces that the template does not name: if the
    /// stack made them, its deployment deletes them. (selection id, why)
    pub orphans: Vec<(String, String)>,
}

/// Plans and vaults first, then selections (a bound plan's `Ref` is its real id).
pub(super) fn bind(ctx: &mut Context, data: &ScopeData) -> Binding {
    let resources = ctx.template["Resources"]
        .as_object()
        .cloned()
        .unwrap_or_default();
    // `None` when the template does not give it; `Some(None)` when only the deployment knows.
    let named = |ctx: &Context, r: &Value, path: &str| -> Option<Option<String>> {
        let v = r.pointer(&format!("/Properties{path}"))?;
        let v = ctx.resolve(v, true)?;
        Some(v.as_str().filter(|s| *s != UNKNOWN).map(str::to_owned))
    };
    let mut b = Binding::default();
    for pass in ["plans and vaults", "selections"] {
        for (logical, r) in &resources {
            let kind = r["Type"].as_str().unwrap_or_default();
            let name = match (pass, kind) {
                ("plans and vaults", "AWS::Backup::BackupPlan") => {
                    named(ctx, r, "/BackupPlan/BackupPlanName")
                }
                ("plans and vaults", "AWS::Backup::BackupVault") => {
                    named(ctx, r, "/BackupVaultName")
                }
                ("selections", "AWS::Backup::BackupSelection") => {
                    named(ctx, r, "/BackupSelection/SelectionName")
                }
                _ => continue,
            };
            let Some(Some(name)) = name else {
                if name.is_some() && kind != "AWS::Backup::BackupVault" {
                    b.unsure.insert(logical.clone());
                }
                continue;
            };
            let found = match kind {
                "AWS::Backup::BackupPlan" => data
                    .plans
                    .iter()
                    .find(|p| p.backup_plan.backup_plan_name == name)
                    .map(|p| Bound {
                        id: Some(p.backup_plan_id.clone()),
                        ..Bound::default()
                    }),
                "AWS::Backup::BackupVault" => data
                    .vaults
                    .iter()
                    .any(|v| v.backup_vault_name == name)
                    .then(|| vault(data, &name)),
                _ => {
                    let plan = named(ctx, r, "/BackupPlanId").flatten();
                    data.selections
                        .iter()
                        .find(|s| {
                            Some(&s.backup_plan_id) == plan.as_ref()
                                && s.backup_selection.selection_name == name
                        })
                        .map(|s| Bound {
                            id: s.selection_id.clone(),
                            ..Bound::default()
                        })
                }
            };
            if let Some(found) = found {
                if let Some(id) = &found.id {
                    ctx.known.insert(logical.clone(), id.clone());
                }
                b.bound.insert(logical.clone(), found);
            }
        }
    }
    b.orphans = orphans(&resources, &b.bound, data);
    b
}

/// A vault the template replaces, with the lock and access policy it has now: a template that
/// no longer states them removes them.
fn vault(data: &ScopeData, name: &str) -> Bound {
    let mut before = Map::from_iter([("BackupVaultName".into(), json!(name))]);
    let v = data.vaults.iter().find(|v| v.backup_vault_name == name);
    if let Some(v) = v.filter(|v| v.locked == Some(true)) {
        before.insert(
            "LockConfiguration".into(),
            json!({"MinRetentionDays": v.min_retention_days, "MaxRetentionDays": v.max_retention_days}),
        );
    }
    if let Some(p) = data
        .vault_policies
        .iter()
        .find(|p| p.backup_vault_name == name)
    {
        before.insert("AccessPolicy".into(), json!(p.policy));
    }
    Bound { id: None, before }
}

/// Selections of the plans the template replaces that no template selection is bound to.
fn orphans(
    resources: &Map<String, Value>,
    bound: &BTreeMap<String, Bound>,
    data: &ScopeData,
) -> Vec<(String, String)> {
    let of_type = |t: &str| {
        resources
            .iter()
            .filter(move |(_, r)| r["Type"] == t)
            .filter_map(|(l, _)| bound.get(l)?.id.clone())
            .collect::<BTreeSet<String>>()
    };
    let (plans, kept) = (
        of_type("AWS::Backup::BackupPlan"),
        of_type("AWS::Backup::BackupSelection"),
    );
    data.selections
        .iter()
        .filter(|s| plans.contains(&s.backup_plan_id))
        .filter_map(|s| {
            let id = s.selection_id.clone()?;
            (!kept.contains(&id)).then(|| {
                let why = format!(
                    "selection {} of plan {} is not in the template, which replaces that \
                     plan: if the stack made it, the deployment deletes it",
                    s.backup_selection.selection_name, s.backup_plan_id
                );
                (id, why)
            })
        })
        .collect()
}

/// Judged resources the snapshot already has become updates (by ARN, or with `--stack-name`
/// by the stack's tags, a replacement when the template names it anew); the stack's
/// resources the template no longer has are deleted.
pub(super) fn existing(
    out: &mut Vec<ResourceChange>,
    data: &ScopeData,
    (partition, account, region): (&str, &str, &str),
    stack: Option<&str>,
) {
    let tag = |item: &ConfigItem, key: &str| {
        item.tags
            .0
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.clone())
    };
    let of_stack = |item: &&ConfigItem| stack.is_some() && tag(item, STACK_TAG).as_deref() == stack;
    let mut kept = BTreeSet::new();
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
        let by_arn = data.resources.iter().find(|i| i.arn == arn);
        let by_tags = || {
            data.resources
                .iter()
                .filter(of_stack)
                .find(|i| tag(i, LOGICAL_TAG).as_deref() == Some(logical.as_str()))
        };
        let Some(item) = by_arn.or_else(by_tags) else {
            continue;
        };
        c.before = Some(Map::from_iter([("arn".into(), json!(item.arn))]));
        kept.insert(item.arn.clone());
        if arn != item.arn && !arn.contains(&placeholder) {
            // The stack's resource, named anew: CloudFormation replaces it.
            c.action = Action::Replace;
            continue;
        }
        after.insert("arn".into(), json!(item.arn));
        c.action = Action::Update;
        if let Some(u) = c.unknown.as_object_mut() {
            u.remove("id");
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
