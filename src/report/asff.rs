//! AWS Security Finding Format (ASFF) findings, as Security Hub CSPM's `BatchImportFindings`
//! takes them: one per rule and subject judged. PASS is PASSED (and archived), FAIL is FAILED,
//! WAIVED is FAILED with its workflow SUPPRESSED, NOT_ASSESSED and UNDECIDABLE are
//! NOT_AVAILABLE; NOT_APPLICABLE has no ASFF status and is left out. The `Id` is the rule and
//! the subject, so the same gap is the same Security Hub finding in every scan: importing it
//! again updates it rather than adding another.
//!
//! Field limits are the API's (`AwsSecurityFinding`); a value cut to fit says so.

use crate::engine::finding::{Finding, Status, Subject};
use crate::findings::ordered::write_pretty_array;
use crate::model::partition_of;
use crate::model::resource::ResourceKind;
use crate::model::Inventory;
use crate::rules::waiver::Waiver;
use crate::rules::{RuleSet, Severity};
use crate::snapshot::time::rfc3339;
use serde::Serialize;
use std::collections::BTreeMap;

pub const SCHEMA_VERSION: &str = "2018-10-08";
/// Every finding's `Id` starts so: what the tool imported, and only that, is its to update.
pub const ID_PREFIX: &str = "backup-auditor/";
const TYPE: &str = "Software and Configuration Checks/AWS Security Best Practices";
const CUT: &str = " … (cut to fit Security Hub's limit)";

/// `AwsSecurityFinding`'s limits.
pub mod limits {
    pub const ID: usize = 512;
    pub const TITLE: usize = 256;
    pub const DESCRIPTION: usize = 1024;
    pub const RECOMMENDATION: usize = 512;
    pub const NOTE: usize = 512;
    pub const PRODUCT_FIELDS: usize = 50;
    pub const FIELD_KEY: usize = 128;
    pub const FIELD_VALUE: usize = 2048;
    pub const REQUIREMENTS: usize = 32;
    /// Findings per `BatchImportFindings` call, and bytes per finding.
    pub const PER_CALL: usize = 100;
    pub const BYTES: usize = 240 * 1024;
}

