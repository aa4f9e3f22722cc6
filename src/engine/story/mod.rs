//! The story of one resource: the selections that chose it or missed it and why, its region
//! opt-in, the backup rules that apply with their worst interval and retention, their vaults
//! and locks, whether each copy can deliver, and the recovery points that decide recency.
//!
//! Everything in it was decided by the engine while it judged (the resource's
//! [`Protection`] and its [`Decided`]); telling it only looks things up by index. `explain`
//! (text and JSON), the HTML report's panel and `findings.json` all serialise this one type,
//! so they cannot tell different stories.

mod decide;
mod restore;
mod tiering;

pub use decide::{decide_scope, CopyOutcome, Decided, MAX_POINTS};

use super::Evaluation;
use crate::model::plan::{CopyRule, Retention};
use crate::model::protection::{AppliedRule, Protection, RuleState};
use crate::model::provenance::PlanSource;
use crate::model::resource::{ColdStorage, Resource, ResourceKind};
use crate::model::selection::NO_MATCH;
use crate::model::vault::LockMode;
use crate::model::{Inventory, RpRef, Scope, Tri};
use crate::snapshot::time::rfc3339;
use crate::snapshot::{DataFile, ScopeStatus};
use serde::Serialize;
use std::collections::{HashMap, HashSet};

/// How many selections that match nothing a story lists; those that select the resource, or
/// nearly do, are always listed.
pub const MAX_UNMATCHED_SELECTIONS: usize = 50;

#[derive(Debug, Serialize)]
pub struct Story<'a> {
    pub resource: ResourceFacts<'a>,
    pub as_of: String,
    /// `true`/`false`, or `null` when region settings could not be read (or lack a key the
    /// reference is unsure of: see `opt_in_key_missing`).
    pub opt_in: Option<bool>,
    /// The region settings were read but have no key for this type, whose key the reference
    /// is unsure of ([`crate::model::resource::ResourceKind::opt_in_key_uncertain`]).
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub opt_in_key_missing: bool,
    pub selections: Vec<SelectionStory<'a>>,
    /// Selections that match nothing, beyond [`MAX_UNMATCHED_SELECTIONS`], not listed.
    pub selections_omitted: usize,
    pub rules: Vec<RuleStory<'a>>,
    /// The newest [`MAX_POINTS`], newest first.
    pub recovery_points: Vec<PointStory<'a>>,
    pub recovery_points_total: usize,
    /// S3 warm-tier tiering configurations that select it (`tiering::warm_tier`).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub warm_tier: Vec<String>,
    /// Why the resource's own `recovery-points.json` could not be read: the list above is then
    /// incomplete, not "none".
    pub recovery_points_unreadable: Option<&'a str>,
    /// The newest [`MAX_POINTS`] backup jobs, newest first (those of the instance it is
    /// backed up through included).
    pub backup_jobs: Vec<JobStory<'a>>,
    pub backup_jobs_total: usize,
    /// Why `backup-jobs.json` could not be read: the list above is then unknown, not "none".
    pub backup_jobs_unreadable: Option<&'a str>,
    /// The newest [`MAX_POINTS`] copy jobs made from its backups, newest first.
    pub copy_jobs: Vec<CopyJobStory<'a>>,
    pub copy_jobs_total: usize,
    /// Why `copy-jobs.json` is unknown (unreadable, or not collected by an older collector).
    pub copy_jobs_unreadable: Option<&'a str>,
    /// Restore testing: the selections that cover it and its restore jobs.
    pub restore: restore::RestoreStory<'a>,
    /// The resource's account-region: its status and every file that could not be read.
    pub scope_status: ScopeStatus,
    pub unreadable: Vec<Unreadable<'a>>,
}

#[derive(Debug, Serialize)]
pub struct Unreadable<'a> {
    pub file: &'static str,
    pub error: &'a str,
}

#[derive(Debug, Serialize)]
pub struct ResourceFacts<'a> {
    pub arn: &'a str,
    pub name: &'a str,
    pub resource_type: &'static str,
    pub config_type: &'a str,
    pub backup_type: &'static str,
    pub account_id: &'a str,
    pub account_name: &'a str,
    pub region: &'a str,
    pub tags: &'a [(String, String)],
    pub state: Option<&'a str>,
    pub cluster: Option<&'a str>,
    pub attached_to: &'a [String],
}

