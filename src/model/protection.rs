//! Which backup rules really protect a resource, and why (reference §1–§5, Appendix B).
//!
//! A rule protects a resource when a selection of its plan selects the resource (after
//! NotResources and region opt-in), in the same account and region, and the rule can produce
//! recovery points: its target vault exists and its Vault Lock accepts the rule's retention,
//! and its schedule still runs.

mod air_gapped;
mod cold;

use super::intern::Interner;
use super::plan::{Gap, Plan, PlanRule};
use super::provenance::OptInView;
use super::resource::{Blocker, Resource};
use super::selection::role::{self, RoleState};
use super::selection::{decide_as, decide_quietly, Selection};
use super::{Inventory, Scope, Tri};
use crate::snapshot::DataFile;
use serde::Serialize;
use std::sync::Arc;

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case", tag = "state", content = "reason")]
pub enum RuleState {
    Effective,
    /// The rule selects the resource but produces no backups (vault lock, missing vault, …).
    Ineffective(String),
    /// Could not be decided from the snapshot.
    Unknown(String),
}

/// One (plan, rule) that applies to a resource, through one of the plan's selections.
#[derive(Debug, Clone, Serialize)]
pub struct AppliedRule {
    pub plan: u32,
    pub rule: u32,
    pub selection: u32,
    /// Protection that arrives through another resource: the EC2 instance (index in the
    /// scope) whose AMI includes this EBS volume.
    pub through: Option<u32>,
    pub state: RuleState,
    /// The rule runs as continuous backup (point-in-time recovery) for this resource type.
    pub continuous: bool,
}

/// How one selection of the resource's scope treats it, where that is worth telling: a
/// selection of the scope not listed matched nothing ([`super::selection::NO_MATCH`]).
#[derive(Debug, Clone, Serialize)]
pub struct SelectionOutcome {
    pub plan: u32,
    pub selection: u32,
    pub selected: Tri,
    /// Not selected, for a reason that likely explains an unexpected gap (opt-in, a pattern
    /// AWS does not honour, a tag value that differs in case): named in the verdict.
    pub near_miss: bool,
    pub reason: Arc<str>,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct Protection {
    pub rules: Vec<AppliedRule>,
    /// In plan and selection order.
    pub selections: Vec<SelectionOutcome>,
    /// Why this cannot be decided at all (plans or selections unreadable).
    pub undecidable: Option<String>,
}

impl Protection {
    pub fn near_misses(&self) -> impl Iterator<Item = &SelectionOutcome> {
        self.selections.iter().filter(|s| s.near_miss)
    }

    pub fn effective(&self) -> impl Iterator<Item = &AppliedRule> {
        self.rules
            .iter()
            .filter(|r| r.state == RuleState::Effective)
    }

