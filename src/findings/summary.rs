//! The summary every renderer and the exit policy read: counts, coverage, what could not be
//! assessed, and the state of the waivers.

use super::{Finding, Status, Subject};
use crate::engine::Evaluation;
use crate::model::plan::Gap;
use crate::model::resource::ResourceKind;
use crate::model::{Inventory, Tri};
use crate::rules::waiver::Waiver;
use crate::rules::{RuleSet, Severity};
use crate::snapshot::{DataFile, ScopeStatus};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::hash::Hasher;
use std::sync::Arc;

pub mod parts;
mod running;
pub use running::Running;

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Coverage {
    pub protected: usize,
    pub unprotected: usize,
    pub not_assessed: usize,
    /// Cluster members, judged through their cluster.
    pub through_cluster: usize,
    /// Protected share of the resources whose protection could be decided.
    pub percent: f64,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct NotAssessedScope {
    pub account_id: String,
    pub account_name: Option<String>,
    pub region: String,
    pub status: ScopeStatus,
    pub reason: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct WaiverNote {
    pub source: String,
    pub rule: String,
    pub resource: String,
    pub reason: String,
    pub owner: Option<String>,
    pub expires: Option<String>,
    pub hits: usize,
}

/// Subjects the audit judged: those with at least one PASS, FAIL or WAIVED finding (a
/// NOT_ASSESSED or NOT_APPLICABLE finding judges nothing).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Judged {
    /// Workload resources (EC2 instances, volumes, databases, buckets, …).
    pub resources: usize,
    pub vaults: usize,
    pub recovery_points: usize,
}

/// A rule that produced no finding at all: its scope selects nothing in the snapshot.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct IdleRule {
    pub id: String,
    /// Where the rule is defined, `path:line`.
    pub source: String,
}

/// A backup rule whose schedule the verdicts could not take at face value: AWS's data the tool
/// cannot interpret (its rule is NOT_ASSESSED), or a year field that ends the runs.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ScheduleWarning {
    pub account_id: String,
    pub region: String,
    pub plan: String,
    pub rule: String,
    pub expression: String,
    pub timezone: Option<String>,
    pub kind: ScheduleWarningKind,
    /// The final run's day (`ends`, `ended`).
    pub date: Option<String>,
    /// Why the tool cannot interpret it (`not-understood`).
    pub error: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ScheduleWarningKind {
    /// The rule's backups are NOT_ASSESSED.
    NotUnderstood,
    /// Runs are left, but they stop on `date`: judged by those runs.
    Ends,
    /// The last run was on `date`: the rule makes no more backups.
    Ended,
    /// No run at all after "now", and no last run found.
    NeverRuns,
}

#[derive(Debug, Clone, Serialize)]
pub struct CountRow {
    pub account_id: Arc<str>,
    pub account_name: Arc<str>,
    pub region: Arc<str>,
    pub resource_type: &'static str,
    pub rule_id: Arc<str>,
    pub status: &'static str,
    pub count: usize,
}

/// The summary: its totals and summary.csv's count rows. It reads as its totals (`Deref`).
#[derive(Debug, Clone, Serialize)]
pub struct Summary {
    #[serde(flatten)]
    pub totals: Totals,
    pub counts: Vec<CountRow>,
}

impl std::ops::Deref for Summary {
    type Target = Totals;

    fn deref(&self) -> &Totals {
        &self.totals
    }
}

/// Everything a summary says but its count rows: what the printed summary, summary.md and
/// the gate read (without serialising a row per account-region, type, rule and status).
#[derive(Debug, Clone, Serialize)]
pub struct Totals {
    pub scopes: usize,
    pub resources: usize,
    pub findings: usize,
    pub by_status: BTreeMap<&'static str, usize>,
    /// Unwaived FAIL findings per severity.
    pub failures_by_severity: BTreeMap<Severity, usize>,
    pub coverage: Coverage,
    pub not_assessed_scopes: Vec<NotAssessedScope>,
    /// What the snapshot holds that the tool did not judge (types it does not judge,
    /// backed-up resources with no inventory item): never dropped in silence.
    pub not_judged: super::not_judged::NotJudgedSummary,
    /// Rules evaluated, and how many of them judge workload resources.
    pub rules: usize,
    pub resource_rules: usize,
    pub judged: Judged,
    /// Rules whose scope matched nothing: a warning, since they judged nothing.
    pub rules_matching_nothing: Vec<IdleRule>,
    pub schedule_warnings: Vec<ScheduleWarning>,
    pub waivers_active: Vec<WaiverNote>,
    pub waivers_expired: Vec<WaiverNote>,
    pub waivers_unused: Vec<WaiverNote>,
}

