//! The exit policy, in one place. Renderers never decide the exit code.
//!
//! | code | meaning |
//! |---|---|
//! | 0 | no unwaived FAIL at or above `--fail-on` (or `--fail-on` not set), everything assessed, something judged |
//! | 1 | at least one unwaived FAIL at or above `--fail-on` |
//! | 2 | usage or input error (bad snapshot, rule or waiver file, a waiver over `--max-waiver-matches`): no report was written |
//! | 3 | `--fail-on` is set, no such failure, but something could not be assessed, or nothing was judged |
//! | 130, 143 | interrupted by SIGINT or SIGTERM; the run's temporary files were removed |
//!
//! `explain` has no gate: [`explain_code`] decides its code.
//!
//! Failures win over not-assessed: a gate that found a definite violation reports it.
//!
//! Nothing judged: an audit that judged nothing must not pass a gate. That is no rules at
//! all, or no subject with a PASS, FAIL or WAIVED finding among those the gate counts
//! ([`Summary::judged_subjects`]: workload resources; vaults and recovery points for a policy
//! with no rule on workload resources). An empty snapshot, or one whose inventory is empty
//! everywhere, judges nothing.

use crate::findings::summary::Summary;
use crate::rules::Severity;
use serde::Serialize;

pub const OK: u8 = 0;
pub const FAILURES: u8 = 1;
pub const INPUT_ERROR: u8 = 2;
pub const NOT_ASSESSED: u8 = 3;
/// 128 + the signal's number, as shells report a process a signal ended.
pub const INTERRUPTED: u8 = 130;
pub const TERMINATED: u8 = 143;

/// The exit code of a scan whose gate is `gate` (`None`: no `--fail-on`, always 0).
pub fn code(gate: Option<&Gate>) -> u8 {
    gate.map_or(OK, |g| g.code)
}

/// What `--fail-on` decided and on which counts, so a CI log can say why it failed.
#[derive(Debug, Clone, Serialize)]
pub struct Gate {
    pub fail_on: Severity,
    /// Unwaived FAIL findings at `fail_on` or above.
    pub failures: usize,
    pub not_assessed: usize,
    /// Rules evaluated.
    pub rules: usize,
    /// Subjects judged, as [`Summary::judged_subjects`] counts them.
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
    NothingJudged,
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
pub fn gate(summary: &Summary, fail_on: Option<Severity>) -> Option<Gate> {
    let min = fail_on?;
    let (failures, not_assessed) = (summary.failures_at_least(min), summary.not_assessed());
    let judged = summary.judged_subjects();
    let reason = if failures > 0 {
        None
    } else if summary.rules == 0 {
        Some(Reason::NoRules)
    } else if not_assessed > 0 {
        Some(Reason::NotAssessed)
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
    Some(Gate {
        fail_on: min,
        failures,
        not_assessed,
        rules: summary.rules,
        judged,
        reason,
        code,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::findings::summary::{Coverage, Judged};
    use std::collections::BTreeMap;

    /// One rule on workload resources, one resource judged, and these counts.
    fn summary(fails: &[(Severity, usize)], not_assessed: usize) -> Summary {
        let mut by_status = BTreeMap::new();
        if not_assessed > 0 {
            by_status.insert("NOT_ASSESSED", not_assessed);
        }
        Summary {
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
            counts: vec![],
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
    fn a_gate_over_no_rules_exits_3() {
        let s = Summary {
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

    #[test]
    fn failures_win_over_nothing_judged() {
        let mut s = summary(&[(Severity::High, 1)], 0);
        s.judged.resources = 0;
        let g = gate(&s, Some(Severity::High)).unwrap();
        assert_eq!((g.code, g.reason), (FAILURES, None));
    }
}
