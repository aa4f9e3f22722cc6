//! The numbers of the coverage heat map (accounts × resource types); the template
//! `html/chart-coverage.svg.j2` draws them.

use crate::engine::{Evaluation, Judged};
use crate::model::resource::ResourceKind;
use crate::model::{Inventory, Tri};
use crate::snapshot::ScopeStatus;
use serde::Serialize;
use std::collections::BTreeMap;

/// Most accounts the heat map draws; beyond this it shows the least covered ones.
pub const HEATMAP_MAX_ACCOUNTS: usize = 30;

/// Protection coverage by account × resource type. Cluster members are left out: they are
/// judged through their cluster.
#[derive(Debug, Serialize)]
pub struct CoverageChart {
    /// The resource types any account holds (`ResourceKind::short_name`), in the order of
    /// `ResourceKind::ALL`: the columns, before the account total.
    pub columns: Vec<&'static str>,
    /// The accounts drawn, by id; or, past [`HEATMAP_MAX_ACCOUNTS`], the least covered
    /// first (accounts with nothing decided last).
    pub rows: Vec<AccountRow>,
    /// Every account added up (its `id` and `name` are empty).
    pub total: AccountRow,
    /// How many accounts there are, drawn or not.
    pub accounts: usize,
}

#[derive(Debug, Serialize)]
pub struct AccountRow {
    pub id: String,
    pub name: String,
    /// Regions of this account in the snapshot.
    pub regions: usize,
    /// Regions of this account that could not be read at all, with why.
    pub failed: Vec<FailedRegion>,
    /// Nothing of this account could be read: no resource, and a region failed.
    pub unread: bool,
    /// One per column.
    pub cells: Vec<Cell>,
    /// All types together.
    pub all: Cell,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FailedRegion {
    pub region: String,
    pub error: String,
}

/// Resources of one account (or all) and one type (or all).
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Cell {
    pub protected: usize,
    pub unprotected: usize,
    /// Whose protection could not be decided.
    pub unknown: usize,
    /// Protected and unprotected: what the fraction is of.
    pub decided: usize,
    pub total: usize,
    /// Protected / decided; none when nothing is decided.
    pub fraction: Option<f64>,
    /// The fraction in whole per cent, rounded down (99.6 % is not "100%").
    pub percent: Option<u64>,
}

/// What is counted per cell, before it is shown.
#[derive(Debug, Default, Clone, Copy)]
struct Counts {
    protected: usize,
    unprotected: usize,
    unknown: usize,
}

impl Counts {
    fn add(&mut self, o: Counts) {
        self.protected += o.protected;
        self.unprotected += o.unprotected;
        self.unknown += o.unknown;
    }

    fn fraction(self) -> Option<f64> {
        let decided = self.protected + self.unprotected;
        (decided > 0).then(|| self.protected as f64 / decided as f64)
    }

    fn cell(self) -> Cell {
        let fraction = self.fraction();
        Cell {
            protected: self.protected,
            unprotected: self.unprotected,
            unknown: self.unknown,
            decided: self.protected + self.unprotected,
            total: self.protected + self.unprotected + self.unknown,
            fraction,
            percent: fraction.map(|f| (f * 100.0).floor() as u64),
        }
    }
}

/// One account's tally.
#[derive(Default)]
struct Account {
    id: String,
    name: String,
    regions: usize,
    failed: Vec<FailedRegion>,
    cells: BTreeMap<ResourceKind, Counts>,
}

impl Account {
    fn all(&self) -> Counts {
        let mut t = Counts::default();
        for c in self.cells.values() {
            t.add(*c);
        }
        t
    }

    fn row(&self, columns: &[ResourceKind]) -> AccountRow {
        let all = self.all();
        AccountRow {
            id: self.id.clone(),
            name: self.name.clone(),
            regions: self.regions,
            failed: self.failed.clone(),
            unread: self.cells.is_empty() && !self.failed.is_empty(),
            cells: columns
                .iter()
                .map(|k| self.cells.get(k).copied().unwrap_or_default().cell())
                .collect(),
            all: all.cell(),
        }
    }
}

pub fn coverage(inv: &Inventory, eval: &Evaluation) -> CoverageChart {
    let mut tally = CoverageTally::default();
    tally.add(inv, &eval.judged());
    tally.chart()
}

/// Every account's resources by type and verdict, and its unreadable regions, counted
/// account-region by account-region (a streamed scan adds one batch at a time).
#[derive(Default)]
pub struct CoverageTally {
    accounts: BTreeMap<String, Account>,
}

impl CoverageTally {
    /// Counts the account-regions of `b` (held whole in `inv`).
    pub fn add(&mut self, inv: &Inventory, b: &Judged) {
        for si in b.scopes() {
            let scope = &inv.scopes[si];
            let row = (self.accounts)
                .entry(scope.account_id.clone())
                .or_insert_with(|| Account {
                    id: scope.account_id.clone(),
                    name: scope.account_name.clone().unwrap_or_default(),
                    ..Account::default()
                });
            row.regions += 1;
            if scope.status == ScopeStatus::Failed {
                row.failed.push(FailedRegion {
                    region: scope.region.clone(),
                    error: scope.error.clone().unwrap_or_default(),
                });
            }
            for (ri, r) in scope.resources.iter().enumerate() {
                if r.is_cluster_member() {
                    continue;
                }
                let cell = row.cells.entry(r.kind).or_default();
                match b.protection(si, ri).map(|p| p.verdict()) {
                    Some(Tri::Yes) => cell.protected += 1,
                    Some(Tri::No) => cell.unprotected += 1,
                    _ => cell.unknown += 1,
                }
            }
        }
    }

