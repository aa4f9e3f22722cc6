//! The model: a snapshot normalised into resources, plans, vaults and recovery points, with
//! the AWS Backup semantics that decide which rules really protect which resource.

mod arn;
pub mod intern;
mod jobs;
pub mod keys;
pub mod not_judged;
pub mod plan;
pub mod points;
pub mod protection;
pub mod provenance;
pub mod resource;
pub mod restore;
pub mod schedule;
pub mod selection;
mod stream;
pub mod vault;
pub mod vault_policy;

pub use arn::{partition_of, Arn};
pub use stream::{Filled, Streaming};

use crate::error::Result;
use crate::snapshot::time::Timestamp;
use crate::snapshot::{aws, DataFile, ScopeStatus, Snapshot, UnlistedTypes};
use plan::{Gap, Plan, PlanRule, ScheduleInfo};
use rayon::prelude::*;
use resource::Resource;
use selection::Selection;
use serde::Serialize;
use std::collections::{BTreeMap, HashMap};
use std::path::PathBuf;
use std::sync::Arc;
use vault::Vault;

/// A three-valued answer: the auditor never turns "could not look" into "yes" or "no".
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Tri {
    Yes,
    No,
    Unknown,
}

/// One account-region.
#[derive(Debug, Clone)]
pub struct Scope {
    pub account_id: String,
    pub account_name: Option<String>,
    pub region: String,
    pub status: ScopeStatus,
    pub error: Option<String>,
    pub unavailable: Vec<(DataFile, String)>,
    /// Resource types that could not be listed: absent from `resources`, unknown.
    pub unlisted: Vec<UnlistedTypes>,
    pub resources: Vec<Resource>,
    /// Another shard's scope (`Inventory::context`): the ARNs of its inventory items, sorted;
    /// its `resources` are empty.
    pub listed: Vec<String>,
    pub plans: Vec<Plan>,
    pub vaults: Vec<Vault>,
    pub recovery_points: Vec<aws::RecoveryPoint>,
    /// `ResourceTypeOptInPreference`; `None` when region settings could not be read.
    pub opt_in: Option<BTreeMap<String, bool>>,
    /// `ResourceTypeManagementPreference` (full AWS Backup management, e.g. advanced DynamoDB
    /// backup); `None` when region settings could not be read.
    pub management: Option<BTreeMap<String, bool>>,
    /// Sorted by resource ARN, newest first: see [`Scope::jobs_of`].
    pub backup_jobs: Vec<aws::BackupJob>,
    /// Sorted by resource ARN, newest first: see [`Scope::copy_jobs_of`].
    pub copy_jobs: Vec<aws::CopyJob>,
    /// Files the snapshot's collector did not write (an older collector): unknown.
    pub not_collected: Vec<DataFile>,
    /// Whether the organisation allows cross-account backup (`DescribeGlobalSettings`);
    /// `None` when `global-settings.json` is absent, unread or does not say.
    pub cross_account_backup: Option<bool>,
    /// Restore testing plans' selections and restore jobs (empty when not collected: see
    /// `not_collected`).
    pub restore: restore::RestoreTesting,
    /// What the snapshot holds here that the tool does not judge, by type.
    pub not_judged: not_judged::NotJudged,
    /// Where each resource type's items came from (the manifest's `inventory`; empty when the
    /// snapshot does not say).
    pub inventory: BTreeMap<String, crate::snapshot::InventorySource>,
    /// S3 backup access points onto its recovery points (for `explain`; none when not
    /// collected).
    pub access_points: Vec<crate::snapshot::access_points::BackupAccessPoint>,
    /// S3 warm-tier tiering configurations (for `explain`; none when not collected).
    pub tiering: Vec<crate::snapshot::access_points::TieringConfiguration>,
}

impl Scope {
    pub fn label(&self) -> String {
        format!("{}/{}", self.account_id, self.region)
    }

    /// Read completely: nothing of it failed, no file and no resource type unread. Only
    /// there does a subject's absence mean it is gone.
    pub fn read_completely(&self) -> bool {
        self.status == ScopeStatus::Complete
            && self.unavailable.is_empty()
            && self.unlisted.is_empty()
    }

    /// Why `file` could not be read, if it could not.
    pub fn unavailable(&self, file: DataFile) -> Option<&str> {
        if self.status == ScopeStatus::Failed {
            return Some(self.error.as_deref().unwrap_or("scope could not be read"));
        }
        if self.not_collected.contains(&file) {
            return Some("not in the snapshot: its collector did not collect this file yet");
        }
        self.unavailable
            .iter()
            .find(|(f, _)| *f == file)
            .map(|(_, e)| e.as_str())
    }

