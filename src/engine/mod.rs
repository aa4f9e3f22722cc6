//! Evaluation: rules × subjects → findings. Pure and synchronous; scopes run in parallel
//! with rayon and results keep a stable order, so the same inputs give the same outputs.

mod copies;
mod ctx;
pub mod finding;
mod jobs;
mod locked;
mod org;
mod overlap;
mod points;
mod recency;
mod restore;
pub mod story;
mod vaults;
mod workload;

use crate::engine::finding::{Evidence, Finding, Status, Subject};
use crate::model::intern::Interner;
use crate::model::protection::{protect_scope, Protection};
use crate::model::resource::ResourceKind;
use crate::model::{Inventory, Scope};
use crate::rules::waiver::{Waiver, WaiverIndex};
use crate::rules::{Check, Rule, RuleSet};
use crate::snapshot::DataFile;
use rayon::prelude::*;

#[derive(Debug, Clone)]
pub struct Evaluation {
    pub findings: Vec<Finding>,
    /// Per scope, per resource: which rules protect it (explain, reports, coverage).
    pub protections: Vec<Vec<Protection>>,
    /// Per scope, per resource: the rest of its [`story`] (copies, recovery points).
    pub decided: Vec<Vec<story::Decided>>,
    /// How many FAIL findings each waiver turned into WAIVED.
    pub waiver_hits: Vec<usize>,
}

impl Drop for Evaluation {
    /// Millions of findings, each holding shared reason and vault strings: free them from
    /// every worker thread.
    fn drop(&mut self) {
        let findings = std::mem::take(&mut self.findings);
        findings
            .into_par_iter()
            .with_min_len(1 << 14)
            .for_each(drop);
    }
}

/// A verdict before its subject and rule are attached.
pub(crate) struct Verdict {
    pub status: Status,
    pub reason: String,
    pub evidence: Evidence,
}

impl Verdict {
    pub fn new(status: Status, reason: impl Into<String>) -> Verdict {
        Verdict {
            status,
            reason: reason.into(),
            evidence: Evidence::default(),
        }
    }

    pub fn with(mut self, evidence: Evidence) -> Verdict {
        self.evidence = evidence;
        self
    }
}

pub fn evaluate(inv: &Inventory, rules: &RuleSet, waivers: &[Waiver]) -> Evaluation {
    // Scopes are evaluated in parallel a batch at a time and appended in order: the findings
    // of all scopes are never held twice (per scope and in the result), and growing the one
    // big vector moves pages rather than copying them.
    let batch = 16 * rayon::current_num_threads().max(1);
    let mut findings = Vec::new();
    let mut protections = Vec::with_capacity(inv.scopes.len());
    let mut decided = Vec::with_capacity(inv.scopes.len());
    for (b, scopes) in inv.scopes.chunks(batch).enumerate() {
        let per_scope: Vec<(Vec<Finding>, Vec<Protection>, Vec<story::Decided>)> = scopes
            .par_iter()
            .enumerate()
            .map(|(i, scope)| {
                let si = (b * batch + i) as u32;
                let prot = protect_scope(inv, scope);
                let mut out = Findings::default();
                for (ri, rule) in rules.rules.iter().enumerate() {
                    if rule
                        .scope
                        .includes_location(&scope.account_id, &scope.region)
                    {
                        evaluate_rule(inv, si, scope, &prot, ri as u32, rule, &mut out);
                    }
                }
                let told = story::decide_scope(inv, scope, &prot);
                (out.list, prot, told)
            })
            .collect();
        for (f, p, d) in per_scope {
            findings.extend(f);
            protections.push(p);
            decided.push(d);
        }
    }
    let waiver_hits = apply_waivers(inv, rules, waivers, &mut findings);
    Evaluation {
        findings,
        protections,
        decided,
        waiver_hits,
    }
}

/// The data files a check cannot do without; if one is unreadable, the whole scope is
/// NOT_ASSESSED for that rule.
fn required_files(check: &Check) -> &'static [DataFile] {
    use DataFile::*;
    match check {
        Check::RecoveryPointEncrypted
        | Check::RecoveryPointClean
        | Check::RecoveryPointRetention { .. } => &[RecoveryPoints],
        Check::VaultLock { .. } | Check::VaultEncryption | Check::VaultMpa => &[BackupVaults],
        Check::LockedVaultBackups { .. } => &[Resources, BackupVaults],
        Check::AirGappedRecoveryPoint { .. } => &[Resources, BackupVaults, RecoveryPoints],
        Check::VaultDeletionProtection => &[BackupVaults, BackupVaultPolicies],
        Check::BackupJobsSucceeded { .. } => &[Resources, BackupJobs],
        Check::CopyJobsSucceeded { .. } => &[Resources, BackupJobs, CopyJobs],
        // The organisation's answer, read outside any account-region.
        Check::OrgBackupPolicyValid => &[],
        Check::RestoreTested { .. } => &[
            Resources,
            RestoreTestingPlans,
            RestoreTestingSelections,
            RestoreJobs,
        ],
        _ => &[Resources],
    }
}

