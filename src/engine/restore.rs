//! `restore-tested`: evidence that a resource's backups restore. AWS Backup restore testing
//! plans pick a recovery point of each resource their selections cover, restore it, and
//! record a restore job whose `ValidationStatus` says whether the restored copy was checked
//! good. A backup never restored is a hope, not a recovery; BAM's restore-time control reads
//! the same jobs.

use super::ctx::Ctx;
use super::jobs::when;
use super::Verdict;
use crate::engine::finding::Status;
use crate::model::restore::TestSelection;
use crate::snapshot::restore::RestoreJob;

pub(crate) fn restore_tested(ctx: &Ctx, max_age_days: i64, max_minutes: Option<i64>) -> Verdict {
    let testing = &ctx.scope.restore;
    let res = ctx.res;
    let kind = res.kind.backup_type();
    let covering: Vec<&TestSelection> = testing
        .selections
        .iter()
        .filter(|s| s.covers(res).is_ok())
        .collect();
    if covering.is_empty() {
        let of_kind: Vec<&TestSelection> = testing
            .selections
            .iter()
            .filter(|s| s.resource_type == kind)
            .collect();
        // The first selection of the resource's own type says the most about why not.
        let why = of_kind
            .first()
            .and_then(|s| s.covers(res).err().map(|e| (s, e)))
            .map(|(s, e)| format!(": restore testing selection {} does not, as {e}", s.label()))
            .unwrap_or_default();
        return Verdict::new(
            Status::Fail,
            format!(
                "no restore testing selection covers it ({} selection(s) of type {kind} in \
                 {}){why}",
                of_kind.len(),
                ctx.scope.label()
            ),
        );
    }
    let plans: Vec<&str> = covering
        .iter()
        .filter_map(|s| s.plan_arn.as_deref())
        .collect();
    let selected = covering
        .iter()
        .map(|s| s.label())
        .collect::<Vec<_>>()
        .join(", ");
    if plans.is_empty() {
        return Verdict::new(
            Status::NotAssessed,
            format!(
                "selected by restore testing selection {selected}, whose plan is not in \
                 restore-testing-plans.json: its restore jobs cannot be told apart"
            ),
        );
    }
    let now = ctx.inv.as_of;
    let since = now - chrono::Duration::days(max_age_days);
    // A job without a CreationDate counts: the collector lists jobs created since a date.
    let jobs: Vec<&RestoreJob> = testing
        .jobs_of(&res.arn)
        .iter()
        .filter(|j| {
            j.created_by
                .as_ref()
                .and_then(|c| c.restore_testing_plan_arn.as_deref())
                .is_some_and(|p| plans.contains(&p))
        })
        .filter(|j| j.creation_date.is_none_or(|t| since <= t && t <= now))
        .collect();
    let judged: Vec<(&RestoreJob, Result<String, String>)> = jobs
        .iter()
        .map(|j| (*j, judge_job(j, max_minutes)))
        .collect();
    if let Some((j, Ok(how))) = judged.iter().find(|(_, r)| r.is_ok()) {
        return Verdict::new(
            Status::Pass,
            format!(
                "restore test job {} of {selected} on {} COMPLETED, validation SUCCESSFUL{how}",
                job_id(j),
                when(j.creation_date)
            ),
        );
    }
    let found = match judged.first() {
        Some((j, Err(why))) => format!(
            "the newest restore test job of {selected} in the last {max_age_days} days, {} on \
             {}, {why}",
            job_id(j),
            when(j.creation_date)
        ),
        _ => format!(
            "selected by {selected}, but no restore job of its plan for it in the last \
             {max_age_days} days"
        ),
    };
    // With no job that passes, an older one may still lie beyond what was listed.
    let start = now - chrono::Duration::days(max_age_days);
    match ctx.inv.restore_jobs_since {
        Some(s) if s <= start + chrono::Duration::hours(1) => Verdict::new(Status::Fail, found),
        Some(s) => Verdict::new(
            Status::NotAssessed,
            format!(
                "{found}; restore jobs were listed only back to {} (manifest \
                 windows.restore_jobs_since), so an older validated restore may be missing",
                when(Some(s))
            ),
        ),
        None => Verdict::new(
            Status::NotAssessed,
            format!(
                "{found}; the snapshot does not record that restore jobs were listed back \
                 {max_age_days} days (manifest windows.restore_jobs_since)"
            ),
        ),
    }
}