impl Summary {
    /// The summary of an evaluation of every scope.
    pub fn build(
        inv: &Inventory,
        rules: &RuleSet,
        eval: &Evaluation,
        waivers: &[Waiver],
    ) -> Summary {
        let mut running = Running::new(rules);
        running.add(inv, 0, &eval.findings, &eval.protections);
        running.finish(inv, rules, waivers, &eval.waiver_hits).0
    }
}

impl Totals {
    /// Unwaived failures at or above `min`.
    pub fn failures_at_least(&self, min: Severity) -> usize {
        self.failures_by_severity.range(min..).map(|(_, n)| n).sum()
    }

    /// What the gate requires the audit to have judged: workload resources, or — for a
    /// policy without rules on workload resources — vaults and recovery points.
    pub fn judged_subjects(&self) -> usize {
        if self.resource_rules > 0 {
            self.judged.resources
        } else {
            self.judged.vaults + self.judged.recovery_points
        }
    }

    pub fn not_assessed(&self) -> usize {
        self.by_status
            .get(Status::NotAssessed.as_str())
            .copied()
            .unwrap_or(0)
    }
}

/// summary.csv's rows, sorted by account, region, type, rule id and status. The groups are
/// sorted before any string is made: scopes are in account and region order and no two share
/// both, so a scope's index sorts as its account and region do. Strings repeated on many rows
/// are shared, not copied.
fn count_rows(inv: &Inventory, rules: &RuleSet, groups: running::Groups) -> Vec<CountRow> {
    let type_name = |t: u8| match t {
        TYPE_RECOVERY_POINT => "recovery-point",
        TYPE_VAULT => "backup-vault",
        TYPE_SCOPE => "scope",
        k => ResourceKind::ALL
            .into_iter()
            .find(|kind| *kind as u8 == k)
            .map_or("", ResourceKind::short_name),
    };
    let mut keyed: Vec<_> = (groups.into_iter())
        .map(|((si, t, ri, status), n)| {
            let rule = rules.rules[ri as usize].id.as_str();
            ((si, type_name(t), rule, status.as_str()), ri, n)
        })
        .collect();
    // Keys are distinct: an unstable sort gives one order.
    keyed.sort_unstable_by(|a, b| a.0.cmp(&b.0));
    let rule_ids: Vec<Arc<str>> = rules
        .rules
        .iter()
        .map(|r| Arc::from(r.id.as_str()))
        .collect();
    let mut scope: Option<(u32, [Arc<str>; 3])> = None;
    keyed
        .into_iter()
        .map(|((si, resource_type, _, status), ri, count)| {
            let [account_id, account_name, region] = match &scope {
                Some((at, names)) if *at == si => names.clone(),
                _ => {
                    let s = &inv.scopes[si as usize];
                    let names = [
                        Arc::from(s.account_id.as_str()),
                        Arc::from(s.account_name.as_deref().unwrap_or_default()),
                        Arc::from(s.region.as_str()),
                    ];
                    scope.insert((si, names)).1.clone()
                }
            };
            CountRow {
                account_id,
                account_name,
                region,
                resource_type,
                rule_id: rule_ids[ri as usize].clone(),
                status,
                count,
            }
        })
        .collect()
}

/// Subject types as small numbers: a resource kind's discriminant, or one of these.
const TYPE_RECOVERY_POINT: u8 = u8::MAX - 2;
const TYPE_VAULT: u8 = u8::MAX - 1;
const TYPE_SCOPE: u8 = u8::MAX;

fn subject_type(inv: &Inventory, f: &Finding) -> u8 {
    match f.subject {
        Subject::Resource { scope, index } => {
            inv.scopes[scope as usize].resources[index as usize].kind as u8
        }
        Subject::RecoveryPoint { .. } => TYPE_RECOVERY_POINT,
        Subject::Vault { .. } => TYPE_VAULT,
        Subject::Scope { .. } => TYPE_SCOPE,
    }
}

/// FxHash (rustc's): the group keys are a few small integers, for which SipHash is slow.
#[derive(Default)]
struct FxHasher(u64);

impl FxHasher {
    fn add(&mut self, word: u64) {
        self.0 = (self.0.rotate_left(5) ^ word).wrapping_mul(0x51_7c_c1_b7_27_22_0a_95);
    }
}

impl Hasher for FxHasher {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        for chunk in bytes.chunks(8) {
            let mut word = [0u8; 8];
            word[..chunk.len()].copy_from_slice(chunk);
            self.add(u64::from_le_bytes(word));
        }
    }

    fn write_u8(&mut self, n: u8) {
        self.add(n.into());
    }

    fn write_u32(&mut self, n: u32) {
        self.add(n.into());
    }

    fn write_u64(&mut self, n: u64) {
        self.add(n);
    }

    fn write_usize(&mut self, n: usize) {
        self.add(n as u64);
    }
}

