//! `backup-jobs-succeeded`: what AWS Backup's jobs say happened, where the other checks judge
//! what the plans say should happen. A plan can select a resource and every one of its jobs
//! still fail (KMS key access denied, the role missing, a vault lock that rejects the rule's
//! retention): only the jobs show it.

mod copies;
mod due;

pub(crate) use copies::copy_jobs;

use super::ctx::Ctx;
use super::{workload, Verdict};
use crate::engine::finding::{Evidence, Status};
use crate::snapshot::aws::BackupJob;
use crate::snapshot::time::Timestamp;
use std::collections::BTreeMap;

/// The jobs of the resource, and of what carries its protection (an EC2 instance whose AMIs
/// hold its volumes), created within the last `days` days, newest first. A job without a
/// `CreationDate` counts: the collector lists jobs created since a date, so it is recent.
pub(crate) fn recent_jobs<'a>(ctx: &Ctx<'a>, days: i64) -> Vec<&'a BackupJob> {
    let now = ctx.inv.as_of;
    let since = now - chrono::Duration::days(days);
    let mut jobs: Vec<&BackupJob> = ctx
        .protection()
        .point_owners(ctx.scope, ctx.res)
        .iter()
        .flat_map(|arn| ctx.scope.jobs_of(arn))
        .filter(|j| j.creation_date.is_none_or(|t| since <= t && t <= now))
        .collect();
    jobs.sort_by_key(|j| std::cmp::Reverse(j.creation_date));
    jobs
}

pub(crate) fn backup_jobs(ctx: &Ctx, days: i64) -> Verdict {
    let jobs = recent_jobs(ctx, days);
    let counts = state_counts(&jobs);
    // A failed job is a fact whatever the plans say: judged before protection is.
    if let Some(bad) = jobs.iter().find(|j| j.is_unsuccessful()) {
        let mut reason = format!(
            "backup job {} on {} {}",
            job_id(bad),
            when(bad.creation_date),
            bad.state.as_deref().unwrap_or_default()
        );
        if let Some(m) = bad.status_message.as_deref().filter(|m| !m.is_empty()) {
            // AWS's messages end with a full stop; the reason goes on after it.
            reason.push_str(&format!(": {}", m.trim_end_matches('.')));
        }
        reason.push_str(&format!("; last {days} days: {counts}"));
        // The newest job is listed first: say when a later one did succeed.
        if let Some(later) = jobs
            .iter()
            .take_while(|j| !std::ptr::eq(**j, *bad))
            .find(|j| j.state.as_deref() == Some("COMPLETED"))
        {
            reason.push_str(&format!(
                "; a later job on {} COMPLETED",
                when(later.creation_date)
            ));
        }
        return Verdict::new(Status::Fail, reason).with(evidence(ctx, bad));
    }
    if let Some(v) = workload::unless_protected(ctx) {
        return v;
    }
    // The collector lists `--backup-jobs-days` back from a moment just after `collected_at`:
    // a window that falls short of `days` by less than an hour still covers it.
    let start = ctx.inv.as_of - chrono::Duration::days(days);
    let window = match ctx.inv.jobs_since {
        Some(since) if since <= start + chrono::Duration::hours(1) => Some(since),
        _ => None,
    };
    let runs = match window {
        Some(since) => due::runs(ctx, since.max(start)),
        None => due::Runs::NotJudged(format!(
            "the snapshot does not record that backup jobs were listed back {days} days \
             (manifest windows.backup_jobs_since), so a run without a job proves nothing"
        )),
    };
    if let due::Runs::Missed { reason, evidence } = runs {
        return Verdict::new(Status::Fail, reason).with(evidence);
    }
    let Some(done) = jobs
        .iter()
        .find(|j| j.state.as_deref() == Some("COMPLETED"))
    else {
        let seen = if jobs.is_empty() {
            format!("no backup job in the last {days} days")
        } else {
            format!("no backup job has ended in the last {days} days ({counts})")
        };
        return match runs {
            due::Runs::NoneDue(why) => Verdict::new(Status::Pass, format!("{seen}: {why}")),
            due::Runs::NotJudged(why) => {
                Verdict::new(Status::NotAssessed, format!("{seen}: {why}"))
            }
            due::Runs::Covered(n) => Verdict::new(
                Status::Pass,
                format!("{seen}, and none failed: each of the {n} run(s) due has a job"),
            ),
            due::Runs::Missed { .. } => unreachable!("returned above"),
        };
    };
    let completed = jobs
        .iter()
        .filter(|j| j.state.as_deref() == Some("COMPLETED"))
        .count();
    let mut reason = format!(
        "{completed} backup job(s) in the last {days} days COMPLETED, the newest on {}",
        when(done.creation_date)
    );
    let issues: Vec<&&BackupJob> = jobs.iter().filter(|j| j.completed_with_issues()).collect();
    if let Some(first) = issues.first() {
        reason.push_str(&format!(
            "; {} completed with issues (MessageCategory {})",
            issues.len(),
            first.message_category.as_deref().unwrap_or_default()
        ));
    }
    if jobs.len() > completed {
        reason.push_str(&format!("; all: {counts}"));
    }
    match runs {
        due::Runs::Covered(n) => {
            reason.push_str(&format!("; each of the {n} run(s) due has a job"))
        }
        due::Runs::NoneDue(_) => {}
        due::Runs::NotJudged(why) => reason.push_str(&format!(
            "; whether every run had a job is not judged: {why}"
        )),
        due::Runs::Missed { .. } => unreachable!("returned above"),
    }
    Verdict::new(Status::Pass, reason).with(evidence(ctx, done))
}

/// `2 FAILED, 1 COMPLETED`: how many jobs are in each state, most frequent first.
fn state_counts(jobs: &[&BackupJob]) -> String {
    let mut by_state = BTreeMap::<&str, usize>::new();
    for j in jobs {
        *by_state
            .entry(j.state.as_deref().unwrap_or("no state"))
            .or_default() += 1;
    }
    let mut counts: Vec<(&str, usize)> = by_state.into_iter().collect();
    counts.sort_by_key(|&(_, n)| std::cmp::Reverse(n));
    counts
        .iter()
        .map(|(s, n)| format!("{n} {s}"))
        .collect::<Vec<_>>()
        .join(", ")
}

fn job_id(j: &BackupJob) -> &str {
    j.backup_job_id.as_deref().unwrap_or("(no ID)")
}

/// `2026-11-26T03:16Z`, or `an unknown date`.
pub(super) fn when(t: Option<Timestamp>) -> String {
    t.map_or_else(
        || "an unknown date".to_owned(),
        |t| t.format("%Y-%m-%dT%H:%MZ").to_string(),
    )
}

/// The job's vault, and the plan and rule that started it when they are in the snapshot.
fn evidence(ctx: &Ctx, j: &BackupJob) -> Evidence {
    let by = j.created_by.as_ref();
    let plan = by
        .and_then(|c| c.backup_plan_id.as_deref())
        .and_then(|id| ctx.scope.plans.iter().position(|p| p.id == id));
    let rule = plan
        .zip(by.and_then(|c| c.backup_rule_id.as_deref()))
        .and_then(|(p, id)| {
            ctx.scope.plans[p]
                .rules
                .iter()
                .position(|r| r.id.as_deref() == Some(id))
        });
    Evidence {
        plan: plan.map(|p| p as u32),
        rule: plan.and(rule).map(|r| r as u32),
        vault: j.backup_vault_name.as_deref().map(Into::into),
        ..Evidence::default()
    }
}
