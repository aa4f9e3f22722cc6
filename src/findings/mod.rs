//! Findings: one verdict per rule × subject, with a one-line reason and structured evidence.
//! Plain data; renderers only read it and the exit code is computed from it in `exit`.

pub mod json;
pub mod summary;
pub mod write;

use crate::model::{Inventory, RpRef};
use crate::rules::{Rule, RuleSet};
use serde::Serialize;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Status {
    Fail,
    NotAssessed,
    Waived,
    Pass,
    NotApplicable,
}

impl Status {
    pub const ALL: [Status; 5] = [
        Status::Fail,
        Status::NotAssessed,
        Status::Waived,
        Status::Pass,
        Status::NotApplicable,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Status::Pass => "PASS",
            Status::Fail => "FAIL",
            Status::Waived => "WAIVED",
            Status::NotAssessed => "NOT_ASSESSED",
            Status::NotApplicable => "NOT_APPLICABLE",
        }
    }
}

/// What a finding is about. Indices point into the inventory, so a million findings do not
/// copy a million ARNs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case", tag = "kind")]
pub enum Subject {
    Resource {
        scope: u32,
        index: u32,
    },
    RecoveryPoint {
        scope: u32,
        index: u32,
    },
    Vault {
        scope: u32,
        index: u32,
    },
    /// A whole account-region (or the part of it a rule needs) that could not be read.
    Scope {
        scope: u32,
    },
}

impl Subject {
    pub fn scope(self) -> u32 {
        match self {
            Subject::Resource { scope, .. }
            | Subject::RecoveryPoint { scope, .. }
            | Subject::Vault { scope, .. }
            | Subject::Scope { scope } => scope,
        }
    }

    /// The subject's ARN (a recovery point's own ARN); empty for a whole scope.
    pub fn arn(self, inv: &Inventory) -> &str {
        let s = &inv.scopes[self.scope() as usize];
        match self {
            Subject::Resource { index, .. } => &s.resources[index as usize].arn,
            Subject::RecoveryPoint { index, .. } => {
                &s.recovery_points[index as usize].recovery_point_arn
            }
            Subject::Vault { index, .. } => &s.vaults[index as usize].arn,
            Subject::Scope { .. } => "",
        }
    }
}

/// Which plan, selection, rule, vault and recovery point back a verdict (indices into the
/// subject's scope; `through` is the resource that carries the protection).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Evidence {
    pub plan: Option<u32>,
    pub selection: Option<u32>,
    pub rule: Option<u32>,
    pub vault: Option<std::sync::Arc<str>>,
    pub recovery_point: Option<RpRef>,
    pub through: Option<u32>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Finding {
    pub rule: u32,
    pub subject: Subject,
    pub status: Status,
    pub reason: std::sync::Arc<str>,
    pub evidence: Evidence,
    /// Index of the waiver that turned a FAIL into WAIVED.
    pub waiver: Option<u32>,
}

/// A finding resolved to the names and ARNs people read: one CSV row or JSON object.
#[derive(Debug, Clone, Serialize)]
pub struct Row<'a> {
    pub rule_id: &'a str,
    pub check: &'static str,
    pub severity: &'static str,
    pub status: &'static str,
    pub account_id: &'a str,
    pub account_name: &'a str,
    pub region: &'a str,
    pub resource_type: &'a str,
    pub resource_arn: &'a str,
    pub resource_name: &'a str,
    pub reason: &'a str,
    pub plan: &'a str,
    pub selection: &'a str,
    pub backup_rule: &'a str,
    pub vault: &'a str,
    pub recovery_point: &'a str,
    pub through: &'a str,
}

impl Finding {
    pub fn row<'a>(&'a self, inv: &'a Inventory, rules: &'a RuleSet) -> Row<'a> {
        let rule: &Rule = &rules.rules[self.rule as usize];
        let scope = &inv.scopes[self.subject.scope() as usize];
        let resource_arn = self.subject.arn(inv);
        let (resource_type, resource_name): (&str, &str) = match self.subject {
            Subject::Resource { index, .. } => {
                let r = &scope.resources[index as usize];
                (r.kind.short_name(), r.display_name())
            }
            Subject::RecoveryPoint { index, .. } => (
                "recovery-point",
                scope.recovery_points[index as usize].resource_arn.as_str(),
            ),
            Subject::Vault { index, .. } => {
                ("backup-vault", scope.vaults[index as usize].name.as_str())
            }
            Subject::Scope { .. } => ("scope", ""),
        };
        let plan = self.evidence.plan.map(|p| &scope.plans[p as usize]);
        let e = &self.evidence;
        Row {
            rule_id: &rule.id,
            check: rule.check.name(),
            severity: rule.severity.as_str(),
            status: self.status.as_str(),
            account_id: &scope.account_id,
            account_name: scope.account_name.as_deref().unwrap_or(""),
            region: &scope.region,
            resource_type,
            resource_arn,
            resource_name,
            reason: &self.reason,
            plan: plan.map(|p| p.display_id()).unwrap_or(""),
            selection: plan
                .zip(e.selection)
                .map(|(p, s)| p.selections[s as usize].name.as_str())
                .unwrap_or(""),
            backup_rule: plan
                .zip(e.rule)
                .map(|(p, r)| p.rules[r as usize].name.as_str())
                .unwrap_or(""),
            vault: e.vault.as_deref().unwrap_or(""),
            recovery_point: e
                .recovery_point
                .map(|r| inv.recovery_point(r).recovery_point_arn.as_str())
                .unwrap_or(""),
            through: e
                .through
                .map(|t| scope.resources[t as usize].arn.as_str())
                .unwrap_or(""),
        }
    }
}
