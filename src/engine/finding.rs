//! What the engine concludes: one finding per rule × subject, with its status, a one-line
//! reason and the evidence behind it (indices into the inventory). Plain data, defined here so
//! the engine depends on nothing downstream; `findings` re-exports it and writes it.

use crate::model::{Inventory, RpRef};
use serde::Serialize;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Status {
    Fail,
    NotAssessed,
    /// Only in a planned change's judgement: what decides it is known only after apply (a tag
    /// value, a selection, a plan the plan computes). Never a PASS by assumption.
    Undecidable,
    Waived,
    Pass,
    NotApplicable,
}

impl Status {
    pub const ALL: [Status; 6] = [
        Status::Fail,
        Status::NotAssessed,
        Status::Undecidable,
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
            Status::Undecidable => "UNDECIDABLE",
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
