//! Backup jobs: the evidence of whether AWS Backup's runs really produced backups. A scope's
//! jobs are kept sorted by resource ARN, newest first, so a resource's jobs are one slice
//! found by binary search (no index to build or hold for a million resources).

use super::Scope;
use crate::snapshot::aws::{BackupJob, CopyJob};
use std::cmp::Reverse;
use std::ops::Range;

/// Sorts `jobs` for [`Scope::jobs_of`]: by resource ARN, then newest first (undated last),
/// equals kept in their order (the snapshot's, by job ID).
pub(super) fn sort(jobs: &mut [BackupJob]) {
    jobs.sort_by(|a, b| {
        (a.resource_arn.as_deref(), Reverse(a.creation_date))
            .cmp(&(b.resource_arn.as_deref(), Reverse(b.creation_date)))
    });
}

/// Sorts `jobs` for [`Scope::copy_jobs_of`], as [`sort`] does backup jobs.
pub(super) fn sort_copies(jobs: &mut [CopyJob]) {
    jobs.sort_by(|a, b| {
        (a.resource_arn.as_deref(), Reverse(a.creation_date))
            .cmp(&(b.resource_arn.as_deref(), Reverse(b.creation_date)))
    });
}

impl Scope {
    /// The copy jobs of the resource `arn` listed in this scope, newest first.
    pub fn copy_jobs_of(&self, arn: &str) -> &[CopyJob] {
        &self.copy_jobs[self.copy_job_range(arn)]
    }

    /// Where [`Scope::copy_jobs_of`] lies in `copy_jobs`.
    pub fn copy_job_range(&self, arn: &str) -> Range<usize> {
        range_of(&self.copy_jobs, arn, |j| j.resource_arn.as_deref())
    }

    /// The backup jobs of the resource `arn` in this scope, newest first.
    pub fn jobs_of(&self, arn: &str) -> &[BackupJob] {
        &self.backup_jobs[self.job_range(arn)]
    }

    /// Where [`Scope::jobs_of`] lies in `backup_jobs`.
    pub fn job_range(&self, arn: &str) -> Range<usize> {
        range_of(&self.backup_jobs, arn, |j| j.resource_arn.as_deref())
    }
}

/// Where the jobs of resource `arn` lie in `jobs`, sorted by their resource's ARN.
fn range_of<T>(jobs: &[T], arn: &str, resource: impl Fn(&T) -> Option<&str>) -> Range<usize> {
    let start = jobs.partition_point(|j| resource(j) < Some(arn));
    let len = jobs[start..].partition_point(|j| resource(j) == Some(arn));
    start..start + len
}

#[cfg(test)]
mod tests {
    use super::*;

    fn job(id: &str, arn: Option<&str>, created: Option<&str>) -> BackupJob {
        serde_json::from_value(serde_json::json!({
            "BackupJobId": id,
            "ResourceArn": arn,
            "CreationDate": created,
        }))
        .unwrap()
    }

    #[test]
    fn a_resources_jobs_are_one_slice_newest_first() {
        let mut scope = crate::app::evaluate_sample().inventory.scopes[0].clone();
        scope.backup_jobs = vec![
            job("1", Some("arn:b"), Some("2026-11-01T00:00:00Z")),
            job("2", None, Some("2026-11-03T00:00:00Z")),
            job("3", Some("arn:a"), Some("2026-11-02T00:00:00Z")),
            job("4", Some("arn:b"), None),
            job("5", Some("arn:b"), Some("2026-11-05T00:00:00Z")),
            job("6", Some("arn:c"), Some("2026-11-01T00:00:00Z")),
        ];
        sort(&mut scope.backup_jobs);
        let ids = |arn: &str| -> Vec<&str> {
            scope
                .jobs_of(arn)
                .iter()
                .map(|j| j.backup_job_id.as_deref().unwrap())
                .collect()
        };
        assert_eq!(ids("arn:b"), ["5", "1", "4"]);
        assert_eq!(ids("arn:a"), ["3"]);
        assert_eq!(ids("arn:c"), ["6"]);
        assert!(ids("arn:0").is_empty());
        assert!(ids("arn:z").is_empty());
    }
}
