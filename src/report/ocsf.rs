//! OCSF Compliance Finding events (class 2003), one per non-PASS finding: what Prowler emits
//! and Security Hub / Security Lake ingest.

use crate::findings::ordered::write_pretty_array;
use crate::findings::{Finding, Status};
use crate::model::Inventory;
use crate::rules::{RuleSet, Severity};
use serde::Serialize;
use std::borrow::Cow;

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

/// OCSF compliance status: Unknown 0, Pass 1, Warning 2, Fail 3, Other 99. Only a real PASS
/// is ever reported as passing: what could not be read is Unknown, a waived failure is still
/// a Fail (its finding is Suppressed, see [`finding_status`]), NOT_APPLICABLE is Other; what
/// is known only after a planned change is applied is Unknown too.
fn compliance_status(s: Status) -> (u8, &'static str) {
    match s {
        Status::Pass => (1, "Pass"),
        Status::NotApplicable => (99, "Not Applicable"),
        Status::Fail | Status::Waived => (3, "Fail"),
        Status::NotAssessed | Status::Undecidable => (0, "Unknown"),
    }
}

/// OCSF finding status: New 1, Suppressed 3. A waiver suppresses a finding; it does not fix it.
fn finding_status(s: Status) -> (u8, &'static str) {
    match s {
        Status::Waived => (3, "Suppressed"),
        _ => (1, "New"),
    }
}

#[derive(Serialize)]
struct Product {
    name: &'static str,
    vendor_name: &'static str,
    version: &'static str,
}

#[derive(Serialize)]
struct Metadata<'a> {
    version: &'static str,
    event_code: &'a str,
    product: Product,
}

#[derive(Serialize)]
struct FindingInfo<'a> {
    uid: String,
    title: &'a str,
    desc: &'a str,
    types: [&'a str; 1],
}

#[derive(Serialize)]
struct Compliance<'a> {
    status_id: u8,
    status: &'static str,
    status_detail: &'a str,
    control: &'a str,
    standards: Vec<&'a String>,
    requirements: Vec<&'a String>,
}

#[derive(Serialize)]
struct Remediation<'a> {
    desc: &'a str,
    references: &'a [String],
}

#[derive(Serialize)]
struct ResourceRef<'a> {
    uid: Cow<'a, str>,
    name: &'a str,
    #[serde(rename = "type")]
    kind: &'a str,
    region: &'a str,
    cloud_partition: &'static str,
}

#[derive(Serialize)]
struct Account<'a> {
    uid: &'a str,
    name: &'a str,
    #[serde(rename = "type")]
    kind: &'static str,
    type_id: u8,
}

#[derive(Serialize)]
struct Cloud<'a> {
    provider: &'static str,
    region: &'a str,
    account: Account<'a>,
}

#[derive(Serialize)]
struct Unmapped<'a> {
    backup_auditor_status: &'static str,
    /// The run that wrote the event, as in every output of that run.
    backup_auditor_run_id: &'a str,
}

/// One OCSF Compliance Finding event, borrowing from the findings so millions of them can
/// be streamed without building JSON trees.
#[derive(Serialize)]
pub struct Event<'a> {
    activity_id: u8,
    activity_name: &'static str,
    category_uid: u8,
    category_name: &'static str,
    class_uid: u16,
    class_name: &'static str,
    type_uid: u32,
    type_name: &'static str,
    severity_id: u8,
    severity: &'static str,
    status_id: u8,
    status: &'static str,
    time: i64,
    message: &'a str,
    metadata: Metadata<'a>,
    finding_info: FindingInfo<'a>,
    compliance: Compliance<'a>,
    remediation: Remediation<'a>,
    resources: [ResourceRef<'a>; 1],
    cloud: Cloud<'a>,
    unmapped: Unmapped<'a>,
}

