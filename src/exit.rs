//! The exit policy, in one place. Renderers never decide the exit code.
//!
//! | code | meaning |
//! |---|---|
//! | 0 | no unwaived FAIL at or above `--fail-on` (or `--fail-on` not set), everything assessed, something judged |
//! | 1 | at least one unwaived FAIL at or above `--fail-on` |
//! | 2 | usage or input error (bad snapshot, rule or waiver file, a waiver over `--max-waiver-matches`): no report was written |
//! | 3 | `--fail-on` is set, no such failure, but something could not be assessed, or nothing was judged |
//! | 4 | `--security-hub`: the reports were written, but Security Hub refused findings or could not be reached in an account-region |
//! | 130, 143 | interrupted by SIGINT or SIGTERM; the run's temporary files were removed |
//!
//! A planned change's UNDECIDABLE findings (known only after apply) count as failures with
//! `--undecidable fail`; with `warn` (the default) the gate names how many and does not count
//! them either way ([`weigh_undecidable`]).
//!
//! `--fail-on-new SEVERITY` counts only the failures that are `new` or `regressed` since the
//! baseline; a failure at or above it whose change is unknown (its account-region was not read
//! in the baseline, or it was not assessed then) is a reason for 3, like NOT_ASSESSED. Without
//! a baseline it says so and counts every failure, as `--fail-on` does.
//!
//! `explain` has no gate: [`explain_code`] decides its code.
//!
//! Failures win over not-assessed: a gate that found a definite violation reports it.
//!
//! Nothing judged: an audit that judged nothing must not pass a gate. That is no rules at
//! all, or no subject with a PASS, FAIL or WAIVED finding among those the gate counts
//! ([`Totals::judged_subjects`]: workload resources; vaults and recovery points for a policy
//! with no rule on workload resources). An empty snapshot, or one whose inventory is empty
//! everywhere, judges nothing.

use crate::findings::summary::Totals;
use crate::findings::{Finding, Status};
use crate::history::diff::NoBaseline;
use crate::history::record::{Change, FindingChange};
use crate::rules::{RuleSet, Severity};
use serde::Serialize;

pub const OK: u8 = 0;
pub const FAILURES: u8 = 1;
pub const INPUT_ERROR: u8 = 2;
pub const NOT_ASSESSED: u8 = 3;
/// `--security-hub`: the reports were written, but Security Hub refused findings or could not
/// be reached in an account-region. It wins over 0, 1 and 3: findings that did not arrive
/// would otherwise go unnoticed by a schedule that only looks at the code.
pub const NOT_DELIVERED: u8 = 4;
/// 128 + the signal's number, as shells report a process a signal ended.
pub const INTERRUPTED: u8 = 130;
pub const TERMINATED: u8 = 143;

/// The exit code of a scan whose gate is `gate` (`None`: no `--fail-on`, always 0).
pub fn code(gate: Option<&Gate>) -> u8 {
    gate.map_or(OK, |g| g.code)
}

/// What `--fail-on` (or `--fail-on-new`) decided and on which counts, so a CI log can say
/// why it failed.
#[derive(Debug, Clone, Serialize)]
pub struct Gate {
    pub fail_on: Severity,
    /// `--fail-on-new`: only failures new since the baseline count.
    pub new_only: bool,
    /// With `--fail-on-new`: the scan compared with, or why there is none (then every
    /// failure counts).
    pub baseline: Option<String>,
    pub no_baseline: Option<NoBaseline>,
    /// Unwaived FAIL findings at `fail_on` or above (with a baseline, the new or regressed
    /// ones).
    pub failures: usize,
    /// With a baseline: unwaived failures at `fail_on` or above that are not new, and those
    /// whose change is unknown.
    pub not_new: usize,
    pub unknown: usize,
    pub not_assessed: usize,
    /// A planned change's findings UNDECIDABLE until apply at `fail_on` or above, and whether
    /// they fail the gate (`--undecidable fail`; with `warn` they are reported, not counted).
    pub undecidable: usize,
    pub undecidable_fails: bool,
    /// Rules evaluated.
    pub rules: usize,
    /// Subjects judged, as [`Totals::judged_subjects`] counts them.
    pub judged: usize,
    /// Why the gate could not pass though nothing failed, if that is the reason for its code.
    pub reason: Option<Reason>,
    pub code: u8,
}

