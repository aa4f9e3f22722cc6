//! A rule's logically air-gapped primary vault (`TargetLogicallyAirGappedBackupVaultArn`):
//! where a resource's backups land depends on its type (reference §4.6; 2024-2026 §1.1).
//! Fully managed types back up straight into the air-gapped vault, so its lock decides
//! whether their jobs run. Other types are backed up into the rule's normal vault first and
//! then copied; what becomes of the backup when that copy is refused is not documented, so a
//! refusal makes the rule unknown for them, never effective.

use super::RuleState;
use crate::model::plan::PlanRule;
use crate::model::resource::ResourceKind;
use crate::model::Scope;
use crate::snapshot::DataFile;

/// What the air-gapped vault at `arn` does to `rule` for a resource of `kind`, the rule being
/// effective otherwise.
pub(super) fn state(scope: &Scope, rule: &PlanRule, arn: &str, kind: ResourceKind) -> RuleState {
    let refusal = match scope.vaults.iter().find(|v| v.arn == arn) {
        Some(v) => v
            .not_a_backup_target()
            .or_else(|| v.lock_violation(rule.retention)),
        None => match scope.unavailable(DataFile::BackupVaults) {
            Some(e) => {
                return RuleState::Unknown(format!(
                    "the rule's air-gapped vault {arn} cannot be checked: {} could not be read: \
                     {e}",
                    DataFile::BackupVaults.file_name()
                ))
            }
            None => Some(format!(
                "the rule's air-gapped vault {arn} does not exist in {}",
                scope.label()
            )),
        },
    };
    let Some(why) = refusal else {
        return RuleState::Effective;
    };
    match kind.fully_managed(scope.management.as_ref()) {
        Some(true) => RuleState::Ineffective(format!(
            "{} backups are made straight into the rule's air-gapped vault, and {why}",
            kind.backup_type()
        )),
        Some(false) => RuleState::Unknown(format!(
            "{} backups are made in vault {} and then copied to the rule's air-gapped vault, \
             but {why}; what becomes of the backup then is not documented",
            kind.backup_type(),
            rule.vault
        )),
        None => RuleState::Unknown(format!(
            "whether DynamoDB backups go straight into the rule's air-gapped vault depends on \
             advanced DynamoDB backup, which could not be read ({}), and {why}",
            DataFile::RegionSettings.file_name()
        )),
    }
}