    /// The chart of everything counted.
    pub fn chart(&self) -> CoverageChart {
        let accounts = &self.accounts;
        let columns: Vec<ResourceKind> = ResourceKind::ALL
            .into_iter()
            .filter(|k| accounts.values().any(|a| a.cells.contains_key(k)))
            .collect();
        let mut org = Account::default();
        for a in accounts.values() {
            for (k, c) in &a.cells {
                org.cells.entry(*k).or_default().add(*c);
            }
        }
        let drawn = least_covered(accounts.values().collect(), HEATMAP_MAX_ACCOUNTS);
        CoverageChart {
            columns: columns.iter().map(|k| k.short_name()).collect(),
            rows: drawn.iter().map(|a| a.row(&columns)).collect(),
            total: org.row(&columns),
            accounts: accounts.len(),
        }
    }
}

/// All accounts when at most `max`, in the order given; else the `max` least covered, those
/// with nothing decided last, ties by id.
fn least_covered(mut rows: Vec<&Account>, max: usize) -> Vec<&Account> {
    if rows.len() > max {
        rows.sort_by(|a, b| {
            let fa = a.all().fraction().unwrap_or(2.0);
            let fb = b.all().fraction().unwrap_or(2.0);
            fa.total_cmp(&fb).then(a.id.cmp(&b.id))
        });
        rows.truncate(max);
    }
    rows
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_sample_adds_up_to_the_summary_coverage() {
        let (e, summary) = super::super::sample();
        let chart = coverage(&e.inventory, &e.evaluation);
        let all = chart.total.all;
        assert_eq!(all.protected, summary.coverage.protected);
        assert_eq!(all.unprotected, summary.coverage.unprotected);
        assert_eq!(all.unknown, summary.coverage.not_assessed);
        assert_eq!(all.decided, all.protected + all.unprotected);
        assert_eq!(all.percent, Some(63), "{all:?}");
        // Every account is drawn, in id order; the columns sum to each account's total.
        assert_eq!(chart.accounts, chart.rows.len());
        assert!(chart.rows.windows(2).all(|w| w[0].id < w[1].id));
        for row in &chart.rows {
            assert_eq!(row.cells.len(), chart.columns.len());
            let sum: usize = row.cells.iter().map(|c| c.total).sum();
            assert_eq!(sum, row.all.total, "{}", row.id);
        }
        assert!(chart.columns.contains(&"ebs-volume"));
        assert!(chart.columns.contains(&"eks-cluster"));
    }

    #[test]
    fn an_account_that_could_not_be_read_is_marked_with_why() {
        let e = crate::app::evaluate_sample();
        let chart = coverage(&e.inventory, &e.evaluation);
        let sandbox = chart.rows.iter().find(|r| r.id == "444444444444").unwrap();
        assert!(sandbox.unread);
        assert_eq!(sandbox.all.total, 0);
        assert_eq!(sandbox.all.fraction, None);
        assert_eq!(sandbox.failed.len(), 1);
        assert_eq!(sandbox.failed[0].region, "us-east-1");
        assert!(sandbox.failed[0].error.contains("AccessDenied"));
        // Staging lost one region's recovery points only: partly read, not unread.
        let staging = chart.rows.iter().find(|r| r.id == "222222222222").unwrap();
        assert!(!staging.unread && staging.failed.is_empty());
    }

    #[test]
    fn cells_count_fraction_and_floor_percent() {
        let c = Counts {
            protected: 2,
            unprotected: 1,
            unknown: 4,
        }
        .cell();
        assert_eq!((c.decided, c.total, c.percent), (3, 7, Some(66)));
        assert_eq!(c.fraction, Some(2.0 / 3.0));
        let none = Counts {
            unknown: 3,
            ..Counts::default()
        }
        .cell();
        assert_eq!((none.fraction, none.percent), (None, None));
    }

    #[test]
    fn past_the_limit_only_the_least_covered_are_drawn() {
        let account = |id: &str, protected, unprotected| {
            let mut a = Account {
                id: id.into(),
                ..Account::default()
            };
            let c = Counts {
                protected,
                unprotected,
                unknown: 0,
            };
            if protected + unprotected > 0 {
                a.cells.insert(ResourceKind::S3Bucket, c);
            }
            a
        };
        let all = [
            account("1", 9, 1),
            account("2", 0, 0),
            account("3", 1, 9),
            account("4", 5, 5),
            account("5", 1, 9),
        ];
        let ids = |rows: Vec<&Account>| rows.iter().map(|a| a.id.clone()).collect::<Vec<_>>();
        assert_eq!(
            ids(least_covered(all.iter().collect(), 5)),
            ["1", "2", "3", "4", "5"]
        );
        assert_eq!(
            ids(least_covered(all.iter().collect(), 4)),
            ["3", "5", "4", "1"]
        );
    }
}