/// Why a gate with no failure still exits 3.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Reason {
    NoRules,
    NotAssessed,
    /// Failures at or above the threshold whose change since the baseline is unknown.
    ChangeUnknown,
    NothingJudged,
}

/// The scan's code once its findings were delivered to Security Hub (if asked): 4 when some
/// did not arrive.
pub fn delivered(code: u8, complete: Option<bool>) -> u8 {
    match complete {
        Some(false) => NOT_DELIVERED,
        _ => code,
    }
}

/// `explain`'s exit code once the resource was looked up: 0 when it was explained (whatever its
/// verdicts); 3 when it is not in the snapshot and the inventory of its home account-region
/// could not be read, so whether it exists is unknown. (Not in the snapshot where the inventory
/// was read is a usage error, 2.)
pub fn explain_code(home_inventory_unreadable: bool) -> u8 {
    if home_inventory_unreadable {
        NOT_ASSESSED
    } else {
        OK
    }
}

/// `None` without `--fail-on`: the gate is off and the code is always 0.
pub fn gate(summary: &Totals, fail_on: Option<Severity>) -> Option<Gate> {
    let min = fail_on?;
    Some(decide(summary, min, summary.failures_at_least(min), 0))
}

/// What `--fail-on-new` compares with: a baseline's changes, one per finding, or why there
/// is no baseline.
pub enum Compared<'a> {
    With {
        baseline: &'a str,
        changes: &'a [FindingChange],
        findings: &'a [Finding],
        rules: &'a RuleSet,
    },
    Without(NoBaseline),
}

/// `--fail-on-new min`: exit 1 only on unwaived failures at or above `min` that are new or
/// regressed since the baseline; without one, every failure counts (as `--fail-on`).
pub fn gate_new(summary: &Totals, min: Severity, compared: Compared) -> Gate {
    let (baseline, changes, findings, rules) = match compared {
        Compared::Without(why) => {
            return Gate {
                new_only: true,
                no_baseline: Some(why),
                ..decide(summary, min, summary.failures_at_least(min), 0)
            }
        }
        Compared::With {
            baseline,
            changes,
            findings,
            rules,
        } => (baseline, changes, findings, rules),
    };
    let (mut new, mut unknown, mut other) = (0, 0, 0);
    let failing = findings
        .iter()
        .zip(changes)
        .filter(|(f, _)| f.status == Status::Fail && rules.rules[f.rule as usize].severity >= min);
    for (_, c) in failing {
        match c.change {
            Change::New | Change::Regressed => new += 1,
            Change::Unknown | Change::AssessedAgain => unknown += 1,
            _ => other += 1,
        }
    }
    Gate {
        new_only: true,
        baseline: Some(baseline.to_owned()),
        not_new: other,
        ..decide(summary, min, new, unknown)
    }
}

/// The gate once `undecidable` findings at its threshold are weighed: with
/// `--undecidable fail` they count as failures (exit 1); with `warn` the gate only says how
/// many there are. Neither ever counts them as passing.
pub fn weigh_undecidable(mut g: Gate, undecidable: usize, fail: bool) -> Gate {
    g.undecidable = undecidable;
    g.undecidable_fails = fail;
    if fail && undecidable > 0 {
        g.failures += undecidable;
        g.reason = None;
        g.code = FAILURES;
    }
    g
}

