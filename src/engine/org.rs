//! `org-backup-policy-valid`: whether the account's effective Organizations backup policy is
//! fully enforced. Organizations lists the accounts whose effective policy is not, with the
//! errors that keep it from being enforced (`ListAccountsWithInvalidEffectivePolicy`,
//! `ListEffectivePolicyValidationErrors`; reference aws-backup-2024-2026.md §1.7). The answer is
//! the account's, and is told on each of its account-regions.

use super::Verdict;
use crate::engine::finding::Status;
use crate::model::{Inventory, Scope};
use crate::snapshot::organization::{
    AccountValidationErrors, BackupPolicies, ValidationError, FOLDER, INVALID_POLICIES,
};
use crate::snapshot::ScopeStatus;

pub(super) fn judge(inv: &Inventory, scope: &Scope) -> Verdict {
    let account = &scope.account_id;
    let (invalid, details) = match &inv.backup_policies {
        BackupPolicies::Read { invalid, details } => (invalid, details),
        BackupPolicies::Unreadable(e) => {
            return Verdict::new(
                Status::NotAssessed,
                format!(
                    "whether account {account}'s effective backup policy is enforced is unknown: \
                     {FOLDER}/{INVALID_POLICIES} could not be read \
                     (organizations:ListAccountsWithInvalidEffectivePolicy): {e}"
                ),
            )
        }
        BackupPolicies::NotCollected => return not_collected(inv, account),
    };
    let verdict = if invalid.iter().any(|a| a.id == *account) {
        let why = match details {
            Ok(list) => match list.iter().find(|d| d.account_id == *account) {
                Some(d) if !d.effective_policy_validation_errors.is_empty() => describe(d),
                _ => "Organizations gives no validation error for it".to_owned(),
            },
            Err(e) => format!("its validation errors are unknown: {e}"),
        };
        Verdict::new(
            Status::Fail,
            format!(
                "the effective backup policy of account {account} is not fully enforced: {why}"
            ),
        )
    } else {
        Verdict::new(
            Status::Pass,
            format!(
                "account {account} is not among the accounts whose effective backup policy is \
                 invalid (organizations:ListAccountsWithInvalidEffectivePolicy)"
            ),
        )
    };
    if scope.status == ScopeStatus::Failed {
        // An account-region that could not be entered is NOT_ASSESSED throughout, as every
        // check has it; what the organisation says is told, and its other regions tell it too.
        return Verdict::new(
            Status::NotAssessed,
            format!(
                "{} could not be read: {}; the organisation says: {}",
                scope.label(),
                scope.error.as_deref().unwrap_or("scope could not be read"),
                verdict.reason
            ),
        );
    }
    verdict
}

/// Neither listed nor recorded as failed: no organisation, or a collector that did not look.
fn not_collected(inv: &Inventory, account: &str) -> Verdict {
    if let Some(e) = &inv.organization_unreadable {
        return Verdict::new(
            Status::NotAssessed,
            format!(
                "whether account {account}'s effective backup policy is enforced is unknown: the \
                 organisation could not be read (organizations:DescribeOrganization): {e}"
            ),
        );
    }
    if inv.organization.is_none() {
        return Verdict::new(
            Status::NotApplicable,
            format!(
                "the snapshot names no organisation ({FOLDER}/organization.json is not in it): \
                 no Organizations backup policy applies"
            ),
        );
    }
    Verdict::new(
        Status::NotAssessed,
        format!(
            "whether account {account}'s effective backup policy is enforced is unknown: \
             {FOLDER}/{INVALID_POLICIES} is not in the snapshot (collected without it)"
        ),
    )
}

/// `ELEMENTS_TOO_MANY at plans.x.rules (policies p-1, p-2): message; …`
fn describe(d: &AccountValidationErrors) -> String {
    d.effective_policy_validation_errors
        .iter()
        .map(one)
        .collect::<Vec<_>>()
        .join("; ")
}

fn one(e: &ValidationError) -> String {
    let mut s = e
        .error_code
        .clone()
        .unwrap_or_else(|| "an error".to_owned());
    if let Some(p) = e.path_to_error.as_deref().filter(|p| !p.is_empty()) {
        s.push_str(&format!(" at {p}"));
    }
    if !e.contributing_policies.is_empty() {
        s.push_str(&format!(
            " (policies {})",
            e.contributing_policies.join(", ")
        ));
    }
    if let Some(m) = e.error_message.as_deref().filter(|m| !m.is_empty()) {
        s.push_str(&format!(": {m}"));
    }
    s
}

#[cfg(test)]
mod tests;
