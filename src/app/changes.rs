//! `scan`'s comparison with an earlier scan: the baseline `--baseline` names, this scan's
//! record, what changed since, and the gate `--fail-on`/`--fail-on-new` decide from them.

use super::Evaluated;
use crate::cli::{BaselineArg, ScanArgs, UndecidablePolicy};
use crate::error::{Error, Result};
use crate::exit::{self, Compared};
use crate::findings::record::{scan_record, ScanFacts};
use crate::findings::summary::Summary;
use crate::findings::summary::{coverage_by_account, Coverage};
use crate::findings::Status;
use crate::history::baseline::{self, Baseline, PastFindings};
use crate::history::diff::{self, Diff, FindingRef, NoBaseline, RowScopes, Scopes};
use crate::history::record::ScanRecord;
use crate::history::History;
use crate::model::Inventory;
use crate::rules::RuleSet;
use std::collections::BTreeMap;

/// The baseline `--baseline DIR` names, read before anything is evaluated (a wrong one is an
/// input error, exit 2, with no report written). A scan id is looked up in the history once
/// this scan's scopes are known ([`choose`]).
pub(super) fn baseline_of(a: &ScanArgs, with_history: bool) -> Result<Option<Baseline>> {
    match &a.baseline {
        None => Ok(None),
        Some(BaselineArg::Dir(dir)) => baseline::read_dir(dir).map(Some),
        Some(BaselineArg::ScanId(_)) if with_history => Ok(None),
        Some(BaselineArg::ScanId(id)) => Err(Error::Usage(format!(
            "--baseline {id}: a scan id needs --history DIR, the history it is in; or give \
             the --out directory of that scan"
        ))),
    }
}

/// The scan this one is compared with: the `--baseline` directory already read, else from the
/// history the scan `--baseline SCAN_ID` names, else the history's latest scan of the same
/// account-regions; or why there is none.
pub(super) fn choose(
    given: Option<Baseline>,
    a: &ScanArgs,
    history: Option<&History>,
    record: &ScanRecord,
) -> Result<std::result::Result<Baseline, NoBaseline>> {
    if let Some(b) = given {
        return Ok(Ok(b));
    }
    let Some(history) = history else {
        return Ok(Err(NoBaseline::NotGiven));
    };
    let scans = history.scans()?;
    let requested = match &a.baseline {
        Some(BaselineArg::ScanId(id)) => Some(id.as_str()),
        _ => None,
    };
    let chosen = match diff::choose_baseline(&scans, &record.scopes, requested) {
        Ok(s) => s,
        Err(NoBaseline::NoSuchScan { requested }) => {
            return Err(Error::Usage(format!(
                "--baseline {requested}: {} holds no such scan (`backup-auditor history {}` lists them)",
                a.history.history.as_deref().unwrap_or_default(),
                a.history.history.as_deref().unwrap_or_default()
            )))
        }
        Err(why) => return Ok(Err(why)),
    };
    let earlier = scans
        .iter()
        .filter(|s| s.scan_id < chosen.scan_id)
        .cloned()
        .collect();
    Ok(Ok(Baseline {
        record: chosen.clone(),
        findings: PastFindings::Part(Box::new(history.findings(chosen)?)),
        earlier,
    }))
}

/// This scan as a history records it, but for its counts (`findings::record::counted`).
pub(super) fn record_of(e: &Evaluated, a: &ScanArgs, run: &crate::dest::Run) -> Result<ScanRecord> {
    let by_account = coverage_by_account(&e.inventory, &e.evaluation);
    let judged = (&by_account, e.evaluation.findings.len());
    record_from((&e.inventory, &e.rules), judged, a, run)
}

/// The record of a scan of `inv` by `rules`, before its summary, from its coverage per
/// account and its number of findings (a streamed scan counts them batch by batch).
pub(super) fn record_from(
    (inv, rules): (&Inventory, &RuleSet),
    (coverage_by_account, findings_rows): (&BTreeMap<String, Coverage>, usize),
    a: &ScanArgs,
    run: &crate::dest::Run,
) -> Result<ScanRecord> {
    let snapshot = match &a.snapshot {
        Some(p) => p.display().to_string(),
        None => "live".into(),
    };
    scan_record(&ScanFacts {
        inv,
        rules,
        coverage_by_account,
        findings_rows,
        waivers: a.policy.waivers.as_deref(),
        run_id: &run.id,
        run_at: run.started,
        snapshot: &snapshot,
    })
}