#[derive(Debug, Serialize)]
pub struct SelectionStory<'a> {
    pub plan: &'a str,
    pub plan_id: &'a str,
    /// `local`, `org-policy`, `control-tower` or `efs-automatic`.
    pub plan_source: PlanSource,
    pub selection: &'a str,
    pub selected: Tri,
    pub reason: &'a str,
    /// The role AWS Backup assumes for the selection's jobs; told for selections that select
    /// the resource or may (`null` for the others).
    pub role: Option<RoleStory<'a>>,
}

#[derive(Debug, Serialize)]
pub struct RoleStory<'a> {
    pub arn: Option<&'a str>,
    /// `trusted`, `missing`, `untrusted`, `unknown` or `not-checked`.
    pub state: &'static str,
    pub reason: Option<&'a str>,
    /// Neither AWS Backup's default nor service-linked role, and its name lacks `AWSBackup`:
    /// AWS's documentation says such roles may lack permissions for jobs (a note only).
    pub name_without_awsbackup: bool,
}

impl<'a> RoleStory<'a> {
    fn of(sel: &'a crate::model::selection::Selection) -> RoleStory<'a> {
        use crate::model::selection::role::RoleState;
        let (state, reason) = match &sel.role {
            RoleState::Trusted => ("trusted", None),
            RoleState::Missing => ("missing", None),
            RoleState::Untrusted(w) => ("untrusted", Some(w.as_str())),
            RoleState::Unknown(w) => ("unknown", Some(w.as_str())),
            RoleState::NotChecked => ("not-checked", None),
        };
        let arn = sel.iam_role_arn.as_deref();
        let name = arn.and_then(|a| a.rsplit('/').next()).unwrap_or_default();
        RoleStory {
            arn,
            state,
            reason,
            name_without_awsbackup: arn.is_some()
                && !name.contains("AWSBackup")
                && !name.contains("AwsBackup")
                && name != "AWSServiceRoleForBackup",
        }
    }
}

#[derive(Debug, Serialize)]
pub struct RuleStory<'a> {
    pub plan: &'a str,
    pub plan_source: PlanSource,
    pub rule: &'a str,
    pub selection: &'a str,
    pub through: Option<&'a str>,
    pub vault: &'a str,
    /// The target vault's lock, when the vault is in the snapshot.
    pub vault_lock: Option<LockStory>,
    pub schedule: &'a str,
    pub timezone: &'a str,
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
    pub copies: Vec<CopyStory<'a>>,
    pub effective: Tri,
    pub state_reason: Option<&'a str>,
}

#[derive(Debug, Serialize)]
pub struct LockStory {
    #[serde(flatten)]
    pub mode: LockMode,
    pub min_retention_days: Option<i64>,
    pub max_retention_days: Option<i64>,
}

#[derive(Debug, Serialize)]
pub struct CopyStory<'a> {
    #[serde(flatten)]
    pub copy: &'a CopyRule,
    /// Whether the copy can happen, as far as the snapshot shows.
    pub delivers: Tri,
    pub delivery_reason: Option<&'a str>,
}

#[derive(Debug, Serialize)]
pub struct JobStory<'a> {
    pub id: &'a str,
    pub resource_arn: &'a str,
    pub state: &'a str,
    pub created: Option<String>,
    pub completed: Option<String>,
    pub vault: &'a str,
    pub message: Option<&'a str>,
    pub message_category: Option<&'a str>,
    /// The plan and rule that started it, by name when they are in the snapshot, else by ID;
    /// `null` for an on-demand job.
    pub plan: Option<&'a str>,
    pub rule: Option<&'a str>,
}

#[derive(Debug, Serialize)]
pub struct CopyJobStory<'a> {
    pub id: &'a str,
    pub resource_arn: &'a str,
    pub state: &'a str,
    pub created: Option<String>,
    pub destination: &'a str,
    pub message: Option<&'a str>,
    /// The backup job whose recovery point it copies.
    pub backup_job: Option<&'a str>,
}

