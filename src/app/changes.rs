//! `scan`'s comparison with an earlier scan: the baseline `--baseline` names, this scan's
//! record, what changed since, and the gate `--fail-on`/`--fail-on-new` decide from them.

use super::Evaluated;
use crate::cli::{BaselineArg, ScanArgs};
use crate::error::{Error, Result};
use crate::exit::{self, Compared};
use crate::findings::record::{scan_record, ScanFacts};
use crate::findings::summary::Summary;
use crate::history::baseline::{self, Baseline};
use crate::history::diff::{self, CurrentFinding, Diff, NoBaseline};
use crate::history::record::ScanRecord;

/// The baseline `--baseline` names, read before anything is evaluated (a wrong one is an
/// input error, exit 2, with no report written).
pub(super) fn baseline_of(a: &ScanArgs) -> Result<Option<Baseline>> {
    match &a.baseline {
        None => Ok(None),
        Some(BaselineArg::Dir(dir)) => baseline::read_dir(dir).map(Some),
        Some(BaselineArg::ScanId(id)) => Err(Error::Usage(format!(
            "--baseline {id}: a scan id needs --history DIR, the history it is in; or give \
             the --out directory of that scan"
        ))),
    }
}

/// This scan as a history records it.
pub(super) fn record_of(
    e: &Evaluated,
    summary: &Summary,
    a: &ScanArgs,
    run: &crate::dest::Run,
) -> Result<ScanRecord> {
    let snapshot = match &a.snapshot {
        Some(p) => p.display().to_string(),
        None => "live".into(),
    };
    scan_record(&ScanFacts {
        inv: &e.inventory,
        rules: &e.rules,
        evaluation: &e.evaluation,
        summary,
        waivers: a.policy.waivers.as_deref(),
        run_id: &run.id,
        run_at: run.started,
        snapshot: &snapshot,
    })
}

/// What changed between `baseline` and this scan.
pub(super) fn compare(e: &Evaluated, baseline: &Baseline, record: &ScanRecord) -> Diff {
    let (inv, rules) = (&e.inventory, &e.rules);
    let current = e.evaluation.findings.iter().map(|f| {
        let r = f.row(inv, rules);
        CurrentFinding {
            rule_id: r.rule_id,
            account_id: r.account_id,
            region: r.region,
            resource_arn: r.resource_arn,
            resource_type: r.resource_type,
            check: r.check,
            severity: r.severity,
            status: r.status,
            reason: r.reason,
        }
    });
    diff::diff(&baseline.record, &baseline.findings, record, current)
}

/// The gate `--fail-on` or `--fail-on-new` asks for (none without either).
pub(super) fn gate(
    a: &ScanArgs,
    e: &Evaluated,
    summary: &Summary,
    diff: Option<&Diff>,
) -> Option<exit::Gate> {
    let Some(min) = a.fail_on_new else {
        return exit::gate(summary, a.fail_on);
    };
    let compared = match diff {
        Some(d) => Compared::With {
            baseline: &d.baseline.scan_id,
            changes: &d.changes,
            findings: &e.evaluation.findings,
            rules: &e.rules,
        },
        None => Compared::Without(NoBaseline::NotGiven),
    };
    Some(exit::gate_new(summary, min, compared))
}