/// What changed between `baseline` and this scan.
pub(super) fn compare(e: &Evaluated, baseline: &mut Baseline, record: &ScanRecord) -> Result<Diff> {
    let mut now = Evaluated::scopes(e);
    match &mut baseline.findings {
        PastFindings::Rows(rows) => {
            let mut past = RowScopes::new(rows.iter().map(FindingRef::from));
            diff::diff(&baseline.record, &mut past, record, &mut now)
        }
        PastFindings::Part(part) => diff::diff(&baseline.record, &mut **part, record, &mut now),
    }
}

/// What a planned change does: the organisation before it (the snapshot as it is) compared
/// with the organisation after it, finding by finding, straight from the two evaluations.
pub(super) fn compare_planned(
    e: &Evaluated,
    before: &Evaluated,
    baseline: &Baseline,
    record: &ScanRecord,
) -> Result<Diff> {
    let (mut past, mut now) = (before.scopes(), e.scopes());
    diff::diff(&baseline.record, &mut past, record, &mut now)
}

impl Evaluated {
    /// The findings as a diff walks them.
    fn scopes(&self) -> FindingScopes<'_> {
        FindingScopes {
            e: self,
            range: 0..0,
        }
    }
}

/// The evaluation's findings an account-region at a time: the engine appends each
/// account-region's findings together, in the inventory's order (by account id and region).
struct FindingScopes<'a> {
    e: &'a Evaluated,
    range: std::ops::Range<usize>,
}

impl FindingScopes<'_> {
    fn scope(&self) -> &crate::model::Scope {
        let f = &self.e.evaluation.findings[self.range.start];
        &self.e.inventory.scopes[f.subject.scope() as usize]
    }
}

impl Scopes for FindingScopes<'_> {
    fn total(&self) -> usize {
        self.e.evaluation.findings.len()
    }

    fn advance(&mut self) -> Result<bool> {
        let findings = &self.e.evaluation.findings;
        let start = self.range.end;
        let Some(first) = findings.get(start) else {
            return Ok(false);
        };
        let scope = first.subject.scope();
        let len = findings[start..]
            .iter()
            .position(|f| f.subject.scope() != scope)
            .unwrap_or(findings.len() - start);
        self.range = start..start + len;
        Ok(true)
    }

    fn key(&self) -> (&str, &str) {
        let s = self.scope();
        (&s.account_id, &s.region)
    }

    fn len(&self) -> usize {
        self.range.len()
    }

    fn get(&self, i: usize) -> FindingRef<'_> {
        let f = &self.e.evaluation.findings[self.range.start + i];
        let rule = &self.e.rules.rules[f.rule as usize];
        let scope = self.scope();
        // Not the whole row: a diff needs no evidence, and looking it up costs a cache miss.
        let (resource_type, resource_arn, _) = f.subject_cells(&self.e.inventory);
        FindingRef {
            rule_id: &rule.id,
            account_id: &scope.account_id,
            region: &scope.region,
            resource_arn,
            resource_type,
            check: rule.check.name(),
            severity: rule.severity.as_str(),
            status: f.status.as_str(),
            reason: &f.reason,
            failing_since: None,
        }
    }

    fn key_at(&self, i: usize) -> (&str, &str) {
        let f = &self.e.evaluation.findings[self.range.start + i];
        let rule = &self.e.rules.rules[f.rule as usize];
        (&rule.id, f.subject.arn(&self.e.inventory))
    }

    fn position(&self, i: usize) -> usize {
        self.range.start + i
    }
}

/// The gate `--fail-on` or `--fail-on-new` asks for (none without either).
pub(super) fn gate(
    a: &ScanArgs,
    e: &Evaluated,
    summary: &Summary,
    baseline: &std::result::Result<Baseline, NoBaseline>,
    diff: Option<&Diff>,
) -> Option<exit::Gate> {
    let min = a.fail_on_new.or(a.fail_on)?;
    let undecidable = match summary.by_status.get(Status::Undecidable.as_str()) {
        Some(1..) => e
            .evaluation
            .findings
            .iter()
            .filter(|f| {
                f.status == Status::Undecidable && e.rules.rules[f.rule as usize].severity >= min
            })
            .count(),
        _ => 0,
    };
    let fail = a.planned.undecidable == UndecidablePolicy::Fail;
    let Some(min) = a.fail_on_new else {
        return exit::gate(summary, a.fail_on)
            .map(|g| exit::weigh_undecidable(g, undecidable, fail));
    };
    let compared = match diff {
        Some(d) => Compared::With {
            baseline: &d.baseline.scan_id,
            changes: &d.changes,
            findings: &e.evaluation.findings,
            rules: &e.rules,
        },
        None => Compared::Without(match baseline {
            Err(why) => why.clone(),
            Ok(_) => NoBaseline::NotGiven,
        }),
    };
    Some(exit::weigh_undecidable(
        exit::gate_new(summary, min, compared),
        undecidable,
        fail,
    ))
}
