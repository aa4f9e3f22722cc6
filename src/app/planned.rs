//! `scan --terraform-plan`: the snapshot as it is, judged, becomes the baseline; the plan laid
//! over it is what the scan judges and reports. Everything after (the diff, `--fail-on-new`,
//! every report) is the scan's own.

use super::{judge, load_policy, load_snapshot, Evaluated, Output};
use crate::change::{self, terraform, Defaults};
use crate::cli::ScanArgs;
use crate::dest::Run;
use crate::error::Result;
use crate::history::baseline::{Baseline, PastFindings};
use std::path::Path;

/// The organisation as the plan leaves it, judged, and the baseline it is compared with.
pub(super) fn evaluate(
    snapshot: &Path,
    plan: &Path,
    a: &ScanArgs,
    out: &Output,
    run: &Run,
) -> Result<(Evaluated, Baseline)> {
    // The plan is read first: a wrong file fails before anything is judged.
    let changes = terraform::read(plan)?;
    let policy = &a.policy;
    let policy_before = load_policy(policy, out)?;
    let snap = load_snapshot(snapshot, policy, out)?;
    let mut planned = snap.clone();
    let defaults = Defaults {
        account: a.planned.account.clone(),
        region: a.planned.region.clone(),
    };
    let overlay = change::overlay(&mut planned, &changes, &defaults)?;
    for note in &overlay.notes {
        out.warn(note);
    }
    out.stage(&format!(
        "laid {} of the plan's {} resource changes over the snapshot",
        overlay.applied,
        changes.len()
    ));
    let before = judge(snap, policy_before, policy, out)?;
    let mut after = judge(planned, load_policy(policy, out)?, policy, out)?;
    change::settle(&mut after.evaluation, &after.inventory, &overlay);
    let mut record = super::changes::record_of(&before, a, run)?;
    record.scan_id = "before-the-plan".into();
    let findings = super::changes::past_findings(&before);
    Ok((
        after,
        Baseline {
            record,
            findings: PastFindings::Rows(findings),
            earlier: Vec::new(),
        },
    ))
}
