//! `junit.xml` for CI systems: one testsuite per rule, one testcase per subject; FAIL is a
//! failure, NOT_ASSESSED an error, WAIVED and NOT_APPLICABLE are skipped.

use crate::findings::{Finding, Status};
use crate::model::Inventory;
use crate::rules::RuleSet;
use quick_junit::{NonSuccessKind, Report, TestCase, TestCaseStatus, TestSuite};

pub fn render(inv: &Inventory, rules: &RuleSet, findings: &[Finding]) -> Report {
    let mut suites: Vec<TestSuite> = rules
        .rules
        .iter()
        .map(|r| TestSuite::new(r.id.as_str()))
        .collect();
    for f in findings {
        let row = f.row(inv, rules);
        let mut status = match f.status {
            Status::Pass => TestCaseStatus::success(),
            Status::Fail => TestCaseStatus::non_success(NonSuccessKind::Failure),
            Status::NotAssessed => TestCaseStatus::non_success(NonSuccessKind::Error),
            Status::Waived | Status::NotApplicable => TestCaseStatus::skipped(),
        };
        if f.status != Status::Pass {
            status.set_message(row.reason).set_type(row.status);
        }
        let name = if row.resource_arn.is_empty() {
            format!("{}/{}", row.account_id, row.region)
        } else {
            row.resource_arn.to_owned()
        };
        let mut case = TestCase::new(name, status);
        case.set_classname(format!("{}.{}", row.rule_id, row.account_id));
        suites[f.rule as usize].add_test_case(case);
    }
    let mut report = Report::new("backup-auditor");
    report.add_test_suites(suites);
    report
}