#[derive(Debug, Serialize)]
pub struct PointStory<'a> {
    pub arn: &'a str,
    pub vault: &'a str,
    pub status: &'a str,
    pub created: Option<String>,
    pub delete_at: Option<String>,
    pub encrypted: Option<bool>,
    /// GuardDuty's malware scans of the point (`None`: no result recorded).
    pub malware_scan: Option<&'static str>,
    /// S3 backup access points onto it, `NAME (STATUS)`: while one is active AWS Backup
    /// pauses the point's lifecycle and blocks its deletion, so it may outlive `delete_at`.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub access_points: Vec<String>,
    /// The newest COMPLETED or AVAILABLE point: the one recency is judged by.
    pub decides_recency: bool,
}

/// The story of resource `ri` of scope `si`.
pub fn tell<'a>(inv: &'a Inventory, eval: &'a Evaluation, si: usize, ri: usize) -> Story<'a> {
    let judged = (&eval.protections[si][ri], &eval.decided[si][ri]);
    tell_judged(inv, si, ri, judged)
}

/// The story of resource `ri` of scope `si`, judged as `prot` and `decided` say (a streamed
/// scan's batch holds them, not an [`Evaluation`]).
pub fn tell_judged<'a>(
    inv: &'a Inventory,
    si: usize,
    ri: usize,
    (prot, decided): (&'a Protection, &'a Decided),
) -> Story<'a> {
    let scope = &inv.scopes[si];
    let res = &scope.resources[ri];
    let (selections, selections_omitted) = selections(scope, prot);
    Story {
        resource: facts(scope, res),
        as_of: rfc3339(inv.as_of),
        opt_in: scope
            .opt_in
            .as_ref()
            .and_then(|m| crate::model::selection::opt_in_for(m, res.kind)),
        opt_in_key_missing: scope
            .opt_in
            .as_ref()
            .is_some_and(|m| crate::model::selection::opt_in_for(m, res.kind).is_none()),
        selections,
        selections_omitted,
        rules: rules(inv, scope, res, prot, decided),
        recovery_points: decided
            .points
            .iter()
            .map(|&r| point(inv, r, decided.newest_good == Some(r)))
            .collect(),
        recovery_points_total: decided.points_total as usize,
        warm_tier: tiering::warm_tier(scope, res),
        recovery_points_unreadable: scope.unavailable(DataFile::RecoveryPoints),
        backup_jobs: decided
            .jobs
            .iter()
            .map(|&i| job(scope, &scope.backup_jobs[i as usize]))
            .collect(),
        backup_jobs_total: decided.jobs_total as usize,
        backup_jobs_unreadable: scope.unavailable(DataFile::BackupJobs),
        copy_jobs: decided
            .copy_jobs
            .iter()
            .map(|&i| copy_job(&scope.copy_jobs[i as usize]))
            .collect(),
        copy_jobs_total: decided.copy_jobs_total as usize,
        copy_jobs_unreadable: scope.unavailable(DataFile::CopyJobs),
        restore: restore::tell(scope, res),
        scope_status: scope.status,
        unreadable: scope
            .unavailable
            .iter()
            .map(|(f, e)| Unreadable {
                file: f.file_name(),
                error: e,
            })
            .collect(),
    }
}

/// The stories of `wanted` resources, each ARN told once, from the first scope that holds it
/// (the resource `explain ARN` tells), in the order given.
pub fn tell_each<'a>(
    inv: &'a Inventory,
    eval: &'a Evaluation,
    wanted: Vec<(u32, u32)>,
) -> impl Iterator<Item = Story<'a>> {
    let arn = |(si, ri): (u32, u32)| inv.scopes[si as usize].resources[ri as usize].arn.as_str();
    let homes = first_homes(inv, wanted.iter().map(|&w| arn(w)));
    wanted
        .into_iter()
        .filter(move |&w| homes.get(arn(w)) == Some(&w))
        .map(move |(si, ri)| tell(inv, eval, si as usize, ri as usize))
}

/// Where each of `arns` is first found, in scope order, as [`Inventory::find_resource`] finds
/// it. One pass over the resources, where a search per ARN took time proportional to ARNs ×
/// scopes.
fn first_homes<'a>(
    inv: &Inventory,
    arns: impl Iterator<Item = &'a str>,
) -> HashMap<&'a str, (u32, u32)> {
    let wanted: HashSet<&'a str> = arns.collect();
    let mut homes = HashMap::with_capacity(wanted.len());
    for (si, s) in inv.scopes.iter().enumerate() {
        for (ri, r) in s.resources.iter().enumerate() {
            if let Some(&a) = wanted.get(r.arn.as_str()) {
                homes.entry(a).or_insert((si as u32, ri as u32));
            }
        }
    }
    homes
}

