//! A summary gathered batch by batch: a scan that writes each batch of findings and drops it
//! still ends with the summary of them all. [`Summary::build`] is one batch of everything.

use super::accounts_coverage;
use super::{
    count_rows, not_assessed_scopes, parts, schedule_warnings, subject_type, Coverage, FxHasher,
    IdleRule, Judged, Summary, Totals,
};
use crate::findings::{Finding, Status, Subject};
use crate::model::protection::Protection;
use crate::model::Inventory;
use crate::rules::waiver::Waiver;
use crate::rules::{RuleSet, SubjectKind};
use rayon::prelude::*;
use std::collections::{BTreeMap, HashMap};
use std::hash::BuildHasherDefault;
use std::sync::atomic::{AtomicU64, Ordering};

/// (scope, subject type, rule, status): a row of summary.csv.
pub(super) type GroupKey = (u32, u8, u32, Status);
pub(super) type Groups = HashMap<GroupKey, usize, BuildHasherDefault<FxHasher>>;

/// The counts a summary is made of.
struct Tally {
    /// Indexed like `Status::ALL`.
    by_status: [usize; Status::ALL.len()],
    /// Unwaived FAIL findings per rule.
    failures_by_rule: Vec<usize>,
    /// Findings of any status per rule.
    findings_by_rule: Vec<usize>,
    groups: Groups,
}

impl Tally {
    fn empty(rules: usize) -> Tally {
        Tally {
            by_status: [0; Status::ALL.len()],
            failures_by_rule: vec![0; rules],
            findings_by_rule: vec![0; rules],
            groups: HashMap::default(),
        }
    }

    /// `findings` counted in one parallel pass.
    fn of(inv: &Inventory, rules: usize, findings: &[Finding]) -> Tally {
        findings
            .par_chunks(1 << 16)
            .map(|chunk| {
                let mut t = Tally::empty(rules);
                for f in chunk {
                    let si = Status::ALL.iter().position(|s| *s == f.status).unwrap_or(0);
                    t.by_status[si] += 1;
                    t.findings_by_rule[f.rule as usize] += 1;
                    if f.status == Status::Fail {
                        t.failures_by_rule[f.rule as usize] += 1;
                    }
                    let key = (f.subject.scope(), subject_type(inv, f), f.rule, f.status);
                    *t.groups.entry(key).or_insert(0) += 1;
                }
                t
            })
            .reduce(|| Tally::empty(rules), Tally::add)
    }

    fn add(mut self, other: Tally) -> Tally {
        let sum = |a: &mut [usize], b: &[usize]| a.iter_mut().zip(b).for_each(|(x, y)| *x += y);
        sum(&mut self.by_status, &other.by_status);
        sum(&mut self.failures_by_rule, &other.failures_by_rule);
        sum(&mut self.findings_by_rule, &other.findings_by_rule);
        let (mut big, small) = if self.groups.len() >= other.groups.len() {
            (self.groups, other.groups)
        } else {
            (other.groups, self.groups)
        };
        for (k, n) in small {
            *big.entry(k).or_insert(0) += n;
        }
        self.groups = big;
        self
    }
}

/// A bit per subject of a batch of scopes (each scope's resources, then its vaults, then its
/// recovery points), set for each with a PASS, FAIL or WAIVED finding: a subject has a
/// finding per rule that judges it, and is counted once.
struct JudgedBits {
    /// The batch's first scope.
    first: usize,
    starts: Vec<usize>,
    bits: Vec<AtomicU64>,
}

impl JudgedBits {
    fn new(inv: &Inventory, scopes: std::ops::Range<usize>) -> JudgedBits {
        let first = scopes.start;
        let mut starts = Vec::with_capacity(scopes.len());
        let mut total = 0;
        for s in &inv.scopes[scopes] {
            starts.push(total);
            total += s.resources.len() + s.vaults.len() + s.recovery_points.len();
        }
        let bits = (0..total.div_ceil(64)).map(|_| AtomicU64::new(0)).collect();
        JudgedBits {
            first,
            starts,
            bits,
        }
    }

    fn mark(&self, inv: &Inventory, findings: &[Finding]) {
        let bit_of = |subject: Subject| -> Option<usize> {
            let (scope, skip, index) = match subject {
                Subject::Resource { scope, index } => (scope, 0, index),
                Subject::Vault { scope, index } => {
                    (scope, inv.scopes[scope as usize].resources.len(), index)
                }
                Subject::RecoveryPoint { scope, index } => {
                    let s = &inv.scopes[scope as usize];
                    (scope, s.resources.len() + s.vaults.len(), index)
                }
                Subject::Scope { .. } => return None,
            };
            Some(self.starts[scope as usize - self.first] + skip + index as usize)
        };
        findings
            .par_iter()
            .with_min_len(1 << 14)
            .filter(|f| matches!(f.status, Status::Pass | Status::Fail | Status::Waived))
            .filter_map(|f| bit_of(f.subject))
            .for_each(|b| {
                self.bits[b / 64].fetch_or(1 << (b % 64), Ordering::Relaxed);
            });
    }

