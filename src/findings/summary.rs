//! The summary every renderer and the exit policy read: counts, coverage, what could not be
//! assessed, and the state of the waivers.

use super::{Finding, Status, Subject};
use crate::engine::Evaluation;
use crate::model::{Inventory, Tri};
use crate::rules::waiver::Waiver;
use crate::rules::{RuleSet, Severity};
use crate::snapshot::ScopeStatus;
use serde::Serialize;
use std::collections::{BTreeMap, HashMap};

#[derive(Debug, Clone, Serialize)]
pub struct Coverage {
    pub protected: usize,
    pub unprotected: usize,
    pub not_assessed: usize,
    /// Cluster members, judged through their cluster.
    pub through_cluster: usize,
    /// Protected share of the resources whose protection could be decided.
    pub percent: f64,
}

#[derive(Debug, Clone, Serialize)]
pub struct NotAssessedScope {
    pub account_id: String,
    pub account_name: Option<String>,
    pub region: String,
    pub status: ScopeStatus,
    pub reason: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct WaiverNote {
    pub source: String,
    pub rule: String,
    pub resource: String,
    pub reason: String,
    pub owner: Option<String>,
    pub expires: Option<String>,
    pub hits: usize,
}

#[derive(Debug, Clone, Serialize)]
pub struct CountRow {
    pub account_id: String,
    pub account_name: String,
    pub region: String,
    pub resource_type: String,
    pub rule_id: String,
    pub status: &'static str,
    pub count: usize,
}

#[derive(Debug, Clone, Serialize)]
pub struct Summary {
    pub scopes: usize,
    pub resources: usize,
    pub findings: usize,
    pub by_status: BTreeMap<&'static str, usize>,
    /// Unwaived FAIL findings per severity.
    pub failures_by_severity: BTreeMap<Severity, usize>,
    pub coverage: Coverage,
    pub not_assessed_scopes: Vec<NotAssessedScope>,
    pub waivers_active: Vec<WaiverNote>,
    pub waivers_expired: Vec<WaiverNote>,
    pub waivers_unused: Vec<WaiverNote>,
    pub counts: Vec<CountRow>,
}

impl Summary {
    pub fn build(
        inv: &Inventory,
        rules: &RuleSet,
        eval: &Evaluation,
        waivers: &[Waiver],
    ) -> Summary {
        let mut by_status = BTreeMap::new();
        let mut failures_by_severity = BTreeMap::new();
        let mut groups: HashMap<(u32, &str, u32, Status), usize> = HashMap::new();
        for f in &eval.findings {
            *by_status.entry(f.status.as_str()).or_insert(0) += 1;
            if f.status == Status::Fail {
                *failures_by_severity
                    .entry(rules.rules[f.rule as usize].severity)
                    .or_insert(0) += 1;
            }
            *groups
                .entry((f.subject.scope(), subject_type(inv, f), f.rule, f.status))
                .or_insert(0) += 1;
        }
        let mut counts: Vec<CountRow> = groups
            .into_iter()
            .map(|((si, rtype, ri, status), count)| {
                let s = &inv.scopes[si as usize];
                CountRow {
                    account_id: s.account_id.clone(),
                    account_name: s.account_name.clone().unwrap_or_default(),
                    region: s.region.clone(),
                    resource_type: rtype.to_owned(),
                    rule_id: rules.rules[ri as usize].id.clone(),
                    status: status.as_str(),
                    count,
                }
            })
            .collect();
        counts.sort_by(|a, b| {
            (
                &a.account_id,
                &a.region,
                &a.resource_type,
                &a.rule_id,
                a.status,
            )
                .cmp(&(
                    &b.account_id,
                    &b.region,
                    &b.resource_type,
                    &b.rule_id,
                    b.status,
                ))
        });

        let (mut waivers_active, mut waivers_expired, mut waivers_unused) =
            (Vec::new(), Vec::new(), Vec::new());
        for (i, w) in waivers.iter().enumerate() {
            let note = WaiverNote {
                source: w.source.clone(),
                rule: w.rule.clone(),
                resource: w.resource.clone(),
                reason: w.reason.clone(),
                owner: w.owner.clone(),
                expires: w.expires.map(|e| e.format("%Y-%m-%d").to_string()),
                hits: eval.waiver_hits[i],
            };
            if w.is_expired(inv.as_of) {
                waivers_expired.push(note);
            } else if eval.waiver_hits[i] == 0 {
                waivers_unused.push(note);
            } else {
                waivers_active.push(note);
            }
        }

        Summary {
            scopes: inv.scopes.len(),
            resources: inv.resource_count(),
            findings: eval.findings.len(),
            by_status,
            failures_by_severity,
            coverage: coverage(inv, eval),
            not_assessed_scopes: not_assessed_scopes(inv),
            waivers_active,
            waivers_expired,
            waivers_unused,
            counts,
        }
    }

    /// Unwaived failures at or above `min`.
    pub fn failures_at_least(&self, min: Severity) -> usize {
        self.failures_by_severity.range(min..).map(|(_, n)| n).sum()
    }

    pub fn not_assessed(&self) -> usize {
        self.by_status
            .get(Status::NotAssessed.as_str())
            .copied()
            .unwrap_or(0)
    }
}

fn subject_type<'a>(inv: &'a Inventory, f: &Finding) -> &'a str {
    match f.subject {
        Subject::Resource { scope, index } => inv.scopes[scope as usize].resources[index as usize]
            .kind
            .short_name(),
        Subject::RecoveryPoint { .. } => "recovery-point",
        Subject::Vault { .. } => "backup-vault",
        Subject::Scope { .. } => "scope",
    }
}

fn coverage(inv: &Inventory, eval: &Evaluation) -> Coverage {
    let (mut yes, mut no, mut unknown, mut members) = (0, 0, 0, 0);
    for (scope, prots) in inv.scopes.iter().zip(&eval.protections) {
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
        percent: if decided == 0 {
            0.0
        } else {
            (yes as f64 * 1000.0 / decided as f64).round() / 10.0
        },
    }
}

fn not_assessed_scopes(inv: &Inventory) -> Vec<NotAssessedScope> {
    inv.scopes
        .iter()
        .filter(|s| s.status != ScopeStatus::Complete || !s.unavailable.is_empty())
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
                    .collect::<Vec<_>>()
                    .join("; "),
            },
        })
        .collect()
}