/// `Ok` with what to add to the reason when the job proves a validated restore in time, else
/// why it does not.
fn judge_job(j: &RestoreJob, max_minutes: Option<i64>) -> Result<String, String> {
    let status = j.status.as_deref().unwrap_or("with no Status");
    if status != "COMPLETED" {
        let msg = j
            .status_message
            .as_deref()
            .filter(|m| !m.is_empty())
            .map(|m| format!(": {}", m.trim_end_matches('.')))
            .unwrap_or_default();
        return Err(format!("is {status}{msg}"));
    }
    match j.validation_status.as_deref() {
        Some("SUCCESSFUL") => {}
        None => {
            return Err(
                "COMPLETED but was not validated (no ValidationStatus: no validation result \
                 was reported for the restored resource)"
                    .to_owned(),
            )
        }
        Some(v) => {
            let msg = j
                .validation_status_message
                .as_deref()
                .filter(|m| !m.is_empty())
                .map(|m| format!(": {}", m.trim_end_matches('.')))
                .unwrap_or_default();
            return Err(format!("COMPLETED with validation {v}{msg}"));
        }
    }
    let took = match (j.creation_date, j.completion_date) {
        (Some(a), Some(b)) => Some((b - a).num_minutes()),
        _ => None,
    };
    match (max_minutes, took) {
        (None, Some(m)) => Ok(format!(
            ", took {m} min (inferred: CompletionDate − CreationDate)"
        )),
        (None, None) => Ok(String::new()),
        (Some(max), Some(m)) if m <= max => Ok(format!(
            ", took {m} min, within {max} (inferred: CompletionDate − CreationDate)"
        )),
        (Some(max), Some(m)) => Err(format!(
            "took {m} min, more than {max} (inferred: CompletionDate − CreationDate)"
        )),
        (Some(_), None) => Err(
            "COMPLETED and validated, but how long it took is unknown (no CreationDate or \
             CompletionDate)"
                .to_owned(),
        ),
    }
}

fn job_id(j: &RestoreJob) -> &str {
    j.restore_job_id.as_deref().unwrap_or("(no ID)")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn job(fields: serde_json::Value) -> RestoreJob {
        let mut v = serde_json::json!({"RestoreJobId": "rj", "Status": "COMPLETED",
            "CreationDate": "2026-11-25T05:00:00Z", "CompletionDate": "2026-11-25T06:15:00Z"});
        v.as_object_mut()
            .unwrap()
            .extend(fields.as_object().unwrap().clone());
        serde_json::from_value(v).unwrap()
    }

    #[test]
    fn only_a_completed_and_validated_restore_in_time_counts() {
        let ok = job(serde_json::json!({"ValidationStatus": "SUCCESSFUL"}));
        assert_eq!(
            judge_job(&ok, None),
            Ok(", took 75 min (inferred: CompletionDate − CreationDate)".to_owned())
        );
        assert!(judge_job(&ok, Some(75)).is_ok());
        assert_eq!(
            judge_job(&ok, Some(74)),
            Err("took 75 min, more than 74 (inferred: CompletionDate − CreationDate)".to_owned())
        );
        for (validation, says) in [
            ("TIMED_OUT", "COMPLETED with validation TIMED_OUT"),
            ("VALIDATING", "COMPLETED with validation VALIDATING"),
            (
                "FAILED",
                "COMPLETED with validation FAILED: checksum mismatch",
            ),
        ] {
            let j = job(serde_json::json!({"ValidationStatus": validation,
                "ValidationStatusMessage": "checksum mismatch."}));
            assert!(
                judge_job(&j, None).unwrap_err().starts_with(says),
                "{validation}"
            );
        }
        let aborted =
            job(serde_json::json!({"Status": "ABORTED", "ValidationStatus": "SUCCESSFUL"}));
        assert_eq!(judge_job(&aborted, None), Err("is ABORTED".to_owned()));
        let undated =
            job(serde_json::json!({"ValidationStatus": "SUCCESSFUL", "CompletionDate": null}));
        assert_eq!(judge_job(&undated, None), Ok(String::new()));
        assert!(judge_job(&undated, Some(60))
            .unwrap_err()
            .contains("how long it took is unknown"));
    }
}