fn event<'a>(
    inv: &'a Inventory,
    rules: &'a RuleSet,
    f: &'a Finding,
    time: i64,
    run_id: &'a str,
) -> Event<'a> {
    let row = f.row(inv, rules);
    let rule = &rules.rules[f.rule as usize];
    let (status_id, status) = compliance_status(f.status);
    // A whole account-region (NOT_ASSESSED) has no ARN: name it account/region.
    let subject: Cow<'a, str> = if row.resource_arn.is_empty() {
        Cow::Owned(inv.scopes[f.subject.scope() as usize].label())
    } else {
        Cow::Borrowed(row.resource_arn)
    };
    Event {
        activity_id: 1,
        activity_name: "Create",
        category_uid: 2,
        category_name: "Findings",
        class_uid: 2003,
        class_name: "Compliance Finding",
        type_uid: 200301,
        type_name: "Compliance Finding: Create",
        severity_id: severity_id(rule.severity),
        severity: rule.severity.as_str(),
        status_id: finding_status(f.status).0,
        status: finding_status(f.status).1,
        time,
        message: row.reason,
        metadata: Metadata {
            version: OCSF_VERSION,
            event_code: &rule.id,
            product: Product {
                name: "backup-auditor",
                vendor_name: "backup-auditor",
                version: env!("CARGO_PKG_VERSION"),
            },
        },
        finding_info: FindingInfo {
            uid: format!("{}:{subject}", rule.id),
            title: &rule.title,
            desc: &rule.docs.what,
            types: [row.check],
        },
        compliance: Compliance {
            status_id,
            status,
            status_detail: row.reason,
            control: &rule.id,
            standards: rule.frameworks.keys().collect(),
            requirements: rule.frameworks.values().flatten().collect(),
        },
        remediation: Remediation {
            desc: &rule.docs.remediation,
            references: &rule.docs.references,
        },
        resources: [ResourceRef {
            uid: subject,
            name: row.resource_name,
            kind: row.resource_type,
            region: row.region,
            cloud_partition: "aws",
        }],
        cloud: Cloud {
            provider: "AWS",
            region: row.region,
            account: Account {
                uid: row.account_id,
                name: row.account_name,
                kind: "AWS Account",
                type_id: 10,
            },
        },
        unmapped: Unmapped {
            backup_auditor_status: row.status,
            backup_auditor_run_id: run_id,
        },
    }
}

/// Streams `findings.ocsf.json`: a JSON array with one event per non-PASS finding, laid out
/// as `serde_json`'s pretty printer lays out the whole array.
pub fn write(
    w: &mut dyn std::io::Write,
    inv: &Inventory,
    rules: &RuleSet,
    findings: &[Finding],
    run_id: &str,
) -> std::io::Result<()> {
    let time = inv.as_of.timestamp_millis();
    let events: Vec<u32> = (0..findings.len() as u32)
        .filter(|&i| findings[i as usize].status != Status::Pass)
        .collect();
    write_pretty_array(w, events.len(), |k| {
        event(inv, rules, &findings[events[k] as usize], time, run_id)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::findings::ordered::CHUNK;

    /// The parallel writer lays the events out exactly as serde_json's pretty printer does.
    #[test]
    fn streamed_events_are_the_pretty_printed_array() {
        use serde::Serializer;
        let e = crate::app::evaluate_sample();
        let (inv, rules) = (&e.inventory, &e.rules);
        let mut findings = e.evaluation.findings.clone();
        let failed = findings.iter_mut().find(|f| f.status == Status::Fail);
        failed.unwrap().reason = "line\nbreak \"quoted\" \\ tab\t".into();
        for n in [0, 1, findings.len(), 3 * CHUNK] {
            let some: Vec<Finding> = findings.iter().cycle().take(n).cloned().collect();
            let time = inv.as_of.timestamp_millis();
            let mut whole = Vec::new();
            let mut ser = serde_json::Serializer::pretty(&mut whole);
            ser.collect_seq(
                some.iter()
                    .filter(|f| f.status != Status::Pass)
                    .map(|f| event(inv, rules, f, time, "0badf00d")),
            )
            .unwrap();
            whole.push(b'\n');
            let mut streamed = Vec::new();
            write(&mut streamed, inv, rules, &some, "0badf00d").unwrap();
            assert!(streamed == whole, "{n} findings");
        }
    }
}
