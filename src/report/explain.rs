//! `explain`: the whole story of one resource's verdicts, as data (`--format json`) and text.

use crate::engine::Evaluation;
use crate::findings::Subject;
use crate::model::plan::{CopyRule, Retention};
use crate::model::protection::{decisions, RuleState};
use crate::model::resource::{ColdStorage, ResourceKind};
use crate::model::selection::opt_in_for;
use crate::model::{Inventory, Tri};
use crate::rules::RuleSet;
use crate::snapshot::{DataFile, ScopeStatus};
use serde::Serialize;

#[derive(Debug, Serialize)]
pub struct Explanation {
    pub resource: ResourceFacts,
    pub as_of: String,
    /// `true`/`false`, or `null` when region settings could not be read.
    pub opt_in: Option<bool>,
    pub selections: Vec<SelectionStory>,
    pub rules: Vec<RuleStory>,
    pub recovery_points: Vec<PointStory>,
    /// Why the resource's own `recovery-points.json` could not be read: the list above is then
    /// incomplete, not "none".
    pub recovery_points_unreadable: Option<String>,
    /// The resource's account-region: its status and every file that could not be read.
    pub scope_status: ScopeStatus,
    pub unreadable: Vec<Unreadable>,
    pub verdicts: Vec<VerdictStory>,
}

#[derive(Debug, Serialize)]
pub struct Unreadable {
    pub file: &'static str,
    pub error: String,
}

#[derive(Debug, Serialize)]
pub struct ResourceFacts {
    pub arn: String,
    pub name: String,
    pub resource_type: &'static str,
    pub config_type: String,
    pub backup_type: &'static str,
    pub account_id: String,
    pub account_name: String,
    pub region: String,
    pub tags: Vec<(String, String)>,
    pub state: Option<String>,
    pub cluster: Option<String>,
    pub attached_to: Vec<String>,
}

#[derive(Debug, Serialize)]
pub struct SelectionStory {
    pub plan: String,
    pub plan_id: String,
    pub selection: String,
    pub selected: Tri,
    pub reason: String,
}

#[derive(Debug, Serialize)]
pub struct RuleStory {
    pub plan: String,
    pub rule: String,
    pub selection: String,
    pub through: Option<String>,
    pub vault: String,
    pub schedule: String,
    pub timezone: String,
    pub schedule_defaulted: bool,
    pub worst_interval: String,
    /// The same in minutes; `null` for continuous backup or a schedule that ends.
    pub worst_interval_minutes: Option<i64>,
    pub start_window_minutes: Option<i64>,
    pub retention: Retention,
    /// When this resource's backups move to cold storage: the rule's setting, `null` when it
    /// sets none or AWS Backup ignores it for this resource type (see `cold_storage`).
    pub cold_after_days: Option<i64>,
    /// What the rule's cold-storage transition does for this resource type; `null` when the
    /// rule sets none.
    pub cold_storage: Option<ColdStorage>,
    pub continuous: bool,
    pub copies: Vec<CopyRule>,
    pub effective: Tri,
    pub state_reason: Option<String>,
}

#[derive(Debug, Serialize)]
pub struct PointStory {
    pub arn: String,
    pub vault: String,
    pub status: String,
    pub created: Option<String>,
    pub delete_at: Option<String>,
    pub encrypted: Option<bool>,
}

#[derive(Debug, Serialize)]
pub struct VerdictStory {
    pub rule_id: String,
    pub title: String,
    pub severity: &'static str,
    pub check: &'static str,
    pub status: &'static str,
    pub reason: String,
    /// What backs the verdict, as in findings.csv (empty when nothing does).
    pub evidence: VerdictEvidence,
}

#[derive(Debug, Serialize)]
pub struct VerdictEvidence {
    pub plan: String,
    pub selection: String,
    pub backup_rule: String,
    pub vault: String,
    pub recovery_point: String,
    pub through: String,
}

/// `None` when no resource has that ARN.
pub fn explain(
    inv: &Inventory,
    rules: &RuleSet,
    eval: &Evaluation,
    arn: &str,
) -> Option<Explanation> {
    let (si, ri) = inv.find_resource(arn)?;
    Some(explain_at(inv, rules, eval, si, ri))
}

