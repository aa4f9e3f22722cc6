//! The numbers of the failures chart (unwaived failures per rule, and per severity) and of
//! the trend placeholder; `html/chart-failures.svg.j2` and `html/chart-trend.svg.j2` draw
//! them.

use crate::findings::summary::Summary;
use crate::rules::RuleSet;
use serde::Serialize;
use std::collections::BTreeMap;

#[derive(Debug, Serialize)]
pub struct FailuresChart {
    /// Unwaived failures in all.
    pub total: usize,
    /// `(severity, unwaived failures)`, most severe first, only those with failures.
    pub severities: Vec<(&'static str, usize)>,
    /// Rules with unwaived failures: most severe first, then most failures, then by id.
    pub bars: Vec<RuleBar>,
    /// The longest bar's count (at least 1), which the bars are scaled to.
    pub max: usize,
}

#[derive(Debug, PartialEq, Serialize)]
pub struct RuleBar {
    pub id: String,
    pub title: String,
    pub severity: &'static str,
    pub failures: usize,
}

/// Unwaived failures per rule, with the rule's severity, and the severity totals.
pub fn failures(rules: &RuleSet, summary: &Summary) -> FailuresChart {
    let mut per_rule: BTreeMap<&str, usize> = BTreeMap::new();
    for c in summary.counts.iter().filter(|c| c.status == "FAIL") {
        *per_rule.entry(&c.rule_id).or_default() += c.count;
    }
    let mut bars: Vec<_> = per_rule
        .into_iter()
        .filter(|(_, n)| *n > 0)
        .filter_map(|(id, n)| rules.get(id).map(|r| (r, n)))
        .collect();
    bars.sort_by(|(a, na), (b, nb)| {
        (b.severity.cmp(&a.severity))
            .then(nb.cmp(na))
            .then(a.id.cmp(&b.id))
    });
    let bars: Vec<RuleBar> = bars
        .into_iter()
        .map(|(r, n)| RuleBar {
            id: r.id.clone(),
            title: r.title.clone(),
            severity: r.severity.as_str(),
            failures: n,
        })
        .collect();
    FailuresChart {
        total: summary.failures_by_severity.values().sum(),
        severities: (summary.failures_by_severity.iter().rev())
            .filter(|(_, n)| **n > 0)
            .map(|(s, n)| (s.as_str(), *n))
            .collect(),
        max: bars.iter().map(|b| b.failures).max().unwrap_or(0).max(1),
        bars,
    }
}

/// What the trend placeholder shows of this scan until scan history exists.
#[derive(Debug, Serialize)]
pub struct TrendChart {
    /// Coverage in per cent, as the summary has it.
    pub coverage: f64,
    /// Unwaived failures.
    pub failures: usize,
}

pub fn trend(summary: &Summary) -> TrendChart {
    TrendChart {
        coverage: summary.coverage.percent,
        failures: summary.failures_by_severity.values().sum(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_sample_failures_by_rule_and_severity() {
        let (e, summary) = super::super::sample();
        let chart = failures(&e.rules, &summary);
        let fails = summary.by_status.get("FAIL").copied().unwrap_or(0);
        assert!(fails > 0);
        assert_eq!(chart.total, fails);
        let by_severity: usize = chart.severities.iter().map(|(_, n)| n).sum();
        let by_rule: usize = chart.bars.iter().map(|b| b.failures).sum();
        assert_eq!((by_severity, by_rule), (fails, fails));
        // Most severe first, then the most failures.
        let rank = |s: &str| crate::rules::Severity::parse(s).unwrap();
        assert!(chart
            .severities
            .windows(2)
            .all(|w| rank(w[0].0) > rank(w[1].0)));
        assert!(chart.bars.windows(2).all(|w| {
            let (a, b) = (&w[0], &w[1]);
            rank(a.severity) > rank(b.severity)
                || (a.severity == b.severity && a.failures >= b.failures)
        }));
        assert_eq!(
            chart.max,
            chart.bars.iter().map(|b| b.failures).max().unwrap()
        );
        let membership = chart
            .bars
            .iter()
            .find(|b| b.id == "app-vault-membership")
            .unwrap();
        assert_eq!((membership.severity, membership.failures), ("medium", 35));
    }

    /// Rules that all pass: no bar, no severity, and a scale of one rather than zero.
    #[test]
    fn without_failures_there_is_nothing_to_draw() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        let rules = RuleSet::load(&[root.join("tests/fixtures/pass-rules.yaml")]).unwrap();
        let snapshot = crate::snapshot::Snapshot::load(&root.join("samples/org")).unwrap();
        let inv = crate::model::Inventory::build(snapshot, None).unwrap();
        let eval = crate::engine::evaluate(&inv, &rules, &[]);
        let chart = failures(&rules, &Summary::build(&inv, &rules, &eval, &[]));
        assert_eq!((chart.total, chart.max), (0, 1));
        assert!(chart.severities.is_empty() && chart.bars.is_empty());
    }

    #[test]
    fn trend_shows_this_scan() {
        let (e, summary) = super::super::sample();
        let t = trend(&summary);
        assert_eq!(t.coverage, summary.coverage.percent);
        assert_eq!(t.failures, failures(&e.rules, &summary).total);
    }
}