    pub fn vault(&self, name: &str) -> Option<&Vault> {
        self.vaults.iter().find(|v| v.name == name)
    }
}

/// Points a recovery point by `(scope, index)`.
pub type RpRef = (u32, u32);

#[derive(Debug, Clone)]
pub struct Inventory {
    pub root: PathBuf,
    pub collected_at: Timestamp,
    /// "Now" for every time-dependent judgement: `collected_at` unless `--as-of` says otherwise.
    pub as_of: Timestamp,
    /// How far back the collector listed backup jobs; `None` when the snapshot does not say,
    /// so a job absent from it proves nothing.
    pub jobs_since: Option<Timestamp>,
    /// How far back the collector listed copy jobs, likewise.
    pub copy_jobs_since: Option<Timestamp>,
    /// How far back the collector listed restore jobs, likewise.
    pub restore_jobs_since: Option<Timestamp>,
    /// The account-regions judged.
    pub scopes: Vec<Scope>,
    /// With a shard, the other shards' account-regions, read only for what the judged ones
    /// look up across accounts: never judged. Their indices follow those of `scopes`
    /// ([`Inventory::scope`]).
    pub context: Vec<Scope>,
    /// The share of the organisation's accounts `scopes` are, if not all.
    pub shard: Option<crate::shard::Shard>,
    /// Whether the snapshot holds only the shard's accounts (`collect --shard`).
    pub collected_in_shard: bool,
    /// Vault ARN → (scope, vault index), across the organisation (copy destinations).
    pub vault_index: HashMap<String, (u32, u32)>,
    /// Resource ARN → its recovery points anywhere in the organisation (copies included).
    pub recovery_points_by_resource: HashMap<String, Vec<RpRef>>,
    /// (account, region) → scope index (copy destinations).
    pub scope_index: HashMap<(String, String), u32>,
    /// The organisation, if the snapshot says (its id decides `aws:PrincipalOrgID`).
    pub organization: Option<crate::snapshot::organization::Organization>,
    /// Why the organisation could not be read, when the snapshot says it could not.
    pub organization_unreadable: Option<String>,
    /// Which accounts' effective backup policies are not fully enforced.
    pub backup_policies: crate::snapshot::organization::BackupPolicies,
}

impl Inventory {
    /// Normalises a snapshot. A schedule the tool cannot interpret is AWS's data, not an input
    /// error: its rule is kept with [`Gap::Unknown`] and judged NOT_ASSESSED.
    pub fn build(snapshot: Snapshot, as_of: Option<Timestamp>) -> Result<Inventory> {
        let as_of = as_of.unwrap_or(snapshot.collected_at);
        // Schedules repeat across thousands of plans: parse and measure each distinct one
        // once, then convert the scopes in parallel.
        let mut schedules = ScheduleCache::new(as_of);
        for s in &snapshot.scopes {
            for p in &s.data.plans {
                for r in &p.backup_plan.rules {
                    schedules.add(r);
                }
            }
        }
        let schedules = &schedules;
        let judged = snapshot.scopes.len();
        let all: Vec<_> = snapshot
            .scopes
            .into_iter()
            .chain(snapshot.context)
            .collect();
        let (mut scopes, unmatched): (Vec<Scope>, Vec<Converted>) = all
            .into_par_iter()
            .map(|s| convert_scope(s, schedules))
            .unzip();
        let mut vault_index = HashMap::new();
        let mut scope_index = HashMap::with_capacity(scopes.len());
        // At most one entry per recovery point: reserving avoids rehashing a million keys.
        let mut recovery_points_by_resource: HashMap<String, Vec<RpRef>> =
            HashMap::with_capacity(scopes.iter().map(|s| s.recovery_points.len()).sum());
        // Another shard's scopes come after the judged ones, but a resource's points are listed
        // in the organisation's account-region order, as a whole scan lists them: which of two
        // equally new points (a copy keeps its source's date) is named must not depend on it.
        let mut order: Vec<usize> = (0..scopes.len()).collect();
        order.sort_by_key(|&si| (&scopes[si].account_id, &scopes[si].region));
        for si in order {
            let s = &scopes[si];
            scope_index.insert((s.account_id.clone(), s.region.clone()), si as u32);
            for (vi, v) in s.vaults.iter().enumerate() {
                vault_index.insert(v.arn.clone(), (si as u32, vi as u32));
            }
            for (ri, rp) in s.recovery_points.iter().enumerate() {
                let at = (si as u32, ri as u32);
                // Most resources have several points: copy the ARN only for the first.
                match recovery_points_by_resource.get_mut(&rp.resource_arn) {
                    Some(v) => v.push(at),
                    None => {
                        recovery_points_by_resource.insert(rp.resource_arn.clone(), vec![at]);
                    }
                }
            }
        }
        let mut pending = Vec::with_capacity(unmatched.len());
        let mut unjudged = std::collections::HashSet::new();
        for c in unmatched {
            pending.push(c.protected);
            unjudged.extend(c.unjudged);
        }
        not_judged::count_backed_up(&mut scopes, pending, &unjudged, &scope_index);
        let context = scopes.split_off(judged);
        Ok(Inventory {
            root: snapshot.root,
            collected_at: snapshot.collected_at,
            as_of,
            jobs_since: snapshot.windows.backup_jobs_since,
            copy_jobs_since: snapshot.windows.copy_jobs_since,
            restore_jobs_since: snapshot.windows.restore_jobs_since,
            scopes,
            context,
            shard: snapshot.shard,
            collected_in_shard: snapshot.collected_in_shard,
            vault_index,
            recovery_points_by_resource,
            scope_index,
            organization: snapshot.organization,
            organization_unreadable: snapshot.organization_unreadable,
            backup_policies: snapshot.backup_policies,
        })
    }

