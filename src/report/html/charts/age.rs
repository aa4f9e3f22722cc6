//! The numbers of the recovery-point age histogram; `html/chart-age.svg.j2` draws them (and
//! labels the buckets, in the order of [`AGE_BUCKET_HOURS`]).

use crate::engine::{Evaluation, Judged};
use crate::model::Inventory;
use crate::snapshot::DataFile;
use serde::Serialize;

/// Upper bounds, in hours, of the histogram's buckets for the age of the newest good
/// recovery point: ≤ 24 h, 1–2 days, 2–7 days, 7–30 days, 30–90 days, older.
pub const AGE_BUCKET_HOURS: [i64; 6] = [24, 48, 7 * 24, 30 * 24, 90 * 24, i64::MAX];

#[derive(Debug, Serialize)]
pub struct AgeChart {
    /// Resources per bar, in the order the template labels them: one per
    /// [`AGE_BUCKET_HOURS`] bucket, then those with no good recovery point, then those
    /// whose recovery points could not be read.
    pub bars: Vec<usize>,
    /// All the bars together.
    pub total: usize,
    /// The highest bar (at least 1), which the bars are scaled to.
    pub max: usize,
    /// When the ages are measured (the judgement time), as the chart prints it.
    pub as_of: String,
}

pub fn age(inv: &Inventory, eval: &Evaluation) -> AgeChart {
    let mut counts = AgeCounts::default();
    counts.add(inv, &eval.judged());
    counts.chart(inv)
}

/// The ages, in buckets, of the newest COMPLETED/AVAILABLE recovery point of every resource
/// (its own, or of the instance that carries it), as of the judgement time. Continuous
/// backup counts as current. Resources whose recovery points could not be read are counted
/// apart, never as "none". Returns the buckets, the resources with no good point, and those
/// whose points are unknown.
pub fn recovery_point_age_counts(inv: &Inventory, eval: &Evaluation) -> (Vec<usize>, usize, usize) {
    let mut counts = AgeCounts::default();
    counts.add(inv, &eval.judged());
    (counts.buckets, counts.none, counts.unknown)
}

/// The histogram's counts, added account-region by account-region (a streamed scan adds one
/// batch at a time).
#[derive(Debug, Clone)]
pub struct AgeCounts {
    buckets: Vec<usize>,
    none: usize,
    unknown: usize,
}

impl Default for AgeCounts {
    fn default() -> Self {
        AgeCounts {
            buckets: vec![0; AGE_BUCKET_HOURS.len()],
            none: 0,
            unknown: 0,
        }
    }
}

impl AgeCounts {
    /// Counts the resources of the account-regions of `b` (held whole in `inv`).
    pub fn add(&mut self, inv: &Inventory, b: &Judged) {
        use rayon::prelude::*;
        let now = inv.as_of;
        let counted = (b.scopes())
            .into_par_iter()
            .map(|si| {
                let scope = &inv.scopes[si];
                let mut c = AgeCounts::default();
                let unreadable = scope.unavailable(DataFile::RecoveryPoints).is_some();
                for (ri, r) in scope.resources.iter().enumerate() {
                    if r.is_cluster_member() {
                        continue;
                    }
                    if unreadable {
                        c.unknown += 1;
                        continue;
                    }
                    let owners = match b.protection(si, ri) {
                        Some(p) => p.point_owners(scope, r),
                        None => vec![r.arn.as_str()],
                    };
                    let found = inv.newest_good_point(&owners, |_| {});
                    match found.newest.map(|n| n.age(now)) {
                        // Good points whose age is unknown are not "none".
                        None if found.undated > 0 => c.unknown += 1,
                        Some(age) => c.buckets[bucket(age.num_minutes() as f64 / 60.0)] += 1,
                        None => c.none += 1,
                    }
                }
                c
            })
            .reduce(AgeCounts::default, |a, b| a.plus(&b));
        *self = self.plus(&counted);
    }

    fn plus(&self, other: &AgeCounts) -> AgeCounts {
        AgeCounts {
            buckets: (self.buckets.iter().zip(&other.buckets))
                .map(|(a, b)| a + b)
                .collect(),
            none: self.none + other.none,
            unknown: self.unknown + other.unknown,
        }
    }

    /// The chart of everything counted, its ages as of `inv`'s judgement time.
    pub fn chart(&self, inv: &Inventory) -> AgeChart {
        let mut bars = self.buckets.clone();
        bars.extend([self.none, self.unknown]);
        AgeChart {
            total: bars.iter().sum(),
            max: bars.iter().copied().max().unwrap_or(0).max(1),
            bars,
            as_of: inv.as_of.format("%Y-%m-%d %H:%M UTC").to_string(),
        }
    }
}

/// The bucket of an age in hours: the first whose bound it does not pass.
fn bucket(hours: f64) -> usize {
    AGE_BUCKET_HOURS
        .iter()
        .position(|max| hours <= *max as f64)
        .unwrap_or(AGE_BUCKET_HOURS.len() - 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ages_fall_in_the_bucket_they_do_not_pass() {
        assert_eq!(bucket(0.0), 0);
        assert_eq!(bucket(24.0), 0);
        assert_eq!(bucket(24.01), 1);
        assert_eq!(bucket(48.0), 1);
        assert_eq!(bucket(100.0), 2);
        assert_eq!(bucket(7.0 * 24.0 + 1.0), 3);
        assert_eq!(bucket(89.0 * 24.0), 4);
        assert_eq!(bucket(1e9), 5);
        // A point dated after the judgement time is current, not lost.
        assert_eq!(bucket(-3.0), 0);
    }

    #[test]
    fn every_judged_resource_is_in_one_bar() {
        let (e, summary) = super::super::sample();
        let chart = age(&e.inventory, &e.evaluation);
        let c = &summary.coverage;
        assert_eq!(chart.bars.len(), AGE_BUCKET_HOURS.len() + 2);
        assert_eq!(chart.total, c.protected + c.unprotected + c.not_assessed);
        assert_eq!(chart.total, chart.bars.iter().sum::<usize>());
        assert_eq!(chart.max, *chart.bars.iter().max().unwrap());
        // Staging's eu-west-1 recovery points could not be read: its resources are
        // "not readable", never "none".
        let unreadable = chart.bars[AGE_BUCKET_HOURS.len() + 1];
        assert!(unreadable > 0, "{:?}", chart.bars);
        assert_eq!(chart.as_of, "2026-11-27 05:00 UTC");
    }
}
