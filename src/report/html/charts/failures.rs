//! The numbers of the failures chart (unwaived failures per rule, and per severity) and of
//! the trend (coverage and unwaived failures per scan); `html/chart-failures.svg.j2` and
//! `html/chart-trend.svg.j2` draw them.

use super::super::views::PageCounts;
use crate::findings::summary::Summary;
use crate::findings::Status;
use crate::history::record::ScanRecord;
use crate::rules::RuleSet;
use serde::Serialize;

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
pub fn failures(rules: &RuleSet, summary: &Summary, counts: &PageCounts) -> FailuresChart {
    let fail = Status::Fail.as_str();
    let per_rule = (counts.rules()).map(|(id, c)| (id, c.get(fail).copied().unwrap_or(0)));
    let mut bars: Vec<_> = per_rule
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

/// Scans a trend draws at most: the newest.
pub const TREND_MAX_SCANS: usize = 60;
/// Accounts a trend offers on their own at most (those with the most resources... in id order).
pub const TREND_MAX_ACCOUNTS: usize = 100;

/// Coverage and unwaived failures per scan, oldest first, and the coverage of each account.
#[derive(Debug, Serialize)]
pub struct TrendChart {
    pub points: Vec<TrendPoint>,
    /// Scans given before the newest [`TREND_MAX_SCANS`] were kept.
    pub dropped: usize,
    /// The most unwaived failures of any scan (at least 1), which that line is scaled to.
    pub max_failures: usize,
    /// Per account: its coverage per scan (`None` where nothing of it was decided).
    pub accounts: Vec<AccountTrend>,
}

#[derive(Debug, Serialize)]
pub struct TrendPoint {
    pub scan_id: String,
    /// The day the scan judged as of (`2026-11-27`).
    pub day: String,
    pub coverage: f64,
    pub failures: usize,
}

#[derive(Debug, Serialize)]
pub struct AccountTrend {
    pub account_id: String,
    pub coverage: Vec<Option<f64>>,
}

/// The trend of `scans` (oldest first; the last is this scan).
pub fn trend(scans: &[ScanRecord]) -> TrendChart {
    let dropped = scans.len().saturating_sub(TREND_MAX_SCANS);
    let scans = &scans[dropped..];
    let points: Vec<TrendPoint> = scans
        .iter()
        .map(|s| TrendPoint {
            scan_id: s.scan_id.clone(),
            day: s.as_of.chars().take(10).collect(),
            coverage: s.coverage.percent,
            failures: s.failures_by_severity.values().sum(),
        })
        .collect();
    let ids: std::collections::BTreeSet<&String> = scans
        .iter()
        .flat_map(|s| s.coverage_by_account.keys())
        .collect();
    let accounts = ids
        .into_iter()
        .take(TREND_MAX_ACCOUNTS)
        .map(|id| AccountTrend {
            account_id: id.clone(),
            coverage: scans
                .iter()
                .map(|s| {
                    let c = s.coverage_by_account.get(id)?;
                    (c.protected + c.unprotected > 0).then_some(c.percent)
                })
                .collect(),
        })
        .collect();
    TrendChart {
        max_failures: points.iter().map(|p| p.failures).max().unwrap_or(0).max(1),
        points,
        dropped,
        accounts,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    #[test]
    fn the_sample_failures_by_rule_and_severity() {
        let (e, summary) = super::super::sample();
        let chart = failures(&e.rules, &summary, &PageCounts::of(&summary.counts));
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
        assert_eq!((membership.severity, membership.failures), ("medium", 36));
    }

    /// Rules that all pass: no bar, no severity, and a scale of one rather than zero.
    #[test]
    fn without_failures_there_is_nothing_to_draw() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        let rules = RuleSet::load(&[root.join("tests/fixtures/pass-rules.yaml")]).unwrap();
        let snapshot = crate::snapshot::Snapshot::load(&root.join("samples/org")).unwrap();
        let inv = crate::model::Inventory::build(snapshot, None).unwrap();
        let eval = crate::engine::evaluate(&inv, &rules, &[]);
        let summary = Summary::build(&inv, &rules, &eval, &[]);
        let chart = failures(&rules, &summary, &PageCounts::of(&summary.counts));
        assert_eq!((chart.total, chart.max), (0, 1));
        assert!(chart.severities.is_empty() && chart.bars.is_empty());
    }

    #[test]
    fn the_trend_has_a_point_per_scan_and_an_account_s_undecided_scans_are_gaps() {
        use crate::history::record::CoverageRecord;
        let scan = |id: &str, pct: f64, fails: usize, b: Option<CoverageRecord>| {
            let mut by_account = BTreeMap::new();
            by_account.insert(
                "111111111111".to_string(),
                CoverageRecord {
                    protected: 1,
                    unprotected: 1,
                    not_assessed: 0,
                    percent: 50.0,
                },
            );
            if let Some(b) = b {
                by_account.insert("222222222222".to_string(), b);
            }
            ScanRecord {
                scan_id: id.into(),
                as_of: "2026-11-27T05:00:00Z".into(),
                coverage: CoverageRecord {
                    percent: pct,
                    ..Default::default()
                },
                failures_by_severity: [("high".to_string(), fails)].into_iter().collect(),
                coverage_by_account: by_account,
                ..serde_json::from_value(serde_json::json!({
                    "format": "", "scan_id": "", "scan_time": "", "run_id": "",
                    "tool_version": "", "snapshot": "", "snapshot_collected_at": "",
                    "as_of": "", "rules_digest": "", "rule_digests": {}, "waivers_digest": "",
                    "scopes": [], "by_status": {}, "failures_by_severity": {},
                    "coverage": {"protected": 0, "unprotected": 0, "not_assessed": 0, "percent": 0.0},
                    "coverage_by_account": {}, "findings_path": "", "findings_rows": 0
                }))
                .unwrap()
            }
        };
        let unread = CoverageRecord::default();
        let t = trend(&[scan("a", 60.0, 10, Some(unread)), scan("b", 70.0, 4, None)]);
        let points: Vec<(&str, &str, f64, usize)> = t
            .points
            .iter()
            .map(|p| (p.scan_id.as_str(), p.day.as_str(), p.coverage, p.failures))
            .collect();
        assert_eq!(
            points,
            [("a", "2026-11-27", 60.0, 10), ("b", "2026-11-27", 70.0, 4)]
        );
        assert_eq!(t.max_failures, 10);
        assert_eq!(t.accounts[0].coverage, [Some(50.0), Some(50.0)]);
        // Unread then (nothing decided), absent now: never drawn as 0 %.
        assert_eq!(t.accounts[1].coverage, [None, None]);
        let one = trend(&[scan("a", 1.0, 0, None)]);
        assert_eq!((one.points.len(), one.max_failures, one.dropped), (1, 1, 0));
    }
}