    /// Scope `s` of the organisation: judged, or (past `scopes`) another shard's. The indices
    /// of the cross-account lookups (`scope_index`, `vault_index`, recovery points) are these.
    pub fn scope(&self, s: u32) -> &Scope {
        let s = s as usize;
        match self.scopes.get(s) {
            Some(scope) => scope,
            None => &self.context[s - self.scopes.len()],
        }
    }

    /// The scope of an account-region, if the snapshot has one (judged or not).
    pub fn scope_at(&self, account: &str, region: &str) -> Option<&Scope> {
        let &s = self
            .scope_index
            .get(&(account.to_string(), region.to_string()))?;
        Some(self.scope(s))
    }

    pub fn vault_by_arn(&self, arn: &str) -> Option<(&Scope, &Vault)> {
        let &(s, v) = self.vault_index.get(arn)?;
        let scope = self.scope(s);
        Some((scope, &scope.vaults[v as usize]))
    }

    pub fn recovery_point(&self, r: RpRef) -> &aws::RecoveryPoint {
        &self.scope(r.0).recovery_points[r.1 as usize]
    }

    pub fn resource_count(&self) -> usize {
        self.scopes.iter().map(|s| s.resources.len()).sum()
    }

    /// Finds a resource by ARN: `(scope index, resource index)`.
    /// For an ARN no scope holds: the account-region it names, if that scope's inventory could
    /// not be read, and why. Such a resource is unknown, not absent.
    pub fn unread_home(&self, arn: &str) -> Option<(String, String)> {
        let arn = Arn::parse(arn)?;
        let scope = self.scope_at(arn.account(), arn.region())?;
        let why = scope.unavailable(DataFile::Resources)?;
        Some((scope.label(), why.to_owned()))
    }

    pub fn find_resource(&self, arn: &str) -> Option<(usize, usize)> {
        self.scopes.iter().enumerate().find_map(|(si, s)| {
            s.resources
                .binary_search_by(|r| r.arn.as_str().cmp(arn))
                .ok()
                .map(|ri| (si, ri))
        })
    }
}

/// What converting one scope leaves for the pass over all scopes: its
/// `protected-resources.json` entries no item of its own describes, and the ARNs of its items
/// of types the tool does not judge.
struct Converted {
    protected: Vec<not_judged::Unmatched>,
    unjudged: Vec<String>,
}

