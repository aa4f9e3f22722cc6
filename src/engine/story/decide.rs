//! What the engine decides for a resource beyond which rules apply: whether each copy of
//! those rules can deliver, and which recovery points tell how recent its backups are.
//! Decided once, next to the verdicts, by the same functions the checks use.

use super::super::copies;
use super::super::ctx::Ctx;
use crate::model::intern::Interner;
use crate::model::protection::Protection;
use crate::model::{Inventory, RpRef, Scope, Tri};
use std::sync::Arc;

/// The most recent recovery points a story keeps: recency is decided by the newest, and a
/// resource with years of daily points must not make its story years long.
pub const MAX_POINTS: usize = 10;

/// A resource's decisions that its [`Protection`] does not hold. Small: most resources have
/// no copies and a few points.
#[derive(Debug, Clone, Default)]
pub struct Decided {
    /// One per copy action of each applied rule, in the protection's rule order.
    pub copies: Box<[CopyOutcome]>,
    /// The newest [`MAX_POINTS`] recovery points of the resource and of what carries its
    /// protection (an instance's AMI for its volumes), newest first.
    pub points: Box<[RpRef]>,
    pub points_total: u32,
    /// The point that decides recency: the newest COMPLETED or AVAILABLE one.
    pub newest_good: Option<RpRef>,
    /// The newest [`MAX_POINTS`] backup jobs of the same resources (indices into the
    /// scope's `backup_jobs`), newest first.
    pub jobs: Box<[u32]>,
    pub jobs_total: u32,
    /// The same for copy jobs (indices into the scope's `copy_jobs`).
    pub copy_jobs: Box<[u32]>,
    pub copy_jobs_total: u32,
}

/// Whether a copy action can deliver, and if not (or if unknown) why.
#[derive(Debug, Clone)]
pub struct CopyOutcome {
    pub delivers: Tri,
    pub reason: Option<Arc<str>>,
}

/// The decisions for every resource of a scope, in resource order.
pub fn decide_scope(inv: &Inventory, scope: &Scope, prot: &[Protection]) -> Vec<Decided> {
    let mut reasons = Interner::default();
    scope
        .resources
        .iter()
        .enumerate()
        .map(|(index, res)| {
            let ctx = Ctx {
                inv,
                scope,
                prot,
                index,
                res,
            };
            let (points, points_total, newest_good) = points(&ctx);
            let carriers = ctx.protection().point_owners(ctx.scope, ctx.res);
            let (jobs, jobs_total) = newest(
                &carriers,
                |a| ctx.scope.job_range(a),
                |i| ctx.scope.backup_jobs[i].creation_date,
            );
            let (copy_jobs, copy_jobs_total) = newest(
                &carriers,
                |a| ctx.scope.copy_job_range(a),
                |i| ctx.scope.copy_jobs[i].creation_date,
            );
            Decided {
                copies: copy_outcomes(&ctx, &mut reasons),
                points,
                points_total,
                newest_good,
                jobs,
                jobs_total,
                copy_jobs,
                copy_jobs_total,
            }
        })
        .collect()
}

fn copy_outcomes(ctx: &Ctx, reasons: &mut Interner) -> Box<[CopyOutcome]> {
    let mut out = Vec::new();
    for a in &ctx.protection().rules {
        for c in &ctx.plan_rule(a).copies {
            let (delivers, reason) = copies::delivery(ctx, c).tri();
            out.push(CopyOutcome {
                delivers,
                reason: reason.map(|r| reasons.intern(r)),
            });
        }
    }
    out.into_boxed_slice()
}

/// The resource's own points and those of the instances it is backed up through.
fn points(ctx: &Ctx) -> (Box<[RpRef]>, u32, Option<RpRef>) {
    let carriers = ctx.protection().point_owners(ctx.scope, ctx.res);
    let mut all: Vec<RpRef> = carriers
        .iter()
        .flat_map(|a| ctx.inv.recovery_points_by_resource.get(*a))
        .flatten()
        .copied()
        .collect();
    if all.is_empty() {
        return (Box::default(), 0, None);
    }
    let total = all.len() as u32;
    // Newest first; undated last; equals keep snapshot order.
    all.sort_by_key(|&r| std::cmp::Reverse(ctx.inv.recovery_point(r).creation_date));
    all.truncate(MAX_POINTS);
    let newest_good = ctx.inv.newest_good_point(&carriers, |_| {}).newest;
    (all.into_boxed_slice(), total, newest_good.map(|n| n.point))
}

/// The newest [`MAX_POINTS`] jobs of the resource and of the instances it is backed up
/// through (`range` finds a resource's jobs, `created` dates one), and how many there are.
fn newest(
    carriers: &[&str],
    range: impl Fn(&str) -> std::ops::Range<usize>,
    created: impl Fn(usize) -> Option<crate::snapshot::time::Timestamp>,
) -> (Box<[u32]>, u32) {
    let mut all: Vec<usize> = carriers.iter().flat_map(|a| range(a)).collect();
    let total = all.len() as u32;
    // Newest first; undated last; equals keep snapshot order.
    all.sort_by_key(|&i| std::cmp::Reverse(created(i)));
    all.truncate(MAX_POINTS);
    (all.into_iter().map(|i| i as u32).collect(), total)
}