    fn count(&self, inv: &Inventory) -> Judged {
        let bits = &self.bits;
        let set = |from: usize, n: usize| {
            (from..from + n)
                .filter(|b| bits[b / 64].load(Ordering::Relaxed) & (1 << (b % 64)) != 0)
                .count()
        };
        let mut judged = Judged::default();
        let scopes = &inv.scopes[self.first..self.first + self.starts.len()];
        for (s, &start) in scopes.iter().zip(&self.starts) {
            let (r, v) = (s.resources.len(), s.vaults.len());
            judged.resources += set(start, r);
            judged.vaults += set(start + r, v);
            judged.recovery_points += set(start + r + v, s.recovery_points.len());
        }
        judged
    }
}

/// The summary so far of the findings of consecutive batches of scopes.
pub struct Running {
    tally: Tally,
    judged: Judged,
    coverage: Coverage,
    /// Per account id: an account's account-regions may fall in several batches.
    by_account: BTreeMap<String, Coverage>,
    findings: usize,
    resources: usize,
    /// Counted as each batch comes: a streamed scan's scopes keep no plans after it.
    schedule_warnings: Vec<super::ScheduleWarning>,
}

impl Running {
    pub fn new(rules: &RuleSet) -> Running {
        Running {
            tally: Tally::empty(rules.rules.len()),
            judged: Judged::default(),
            coverage: Coverage::default(),
            by_account: BTreeMap::new(),
            findings: 0,
            resources: 0,
            schedule_warnings: Vec::new(),
        }
    }

    /// Counts the findings of the scopes from `first` on, whose protections are `protections`
    /// (one list per scope).
    pub fn add(
        &mut self,
        inv: &Inventory,
        first: usize,
        findings: &[Finding],
        protections: &[Vec<Protection>],
    ) {
        let rules = self.tally.findings_by_rule.len();
        let batch = first..first + protections.len();
        let bits = JudgedBits::new(inv, batch.clone());
        let (tally, ()) = rayon::join(
            || Tally::of(inv, rules, findings),
            || bits.mark(inv, findings),
        );
        self.tally = std::mem::replace(&mut self.tally, Tally::empty(0)).add(tally);
        let judged = bits.count(inv);
        self.judged.resources += judged.resources;
        self.judged.vaults += judged.vaults;
        self.judged.recovery_points += judged.recovery_points;
        let scopes = inv.scopes[batch].iter();
        self.resources += scopes.clone().map(|s| s.resources.len()).sum::<usize>();
        schedule_warnings(scopes.clone(), &mut self.schedule_warnings);
        for (account, c) in accounts_coverage(scopes.zip(protections)) {
            self.coverage = self.coverage.plus(&c);
            let mine = self.by_account.entry(account).or_default();
            *mine = mine.plus(&c);
        }
        self.findings += findings.len();
    }

    /// Coverage per account id of every batch added so far.
    pub fn coverage_by_account(&self) -> &BTreeMap<String, Coverage> {
        &self.by_account
    }

    /// The rows of summary.csv of the batches added since the last call (each account-region
    /// is in one batch, so its rows are complete), in summary.csv's order; they are no longer
    /// part of what `finish` returns.
    pub fn take_rows(&mut self, inv: &Inventory, rules: &RuleSet) -> Vec<super::CountRow> {
        count_rows(inv, rules, std::mem::take(&mut self.tally.groups))
    }

    /// The summary of every batch added, and the unwaived FAIL findings of each rule.
    pub fn finish(
        self,
        inv: &Inventory,
        rules: &RuleSet,
        waivers: &[Waiver],
        waiver_hits: &[usize],
    ) -> (Summary, Vec<usize>) {
        let Running {
            tally,
            judged,
            coverage,
            by_account: _,
            findings,
            resources,
            schedule_warnings,
        } = self;
        let mut by_status = BTreeMap::new();
        for (status, n) in Status::ALL.iter().zip(tally.by_status) {
            if n > 0 {
                by_status.insert(status.as_str(), n);
            }
        }
        let mut failures_by_severity = BTreeMap::new();
        for (rule, n) in rules.rules.iter().zip(&tally.failures_by_rule) {
            if *n > 0 {
                *failures_by_severity.entry(rule.severity).or_insert(0) += n;
            }
        }
        let counts = count_rows(inv, rules, tally.groups);
        let (waivers_active, waivers_expired, waivers_unused) =
            parts::split_waivers(parts::waiver_notes(waivers, waiver_hits, inv.as_of));
        let rules_matching_nothing = (rules.rules.iter())
            .zip(&tally.findings_by_rule)
            .filter(|(_, n)| **n == 0)
            .map(|(r, _)| IdleRule {
                id: r.id.clone(),
                source: r.source.clone(),
            })
            .collect();
        let totals = Totals {
            scopes: inv.scopes.len(),
            resources,
            findings,
            by_status,
            failures_by_severity,
            coverage,
            not_assessed_scopes: not_assessed_scopes(inv),
            not_judged: crate::findings::not_judged::NotJudgedSummary::build(inv),
            rules: rules.rules.len(),
            resource_rules: (rules.rules.iter())
                .filter(|r| r.check.subject() == SubjectKind::Resource)
                .count(),
            judged,
            rules_matching_nothing,
            schedule_warnings,
            waivers_active,
            waivers_expired,
            waivers_unused,
        };
        (Summary { totals, counts }, tally.failures_by_rule)
    }
}
