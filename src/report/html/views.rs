//! The overview's numbers as the page template reads them: what was scanned, the headline
//! figures, the scopes not assessed and the rules table.

use super::island::SEVERITY_ORDER;
use crate::findings::summary::{CountRow, Summary};
use crate::findings::Status;
use crate::model::Inventory;
use crate::rules::{RuleSet, Severity};
use crate::snapshot::ScopeStatus;
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::Arc;

#[derive(Serialize)]
pub(super) struct Scanned {
    accounts: Vec<AccountView>,
    regions: Vec<String>,
    scopes: usize,
    resources: usize,
}

#[derive(Serialize)]
pub(super) struct AccountView {
    id: String,
    name: String,
    regions: Vec<(String, ScopeStatus)>,
}

/// The account-regions of `inv`, and how many resources they hold.
pub(super) fn scanned(inv: &Inventory, resources: usize) -> Scanned {
    let mut accounts: BTreeMap<&str, AccountView> = BTreeMap::new();
    let mut regions = BTreeSet::new();
    for s in &inv.scopes {
        regions.insert(s.region.clone());
        accounts
            .entry(&s.account_id)
            .or_insert_with(|| AccountView {
                id: s.account_id.clone(),
                name: s.account_name.clone().unwrap_or_default(),
                regions: Vec::new(),
            })
            .regions
            .push((s.region.clone(), s.status));
    }
    Scanned {
        accounts: accounts.into_values().collect(),
        regions: regions.into_iter().collect(),
        scopes: inv.scopes.len(),
        resources,
    }
}

#[derive(Serialize)]
pub(super) struct Kpi {
    fail: usize,
    /// `(severity, unwaived failures)`, most severe first, only those with failures.
    fail_by_severity: Vec<(&'static str, usize)>,
    fail_high: usize,
    not_assessed: usize,
    waived: usize,
    pass: usize,
    not_applicable: usize,
    findings: usize,
}

pub(super) fn kpi(s: &Summary) -> Kpi {
    let n = |st: Status| s.by_status.get(st.as_str()).copied().unwrap_or(0);
    Kpi {
        fail: n(Status::Fail),
        fail_by_severity: SEVERITY_ORDER
            .iter()
            .filter_map(|sev| {
                let n = s.failures_by_severity.get(sev).copied().unwrap_or(0);
                (n > 0).then_some((sev.as_str(), n))
            })
            .collect(),
        fail_high: s.failures_at_least(Severity::High),
        not_assessed: n(Status::NotAssessed),
        waived: n(Status::Waived),
        pass: n(Status::Pass),
        not_applicable: n(Status::NotApplicable),
        findings: s.findings,
    }
}

#[derive(Serialize)]
pub(super) struct NotAssessedView {
    account_id: String,
    account_name: Option<String>,
    region: String,
    status: ScopeStatus,
    reason: String,
    /// NOT_ASSESSED findings in this account-region.
    findings: usize,
}

/// The summary's count rows as the page reads them: findings per rule and status, and the
/// NOT_ASSESSED findings of each account-region. Added batch by batch: a streamed scan's
/// rows are written to summary.csv and dropped.
#[derive(Debug, Default)]
pub struct PageCounts {
    per_rule: HashMap<Arc<str>, BTreeMap<&'static str, usize>>,
    not_assessed: HashMap<(Arc<str>, Arc<str>), usize>,
}

impl PageCounts {
    pub fn of(rows: &[CountRow]) -> PageCounts {
        let mut counts = PageCounts::default();
        counts.add(rows);
        counts
    }

    pub fn add(&mut self, rows: &[CountRow]) {
        for c in rows {
            let rule = self.per_rule.entry(c.rule_id.clone()).or_default();
            *rule.entry(c.status).or_insert(0) += c.count;
            if c.status == Status::NotAssessed.as_str() {
                let place = (c.account_id.clone(), c.region.clone());
                *self.not_assessed.entry(place).or_insert(0) += c.count;
            }
        }
    }