/// The story of resource `ri` of scope `si`, for a caller that has already found it.
pub fn explain_at(
    inv: &Inventory,
    rules: &RuleSet,
    eval: &Evaluation,
    si: usize,
    ri: usize,
) -> Explanation {
    let scope = &inv.scopes[si];
    let res = &scope.resources[ri];
    let ts =
        |t: chrono::DateTime<chrono::Utc>| t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true);

    let selections = decisions(scope, res)
        .into_iter()
        .map(|(p, s, d)| {
            let plan = &scope.plans[p as usize];
            SelectionStory {
                plan: plan.name.clone(),
                plan_id: plan.display_id().to_owned(),
                selection: plan.selections[s as usize].name.clone(),
                selected: d.selected,
                reason: d.reason,
            }
        })
        .collect();

    let rules_applied = eval.protections[si][ri]
        .rules
        .iter()
        .map(|a| {
            let plan = &scope.plans[a.plan as usize];
            let r = &plan.rules[a.rule as usize];
            // Backups made through an EC2 instance are its AMIs: EC2's rules apply.
            let kind = if a.through.is_some() {
                ResourceKind::Ec2Instance
            } else {
                res.kind
            };
            let cold_storage = r
                .cold_after_days
                .map(|_| kind.cold_storage(scope.management.as_ref()));
            let (effective, state_reason) = match &a.state {
                RuleState::Effective => (Tri::Yes, None),
                RuleState::Ineffective(w) => (Tri::No, Some(w.clone())),
                RuleState::Unknown(w) => (Tri::Unknown, Some(w.clone())),
            };
            RuleStory {
                plan: plan.name.clone(),
                rule: r.name.clone(),
                selection: plan.selections[a.selection as usize].name.clone(),
                through: a.through.map(|t| scope.resources[t as usize].arn.clone()),
                vault: r.vault.clone(),
                schedule: r.schedule.expression.clone(),
                timezone: r.schedule.timezone.clone().unwrap_or_else(|| "UTC".into()),
                schedule_defaulted: r.schedule.defaulted,
                worst_interval_minutes: (!a.continuous)
                    .then(|| r.schedule.max_gap_minutes())
                    .flatten(),
                worst_interval: if a.continuous {
                    "continuous (point-in-time recovery)".into()
                } else {
                    match r.schedule.ends_warning() {
                        Some(w) => format!("{} ({w})", r.schedule.describe_gap()),
                        None => r.schedule.describe_gap(),
                    }
                },
                start_window_minutes: r.start_window_minutes,
                retention: r.retention,
                cold_after_days: r
                    .cold_after_days
                    .filter(|_| cold_storage.is_some_and(ColdStorage::may_apply)),
                cold_storage,
                continuous: a.continuous,
                copies: r.copies.clone(),
                effective,
                state_reason,
            }
        })
        .collect();

    let mut carriers: Vec<&str> = vec![&res.arn];
    for a in &eval.protections[si][ri].rules {
        if let Some(t) = a.through {
            carriers.push(&scope.resources[t as usize].arn);
        }
    }
    carriers.dedup();
    let mut recovery_points: Vec<PointStory> = carriers
        .iter()
        .flat_map(|a| {
            inv.recovery_points_by_resource
                .get(*a)
                .into_iter()
                .flatten()
        })
        .map(|&r| {
            let rp = inv.recovery_point(r);
            PointStory {
                arn: rp.recovery_point_arn.clone(),
                vault: rp
                    .backup_vault_arn
                    .clone()
                    .unwrap_or_else(|| rp.backup_vault_name.clone()),
                status: rp.status.clone(),
                created: rp.creation_date.map(ts),
                delete_at: rp
                    .calculated_lifecycle
                    .as_ref()
                    .and_then(|l| l.delete_at)
                    .map(ts),
                encrypted: rp.is_encrypted,
            }
        })
        .collect();
    recovery_points.sort_by(|a, b| b.created.cmp(&a.created));

    let verdicts = eval
        .findings
        .iter()
        .filter(|f| {
            f.subject
                == Subject::Resource {
                    scope: si as u32,
                    index: ri as u32,
                }
        })
        .map(|f| {
            let rule = &rules.rules[f.rule as usize];
            VerdictStory {
                rule_id: rule.id.clone(),
                title: rule.title.clone(),
                severity: rule.severity.as_str(),
                check: rule.check.name(),
                status: f.status.as_str(),
                reason: f.reason.to_string(),
                evidence: {
                    let row = f.row(inv, rules);
                    VerdictEvidence {
                        plan: row.plan.to_owned(),
                        selection: row.selection.to_owned(),
                        backup_rule: row.backup_rule.to_owned(),
                        vault: row.vault.to_owned(),
                        recovery_point: row.recovery_point.to_owned(),
                        through: row.through.to_owned(),
                    }
                },
            }
        })
        .collect();

    Explanation {
        resource: ResourceFacts {
            arn: res.arn.clone(),
            name: res.display_name().to_owned(),
            resource_type: res.kind.short_name(),
            config_type: res.config_type.clone(),
            backup_type: res.kind.backup_type(),
            account_id: scope.account_id.clone(),
            account_name: scope.account_name.clone().unwrap_or_default(),
            region: scope.region.clone(),
            tags: res.tags.clone(),
            state: res.state.clone(),
            cluster: res.cluster_id.clone(),
            attached_to: res.attached_to.clone(),
        },
        as_of: ts(inv.as_of),
        opt_in: scope.opt_in.as_ref().map(|m| opt_in_for(m, res.kind)),
        selections,
        rules: rules_applied,
        recovery_points,
        recovery_points_unreadable: scope
            .unavailable(DataFile::RecoveryPoints)
            .map(str::to_owned),
        scope_status: scope.status,
        unreadable: scope
            .unavailable
            .iter()
            .map(|(f, e)| Unreadable {
                file: f.file_name(),
                error: e.clone(),
            })
            .collect(),
        verdicts,
    }
}

/// For an ARN `explain` cannot find: the account-region it names, if that scope's inventory
/// could not be read, and why. Such a resource is unknown, not absent.
pub fn unreadable_home(inv: &Inventory, arn: &str) -> Option<(String, String)> {
    let mut parts = arn.splitn(6, ':');
    let (region, account) = (parts.nth(3)?, parts.next()?);
    let scope = inv.scope_at(account, region)?;
    let why = scope.unavailable(DataFile::Resources)?;
    Some((scope.label(), why.to_owned()))
}
