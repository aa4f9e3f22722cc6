//! Findings: one verdict per rule × subject, with a one-line reason and structured evidence.
//! Plain data; renderers only read it and the exit code is computed from it in `exit`.

pub(crate) mod columns;
pub mod json;
pub mod not_judged;
pub(crate) mod ordered;
pub mod parquet;
pub mod record;
pub mod shard;
pub mod summary;
mod table;
pub mod write;

pub use crate::engine::finding::{Evidence, Finding, Status, Subject};
use crate::model::Inventory;
use crate::rules::{Rule, RuleSet};
use serde::Serialize;

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
    /// The subject as findings show it: its type, ARN and name.
    pub fn subject_cells<'a>(&self, inv: &'a Inventory) -> (&'a str, &'a str, &'a str) {
        let scope = &inv.scopes[self.subject.scope() as usize];
        let (kind, name): (&str, &str) = match self.subject {
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
        (kind, self.subject.arn(inv), name)
    }

    pub fn row<'a>(&'a self, inv: &'a Inventory, rules: &'a RuleSet) -> Row<'a> {
        let rule: &Rule = &rules.rules[self.rule as usize];
        let scope = &inv.scopes[self.subject.scope() as usize];
        let (resource_type, resource_arn, resource_name) = self.subject_cells(inv);
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