    /// The findings of rule `id` by status.
    pub fn of_rule(&self, id: &str) -> Option<&BTreeMap<&'static str, usize>> {
        self.per_rule.get(id)
    }

    /// Every rule's findings by status, by rule id.
    pub fn rules(&self) -> impl Iterator<Item = (&str, &BTreeMap<&'static str, usize>)> {
        self.per_rule.iter().map(|(id, c)| (&**id, c))
    }
}

pub(super) fn not_assessed(s: &Summary, counts: &PageCounts) -> Vec<NotAssessedView> {
    s.not_assessed_scopes
        .iter()
        .map(|n| NotAssessedView {
            account_id: n.account_id.clone(),
            account_name: n.account_name.clone(),
            region: n.region.clone(),
            status: n.status,
            reason: n.reason.clone(),
            findings: (counts.not_assessed)
                .get(&(
                    Arc::from(n.account_id.as_str()),
                    Arc::from(n.region.as_str()),
                ))
                .copied()
                .unwrap_or(0),
        })
        .collect()
}

#[derive(Serialize)]
pub(super) struct RuleView<'a> {
    id: &'a str,
    title: &'a str,
    severity: &'static str,
    check: &'static str,
    what: &'a str,
    why: &'a str,
    remediation: &'a str,
    /// `(text, is_link)`: only http(s) references become links.
    references: Vec<(&'a str, bool)>,
    frameworks: Vec<(&'a str, String)>,
    scope: Vec<String>,
    source: &'a str,
    counts: BTreeMap<&'static str, usize>,
}

pub(super) fn rule_views<'a>(rules: &'a RuleSet, per_rule: &PageCounts) -> Vec<RuleView<'a>> {
    rules
        .rules
        .iter()
        .map(|r| {
            let mut counts: BTreeMap<&'static str, usize> =
                Status::ALL.iter().map(|s| (s.as_str(), 0)).collect();
            for (st, n) in per_rule.of_rule(&r.id).into_iter().flatten() {
                *counts.entry(st).or_insert(0) += n;
            }
            let mut scope = Vec::new();
            if !r.scope.resource_types.is_empty() {
                let t: Vec<&str> = r
                    .scope
                    .resource_types
                    .iter()
                    .map(|k| k.short_name())
                    .collect();
                scope.push(format!("resource types: {}", t.join(", ")));
            }
            if !r.scope.accounts.is_empty() {
                scope.push(format!("accounts: {}", r.scope.accounts.join(", ")));
            }
            if !r.scope.regions.is_empty() {
                scope.push(format!("regions: {}", r.scope.regions.join(", ")));
            }
            for (k, v) in &r.scope.tags {
                scope.push(format!("tag {k} = {v}"));
            }
            RuleView {
                id: &r.id,
                title: &r.title,
                severity: r.severity.as_str(),
                check: r.check.name(),
                what: &r.docs.what,
                why: &r.docs.why,
                remediation: &r.docs.remediation,
                references: r
                    .docs
                    .references
                    .iter()
                    .map(|u| {
                        let link = (u.starts_with("https://") || u.starts_with("http://"))
                            && !u.contains(char::is_whitespace);
                        (u.as_str(), link)
                    })
                    .collect(),
                frameworks: r
                    .frameworks
                    .iter()
                    .map(|(k, v)| (k.as_str(), v.join(", ")))
                    .collect(),
                scope,
                source: &r.source,
                counts,
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn not_assessed_counts_each_scopes_findings() {
        let e = crate::app::evaluate_sample();
        let summary = Summary::build(&e.inventory, &e.rules, &e.evaluation, &e.waivers);
        let views = not_assessed(&summary, &PageCounts::of(&summary.counts));
        assert!(views.iter().any(|v| v.findings > 0));
        for v in &views {
            let want: usize = summary
                .counts
                .iter()
                .filter(|c| {
                    c.status == "NOT_ASSESSED"
                        && *c.account_id == *v.account_id
                        && *c.region == *v.region
                })
                .map(|c| c.count)
                .sum();
            assert_eq!(v.findings, want, "{}/{}", v.account_id, v.region);
        }
    }
}
