//! `scan --terraform-plan`: the snapshot as it is, judged, becomes the baseline; the plan laid
//! over it is what the scan judges and reports. Everything after (the diff, `--fail-on-new`,
//! every report) is the scan's own.

use super::{judge, load_policy, load_snapshot, to_stdout, Evaluated, Output};
use crate::change::terraform::{self, ResourceChange};
use crate::change::{self, cloudformation, template, Defaults};
use crate::cli::{ExplainArgs, ExplainFormat, PlannedArgs, PolicyArgs, ScanArgs};
use crate::dest::Run;
use crate::error::Error;
use crate::error::Result;
use crate::exit;
use crate::history::baseline::{Baseline, PastFindings};
use crate::report::{explain, markdown, Templates};
use serde::Serialize;
use std::path::Path;

/// A planned change: its resource changes (a template's are found once the snapshot is
/// read) and what it is, in words.
pub(super) struct Planned {
    pub changes: Vec<ResourceChange>,
    pub template: Option<template::Template>,
    pub source: String,
}

/// The planned change the scan is given, read before anything is judged (a wrong file fails
/// first); `None` without one.
pub(super) fn read(p: &PlannedArgs) -> Result<Option<Planned>> {
    let planned = |changes, source| Planned {
        changes,
        template: None,
        source,
    };
    Ok(Some(
        match (&p.terraform_plan, &p.cfn_change_set, &p.cfn_template) {
            (Some(plan), _, _) => planned(
                terraform::read(plan)?,
                format!("the Terraform plan {}", plan.display()),
            ),
            (_, Some(set), _) => planned(
                cloudformation::read(set)?,
                format!("the CloudFormation change set {}", set.display()),
            ),
            (_, _, Some(t)) => {
                let t = template::read(t, p.cfn_parameters.as_deref())?;
                Planned {
                    source: t.source(),
                    template: Some(t),
                    changes: Vec::new(),
                }
            }
            (None, None, None) => return Ok(None),
        },
    ))
}

/// The organisation before and after the plan, each judged; what was said of the plan at its
/// addresses (also printed as warnings); and the overlay (where each address landed).
struct Judged {
    before: Evaluated,
    after: Evaluated,
    said: Vec<String>,
    overlay: change::Overlay,
}

fn judge_both(
    snapshot: &Path,
    plan: &Planned,
    policy: &PolicyArgs,
    p: &PlannedArgs,
    out: &Output,
) -> Result<Judged> {
    let policy_before = load_policy(policy, out)?;
    let snap = load_snapshot(snapshot, policy, None, out)?;
    let mut planned = snap.clone();
    let defaults = Defaults {
        account: p.account.clone(),
        region: p.region.clone(),
    };
    let deployed = match &plan.template {
        Some(t) => Some(t.changes(&snap, &defaults, p.stack_name.as_deref())?),
        None => None,
    };
    let (changes, mut said) = match &deployed {
        Some(d) => (&d.changes, d.notes.clone()),
        None => (&plan.changes, Vec::new()),
    };
    let mut overlay = change::overlay(&mut planned, changes, &defaults)?;
    for (id, why) in deployed.iter().flat_map(|d| &d.orphans) {
        overlay
            .undecidable_selections
            .insert(id.clone(), why.clone());
    }
    said.extend(change::mistakes::find(changes, &snap));
    said.extend(overlay.notes.iter().cloned());
    for note in &said {
        out.warn(note);
    }
    out.stage(&format!(
        "laid {} of the plan's {} resource changes over the snapshot",
        overlay.applied,
        changes.len()
    ));
    let before = judge(snap, policy_before, policy, out)?;
    let mut after = judge(planned, load_policy(policy, out)?, policy, out)?;
    change::settle(
        &mut after.evaluation,
        &after.inventory,
        &after.rules,
        &overlay,
    );
    // Seen only once the organisation as planned is built.
    for note in change::judged::find(&after.inventory, &overlay) {
        out.warn(&note);
        said.push(note);
    }
    Ok(Judged {
        before,
        after,
        said,
        overlay,
    })
}

/// The organisation as the plan leaves it, judged; the baseline it is compared with (the
/// snapshot as it is: its record here, its findings in the evaluation beside it); and what was
/// said of the plan at its addresses.
pub(super) struct Before {
    pub evaluated: Evaluated,
    pub baseline: Baseline,
}

