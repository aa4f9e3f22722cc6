//! `copy-jobs-succeeded`: whether the copies a rule's copy actions ask for were made. A copy
//! action is a wish; copy jobs fail on vault locks, missing cross-account permissions,
//! organisation membership or unsupported type and Region pairs (reference trap 17).

use super::when;
use crate::engine::ctx::Ctx;
use crate::engine::finding::{Evidence, Status};
use crate::engine::{overlap, workload, Verdict};
use crate::model::protection::AppliedRule;
use crate::snapshot::aws::{BackupJob, CopyJob};
use crate::snapshot::time::Timestamp;
use chrono::Duration;

/// A copy starts once its backup has completed: a backup completed less than this long ago
/// may not have its copy job yet.
const COPY_GRACE_HOURS: i64 = 1;

pub(crate) fn copy_jobs(ctx: &Ctx, days: i64) -> Verdict {
    let now = ctx.inv.as_of;
    let start = now - Duration::days(days);
    let owners = ctx.protection().point_owners(ctx.scope, ctx.res);
    let mut copies: Vec<&CopyJob> = owners
        .iter()
        .flat_map(|arn| ctx.scope.copy_jobs_of(arn))
        .filter(|j| j.creation_date.is_none_or(|t| start <= t && t <= now))
        .collect();
    copies.sort_by_key(|j| std::cmp::Reverse(j.creation_date));
    if let Some(bad) = copies.iter().find(|j| j.is_unsuccessful()) {
        return failed(bad);
    }
    if let Some(v) = workload::unless_protected(ctx) {
        return v;
    }
    let effective: Vec<&AppliedRule> = ctx.protection().effective().collect();
    let copying: Vec<&AppliedRule> = overlap::running(ctx.scope, &effective)
        .into_iter()
        .filter(|a| !ctx.plan_rule(a).copies.is_empty())
        .collect();
    if copying.is_empty() {
        return Verdict::new(
            Status::NotApplicable,
            "no effective backup rule of it has a copy action",
        );
    }
    let backups = completed_backups(ctx, &owners, &copying, start);
    if backups.is_empty() {
        return Verdict::new(
            Status::NotAssessed,
            format!(
                "no backup job of a rule that copies it completed in the last {days} days, so \
                 no copy was due: whether its copies succeed is unknown"
            ),
        );
    }
    judge(ctx, &backups, &copies, days)
}

/// FAIL naming a failed copy job, its destination and its message.
fn failed(bad: &CopyJob) -> Verdict {
    let mut reason = format!(
        "copy job {} on {} to {} {}",
        bad.copy_job_id.as_deref().unwrap_or("(no ID)"),
        when(bad.creation_date),
        bad.destination_backup_vault_arn.as_deref().unwrap_or("?"),
        bad.state.as_deref().unwrap_or_default()
    );
    if let Some(m) = bad.status_message.as_deref().filter(|m| !m.is_empty()) {
        reason.push_str(&format!(": {}", m.trim_end_matches('.')));
    }
    Verdict::new(Status::Fail, reason)
}

/// The resource's COMPLETED backup jobs of `copying` rules created since `start` and
/// completed long enough ago for their copies to have started, newest first, each with its
/// rule: each should be followed by a copy job per destination of that rule.
fn completed_backups<'a>(
    ctx: &Ctx<'a>,
    owners: &[&str],
    copying: &[&'a AppliedRule],
    start: Timestamp,
) -> Vec<(&'a BackupJob, &'a AppliedRule)> {
    let settled = ctx.inv.as_of - Duration::hours(COPY_GRACE_HOURS);
    let mut out: Vec<(&BackupJob, &AppliedRule)> = owners
        .iter()
        .flat_map(|arn| ctx.scope.jobs_of(arn))
        .filter(|j| j.state.as_deref() == Some("COMPLETED"))
        .filter(|j| {
            j.creation_date.is_some_and(|t| start <= t)
                && j.completion_date.is_some_and(|t| t <= settled)
        })
        .filter_map(|j| {
            let rule = j.created_by.as_ref()?.backup_rule_id.as_deref()?;
            let a = copying
                .iter()
                .find(|a| ctx.plan_rule(a).id.as_deref() == Some(rule))?;
            Some((j, *a))
        })
        .collect();
    out.sort_by_key(|(j, _)| std::cmp::Reverse(j.creation_date));
    out
}

/// Whether every completed backup in `backups` has its copy jobs.
fn judge(
    ctx: &Ctx,
    backups: &[(&BackupJob, &AppliedRule)],
    copies: &[&CopyJob],
    days: i64,
) -> Verdict {
    let newest = backups[0].0;
    let covered = |j: &BackupJob| {
        ctx.inv
            .copy_jobs_since
            .zip(j.creation_date)
            .is_some_and(|(since, t)| since <= t)
    };
    let mut missing = None;
    let mut due = 0;
    for &(job, a) in backups {
        for c in &ctx.plan_rule(a).copies {
            let made = copies.iter().any(|k| {
                k.created_by_backup_job_id.is_some()
                    && k.created_by_backup_job_id == job.backup_job_id
                    && k.destination_backup_vault_arn.as_deref()
                        == Some(c.destination_vault_arn.as_str())
            });
            if made {
                due += 1;
            } else if covered(job) && missing.is_none() {
                missing = Some((job, a, c.destination_vault_arn.as_str()));
            }
        }
    }
    if let Some((job, a, dest)) = missing {
        return Verdict::new(
            Status::Fail,
            format!(
                "backup job {} of {} COMPLETED on {}, and no copy job to {dest} followed it",
                job.backup_job_id.as_deref().unwrap_or("(no ID)"),
                ctx.describe(a),
                when(job.creation_date)
            ),
        )
        .with(ctx.evidence(a));
    }
    let expected: usize = backups
        .iter()
        .map(|(_, a)| ctx.plan_rule(a).copies.len())
        .sum();
    if due < expected {
        return Verdict::new(
            Status::NotAssessed,
            format!(
                "{} of {expected} copies of its completed backups have no copy job, and the \
                 snapshot does not record that copy jobs were listed back to them (manifest \
                 windows.copy_jobs_since)",
                expected - due
            ),
        );
    }
    Verdict::new(
        Status::Pass,
        format!(
            "each of the {due} copies due of its backups in the last {days} days has a copy \
             job, none failed (newest backup {})",
            when(newest.creation_date)
        ),
    )
    .with(Evidence {
        vault: newest.backup_vault_name.as_deref().map(Into::into),
        ..Evidence::default()
    })
}