fn facts<'a>(scope: &'a Scope, res: &'a Resource) -> ResourceFacts<'a> {
    ResourceFacts {
        arn: &res.arn,
        name: res.display_name(),
        resource_type: res.kind.short_name(),
        config_type: &res.config_type,
        backup_type: res.kind.backup_type(),
        account_id: &scope.account_id,
        account_name: scope.account_name.as_deref().unwrap_or_default(),
        region: &scope.region,
        tags: &res.tags,
        state: res.state.as_deref(),
        cluster: res.cluster_id.as_deref(),
        attached_to: &res.attached_to,
    }
}

/// Every selection of the scope in plan order: those the engine kept an outcome for, and the
/// rest, which matched nothing.
fn selections<'a>(scope: &'a Scope, prot: &'a Protection) -> (Vec<SelectionStory<'a>>, usize) {
    let mut told = prot.selections.iter().peekable();
    let (mut out, mut omitted, mut unmatched) = (Vec::new(), 0, 0);
    for (pi, plan) in scope.plans.iter().enumerate() {
        for (si, sel) in plan.selections.iter().enumerate() {
            let here = |o: &&crate::model::protection::SelectionOutcome| {
                (o.plan, o.selection) == (pi as u32, si as u32)
            };
            let (selected, reason) = match told.next_if(here) {
                Some(o) => (o.selected, &*o.reason),
                None if unmatched == MAX_UNMATCHED_SELECTIONS => {
                    omitted += 1;
                    continue;
                }
                None => {
                    unmatched += 1;
                    (Tri::No, NO_MATCH)
                }
            };
            out.push(SelectionStory {
                plan: &plan.name,
                plan_id: plan.display_id(),
                plan_source: plan.source,
                selection: &sel.name,
                selected,
                reason,
                role: (selected != Tri::No).then(|| RoleStory::of(sel)),
            });
        }
    }
    (out, omitted)
}

fn rules<'a>(
    inv: &'a Inventory,
    scope: &'a Scope,
    res: &'a Resource,
    prot: &'a Protection,
    decided: &'a Decided,
) -> Vec<RuleStory<'a>> {
    let mut copies = decided.copies.iter();
    prot.rules
        .iter()
        .map(|a| {
            let r = &scope.plans[a.plan as usize].rules[a.rule as usize];
            let told: Vec<CopyStory> = r
                .copies
                .iter()
                .zip(copies.by_ref())
                .map(|(copy, o)| CopyStory {
                    copy,
                    delivers: o.delivers,
                    delivery_reason: o.reason.as_deref(),
                })
                .collect();
            rule(inv, scope, res, a, told)
        })
        .collect()
}

fn rule<'a>(
    inv: &'a Inventory,
    scope: &'a Scope,
    res: &'a Resource,
    a: &'a AppliedRule,
    copies: Vec<CopyStory<'a>>,
) -> RuleStory<'a> {
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
        RuleState::Ineffective(w) => (Tri::No, Some(w.as_str())),
        RuleState::Unknown(w) => (Tri::Unknown, Some(w.as_str())),
    };
    let worst_interval = if a.continuous {
        "continuous (point-in-time recovery)".into()
    } else {
        match r.schedule.ends_warning() {
            Some(w) => format!("{} ({w})", r.schedule.describe_gap()),
            None => r.schedule.describe_gap(),
        }
    };
    RuleStory {
        plan: &plan.name,
        plan_source: plan.source,
        rule: &r.name,
        selection: &plan.selections[a.selection as usize].name,
        through: a.through.map(|t| scope.resources[t as usize].arn.as_str()),
        vault: &r.vault,
        vault_lock: scope.vault(&r.vault).map(|v| LockStory {
            mode: v.lock_mode(inv.as_of),
            min_retention_days: v.min_retention_days,
            max_retention_days: v.max_retention_days,
        }),
        schedule: &r.schedule.expression,
        timezone: r.schedule.timezone.as_deref().unwrap_or("UTC"),
        schedule_defaulted: r.schedule.defaulted,
        worst_interval_minutes: (!a.continuous)
            .then(|| r.schedule.max_gap_minutes())
            .flatten(),
        worst_interval,
        start_window_minutes: r.start_window_minutes,
        retention: r.retention,
        cold_after_days: r
            .cold_after_days
            .filter(|_| cold_storage.is_some_and(ColdStorage::may_apply)),
        cold_storage,
        continuous: a.continuous,
        copies,
        effective,
        state_reason,
    }
}

