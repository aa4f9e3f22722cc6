//! OCSF Compliance Finding events (class 2003), one per non-PASS finding: what Prowler emits
//! and Security Hub / Security Lake ingest.

use crate::findings::{Finding, Status};
use crate::model::Inventory;
use crate::rules::{RuleSet, Severity};
use serde_json::{json, Value};

pub const OCSF_VERSION: &str = "1.3.0";

/// Fields every event of the class must carry (OCSF 1.3 Compliance Finding, required
/// attributes), checked in the tests.
pub const REQUIRED: [&str; 9] = [
    "activity_id",
    "category_uid",
    "class_uid",
    "compliance",
    "finding_info",
    "metadata",
    "severity_id",
    "time",
    "type_uid",
];

fn severity_id(s: Severity) -> u8 {
    match s {
        Severity::Info => 1,
        Severity::Low => 2,
        Severity::Medium => 3,
        Severity::High => 4,
        Severity::Critical => 5,
    }
}

/// OCSF compliance status: Pass 1, Warning 2, Fail 3, Other 99. NOT_ASSESSED and WAIVED are
/// warnings and NOT_APPLICABLE is "Other": only a real PASS is ever reported as passing.
fn compliance_status(s: Status) -> (u8, &'static str) {
    match s {
        Status::Pass => (1, "Pass"),
        Status::NotApplicable => (99, "Not Applicable"),
        Status::Fail => (3, "Fail"),
        Status::NotAssessed | Status::Waived => (2, "Warning"),
    }
}

pub fn events(inv: &Inventory, rules: &RuleSet, findings: &[Finding]) -> Vec<Value> {
    let time = inv.as_of.timestamp_millis();
    findings
        .iter()
        .filter(|f| f.status != Status::Pass)
        .map(|f| {
            let row = f.row(inv, rules);
            let rule = &rules.rules[f.rule as usize];
            let (status_id, status) = compliance_status(f.status);
            let subject = if row.resource_arn.is_empty() {
                format!("{}/{}", row.account_id, row.region)
            } else {
                row.resource_arn.to_owned()
            };
            json!({
                "activity_id": 1,
                "activity_name": "Create",
                "category_uid": 2,
                "category_name": "Findings",
                "class_uid": 2003,
                "class_name": "Compliance Finding",
                "type_uid": 200301,
                "type_name": "Compliance Finding: Create",
                "severity_id": severity_id(rule.severity),
                "severity": rule.severity.as_str(),
                "status_id": 1,
                "status": "New",
                "time": time,
                "message": row.reason,
                "metadata": {
                    "version": OCSF_VERSION,
                    "event_code": rule.id,
                    "product": {
                        "name": "backup-auditor",
                        "vendor_name": "backup-auditor",
                        "version": env!("CARGO_PKG_VERSION"),
                    },
                },
                "finding_info": {
                    "uid": format!("{}:{subject}", rule.id),
                    "title": rule.title,
                    "desc": rule.docs.what,
                    "types": [row.check],
                },
                "compliance": {
                    "status_id": status_id,
                    "status": status,
                    "status_detail": row.reason,
                    "control": rule.id,
                    "standards": rule.frameworks.keys().collect::<Vec<_>>(),
                    "requirements": rule.frameworks.values().flatten().collect::<Vec<_>>(),
                },
                "remediation": {"desc": rule.docs.remediation, "references": rule.docs.references},
                "resources": [{
                    "uid": subject,
                    "name": row.resource_name,
                    "type": row.resource_type,
                    "region": row.region,
                    "cloud_partition": "aws",
                }],
                "cloud": {
                    "provider": "AWS",
                    "region": row.region,
                    "account": {"uid": row.account_id, "name": row.account_name, "type": "AWS Account", "type_id": 10},
                },
                "unmapped": {"backup_auditor_status": row.status},
            })
        })
        .collect()
}
