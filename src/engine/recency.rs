//! How recent a resource's recovery points are, as checks say it: their ages in words, and
//! why a recent point may exist unseen.

use super::ctx::Ctx;
use crate::snapshot::DataFile;

/// Why a recent point may exist unseen: a scope whose points could hold one (the resource's
/// own, or a copy destination's of a rule that applies to it) has `recovery-points.json`
/// unavailable, or good points were found without a `CreationDate`.
pub(super) fn points_unknown(ctx: &Ctx, undated: usize) -> Option<String> {
    if let Some(e) = ctx.scope.unavailable(DataFile::RecoveryPoints) {
        return Some(format!(
            "recovery-points.json could not be read in {}: {e}",
            ctx.scope.label()
        ));
    }
    for a in &ctx.protection().rules {
        for c in &ctx.plan_rule(a).copies {
            let (Some(account), Some(region)) = (c.account.as_deref(), c.region.as_deref()) else {
                continue;
            };
            let Some(scope) = ctx.inv.scope_at(account, region) else {
                continue;
            };
            if let Some(e) = scope.unavailable(DataFile::RecoveryPoints) {
                return Some(format!(
                    "recovery-points.json could not be read in {}, where {} copies it: {e}",
                    scope.label(),
                    ctx.describe(a)
                ));
            }
        }
    }
    (undated > 0).then(|| {
        format!(
            "{undated} COMPLETED or AVAILABLE recovery points have no CreationDate in the \
             snapshot: their age is unknown"
        )
    })
}

/// `45 min`, `23 h`, `5 days`: recovery point ages as people say them.
pub(super) fn describe_age(minutes: i64) -> String {
    if minutes < 120 {
        format!("{minutes} min")
    } else if minutes < 72 * 60 {
        format!("{} h", minutes / 60)
    } else {
        format!("{} days", minutes / 1440)
    }
}
