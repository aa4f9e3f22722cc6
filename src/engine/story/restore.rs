//! The restore testing part of a resource's story: which restore testing selections cover it,
//! and its newest restore jobs (those of restore testing plans and those run by hand).

use super::{rfc3339, MAX_POINTS};
use crate::model::resource::Resource;
use crate::model::Scope;
use crate::snapshot::restore::RestoreJob;
use crate::snapshot::DataFile;
use serde::Serialize;

#[derive(Debug, Serialize)]
pub struct RestoreStory<'a> {
    /// `plan/selection` of each selection that covers the resource.
    pub selected_by: Vec<String>,
    /// The newest [`MAX_POINTS`] restore jobs of the resource, newest first.
    pub jobs: Vec<RestoreJobStory<'a>>,
    pub jobs_total: usize,
    /// Why one of the three restore testing files is unknown (unreadable, or not collected).
    pub unreadable: Option<String>,
}

#[derive(Debug, Serialize)]
pub struct RestoreJobStory<'a> {
    pub id: &'a str,
    pub status: &'a str,
    pub validation: Option<&'a str>,
    pub created: Option<String>,
    /// CompletionDate − CreationDate, in minutes (inferred).
    pub minutes: Option<i64>,
    /// The restore testing plan that started it; `None` for a restore run by hand.
    pub plan: Option<&'a str>,
    pub message: Option<&'a str>,
}

pub fn tell<'a>(scope: &'a Scope, res: &Resource) -> RestoreStory<'a> {
    let unreadable = [
        DataFile::RestoreTestingPlans,
        DataFile::RestoreTestingSelections,
        DataFile::RestoreJobs,
    ]
    .into_iter()
    .find_map(|f| {
        scope
            .unavailable(f)
            .map(|e| format!("{}: {e}", f.file_name()))
    });
    let jobs = scope.restore.jobs_of(&res.arn);
    RestoreStory {
        selected_by: scope
            .restore
            .selections
            .iter()
            .filter(|s| s.covers(res).is_ok())
            .map(|s| s.label())
            .collect(),
        jobs: jobs.iter().take(MAX_POINTS).map(job).collect(),
        jobs_total: jobs.len(),
        unreadable,
    }
}

fn job(j: &RestoreJob) -> RestoreJobStory<'_> {
    let message = j
        .validation_status_message
        .as_deref()
        .or(j.status_message.as_deref());
    RestoreJobStory {
        id: j.restore_job_id.as_deref().unwrap_or_default(),
        status: j.status.as_deref().unwrap_or_default(),
        validation: j.validation_status.as_deref(),
        created: j.creation_date.map(rfc3339),
        minutes: j
            .creation_date
            .zip(j.completion_date)
            .map(|(a, b)| (b - a).num_minutes()),
        plan: j
            .created_by
            .as_ref()
            .and_then(|c| c.restore_testing_plan_arn.as_deref()),
        message: message.filter(|m| !m.is_empty()),
    }
}