fn job<'a>(scope: &'a Scope, j: &'a crate::snapshot::aws::BackupJob) -> JobStory<'a> {
    let by = j.created_by.as_ref();
    let plan_id = by.and_then(|c| c.backup_plan_id.as_deref());
    let rule_id = by.and_then(|c| c.backup_rule_id.as_deref());
    let plan = plan_id.and_then(|id| scope.plans.iter().find(|p| p.id == id));
    let rule = plan.zip(rule_id).and_then(|(p, id)| {
        p.rules
            .iter()
            .find(|r| r.id.as_deref() == Some(id))
            .map(|r| r.name.as_str())
    });
    JobStory {
        id: j.backup_job_id.as_deref().unwrap_or_default(),
        resource_arn: j.resource_arn.as_deref().unwrap_or_default(),
        state: j.state.as_deref().unwrap_or_default(),
        created: j.creation_date.map(rfc3339),
        completed: j.completion_date.map(rfc3339),
        vault: j.backup_vault_name.as_deref().unwrap_or_default(),
        message: j.status_message.as_deref().filter(|m| !m.is_empty()),
        message_category: j.message_category.as_deref(),
        plan: plan.map(|p| p.name.as_str()).or(plan_id),
        rule: rule.or(rule_id),
    }
}

fn copy_job(j: &crate::snapshot::aws::CopyJob) -> CopyJobStory<'_> {
    CopyJobStory {
        id: j.copy_job_id.as_deref().unwrap_or_default(),
        resource_arn: j.resource_arn.as_deref().unwrap_or_default(),
        state: j.state.as_deref().unwrap_or_default(),
        created: j.creation_date.map(rfc3339),
        destination: j
            .destination_backup_vault_arn
            .as_deref()
            .unwrap_or_default(),
        message: j.status_message.as_deref().filter(|m| !m.is_empty()),
        backup_job: j.created_by_backup_job_id.as_deref(),
    }
}

fn point(inv: &Inventory, r: RpRef, decides_recency: bool) -> PointStory<'_> {
    let rp = inv.recovery_point(r);
    PointStory {
        arn: &rp.recovery_point_arn,
        vault: rp
            .backup_vault_arn
            .as_deref()
            .unwrap_or(&rp.backup_vault_name),
        status: &rp.status,
        created: rp.creation_date.map(rfc3339),
        delete_at: rp
            .calculated_lifecycle
            .as_ref()
            .and_then(|l| l.delete_at)
            .map(rfc3339),
        encrypted: rp.is_encrypted,
        malware_scan: rp.scan.map(|s| s.as_str()),
        access_points: inv
            .scope(r.0)
            .access_points
            .iter()
            .filter(|a| a.recovery_point_arn == rp.recovery_point_arn)
            .map(|a| format!("{} ({})", a.name, a.status))
            .collect(),
        decides_recency,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn first_homes_finds_what_find_resource_finds() {
        let mut inv = crate::app::evaluate_sample().inventory;
        // A second scope holding the same ARNs: the first one is their home.
        let mut twin = inv.scopes[0].clone();
        twin.region = "ap-south-1".into();
        inv.scopes.push(twin);
        let twin = inv.scopes.len() as u32 - 1;
        let arns: Vec<&str> = inv
            .scopes
            .iter()
            .flat_map(|s| s.resources.iter().map(|r| r.arn.as_str()))
            .chain(["arn:aws:s3:::no-such-bucket"])
            .collect();
        let homes = first_homes(&inv, arns.iter().copied());
        assert!(homes.len() > inv.scopes[0].resources.len());
        for a in &arns {
            let found = inv.find_resource(a).map(|(s, r)| (s as u32, r as u32));
            assert_eq!(homes.get(a).copied(), found, "{a}");
        }
        assert!(homes.values().all(|&(si, _)| si != twin));
        assert!(!homes.contains_key("arn:aws:s3:::no-such-bucket"));
    }
}