fn evaluate_rule(
    inv: &Inventory,
    si: u32,
    scope: &Scope,
    prot: &[Protection],
    ri: u32,
    rule: &Rule,
    out: &mut Findings,
) {
    let push = |out: &mut Findings, subject: Subject, mut v: Verdict| {
        let reason = out.strings.intern(v.reason);
        if let Some(vault) = v.evidence.vault.take() {
            v.evidence.vault = Some(out.strings.intern_arc(vault));
        }
        out.list.push(Finding {
            rule: ri,
            subject,
            status: v.status,
            reason,
            evidence: v.evidence,
            waiver: None,
        })
    };
    if let Some((file, err)) = required_files(&rule.check)
        .iter()
        .find_map(|f| scope.unavailable(*f).map(|e| (f, e)))
    {
        let reason = if scope.status == crate::snapshot::ScopeStatus::Failed {
            format!("{} could not be read: {err}", scope.label())
        } else {
            format!(
                "{} could not be read in {}: {err}",
                file.file_name(),
                scope.label()
            )
        };
        push(
            out,
            Subject::Scope { scope: si },
            Verdict::new(Status::NotAssessed, reason),
        );
        return;
    }
    match &rule.check {
        Check::RecoveryPointEncrypted
        | Check::RecoveryPointClean
        | Check::RecoveryPointRetention { .. } => {
            for (i, rp) in scope.recovery_points.iter().enumerate() {
                if let Some(v) = points::judge(rule, rp) {
                    push(
                        out,
                        Subject::RecoveryPoint {
                            scope: si,
                            index: i as u32,
                        },
                        v,
                    );
                }
            }
        }
        Check::VaultLock { .. }
        | Check::VaultEncryption
        | Check::VaultDeletionProtection
        | Check::VaultMpa => {
            for (i, vault) in scope.vaults.iter().enumerate() {
                let v = vaults::judge(inv, rule, vault);
                push(
                    out,
                    Subject::Vault {
                        scope: si,
                        index: i as u32,
                    },
                    v,
                );
            }
        }
        Check::OrgBackupPolicyValid => {
            push(out, Subject::Scope { scope: si }, org::judge(inv, scope));
        }
        _ => {
            for (types, err) in unlisted_types(rule, scope) {
                let reason = format!(
                    "{} could not be listed in {}: {err}",
                    types.join(", "),
                    scope.label()
                );
                push(
                    out,
                    Subject::Scope { scope: si },
                    Verdict::new(Status::NotAssessed, reason),
                );
            }
            for (i, res) in scope.resources.iter().enumerate() {
                if !rule.scope.includes_kind(res.kind)
                    || !rule.scope.includes_tags(|k| res.tag(k).map(str::to_owned))
                {
                    continue;
                }
                let ctx = ctx::Ctx {
                    inv,
                    scope,
                    prot,
                    index: i,
                    res,
                };
                let v = workload::judge(&ctx, rule);
                push(
                    out,
                    Subject::Resource {
                        scope: si,
                        index: i as u32,
                    },
                    v,
                );
            }
        }
    }
}

/// The scope's resource types that could not be listed and that `rule` would judge, with
/// why: those resources are unknown, so the rule is NOT_ASSESSED for them while every
/// other type is judged.
fn unlisted_types<'a>(rule: &Rule, scope: &'a Scope) -> Vec<(Vec<&'a str>, &'a str)> {
    scope
        .unlisted
        .iter()
        .filter_map(|u| {
            let types: Vec<&str> = u
                .types
                .iter()
                .map(String::as_str)
                .filter(|t| {
                    ResourceKind::from_config(t, None).is_some_and(|k| rule.scope.includes_kind(k))
                })
                .collect();
            (!types.is_empty()).then_some((types, u.error.as_str()))
        })
        .collect()
}

/// Turns FAILs covered by an unexpired waiver into WAIVED; never touches NOT_ASSESSED. When
/// several waivers match a finding, the first in the waiver file wins.
fn apply_waivers(
    inv: &Inventory,
    rules: &RuleSet,
    waivers: &[Waiver],
    findings: &mut [Finding],
) -> Vec<usize> {
    let index = WaiverIndex::new(waivers, rules, |w| !w.is_expired(inv.as_of));
    if index.is_empty() {
        return vec![0; waivers.len()];
    }
    let count = |mut hits: Vec<usize>, wi: u32| {
        hits[wi as usize] += 1;
        hits
    };
    findings
        .par_iter_mut()
        .with_min_len(1 << 12)
        .filter(|f| f.status == Status::Fail)
        .filter_map(|f| {
            let wi = index.first_match(f.rule, f.subject.arn(inv))?;
            waive(f, wi, &waivers[wi as usize]);
            Some(wi)
        })
        .fold(|| vec![0; waivers.len()], count)
        .reduce(
            || vec![0; waivers.len()],
            |mut a, b| {
                a.iter_mut().zip(b).for_each(|(x, y)| *x += y);
                a
            },
        )
}

fn waive(f: &mut Finding, wi: u32, w: &Waiver) {
    f.status = Status::Waived;
    f.waiver = Some(wi);
    let mut reason = format!("waived: {}", w.reason);
    if let Some(o) = &w.owner {
        reason.push_str(&format!(" (owner {o}"));
        match w.expires {
            Some(e) => reason.push_str(&format!(", until {})", e.format("%Y-%m-%d"))),
            None => reason.push(')'),
        }
    }
    reason.push_str(&format!("; finding was: {}", f.reason));
    f.reason = reason.into();
}

/// One scope's findings, with one copy of each reason and vault name: they repeat across
/// the scope's resources, and a million-resource run would otherwise hold millions of copies.
#[derive(Default)]
struct Findings {
    list: Vec<Finding>,
    strings: Interner,
}
