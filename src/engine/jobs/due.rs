//! The runs a resource's rules were due to make, and whether each left a job. A run without
//! a job is only a failure when the snapshot shows both that jobs were listed that far back
//! (the caller checks the manifest's window) and that the rule backed the resource up before
//! that run; otherwise the selection may have been created, or the resource tagged, since.

use super::when;
use crate::engine::ctx::Ctx;
use crate::engine::finding::Evidence;
use crate::engine::overlap;
use crate::model::plan::PlanRule;
use crate::model::protection::AppliedRule;
use crate::model::resource::ResourceKind;
use crate::snapshot::aws::BackupJob;
use crate::snapshot::time::Timestamp;
use chrono::Duration;

/// The start window assumed when a rule sets none: the API's default is undocumented, the
/// console's is 8 hours (reference §4.2). The longest plausible one is assumed, so a run is
/// only due once any window AWS might use has closed, and a late job still counts.
const DEFAULT_START_WINDOW_MINUTES: i64 = 8 * 60;

/// A job is created when its run starts, or a little before (slack for clocks).
const SLACK_MINUTES: i64 = 5;

/// At most this many runs are walked per rule (an hourly rule over 30 days makes 720).
const MAX_RUNS: usize = 2_000;

pub(super) enum Runs {
    /// A run that was due has no job.
    Missed { reason: String, evidence: Evidence },
    /// Every run due since the window's start has a job: at how many distinct times.
    Covered(usize),
    /// No run of the resource's rules was due in the window: why.
    NoneDue(String),
    /// Whether runs were due cannot be told: why.
    NotJudged(String),
}

/// The runs of the resource's running rules from `from` until their start window closed
/// before "now", judged against every job of the resource (and of what carries its backups)
/// and its recovery points in this scope.
pub(super) fn runs(ctx: &Ctx, from: Timestamp) -> Runs {
    let effective: Vec<&AppliedRule> = ctx.protection().effective().collect();
    let rules = overlap::running(ctx.scope, &effective);
    if rules.iter().any(|a| a.continuous) {
        return Runs::NotJudged(
            "a continuous-backup rule applies, and whether point-in-time recovery makes a \
             job at each scheduled run is undocumented"
                .to_owned(),
        );
    }
    let owners = ctx.protection().point_owners(ctx.scope, ctx.res);
    let jobs: Vec<&BackupJob> = owners
        .iter()
        .flat_map(|arn| ctx.scope.jobs_of(arn))
        .collect();
    // RDS takes at most one snapshot a day whatever the rule's frequency (reference §4.4):
    // any job that day covers every run of that day.
    let daily = matches!(
        ctx.res.kind,
        ResourceKind::RdsInstance | ResourceKind::RdsCluster | ResourceKind::AuroraCluster
    );
    // Distinct times: two plans' rules at the same time are one backup.
    let mut covered = std::collections::BTreeSet::new();
    let mut unknown: Option<String> = None;
    let mut missed: Option<(Timestamp, &AppliedRule)> = None;
    for &a in &rules {
        let r = ctx.plan_rule(a);
        // Parsed once per distinct schedule when the inventory was built.
        let Some(sched) = &r.schedule.parsed else {
            let why = match &r.schedule.gap {
                crate::model::plan::Gap::Unknown { error } => error.as_str(),
                _ => "it cannot be parsed",
            };
            unknown.get_or_insert(format!(
                "the schedule of {} cannot be read: {why}",
                ctx.describe(a)
            ));
            continue;
        };
        let window = Duration::minutes(
            r.start_window_minutes
                .unwrap_or(DEFAULT_START_WINDOW_MINUTES),
        );
        let until = ctx.inv.as_of - window;
        let mut next = sched.next_after(from - Duration::seconds(1));
        for _ in 0..MAX_RUNS {
            let Some(run) = next.filter(|t| *t <= until) else {
                break;
            };
            next = sched.next_after(run);
            let in_window = |c: Timestamp| {
                (run - Duration::minutes(SLACK_MINUTES) <= c && c <= run + window)
                    || (daily && c.date_naive() == run.date_naive())
            };
            // A recovery point made in the run's window is the product of its job, even if
            // the job is not listed: the run happened.
            let has_job = jobs.iter().any(|j| j.creation_date.is_some_and(in_window))
                || own_points(ctx, &owners).any(|rp| rp.creation_date.is_some_and(in_window));
            if has_job {
                covered.insert(run);
            } else if applied_before(ctx, &owners, &jobs, r, run) {
                if missed.is_none_or(|(t, _)| run > t) {
                    missed = Some((run, a));
                }
            } else {
                unknown.get_or_insert(format!(
                    "{} was due to run at {} and no backup job was created for it, but whether \
                     that rule applied to it then is unknown (no earlier job of the rule, and \
                     no earlier recovery point in vault {})",
                    ctx.describe(a),
                    when(Some(run)),
                    r.vault
                ));
            }
        }
    }
    if let Some((run, a)) = missed {
        let r = ctx.plan_rule(a);
        let reason = format!(
            "{} was due to run at {} (start window {} min{}) and no backup job was created for \
             it, though the rule backed it up before",
            ctx.describe(a),
            when(Some(run)),
            r.start_window_minutes
                .unwrap_or(DEFAULT_START_WINDOW_MINUTES),
            if r.start_window_minutes.is_none() {
                ", assumed"
            } else {
                ""
            },
        );
        return Runs::Missed {
            reason,
            evidence: ctx.evidence(a),
        };
    }
    if let Some(why) = unknown {
        return Runs::NotJudged(why);
    }
    if covered.is_empty() {
        return Runs::NoneDue(format!(
            "no run of its rules was due since {}",
            when(Some(from))
        ));
    }
    Runs::Covered(covered.len())
}

/// Whether the rule backed the resource up before `run`: a job the rule created for it, or a
/// recovery point in the rule's vault of this scope, dated before the run. Only then is a run
/// known to apply to it (selections are never updated, but tags and resources change).
fn applied_before(
    ctx: &Ctx,
    owners: &[&str],
    jobs: &[&BackupJob],
    r: &PlanRule,
    run: Timestamp,
) -> bool {
    let by_rule = jobs.iter().any(|j| {
        j.creation_date.is_some_and(|c| c < run)
            && r.id.is_some()
            && j.created_by
                .as_ref()
                .and_then(|c| c.backup_rule_id.as_deref())
                == r.id.as_deref()
    });
    by_rule
        || own_points(ctx, owners).any(|rp| {
            *rp.backup_vault_name == *r.vault && rp.creation_date.is_some_and(|c| c < run)
        })
}

/// The recovery points of `owners` in vaults of this scope (not copies elsewhere).
fn own_points<'a>(
    ctx: &'a Ctx,
    owners: &'a [&'a str],
) -> impl Iterator<Item = &'a crate::snapshot::aws::RecoveryPoint> + 'a {
    owners
        .iter()
        .filter_map(|arn| ctx.inv.recovery_points_by_resource.get(*arn))
        .flatten()
        .filter(|p| std::ptr::eq(ctx.inv.scope(p.0), ctx.scope))
        .map(|&p| ctx.inv.recovery_point(p))
}