/// One account-region of the snapshot, normalised. Items of types the tool does not judge
/// are counted, not dropped in silence.
fn convert_scope(
    s: crate::snapshot::ScopeSnapshot,
    schedules: &ScheduleCache,
) -> (Scope, Converted) {
    let roles_unread = s.unavailable_reason(DataFile::IamRoles).map(str::to_owned);
    let d = s.data;
    let roles = match (&d.iam_roles, roles_unread.as_deref()) {
        (_, Some(e)) => selection::role::Roles::Unreadable(e),
        (Some(list), None) => selection::role::Roles::Read(list),
        (None, None) => selection::role::Roles::NotCollected,
    };
    let plans = plans_of(
        d.plans,
        d.selections,
        (&s.account_id, &s.region),
        roles,
        schedules,
    );
    let vaults = vaults_of(d.vaults, d.vault_policies);
    let mut item_types = BTreeMap::new();
    // Another shard's items are only looked up at the account-region their ARN names; those
    // whose ARN names none, or another, are found as the unjudged are (by ARN, anywhere).
    let elsewhere = |a: &Arn| a.account() != s.account_id || a.region() != s.region;
    let mut unjudged: Vec<String> = (d.listed.iter())
        .filter(|a| Arn::parse(a).is_none_or(|a| elsewhere(&a)))
        .cloned()
        .collect();
    let mut resources: Vec<Resource> = Vec::with_capacity(d.resources.len());
    for item in d.resources {
        let engine = item.configuration.engine.as_deref();
        if resource::ResourceKind::from_config(&item.resource_type, engine).is_none() {
            *item_types.entry(item.resource_type).or_insert(0) += 1;
            unjudged.push(item.arn);
            continue;
        }
        resources.extend(Resource::from_config(item));
    }
    resources.sort_by(|a, b| a.arn.cmp(&b.arn));
    resources.dedup_by(|a, b| a.arn == b.arn);
    resource::link_members(&mut resources);
    resource::resolve_keys(&mut resources, d.kms_aliases.as_deref(), &s.account_id);
    // Parsing grew these vectors by doubling; they live until the end of the run.
    resources.shrink_to_fit();
    let mut backup_jobs = d.backup_jobs;
    jobs::sort(&mut backup_jobs);
    let mut copy_jobs = d.copy_jobs;
    jobs::sort_copies(&mut copy_jobs);
    let mut recovery_points = d.recovery_points;
    recovery_points.shrink_to_fit();
    let protected = {
        let own: std::collections::HashSet<String> = unjudged.iter().cloned().collect();
        not_judged::unmatched(d.protected_resources, &resources, &own)
    };
    // The snapshot records an unread or absent region-settings.json as unavailable: `None`
    // here is "unknown", never "no type opted in".
    let (opt_in, management) = match d.region_settings {
        Some(r) => (
            Some(r.resource_type_opt_in_preference),
            Some(r.resource_type_management_preference),
        ),
        None => (None, None),
    };
    let cross_account_backup = d
        .global_settings
        .as_ref()
        .and_then(aws::GlobalSettings::cross_account_backup);
    let restore = restore::RestoreTesting::build(
        d.restore_testing_plans,
        d.restore_testing_selections,
        d.restore_jobs,
    );
    let scope = Scope {
        account_id: s.account_id,
        account_name: s.account_name,
        region: s.region,
        status: s.status,
        error: s.error,
        unavailable: s.unavailable,
        unlisted: s.unlisted,
        resources,
        listed: d.listed,
        plans,
        vaults,
        recovery_points,
        opt_in,
        management,
        backup_jobs,
        copy_jobs,
        not_collected: s.not_collected,
        cross_account_backup,
        restore,
        not_judged: not_judged::NotJudged {
            item_types,
            backed_up_types: BTreeMap::new(),
        },
        inventory: s.inventory,
        access_points: d.backup_access_points,
        tiering: d
            .tiering_configurations
            .into_iter()
            .map(|t| t.tiering_configuration)
            .collect(),
    };
    (
        scope,
        Converted {
            protected,
            unjudged,
        },
    )
}

/// A scope's plans, each with its selections (their roles judged from `iam-roles.json`).
fn plans_of(
    raw_plans: Vec<aws::GetBackupPlanOutput>,
    raw_selections: Vec<aws::GetBackupSelectionOutput>,
    (account, region): (&str, &str),
    roles: selection::role::Roles<'_>,
    schedules: &ScheduleCache,
) -> Vec<Plan> {
    let mut selections: HashMap<String, Vec<Selection>> = HashMap::new();
    for sel in raw_selections {
        let mut converted = Selection::from_aws(sel.backup_selection, sel.selection_id);
        converted.role =
            selection::role::state_of(converted.iam_role_arn.as_deref(), account, region, roles);
        selections
            .entry(sel.backup_plan_id.clone())
            .or_default()
            .push(converted);
    }
    let mut plans = Vec::with_capacity(raw_plans.len());
    for p in raw_plans {
        let rules: Vec<PlanRule> = p
            .backup_plan
            .rules
            .iter()
            .map(|r| PlanRule::from_aws(r, schedules.cached(r)))
            .collect();
        let selections = selections.remove(&p.backup_plan_id).unwrap_or_default();
        plans.push(Plan {
            source: provenance::PlanSource::of(
                &p.backup_plan_id,
                p.backup_plan_arn.as_deref(),
                rules.iter().map(|r| r.vault.as_str()),
                &selections,
            ),
            selections,
            id: p.backup_plan_id,
            arn: p.backup_plan_arn,
            name: p.backup_plan.backup_plan_name,
            version: p.version_id,
            rules,
        });
    }
    plans
}

