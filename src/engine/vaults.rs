//! Checks on backup vaults: vault-lock, vault-encryption, vault-deletion-protection,
//! vault-mpa.

use super::Verdict;
use crate::engine::finding::Status;
use crate::model::vault::{LockMode, Vault};
use crate::model::vault_policy::{is_wildcard, statements, strings};
use crate::model::Inventory;
use crate::rules::{Check, Rule};
use serde_json::Value;

/// The actions a vault access policy must deny to everyone, as the AWS Config rule
/// `backup-recovery-point-manual-deletion-disabled` requires (reference §5.3).
pub const PROTECTED_ACTIONS: [&str; 3] = [
    "backup:DeleteRecoveryPoint",
    "backup:UpdateRecoveryPointLifecycle",
    "backup:PutBackupVaultAccessPolicy",
];

pub(crate) fn judge(inv: &Inventory, rule: &Rule, v: &Vault) -> Verdict {
    // A restore-access vault holds no backups: its lock, key and policy protect nothing.
    if let Some(why) = v.not_a_backup_target() {
        return Verdict::new(Status::NotApplicable, why);
    }
    match &rule.check {
        Check::VaultLock {
            min_retention_days,
            max_retention_days,
        } => lock(inv, v, *min_retention_days, *max_retention_days),
        Check::VaultEncryption => encryption(v),
        Check::VaultDeletionProtection => deletion_protection(v),
        Check::VaultMpa => mpa(v),
        _ => Verdict::new(Status::NotApplicable, "not a vault check"),
    }
}

pub(super) fn lock(
    inv: &Inventory,
    v: &Vault,
    want_min: Option<i64>,
    want_max: Option<i64>,
) -> Verdict {
    let bounds = format!(
        "min {} / max {}",
        v.min_retention_days
            .map_or("none".into(), |d| format!("{d} days")),
        v.max_retention_days
            .map_or("none".into(), |d| format!("{d} days"))
    );
    match v.lock_mode(inv.as_of) {
        LockMode::Unlocked => Verdict::new(Status::Fail, "vault is not locked (no Vault Lock)"),
        LockMode::Governance => Verdict::new(
            Status::Fail,
            format!("vault lock is in governance mode ({bounds}): users with enough IAM permissions can remove it"),
        ),
        LockMode::ComplianceGrace { until } => Verdict::new(
            Status::Fail,
            format!(
                "compliance lock is still in its cooling-off period until {} ({bounds}): it can still be removed",
                until.format("%Y-%m-%d %H:%M UTC")
            ),
        ),
        LockMode::Compliance => {
            if let Some(m) = want_min {
                if v.min_retention_days.is_none_or(|d| d < m) {
                    return Verdict::new(
                        Status::Fail,
                        format!("locked in compliance mode, but its minimum retention ({bounds}) is below the required {m} days"),
                    );
                }
            }
            if let Some(m) = want_max {
                if v.max_retention_days.is_none_or(|d| d > m) {
                    return Verdict::new(
                        Status::Fail,
                        format!("locked in compliance mode, but its maximum retention ({bounds}) exceeds the allowed {m} days"),
                    );
                }
            }
            Verdict::new(Status::Pass, format!("locked in compliance mode ({bounds}): immutable"))
        }
    }
}

fn encryption(v: &Vault) -> Verdict {
    match v.encryption_key_type.as_deref() {
        Some("CUSTOMER_MANAGED_KMS_KEY") => Verdict::new(
            Status::Pass,
            format!(
                "encrypted with customer-managed KMS key {}",
                v.encryption_key_arn.as_deref().unwrap_or("(ARN not recorded)")
            ),
        ),
        Some(other) => Verdict::new(
            Status::Fail,
            format!("encrypted with {other}, not a customer-managed KMS key"),
        ),
        None => Verdict::new(
            Status::NotAssessed,
            "EncryptionKeyType is not in the snapshot: an AWS-managed and a customer-managed key look alike by ARN",
        ),
    }
}

/// Multi-party approval lets an approval team in other accounts reach an air-gapped vault's
/// recovery points when its own account is compromised or lost (aws-backup-2024-2026.md §1.1).
fn mpa(v: &Vault) -> Verdict {
    if !v.is_air_gapped() {
        return Verdict::new(
            Status::NotApplicable,
            "multi-party approval applies to logically air-gapped vaults only",
        );
    }
    let Some(team) = &v.mpa_approval_team_arn else {
        return Verdict::new(
            Status::Fail,
            "no multi-party approval team is associated (DescribeBackupVault names none, or the \
             snapshot predates its collection): if this account is compromised or lost, no \
             other account can reach these recovery points",
        );
    };
    let update = v.latest_mpa_update.as_ref();
    match update.and_then(|u| u.status.as_deref()) {
        Some("FAILED") => Verdict::new(
            Status::Fail,
            format!(
                "the latest change of approval team {team} FAILED{}",
                update
                    .and_then(|u| u.status_message.as_deref())
                    .map(|m| format!(": {m}"))
                    .unwrap_or_default()
            ),
        ),
        Some(s) => Verdict::new(
            Status::Pass,
            format!("approval team {team} is associated (latest change {s})"),
        ),
        None => Verdict::new(Status::Pass, format!("approval team {team} is associated")),
    }
}

fn deletion_protection(v: &Vault) -> Verdict {
    let Some(parsed) = v.policy_doc() else {
        return Verdict::new(Status::Fail, "vault has no access policy: recovery points can be deleted by any principal with IAM permission");
    };
    let doc = match parsed {
        Ok(d) => d,
        Err(e) => {
            return Verdict::new(
                Status::NotAssessed,
                format!("access policy is not valid JSON: {e}"),
            )
        }
    };
    let mut denied: Vec<&str> = Vec::new();
    for st in statements(doc) {
        let deny = st.get("Effect").and_then(Value::as_str) == Some("Deny");
        if deny && is_wildcard(st.get("Principal")) && is_wildcard(st.get("Resource")) {
            for a in strings(st.get("Action")) {
                if let Some(p) = PROTECTED_ACTIONS.iter().find(|p| **p == a) {
                    denied.push(p);
                }
            }
        }
    }
    let missing: Vec<&str> = PROTECTED_ACTIONS
        .iter()
        .copied()
        .filter(|a| !denied.contains(a))
        .collect();
    if missing.is_empty() {
        Verdict::new(
            Status::Pass,
            "access policy denies DeleteRecoveryPoint, UpdateRecoveryPointLifecycle and PutBackupVaultAccessPolicy to every principal",
        )
    } else {
        Verdict::new(
            Status::Fail,
            format!(
                "access policy does not deny {} to every principal on every resource (Deny with Principal \"*\" and Resource \"*\" required)",
                missing.join(", ")
            ),
        )
    }
}
