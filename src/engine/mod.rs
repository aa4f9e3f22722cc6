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
use crate::snapshot::time::Timestamp;
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

/// Consecutive account-regions judged together: per scope, in order, its findings (waivers
/// applied), protections and stories; and how many findings each waiver waived among them.
pub struct Batch {
    /// The index of the batch's first scope.
    pub first: usize,
    pub findings: Vec<Vec<Finding>>,
    pub protections: Vec<Vec<Protection>>,
    /// Empty per scope unless [`Batching::stories`].
    pub decided: Vec<Vec<story::Decided>>,
    pub waiver_hits: Vec<usize>,
}

/// Consecutive account-regions as judged, for the outputs to read: `scopes`, their findings
/// in order, and per scope (from the first) its resources' protections and stories'
/// decisions. A streamed scan hands its writers one batch at a time; a whole evaluation is
/// one batch of every scope.
#[derive(Clone, Copy)]
pub struct Judged<'a> {
    pub first: usize,
    pub findings: &'a [Finding],
    pub protections: &'a [Vec<Protection>],
    pub decided: &'a [Vec<story::Decided>],
}

impl<'a> Judged<'a> {
    /// The account-regions judged: one per list of protections.
    pub fn scopes(&self) -> std::ops::Range<usize> {
        self.first..self.first + self.protections.len()
    }

    /// The protection of resource `ri` of scope `si` (an index of the inventory), if judged.
    pub fn protection(&self, si: usize, ri: usize) -> Option<&'a Protection> {
        self.protections.get(si.checked_sub(self.first)?)?.get(ri)
    }

    /// The protection and story decisions of resource `ri` of scope `si`, when the batch was
    /// judged with stories.
    pub fn story_of(&self, si: usize, ri: usize) -> Option<(&'a Protection, &'a story::Decided)> {
        let at = si.checked_sub(self.first)?;
        Some((self.protection(si, ri)?, self.decided.get(at)?.get(ri)?))
    }
}

impl Batch {
    /// This batch as judged, its findings (of every scope, in order) being `findings`.
    pub fn judged<'a>(&'a self, findings: &'a [Finding]) -> Judged<'a> {
        Judged {
            first: self.first,
            findings,
            protections: &self.protections,
            decided: &self.decided,
        }
    }
}

impl Evaluation {
    /// Every scope of the evaluation, as one batch.
    pub fn judged(&self) -> Judged<'_> {
        Judged {
            first: 0,
            findings: &self.findings,
            protections: &self.protections,
            decided: &self.decided,
        }
    }
}

/// Every scope judged, the findings of all scopes in one list.
pub fn evaluate(inv: &Inventory, rules: &RuleSet, waivers: &[Waiver]) -> Evaluation {
    let mut all = Evaluation {
        findings: Vec::new(),
        protections: Vec::with_capacity(inv.scopes.len()),
        decided: Vec::with_capacity(inv.scopes.len()),
        waiver_hits: vec![0; waivers.len()],
    };
    // Growing the one big vector moves pages rather than copying them; a batch's findings are
    // never held twice for longer than their copy into it.
    let appended = evaluate_batches(inv, rules, waivers, Batching::KEPT, |b| {
        for f in b.findings {
            all.findings.extend(f);
        }
        all.protections.extend(b.protections);
        all.decided.extend(b.decided);
        add_hits(&mut all.waiver_hits, &b.waiver_hits);
        Ok::<(), std::convert::Infallible>(())
    });
    match appended {
        Ok(()) => all,
        Err(never) => match never {},
    }
}

/// How scopes are batched: how many per worker thread, and whether a batch carries each
/// resource's [`story`] (`explain`, the HTML and JSON reports read them; CSV does not).
#[derive(Debug, Clone, Copy)]
pub struct Batching {
    pub scopes_per_thread: usize,
    pub stories: bool,
}

