//! The summary `scan` and `merge` print when they are done (`summary.txt.j2`).

use super::history::Recorded;
use crate::exit;
use crate::findings::summary::Totals;
use crate::history::diff::Diff;
use crate::report::markdown;
use serde::Serialize;
use std::path::PathBuf;

/// What `summary.txt.j2` reads.
#[derive(Serialize)]
pub(super) struct SummaryView<'a> {
    pub(super) version: &'static str,
    pub(super) summary: &'a Totals,
    pub(super) collected_at: String,
    pub(super) as_of: String,
    pub(super) top_failures: Vec<markdown::RuleCount>,
    pub(super) outputs: Vec<String>,
    /// An earlier run's outputs this run replaced by writing none.
    pub(super) removed: Vec<String>,
    /// What changed since the baseline, when there is one.
    pub(super) diff: Option<&'a Diff>,
    pub(super) gate: Option<exit::Gate>,
    /// The history this scan was recorded in (`--history`).
    pub(super) history: Option<Recorded>,
    /// The planned change judged, if any.
    pub(super) planned: Option<&'a markdown::PlannedView<'a>>,
}

impl<'a> SummaryView<'a> {
    /// The view of a run that compared with nothing (no history, baseline or planned
    /// change): its totals, when its snapshot was collected and judged, its failures per
    /// rule (in any order: the ten largest are listed), the files it wrote and removed.
    pub(super) fn plain(
        summary: &'a Totals,
        (collected_at, as_of): (String, String),
        failures: impl Iterator<Item = markdown::RuleCount>,
        (written, removed): (&[PathBuf], &[PathBuf]),
        gate: Option<exit::Gate>,
    ) -> SummaryView<'a> {
        let paths = |p: &[PathBuf]| p.iter().map(|p| p.display().to_string()).collect();
        let mut top_failures = markdown::ranked(failures);
        top_failures.truncate(10);
        SummaryView {
            version: env!("CARGO_PKG_VERSION"),
            summary,
            collected_at,
            as_of,
            top_failures,
            outputs: paths(written),
            removed: paths(removed),
            diff: None,
            gate,
            history: None,
            planned: None,
        }
    }
}