/// A scope's vaults, each with its access policy.
fn vaults_of(
    raw_vaults: Vec<aws::DescribeBackupVaultOutput>,
    policies: Vec<aws::VaultAccessPolicy>,
) -> Vec<Vault> {
    let mut vaults: Vec<Vault> = raw_vaults.into_iter().map(Vault::from_aws).collect();
    for pol in policies {
        if let Some(v) = vaults.iter_mut().find(|v| v.name == pol.backup_vault_name) {
            v.set_policy(pol.policy);
        }
    }
    vaults
}

/// `(ScheduleExpression, ScheduleExpressionTimezone)` as the rule wrote them.
type ScheduleKey = (Option<String>, Option<String>);

/// Schedules repeat across thousands of plans: parse and measure each distinct one once.
#[derive(Debug)]
struct ScheduleCache {
    as_of: Timestamp,
    cache: HashMap<ScheduleKey, Arc<ScheduleInfo>>,
}

impl ScheduleCache {
    fn new(as_of: Timestamp) -> Self {
        ScheduleCache {
            as_of,
            cache: HashMap::new(),
        }
    }

    fn key(r: &aws::BackupRule) -> ScheduleKey {
        (
            r.schedule_expression.clone(),
            r.schedule_expression_timezone.clone(),
        )
    }

    /// The schedule `add` measured (measured now if it was not).
    fn cached(&self, r: &aws::BackupRule) -> Arc<ScheduleInfo> {
        match self.cache.get(&Self::key(r)) {
            Some(info) => info.clone(),
            None => Arc::new(measure(r, self.as_of)),
        }
    }

    fn add(&mut self, r: &aws::BackupRule) {
        let as_of = self.as_of;
        self.cache
            .entry(Self::key(r))
            .or_insert_with(|| Arc::new(measure(r, as_of)));
    }
}

/// A rule's schedule as of `as_of`: how far apart its runs are, whether they stop, or why
/// the tool cannot tell.
fn measure(r: &aws::BackupRule, as_of: Timestamp) -> ScheduleInfo {
    let defaulted = r
        .schedule_expression
        .as_deref()
        .is_none_or(|e| e.trim().is_empty());
    let expr = if defaulted {
        schedule::DEFAULT_EXPRESSION
    } else {
        r.schedule_expression.as_deref().unwrap_or_default()
    };
    let tz = r
        .schedule_expression_timezone
        .as_deref()
        .filter(|t| !t.is_empty());
    let mut info = ScheduleInfo {
        expression: expr.to_owned(),
        timezone: tz.map(str::to_owned),
        defaulted,
        gap: Gap::Once,
        ends: None,
        parsed: None,
    };
    let sched = match schedule::Schedule::parse(expr, tz) {
        Ok(s) => s,
        Err(e) => {
            info.gap = Gap::Unknown {
                error: e.to_string(),
            };
            return info;
        }
    };
    use schedule::Interval;
    match sched.worst_case_interval(as_of) {
        Interval::Every { max_gap, .. } => {
            info.gap = Gap::Every {
                minutes: max_gap.num_minutes(),
            }
        }
        Interval::StopsRunning { last_run, max_gap } => {
            // Judged by the runs it still makes, with a warning that they stop.
            info.ends = Some(last_run);
            info.gap = match max_gap {
                Some(g) => Gap::Every {
                    minutes: g.num_minutes(),
                },
                None => Gap::Once,
            };
        }
        Interval::NeverRuns => {
            info.gap = Gap::Ends {
                last: sched.final_run().filter(|t| *t <= as_of),
            }
        }
    }
    info.parsed = Some(sched);
    info
}

/// `90` → `1.5 h`, `4320` → `3 days` (72 h).
pub fn describe_minutes(m: i64) -> String {
    if m % 1440 == 0 {
        let d = m / 1440;
        if d == 1 {
            "24 h (1 day)".to_owned()
        } else {
            format!("{} h ({d} days)", m / 60)
        }
    } else if m % 60 == 0 {
        format!("{} h", m / 60)
    } else {
        format!("{} min", m)
    }
}
