//! The exit policy, in one place. Renderers never decide the exit code.
//!
//! | code | meaning |
//! |---|---|
//! | 0 | no unwaived FAIL at or above `--fail-on` (or `--fail-on` not set), everything assessed |
//! | 1 | at least one unwaived FAIL at or above `--fail-on` |
//! | 2 | usage or input error (bad snapshot, rule or waiver file): nothing was evaluated |
//! | 3 | `--fail-on` is set, no such failure, but something could not be assessed |
//! | 130, 143 | interrupted by SIGINT or SIGTERM; the run's temporary files were removed |
//!
//! Failures win over not-assessed: a gate that found a definite violation reports it.

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

pub fn exit_code(summary: &Summary, fail_on: Option<Severity>) -> u8 {
    gate(summary, fail_on).map_or(OK, |g| g.code)
}

/// What `--fail-on` decided and on which counts, so a CI log can say why it failed.
#[derive(Debug, Clone, Serialize)]
pub struct Gate {
    pub fail_on: Severity,
    /// Unwaived FAIL findings at `fail_on` or above.
    pub failures: usize,
    pub not_assessed: usize,
    pub code: u8,
}

/// `None` without `--fail-on`: the gate is off and the code is always 0.
pub fn gate(summary: &Summary, fail_on: Option<Severity>) -> Option<Gate> {
    let min = fail_on?;
    let (failures, not_assessed) = (summary.failures_at_least(min), summary.not_assessed());
    let code = if failures > 0 {
        FAILURES
    } else if not_assessed > 0 {
        NOT_ASSESSED
    } else {
        OK
    };
    Some(Gate {
        fail_on: min,
        failures,
        not_assessed,
        code,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::findings::summary::Coverage;
    use std::collections::BTreeMap;

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
            waivers_active: vec![],
            waivers_expired: vec![],
            waivers_unused: vec![],
            counts: vec![],
        }
    }

    #[test]
    fn without_fail_on_the_gate_never_fails() {
        assert_eq!(exit_code(&summary(&[(Severity::Critical, 3)], 5), None), OK);
    }

    #[test]
    fn failures_at_or_above_threshold_exit_1() {
        let s = summary(&[(Severity::Medium, 1)], 0);
        assert_eq!(exit_code(&s, Some(Severity::Medium)), FAILURES);
        assert_eq!(exit_code(&s, Some(Severity::Low)), FAILURES);
        assert_eq!(exit_code(&s, Some(Severity::High)), OK);
    }

    #[test]
    fn not_assessed_exits_3_only_without_failures() {
        assert_eq!(
            exit_code(&summary(&[], 2), Some(Severity::High)),
            NOT_ASSESSED
        );
        assert_eq!(
            exit_code(&summary(&[(Severity::High, 1)], 2), Some(Severity::High)),
            FAILURES
        );
        assert_eq!(
            exit_code(&summary(&[(Severity::Low, 1)], 2), Some(Severity::High)),
            NOT_ASSESSED
        );
    }
}