    pub fn verdict(&self) -> Tri {
        if self.effective().next().is_some() {
            Tri::Yes
        } else if self.undecidable.is_some()
            || self
                .rules
                .iter()
                .any(|r| matches!(r.state, RuleState::Unknown(_)))
        {
            Tri::Unknown
        } else {
            Tri::No
        }
    }
}

/// Protection of every resource of a scope, in resource order. Cluster members get an empty
/// protection: they are judged through their cluster.
pub fn protect_scope(inv: &Inventory, scope: &Scope) -> Vec<Protection> {
    let undecidable = [
        DataFile::Resources,
        DataFile::BackupPlans,
        DataFile::BackupSelections,
    ]
    .into_iter()
    .find_map(|f| {
        scope
            .unavailable(f)
            .map(|e| format!("{} could not be read: {e}", f.file_name()))
    });
    // Whether a rule can produce backups does not depend on the resource: decide it once.
    let states: Vec<Vec<RuleState>> = scope
        .plans
        .iter()
        .map(|p| {
            p.rules
                .iter()
                .map(|r| rule_state(inv, scope, p, r))
                .collect()
        })
        .collect();
    // Whose opt-in each plan's selections use: the management account's for an org policy's.
    let views: Vec<OptInView> = scope
        .plans
        .iter()
        .map(|p| OptInView::of(inv, scope, p.source))
        .collect();
    let mut reasons = Interner::default();
    let mut out: Vec<Protection> = scope
        .resources
        .iter()
        .map(|r| {
            let selections = selection_outcomes(scope, &views, r, &mut reasons);
            if let Some(u) = &undecidable {
                return Protection {
                    selections,
                    undecidable: Some(u.clone()),
                    ..Default::default()
                };
            }
            Protection {
                rules: direct_rules(scope, &states, &views, r, &selections),
                selections,
                undecidable: None,
            }
        })
        .collect();

    // EBS volumes are in the AMI of the instance they are attached to (Appendix B).
    for (vi, ii) in super::resource::attachments(&scope.resources) {
        let inherited: Vec<AppliedRule> = out[ii]
            .rules
            .iter()
            .filter(|r| r.through.is_none())
            .map(|r| AppliedRule {
                through: Some(ii as u32),
                continuous: false,
                ..r.clone()
            })
            .collect();
        out[vi].rules.extend(inherited);
    }
    // One per resource, kept for the whole run: no spare capacity.
    for p in &mut out {
        p.rules.shrink_to_fit();
        p.selections.shrink_to_fit();
    }
    out
}

/// Every selection of the scope that does more than match nothing, with its reason: cluster
/// members included, since `explain` tells why they are or are not selected.
fn selection_outcomes(
    scope: &Scope,
    views: &[OptInView],
    res: &Resource,
    reasons: &mut Interner,
) -> Vec<SelectionOutcome> {
    let mut out = Vec::new();
    for (pi, plan) in scope.plans.iter().enumerate() {
        let opt_in = views[pi].value(res.kind);
        for (si, sel) in plan.selections.iter().enumerate() {
            let q = decide_quietly(sel, res, opt_in);
            if q.matched_nothing {
                continue;
            }
            out.push(SelectionOutcome {
                plan: pi as u32,
                selection: si as u32,
                selected: q.selected,
                near_miss: q.near_miss,
                reason: reasons
                    .intern(decide_as(sel, res, opt_in, views[pi].words(res.kind)).reason),
            });
        }
    }
    out
}

/// The rules that apply to `res` directly, through the selections that select it.
fn direct_rules(
    scope: &Scope,
    states: &[Vec<RuleState>],
    views: &[OptInView],
    res: &Resource,
    selections: &[SelectionOutcome],
) -> Vec<AppliedRule> {
    let mut rules = Vec::new();
    if res.is_cluster_member() {
        return rules;
    }
    let blocked = res.backup_blocker();
    for o in selections.iter().filter(|o| o.selected != Tri::No) {
        let plan = &scope.plans[o.plan as usize];
        // Only region opt-in makes a selection unknown: say why it is unknown (settings that
        // were read but lack a key the reference is unsure of say so in the reason).
        let unknown = (o.selected == Tri::Unknown).then(|| {
            if views[o.plan as usize].explains_unknown(res.kind) {
                return o.reason.to_string();
            }
            match scope.unavailable(DataFile::RegionSettings) {
                Some(why) => format!(
                    "{} ({}: {why})",
                    o.reason,
                    DataFile::RegionSettings.file_name()
                ),
                None => o.reason.to_string(),
            }
        });
        // A role AWS Backup cannot assume fails every job of the selection (trap 26).
        let role = role_rule_state(&plan.selections[o.selection as usize], &scope.account_id);
        for (ri, rule) in plan.rules.iter().enumerate() {
            // A resource AWS Backup cannot back up is protected by no rule.
            let state = match (&blocked, &role, &unknown) {
                (Some(Blocker::Cannot(why)), _, _) => RuleState::Ineffective(why.clone()),
                (_, Some(s @ RuleState::Ineffective(_)), _) => s.clone(),
                (Some(Blocker::Unknown(why)), _, _) => RuleState::Unknown(why.clone()),
                (None, _, Some(reason)) => RuleState::Unknown(reason.clone()),
                // An unknown role leaves unknown only what would otherwise produce backups.
                (None, Some(s), None) if states[o.plan as usize][ri] == RuleState::Effective => {
                    s.clone()
                }
                (None, _, None) => states[o.plan as usize][ri].clone(),
            };
            let state = match (state, &rule.air_gapped_vault) {
                (RuleState::Effective, Some(arn)) => air_gapped::state(scope, rule, arn, res.kind),
                (state, _) => state,
            };
            let state = match state {
                RuleState::Effective => cold::state(scope, rule, res.kind).unwrap_or(state),
                state => state,
            };
            rules.push(AppliedRule {
                plan: o.plan,
                rule: ri as u32,
                selection: o.selection,
                through: None,
                state,
                continuous: rule.continuous && res.kind.supports_continuous(),
            });
        }
    }
    rules
}

/// What the selection's role does to the rules it applies, when it changes anything: a role
/// AWS Backup cannot assume makes every job of the selection fail.
fn role_rule_state(sel: &Selection, account: &str) -> Option<RuleState> {
    let role = sel.iam_role_arn.as_deref().unwrap_or("(none)");
    match &sel.role {
        RoleState::Trusted | RoleState::NotChecked => None,
        RoleState::Missing => Some(RuleState::Ineffective(format!(
            "selection {:?} uses role {role}, which does not exist in account {account}: AWS \
             Backup cannot assume it, so its jobs fail",
            sel.name
        ))),
        RoleState::Untrusted(why) => Some(RuleState::Ineffective(format!(
            "selection {:?} uses role {role}, which is not trusted by {} ({why}): AWS Backup \
             cannot assume it, so its jobs fail",
            sel.name,
            role::BACKUP_SERVICE
        ))),
        RoleState::Unknown(why) => Some(RuleState::Unknown(format!(
            "selection {:?} uses role {role}; whether AWS Backup can assume it is unknown: {why}",
            sel.name
        ))),
    }
}

/// Whether a rule that selects a resource can actually produce recovery points.
pub fn rule_state(inv: &Inventory, scope: &Scope, plan: &Plan, rule: &PlanRule) -> RuleState {
    match &rule.schedule.gap {
        Gap::Unknown { error } => {
            // AWS accepted and holds this expression; this tool cannot tell when it runs.
            return RuleState::Unknown(format!(
                "backup plan {:?}, rule {:?}: schedule not understood, so its backups are not \
                 assessed: {error}",
                plan.name, rule.name
            ));
        }
        Gap::Ends { last } => {
            let when = match last {
                Some(t) => format!(
                    "made its last run on {} (its year field has ended)",
                    t.format("%Y-%m-%d %H:%M UTC")
                ),
                None => "never runs again".to_owned(),
            };
            return RuleState::Ineffective(format!(
                "schedule {} {when}: no backups after {}",
                rule.schedule.expression,
                inv.as_of.format("%Y-%m-%d")
            ));
        }
        Gap::Every { .. } | Gap::Once => {}
    }
    match scope.vault(&rule.vault) {
        Some(v) => match v
            .not_a_backup_target()
            .or_else(|| v.lock_violation(rule.retention))
        {
            Some(why) => RuleState::Ineffective(why),
            None => RuleState::Effective,
        },
        None => match scope.unavailable(DataFile::BackupVaults) {
            Some(e) => RuleState::Unknown(format!(
                "target vault {} cannot be checked: backup-vaults.json could not be read: {e}",
                rule.vault
            )),
            None => RuleState::Ineffective(format!(
                "target vault {} does not exist in {}: jobs cannot run",
                rule.vault,
                scope.label()
            )),
        },
    }
}