#[derive(Debug, Clone, Serialize, PartialEq)]
#[serde(rename_all = "PascalCase")]
pub struct AsffFinding {
    pub schema_version: &'static str,
    pub id: String,
    pub product_arn: String,
    pub generator_id: String,
    pub aws_account_id: String,
    pub region: String,
    pub types: Vec<&'static str>,
    pub created_at: String,
    pub updated_at: String,
    pub severity: Label,
    pub title: String,
    pub description: String,
    pub remediation: Remediation,
    pub product_fields: BTreeMap<String, String>,
    pub resources: Vec<Resource>,
    pub compliance: Compliance,
    pub workflow: Workflow,
    pub record_state: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<Note>,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
#[serde(rename_all = "PascalCase")]
pub struct Label {
    pub label: &'static str,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
#[serde(rename_all = "PascalCase")]
pub struct Remediation {
    pub recommendation: Recommendation,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
#[serde(rename_all = "PascalCase")]
pub struct Recommendation {
    pub text: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
#[serde(rename_all = "PascalCase")]
pub struct Resource {
    #[serde(rename = "Type")]
    pub kind: &'static str,
    pub id: String,
    pub partition: &'static str,
    pub region: String,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
#[serde(rename_all = "PascalCase")]
pub struct Compliance {
    pub status: &'static str,
    pub related_requirements: Vec<String>,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
#[serde(rename_all = "PascalCase")]
pub struct Workflow {
    pub status: &'static str,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
#[serde(rename_all = "PascalCase")]
pub struct Note {
    pub text: String,
    pub updated_by: String,
    pub updated_at: String,
}

/// What every finding of a scan shares.
pub struct Context<'a> {
    pub inv: &'a Inventory,
    pub rules: &'a RuleSet,
    pub waivers: &'a [Waiver],
    pub run_id: &'a str,
}

fn severity(s: Severity) -> &'static str {
    match s {
        Severity::Critical => "CRITICAL",
        Severity::High => "HIGH",
        Severity::Medium => "MEDIUM",
        Severity::Low => "LOW",
        Severity::Info => "INFORMATIONAL",
    }
}

/// The ASFF resource type of a finding's subject (`Other` where ASFF has none).
fn resource_type(inv: &Inventory, subject: Subject) -> &'static str {
    use ResourceKind::*;
    let Subject::Resource { scope, index } = subject else {
        return match subject {
            Subject::RecoveryPoint { .. } => "AwsBackupRecoveryPoint",
            Subject::Vault { .. } => "AwsBackupBackupVault",
            _ => "AwsAccount",
        };
    };
    match inv.scopes[scope as usize].resources[index as usize].kind {
        EbsVolume => "AwsEc2Volume",
        Ec2Instance => "AwsEc2Instance",
        EfsFileSystem => "AwsEfsFileSystem",
        DynamoDbTable => "AwsDynamoDbTable",
        RdsInstance => "AwsRdsDbInstance",
        RdsCluster | AuroraCluster | DocumentDbCluster | NeptuneCluster => "AwsRdsDbCluster",
        S3Bucket => "AwsS3Bucket",
        RedshiftCluster => "AwsRedshiftCluster",
        EksCluster => "AwsEksCluster",
        _ => "Other",
    }
}

/// `text` within `max` characters; cut, it says so.
fn fit(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_owned();
    }
    let keep = max - CUT.chars().count();
    let mut s: String = text.chars().take(keep).collect();
    s.push_str(CUT);
    s
}

/// The stable `Id` of the finding of `rule` on `subject`; one too long for the limit keeps
/// the subject's SHA-256 instead.
pub fn finding_id(rule: &str, subject: &str) -> String {
    let id = format!("{ID_PREFIX}{rule}/{subject}");
    if id.len() <= limits::ID {
        return id;
    }
    let hex = |s: &str| -> String {
        crate::digest::sha256(s.as_bytes())
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect()
    };
    let short = format!("{ID_PREFIX}{rule}/sha256:{}", hex(subject));
    if short.len() <= limits::ID {
        return short;
    }
    // A rule id that long too: the whole pair's digest.
    format!("{ID_PREFIX}sha256:{}", hex(&id))
}

/// The ASFF finding of `f`; `None` for NOT_APPLICABLE.
pub fn finding(c: &Context, f: &Finding) -> Option<AsffFinding> {
    let (compliance, workflow, record_state) = match f.status {
        Status::Pass => ("PASSED", "RESOLVED", "ARCHIVED"),
        Status::Fail => ("FAILED", "NEW", "ACTIVE"),
        Status::Waived => ("FAILED", "SUPPRESSED", "ACTIVE"),
        Status::NotAssessed | Status::Undecidable => ("NOT_AVAILABLE", "NEW", "ACTIVE"),
        Status::NotApplicable => return None,
    };
    let (inv, rule) = (c.inv, &c.rules.rules[f.rule as usize]);
    let row = f.row(inv, c.rules);
    let scope = &inv.scopes[f.subject.scope() as usize];
    let (kind, subject) = match f.subject {
        Subject::Scope { .. } => ("AwsAccount", format!("AWS::::Account:{}", scope.account_id)),
        s => (resource_type(inv, s), row.resource_arn.to_owned()),
    };
    // A scope's finding is one per account-region: its region keeps the ids apart.
    let id_subject = match f.subject {
        Subject::Scope { .. } => format!("{}/{}", scope.account_id, scope.region),
        _ => subject.clone(),
    };
    let time = rfc3339(inv.as_of);
    let mut requirements: Vec<String> = rule
        .frameworks
        .iter()
        .flat_map(|(framework, ids)| ids.iter().map(move |id| format!("{framework}/{id}")))
        .collect();
    let mut fields = BTreeMap::new();
    let mut field = |k: &str, v: &str| {
        if !v.is_empty() && fields.len() < limits::PRODUCT_FIELDS {
            let key = fit(&format!("backup-auditor/{k}"), limits::FIELD_KEY);
            fields.insert(key, fit(v, limits::FIELD_VALUE));
        }
    };
    field("Status", row.status);
    field("RuleId", &rule.id);
    field("RunId", c.run_id);
    for (k, v) in [
        ("Plan", row.plan),
        ("Selection", row.selection),
        ("BackupRule", row.backup_rule),
        ("Vault", row.vault),
        ("RecoveryPoint", row.recovery_point),
        ("Through", row.through),
    ] {
        field(k, v);
    }
    if requirements.len() > limits::REQUIREMENTS {
        let more = requirements.len() - limits::REQUIREMENTS;
        requirements.truncate(limits::REQUIREMENTS);
        field(
            "RelatedRequirementsLeftOut",
            &format!("{more} more (see the rule's frameworks)"),
        );
    }
    let waiver = f.waiver.and_then(|w| c.waivers.get(w as usize));
    let note = waiver.map(|w| {
        let until = w.expires.map_or_else(|| "no expiry".to_owned(), rfc3339);
        let text = format!("waived until {until}: {}", w.reason);
        field("WaiverReason", &w.reason);
        field("WaiverExpires", &until);
        field("WaiverOwner", w.owner.as_deref().unwrap_or_default());
        Note {
            text: fit(&text, limits::NOTE),
            updated_by: fit(w.owner.as_deref().unwrap_or("backup-auditor"), limits::NOTE),
            updated_at: time.clone(),
        }
    });
    let account = scope.account_id.clone();
    Some(AsffFinding {
        schema_version: SCHEMA_VERSION,
        id: finding_id(&rule.id, &id_subject),
        product_arn: format!(
            "arn:{}:securityhub:{}:{account}:product/{account}/default",
            partition_of(&scope.region),
            scope.region
        ),
        generator_id: rule.id.clone(),
        aws_account_id: account,
        region: scope.region.clone(),
        types: vec![TYPE],
        created_at: time.clone(),
        updated_at: time,
        severity: Label {
            label: severity(rule.severity),
        },
        title: fit(&rule.title, limits::TITLE),
        description: fit(row.reason, limits::DESCRIPTION),
        remediation: Remediation {
            recommendation: Recommendation {
                text: fit(&rule.docs.remediation, limits::RECOMMENDATION),
                url: rule.docs.references.first().cloned(),
            },
        },
        product_fields: fields,
        resources: vec![Resource {
            kind,
            id: subject,
            partition: partition_of(&scope.region),
            region: scope.region.clone(),
        }],
        compliance: Compliance {
            status: compliance,
            related_requirements: requirements,
        },
        workflow: Workflow { status: workflow },
        record_state,
        note,
    })
}

/// Streams `findings.asff.json`: a JSON array of every ASFF finding, in the findings' order
/// (`aws securityhub batch-import-findings` takes 100 at a time).
pub fn write(w: &mut dyn std::io::Write, c: &Context, findings: &[Finding]) -> std::io::Result<()> {
    let kept: Vec<u32> = (0..findings.len() as u32)
        .filter(|&i| findings[i as usize].status != Status::NotApplicable)
        .collect();
    write_pretty_array(w, kept.len(), |k| finding(c, &findings[kept[k] as usize]))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn what_is_cut_to_fit_says_so_and_long_ids_stay_stable() {
        let long = "x".repeat(2000);
        let cut = fit(&long, limits::DESCRIPTION);
        assert_eq!(cut.chars().count(), limits::DESCRIPTION);
        assert!(cut.ends_with(CUT));
        assert_eq!(fit("short", 10), "short");
        let id = finding_id("backup-protected", &long);
        assert!(
            id.len() <= limits::ID && id.starts_with("backup-auditor/backup-protected/sha256:")
        );
        assert_eq!(id, finding_id("backup-protected", &long));
        assert_ne!(id, finding_id("backup-protected", &"y".repeat(2000)));
    }
}
