//! Backup vaults: lock state, encryption and access policy (reference §5).

use super::plan::Retention;
use crate::snapshot::aws;
use crate::snapshot::time::Timestamp;
use serde::Serialize;

#[derive(Debug, Clone, Serialize)]
pub struct Vault {
    pub name: String,
    pub arn: String,
    pub vault_type: Option<String>,
    pub encryption_key_arn: Option<String>,
    pub encryption_key_type: Option<String>,
    pub locked: bool,
    pub min_retention_days: Option<i64>,
    pub max_retention_days: Option<i64>,
    pub lock_date: Option<Timestamp>,
    /// The multi-party approval team of an air-gapped vault, if one is associated.
    pub mpa_approval_team_arn: Option<String>,
    pub latest_mpa_update: Option<aws::MpaUpdate>,
    /// The access policy document (JSON text), if the vault has one.
    pub policy: Option<String>,
    /// `policy` parsed once, when first asked (copies into the vault ask it for every
    /// resource; the vaults no copy goes to, most of an organisation's, never are).
    #[serde(skip)]
    policy_doc: std::sync::OnceLock<Result<serde_json::Value, String>>,
}

/// `VaultType` of a logically air-gapped vault.
const AIR_GAPPED: &str = "LOGICALLY_AIR_GAPPED_BACKUP_VAULT";

/// `VaultType` of a restore-access vault: temporary access to an air-gapped vault's recovery
/// points, never where backups are made or copied to (reference 2024-2026 §1.1).
const RESTORE_ACCESS: &str = "RESTORE_ACCESS_BACKUP_VAULT";

/// Vault Lock has no mode field: it is inferred from `Locked` and `LockDate` (reference §5.2).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case", tag = "mode")]
pub enum LockMode {
    Unlocked,
    /// `Locked` without `LockDate`: removable by users with enough IAM permissions.
    Governance,
    /// Compliance lock still in its cooling-off period: removable until `until`.
    ComplianceGrace {
        until: Timestamp,
    },
    /// `LockDate` in the past: immutable.
    Compliance,
}

impl Vault {
    pub fn from_aws(v: aws::DescribeBackupVaultOutput) -> Vault {
        Vault {
            name: v.backup_vault_name,
            arn: v.backup_vault_arn,
            vault_type: v.vault_type,
            encryption_key_arn: v.encryption_key_arn,
            encryption_key_type: v.encryption_key_type,
            locked: v.locked.unwrap_or(false),
            min_retention_days: v.min_retention_days,
            max_retention_days: v.max_retention_days,
            lock_date: v.lock_date,
            mpa_approval_team_arn: v.mpa_approval_team_arn,
            latest_mpa_update: v.latest_mpa_approval_team_update,
            policy: None,
            policy_doc: Default::default(),
        }
    }

    /// Gives the vault its access policy (JSON text).
    pub fn set_policy(&mut self, text: String) {
        self.policy = Some(text);
        self.policy_doc = Default::default();
    }

    /// The access policy's document, parsed (or why it cannot be); `None` without a policy.
    pub fn policy_doc(&self) -> Option<&Result<serde_json::Value, String>> {
        let text = self.policy.as_deref()?;
        Some(
            self.policy_doc
                .get_or_init(|| serde_json::from_str(text).map_err(|e| e.to_string())),
        )
    }

    /// A logically air-gapped vault (reference §5.4).
    pub fn is_air_gapped(&self) -> bool {
        self.vault_type.as_deref() == Some(AIR_GAPPED)
    }

    /// Why no backup can be made or copied into this vault: a restore-access vault only lends
    /// an air-gapped vault's recovery points.
    pub fn not_a_backup_target(&self) -> Option<String> {
        (self.vault_type.as_deref() == Some(RESTORE_ACCESS)).then(|| {
            format!(
                "vault {} is a restore-access vault: it lends an air-gapped vault's recovery \
                 points for restores and holds no backups of its own",
                self.name
            )
        })
    }

    pub fn lock_mode(&self, now: Timestamp) -> LockMode {
        // "Always locked in compliance mode", with the vault's own min/max retention, whether
        // or not its description carries `Locked` or `LockDate` (reference §5.4).
        if self.is_air_gapped() {
            return LockMode::Compliance;
        }
        match self.lock_date {
            Some(d) if d <= now => LockMode::Compliance,
            Some(d) => LockMode::ComplianceGrace { until: d },
            None if self.locked => LockMode::Governance,
            None => LockMode::Unlocked,
        }
    }

    fn has_lock(&self) -> bool {
        self.is_air_gapped()
            || self.locked
            || self.lock_date.is_some()
            || self.min_retention_days.is_some()
            || self.max_retention_days.is_some()
    }

    /// Vault Lock fails jobs whose retention is outside its bounds; it never adjusts the
    /// retention (reference §5.2). `Some(reason)` when a job with `retention` would fail.
    pub fn lock_violation(&self, retention: Retention) -> Option<String> {
        if !self.has_lock() {
            return None;
        }
        match (retention, self.min_retention_days, self.max_retention_days) {
            (Retention::Days(d), Some(min), _) if d < min => Some(format!(
                "vault {} is locked with minimum retention {min} days, but the rule keeps {d} days: AWS Backup fails these jobs",
                self.name
            )),
            (Retention::Days(d), _, Some(max)) if d > max => Some(format!(
                "vault {} is locked with maximum retention {max} days, but the rule keeps {d} days: AWS Backup fails these jobs",
                self.name
            )),
            (Retention::Forever, _, Some(max)) => Some(format!(
                "vault {} is locked with maximum retention {max} days, but the rule keeps backups forever: AWS Backup fails these jobs",
                self.name
            )),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vault(min: Option<i64>, max: Option<i64>) -> Vault {
        Vault {
            name: "payments".into(),
            arn: "arn:aws:backup:us-east-1:111111111111:backup-vault:payments".into(),
            vault_type: None,
            encryption_key_arn: None,
            encryption_key_type: None,
            locked: true,
            min_retention_days: min,
            max_retention_days: max,
            lock_date: None,
            mpa_approval_team_arn: None,
            latest_mpa_update: None,
            policy: None,
            policy_doc: Default::default(),
        }
    }

    #[test]
    fn lock_bounds_fail_jobs_instead_of_adjusting_retention() {
        let v = vault(Some(30), Some(3650));
        assert!(v.lock_violation(Retention::Days(7)).is_some());
        assert!(v.lock_violation(Retention::Days(30)).is_none());
        assert!(v.lock_violation(Retention::Days(3650)).is_none());
        assert!(v.lock_violation(Retention::Days(3651)).is_some());
        assert!(v.lock_violation(Retention::Forever).is_some());
        assert!(vault(Some(30), None)
            .lock_violation(Retention::Forever)
            .is_none());
    }

    #[test]
    fn lock_mode_is_inferred_from_lock_date() {
        let now = chrono::Utc::now();
        let mut v = vault(Some(1), None);
        assert_eq!(v.lock_mode(now), LockMode::Governance);
        v.lock_date = Some(now - chrono::Duration::days(1));
        assert_eq!(v.lock_mode(now), LockMode::Compliance);
        v.lock_date = Some(now + chrono::Duration::days(1));
        assert!(matches!(v.lock_mode(now), LockMode::ComplianceGrace { .. }));
        v.locked = false;
        v.lock_date = None;
        v.min_retention_days = None;
        assert_eq!(v.lock_mode(now), LockMode::Unlocked);
    }
}