/// What was said of a planned change at its addresses, and where each planned resource
/// landed (its ARN, known or standing in → its address), for the reports.
#[derive(Default)]
pub(super) struct Said {
    pub warnings: Vec<String>,
    pub addresses: std::collections::BTreeMap<String, String>,
}

impl Said {
    /// What the reports say of the planned change `p`.
    pub fn view(&self, p: Planned) -> markdown::PlannedView<'_> {
        markdown::PlannedView {
            source: p.source,
            warnings: &self.warnings,
            addresses: &self.addresses,
        }
    }
}

pub(super) fn evaluate(
    snapshot: &Path,
    plan: &Planned,
    a: &ScanArgs,
    out: &Output,
    run: &Run,
) -> Result<(Evaluated, Before, Said)> {
    let j = judge_both(snapshot, plan, &a.policy, &a.planned, out)?;
    let mut record = super::changes::record_of(&j.before, a, run)?;
    record.scan_id = "before-the-plan".into();
    let baseline = Baseline {
        record,
        // Compared from `evaluated` (`changes::compare_planned`), not copied into rows.
        findings: PastFindings::Rows(Vec::new()),
        earlier: Vec::new(),
    };
    Ok((
        j.after,
        Before {
            evaluated: j.before,
            baseline,
        },
        Said {
            warnings: j.said,
            addresses: j
                .overlay
                .arns
                .into_iter()
                .map(|(at, arn)| (arn, at))
                .collect(),
        },
    ))
}

/// What a scan judges: the snapshot as it is, with the baseline it was given; or, with a
/// planned change, the organisation as the change leaves it, with the snapshot as it is for
/// baseline (its record, and its evaluation to compare with).
pub(super) fn judge_scan(
    snapshot: &Path,
    planned: Option<&Planned>,
    given: Option<Baseline>,
    a: &ScanArgs,
    out: &Output,
    run: &Run,
) -> Result<(Evaluated, Option<Baseline>, Option<Evaluated>, Said)> {
    Ok(match planned {
        None => {
            let e = super::evaluate_shard(snapshot, &a.policy, a.shard, out)?;
            (e, given, None, Said::default())
        }
        Some(p) => {
            let (e, before, said) = evaluate(snapshot, p, a, out, run)?;
            (e, Some(before.baseline), Some(before.evaluated), said)
        }
    })
}

/// `explain --terraform-plan`: one resource's story before the plan and after it. The
/// resource is named by its ARN or by its address in the plan.
pub(super) fn explain(out: &Output, a: &ExplainArgs, p: &Planned) -> Result<u8> {
    let j = judge_both(&a.snapshot, p, &a.policy, &a.planned, out)?;
    // A change set's address is `LogicalId (Type)`: its logical id alone names it too.
    let logical = format!("{} (", a.arn);
    let arn = j
        .overlay
        .arns
        .iter()
        .find(|(address, _)| **address == a.arn || address.starts_with(&logical))
        .map_or_else(|| a.arn.clone(), |(_, arn)| arn.clone());
    fn story<'e>(e: &'e Evaluated, arn: &str) -> Option<explain::Explanation<'e>> {
        e.inventory
            .find_resource(arn)
            .map(|(si, ri)| explain::explain(&e.inventory, &e.rules, &e.evaluation, si, ri))
    }
    let (before, after) = (story(&j.before, &arn), story(&j.after, &arn));
    if before.is_none() && after.is_none() {
        return Err(Error::Usage(format!(
            "no resource {:?} in {} before or after {}",
            a.arn,
            a.snapshot.display(),
            p.source
        )));
    }
    #[derive(Serialize)]
    struct View<'a> {
        source: &'a str,
        before: Option<explain::Explanation<'a>>,
        after: Option<explain::Explanation<'a>>,
    }
    let view = View {
        source: &p.source,
        before,
        after,
    };
    match a.format {
        ExplainFormat::Json => {
            let text =
                serde_json::to_string_pretty(&view).map_err(|e| Error::Usage(e.to_string()))?;
            to_stdout(&format!("{text}\n"))
        }
        ExplainFormat::Text => {
            let t = Templates::load(a.templates.templates.as_deref())?;
            to_stdout(&t.render("explain-planned.txt.j2", &view)?)
        }
    }?;
    Ok(exit::explain_code(false))
}