/// Coverage per account id (a history's per-account trend).
pub fn coverage_by_account(inv: &Inventory, eval: &Evaluation) -> BTreeMap<String, Coverage> {
    accounts_coverage(inv.scopes.iter().zip(&eval.protections))
}

/// Coverage per account id of `scopes` and their protections.
pub(crate) fn accounts_coverage<'a>(
    scopes: impl Iterator<
        Item = (
            &'a crate::model::Scope,
            &'a Vec<crate::model::protection::Protection>,
        ),
    >,
) -> BTreeMap<String, Coverage> {
    let mut by_account: BTreeMap<&str, Vec<_>> = BTreeMap::new();
    for (scope, prots) in scopes {
        by_account
            .entry(&scope.account_id)
            .or_default()
            .push((scope, prots));
    }
    by_account
        .into_iter()
        .map(|(account, scopes)| (account.to_owned(), coverage_of(scopes.into_iter())))
        .collect()
}

impl Coverage {
    /// The resources of both, the protected share of them all.
    pub fn plus(&self, other: &Coverage) -> Coverage {
        let (protected, unprotected) = (
            self.protected + other.protected,
            self.unprotected + other.unprotected,
        );
        Coverage {
            protected,
            unprotected,
            not_assessed: self.not_assessed + other.not_assessed,
            through_cluster: self.through_cluster + other.through_cluster,
            percent: percent(protected, protected + unprotected),
        }
    }
}

fn coverage_of<'a>(
    scopes: impl Iterator<
        Item = (
            &'a crate::model::Scope,
            &'a Vec<crate::model::protection::Protection>,
        ),
    >,
) -> Coverage {
    let (mut yes, mut no, mut unknown, mut members) = (0, 0, 0, 0);
    for (scope, prots) in scopes {
        for (r, p) in scope.resources.iter().zip(prots) {
            if r.is_cluster_member() {
                members += 1;
                continue;
            }
            match p.verdict() {
                Tri::Yes => yes += 1,
                Tri::No => no += 1,
                Tri::Unknown => unknown += 1,
            }
        }
    }
    let decided = yes + no;
    Coverage {
        protected: yes,
        unprotected: no,
        not_assessed: unknown,
        through_cluster: members,
        percent: percent(yes, decided),
    }
}

/// The protected share of the decided resources, in percent with one decimal.
fn percent(protected: usize, decided: usize) -> f64 {
    if decided == 0 {
        0.0
    } else {
        (protected as f64 * 1000.0 / decided as f64).round() / 10.0
    }
}

pub(crate) fn not_assessed_scopes(inv: &Inventory) -> Vec<NotAssessedScope> {
    inv.scopes
        .iter()
        .filter(|s| !s.read_completely())
        .map(|s| NotAssessedScope {
            account_id: s.account_id.clone(),
            account_name: s.account_name.clone(),
            region: s.region.clone(),
            status: s.status,
            reason: match &s.error {
                Some(e) if s.status == ScopeStatus::Failed => e.clone(),
                _ => s
                    .unavailable
                    .iter()
                    .map(|(f, e)| format!("{}: {e}", f.file_name()))
                    .chain(s.unlisted.iter().map(|u| {
                        format!(
                            "{} ({}): {}",
                            DataFile::Resources.file_name(),
                            u.types.join(", "),
                            u.error
                        )
                    }))
                    .collect::<Vec<_>>()
                    .join("; "),
            },
        })
        .collect()
}

/// The warnings of the schedules of `scopes`' plans, into `out`.
fn schedule_warnings<'a>(
    scopes: impl Iterator<Item = &'a crate::model::Scope>,
    out: &mut Vec<ScheduleWarning>,
) {
    let day = |t: &crate::snapshot::time::Timestamp| t.format("%Y-%m-%d").to_string();
    for s in scopes {
        for p in &s.plans {
            for r in &p.rules {
                let sched = &r.schedule;
                let (kind, date, error) = match (&sched.gap, &sched.ends) {
                    (Gap::Unknown { error }, _) => (
                        ScheduleWarningKind::NotUnderstood,
                        None,
                        Some(error.clone()),
                    ),
                    (Gap::Ends { last: Some(t) }, _) => {
                        (ScheduleWarningKind::Ended, Some(day(t)), None)
                    }
                    (Gap::Ends { last: None }, _) => (ScheduleWarningKind::NeverRuns, None, None),
                    (_, Some(t)) => (ScheduleWarningKind::Ends, Some(day(t)), None),
                    (_, None) => continue,
                };
                out.push(ScheduleWarning {
                    account_id: s.account_id.clone(),
                    region: s.region.clone(),
                    plan: p.name.clone(),
                    rule: r.name.clone(),
                    expression: sched.expression.clone(),
                    timezone: sched.timezone.clone(),
                    kind,
                    date,
                    error,
                });
            }
        }
    }
}