impl Batching {
    /// For a caller that keeps every batch: small batches, so that no batch is held twice for
    /// long while it is appended.
    pub const KEPT: Batching = Batching {
        scopes_per_thread: 16,
        stories: true,
    };
    /// For a caller that writes each batch and drops it: larger batches (a few hundred
    /// thousand findings at most), each written while the next is judged.
    pub const WRITTEN: Batching = Batching {
        scopes_per_thread: 64,
        stories: false,
    };

    /// How many scopes a batch holds on this machine.
    pub fn scopes(self) -> usize {
        self.scopes_per_thread * rayon::current_num_threads().max(1)
    }
}

/// Judges the scopes a batch at a time (the scopes of a batch in parallel) and hands each
/// batch to `take`, in scope order; stops at the first error `take` returns. A caller that
/// writes each batch and drops it never holds the organisation's findings.
pub fn evaluate_batches<E>(
    inv: &Inventory,
    rules: &RuleSet,
    waivers: &[Waiver],
    how: Batching,
    mut take: impl FnMut(Batch) -> Result<(), E>,
) -> Result<(), E> {
    let judge = Judge::new(rules, waivers, inv.as_of, how);
    let batch = how.scopes();
    for first in (0..inv.scopes.len()).step_by(batch) {
        let end = (first + batch).min(inv.scopes.len());
        take(judge.batch(inv, first..end))?;
    }
    Ok(())
}

/// Judges batches of scopes with one rule set and waivers.
pub struct Judge<'a> {
    rules: &'a RuleSet,
    waivers: &'a [Waiver],
    index: WaiverIndex<'a>,
    how: Batching,
}

impl<'a> Judge<'a> {
    /// Waivers expired at `as_of` waive nothing.
    pub fn new(rules: &'a RuleSet, waivers: &'a [Waiver], as_of: Timestamp, how: Batching) -> Self {
        let index = WaiverIndex::new(waivers, rules, |w| !w.is_expired(as_of));
        Judge {
            rules,
            waivers,
            index,
            how,
        }
    }

    /// Scopes `scopes` of `inv` judged (in parallel), in order.
    pub fn batch(&self, inv: &Inventory, scopes: std::ops::Range<usize>) -> Batch {
        let (rules, waivers, how) = (self.rules, self.waivers, self.how);
        let first = scopes.start;
        let judged: Vec<_> = inv.scopes[scopes]
            .par_iter()
            .enumerate()
            .map(|(i, scope)| {
                let si = (first + i) as u32;
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
                let mut list = out.list;
                let hits = apply_waivers(inv, waivers, &self.index, &mut list);
                let told = match how.stories {
                    true => story::decide_scope(inv, scope, &prot),
                    false => Vec::new(),
                };
                (list, prot, told, hits)
            })
            .collect();
        let mut batch = Batch {
            first,
            findings: Vec::with_capacity(judged.len()),
            protections: Vec::with_capacity(judged.len()),
            decided: Vec::with_capacity(judged.len()),
            waiver_hits: vec![0; waivers.len()],
        };
        for (list, prot, told, hits) in judged {
            batch.findings.push(list);
            batch.protections.push(prot);
            batch.decided.push(told);
            add_hits(&mut batch.waiver_hits, &hits);
        }
        batch
    }
}

/// Adds a batch's waiver hits to `total`.
pub fn add_hits(total: &mut [usize], hits: &[usize]) {
    total.iter_mut().zip(hits).for_each(|(t, h)| *t += h);
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
/// several waivers match a finding, the first in the waiver file wins. How many each waiver
/// waived.
fn apply_waivers(
    inv: &Inventory,
    waivers: &[Waiver],
    index: &WaiverIndex,
    findings: &mut [Finding],
) -> Vec<usize> {
    let mut hits = vec![0; waivers.len()];
    if index.is_empty() {
        return hits;
    }
    for f in findings.iter_mut().filter(|f| f.status == Status::Fail) {
        if let Some(wi) = index.first_match(f.rule, f.subject.arn(inv)) {
            waive(f, wi, &waivers[wi as usize]);
            hits[wi as usize] += 1;
        }
    }
    hits
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