/// The code from the failures that count and the failures whose change is unknown.
fn decide(summary: &Totals, min: Severity, failures: usize, unknown: usize) -> Gate {
    let not_assessed = summary.not_assessed();
    let judged = summary.judged_subjects();
    let reason = if failures > 0 {
        None
    } else if summary.rules == 0 {
        Some(Reason::NoRules)
    } else if not_assessed > 0 {
        Some(Reason::NotAssessed)
    } else if unknown > 0 {
        Some(Reason::ChangeUnknown)
    } else if judged == 0 {
        Some(Reason::NothingJudged)
    } else {
        None
    };
    let code = match (failures, reason) {
        (1.., _) => FAILURES,
        (0, Some(_)) => NOT_ASSESSED,
        (0, None) => OK,
    };
    Gate {
        fail_on: min,
        new_only: false,
        baseline: None,
        no_baseline: None,
        failures,
        not_new: 0,
        unknown,
        not_assessed,
        undecidable: 0,
        undecidable_fails: false,
        rules: summary.rules,
        judged,
        reason,
        code,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::findings::summary::{Coverage, Judged};
    use std::collections::BTreeMap;

    /// One rule on workload resources, one resource judged, and these counts.
    fn summary(fails: &[(Severity, usize)], not_assessed: usize) -> Totals {
        let mut by_status = BTreeMap::new();
        if not_assessed > 0 {
            by_status.insert("NOT_ASSESSED", not_assessed);
        }
        Totals {
            scopes: 1,
            resources: 1,
            findings: 1,
            by_status,
            failures_by_severity: fails.iter().copied().collect(),
            coverage: Coverage {
                protected: 0,
                unprotected: 0,
                not_assessed: 0,
                through_cluster: 0,
                percent: 0.0,
            },
            not_assessed_scopes: vec![],
            not_judged: Default::default(),
            rules: 1,
            resource_rules: 1,
            judged: Judged {
                resources: 1,
                vaults: 0,
                recovery_points: 0,
            },
            rules_matching_nothing: vec![],
            schedule_warnings: vec![],
            waivers_active: vec![],
            waivers_expired: vec![],
            waivers_unused: vec![],
        }
    }

    #[test]
    fn explain_is_not_assessed_only_when_its_home_inventory_was_unreadable() {
        assert_eq!(explain_code(false), OK);
        assert_eq!(explain_code(true), NOT_ASSESSED);
    }

    #[test]
    fn without_fail_on_the_gate_never_fails() {
        assert_eq!(
            code(gate(&summary(&[(Severity::Critical, 3)], 5), None).as_ref()),
            OK
        );
    }

    #[test]
    fn failures_at_or_above_threshold_exit_1() {
        let s = summary(&[(Severity::Medium, 1)], 0);
        assert_eq!(code(gate(&s, Some(Severity::Medium)).as_ref()), FAILURES);
        assert_eq!(code(gate(&s, Some(Severity::Low)).as_ref()), FAILURES);
        assert_eq!(code(gate(&s, Some(Severity::High)).as_ref()), OK);
    }

    #[test]
    fn not_assessed_exits_3_only_without_failures() {
        assert_eq!(
            code(gate(&summary(&[], 2), Some(Severity::High)).as_ref()),
            NOT_ASSESSED
        );
        assert_eq!(
            code(gate(&summary(&[(Severity::High, 1)], 2), Some(Severity::High)).as_ref()),
            FAILURES
        );
        assert_eq!(
            code(gate(&summary(&[(Severity::Low, 1)], 2), Some(Severity::High)).as_ref()),
            NOT_ASSESSED
        );
    }

    #[test]
    fn undecidable_findings_fail_the_gate_only_when_asked() {
        let s = summary(&[], 0);
        let warned = weigh_undecidable(gate(&s, Some(Severity::High)).unwrap(), 2, false);
        assert_eq!((warned.code, warned.undecidable), (OK, 2));
        let failed = weigh_undecidable(gate(&s, Some(Severity::High)).unwrap(), 2, true);
        assert_eq!(
            (failed.code, failed.failures, failed.reason),
            (FAILURES, 2, None)
        );
        // With none at the threshold, `fail` changes nothing; NOT_ASSESSED still says 3.
        let none = weigh_undecidable(
            gate(&summary(&[], 1), Some(Severity::High)).unwrap(),
            0,
            true,
        );
        assert_eq!(none.code, NOT_ASSESSED);
    }

    #[test]
    fn a_gate_over_no_rules_exits_3() {
        let s = Totals {
            rules: 0,
            resource_rules: 0,
            judged: Judged::default(),
            ..summary(&[], 0)
        };
        let g = gate(&s, Some(Severity::Info)).unwrap();
        assert_eq!((g.code, g.reason), (NOT_ASSESSED, Some(Reason::NoRules)));
        assert_eq!(code(gate(&s, None).as_ref()), OK);
    }

    #[test]
    fn a_gate_that_judged_no_resource_exits_3() {
        let mut s = summary(&[], 0);
        s.judged.resources = 0;
        // Vaults judged do not count while the policy has rules on workload resources.
        s.judged.vaults = 5;
        let g = gate(&s, Some(Severity::Info)).unwrap();
        assert_eq!(
            (g.code, g.reason),
            (NOT_ASSESSED, Some(Reason::NothingJudged))
        );
        // A policy of vault rules only is judged on its vaults.
        s.resource_rules = 0;
        assert_eq!(code(gate(&s, Some(Severity::Info)).as_ref()), OK);
        s.judged.vaults = 0;
        assert_eq!(code(gate(&s, Some(Severity::Info)).as_ref()), NOT_ASSESSED);
    }

    /// Findings of one high rule with these statuses and changes, compared with a baseline.
    fn compared(statuses: &[(Status, Change)]) -> (Vec<Finding>, Vec<FindingChange>, RuleSet) {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        let rules = RuleSet::load(&[root.join("rules/default/protection.yaml")]).unwrap();
        let high = rules
            .rules
            .iter()
            .position(|r| r.severity == Severity::High)
            .unwrap() as u32;
        let findings = statuses
            .iter()
            .map(|(status, _)| Finding {
                rule: high,
                subject: crate::findings::Subject::Scope { scope: 0 },
                status: *status,
                reason: "".into(),
                evidence: Default::default(),
                waiver: None,
            })
            .collect();
        let changes = statuses
            .iter()
            .map(|(_, change)| FindingChange {
                change: *change,
                failing_since: None,
            })
            .collect();
        (findings, changes, rules)
    }

    fn gate_on(s: &Totals, min: Severity, statuses: &[(Status, Change)]) -> Gate {
        let (findings, changes, rules) = compared(statuses);
        let with = Compared::With {
            baseline: "b",
            changes: &changes,
            findings: &findings,
            rules: &rules,
        };
        gate_new(s, min, with)
    }

    #[test]
    fn fail_on_new_fails_only_on_new_or_regressed_unwaived_failures() {
        let s = summary(&[(Severity::High, 4)], 0);
        let old = [
            (Status::Fail, Change::StillFailing),
            (Status::Waived, Change::New),
            (Status::Pass, Change::Resolved),
        ];
        let g = gate_on(&s, Severity::High, &old);
        assert_eq!((g.code, g.failures, g.not_new), (OK, 0, 1));
        for change in [Change::New, Change::Regressed] {
            let g = gate_on(&s, Severity::High, &[old[0], (Status::Fail, change)]);
            assert_eq!((g.code, g.failures, g.not_new), (FAILURES, 1, 1));
        }
        // A new failure below the threshold does not count.
        let g = gate_on(&s, Severity::Critical, &[(Status::Fail, Change::New)]);
        assert_eq!((g.code, g.failures), (OK, 0));
        assert_eq!(g.baseline.as_deref(), Some("b"));
    }

    /// A failure whose change is unknown may be new: never a pass, exit 3 as NOT_ASSESSED.
    #[test]
    fn fail_on_new_exits_3_when_a_failure_s_change_is_unknown() {
        let s = summary(&[(Severity::High, 1)], 0);
        for change in [Change::Unknown, Change::AssessedAgain] {
            let g = gate_on(&s, Severity::High, &[(Status::Fail, change)]);
            assert_eq!(
                (g.code, g.reason, g.unknown),
                (NOT_ASSESSED, Some(Reason::ChangeUnknown), 1)
            );
        }
        // New failures win; not-assessed findings are reported first.
        let both = [(Status::Fail, Change::Unknown), (Status::Fail, Change::New)];
        assert_eq!(gate_on(&s, Severity::High, &both).code, FAILURES);
        let na = summary(&[(Severity::High, 1)], 2);
        let g = gate_on(&na, Severity::High, &[(Status::Fail, Change::StillFailing)]);
        assert_eq!(
            (g.code, g.reason),
            (NOT_ASSESSED, Some(Reason::NotAssessed))
        );
    }

    #[test]
    fn fail_on_new_without_a_baseline_says_so_and_acts_as_fail_on() {
        let s = summary(&[(Severity::High, 2)], 0);
        let g = gate_new(&s, Severity::High, Compared::Without(NoBaseline::NotGiven));
        assert_eq!((g.code, g.failures, g.new_only), (FAILURES, 2, true));
        assert_eq!(g.no_baseline, Some(NoBaseline::NotGiven));
        let g = gate_new(
            &s,
            Severity::Critical,
            Compared::Without(NoBaseline::NotGiven),
        );
        assert_eq!(g.code, OK);
    }

    #[test]
    fn failures_win_over_nothing_judged() {
        let mut s = summary(&[(Severity::High, 1)], 0);
        s.judged.resources = 0;
        let g = gate(&s, Some(Severity::High)).unwrap();
        assert_eq!((g.code, g.reason), (FAILURES, None));
    }
}
