//! A plan's vaults, vault locks and Region settings laid over the snapshot: what a rule's
//! target, a copy's destination and a resource type's opt-in will be.

use super::lay::Laying;
use super::terraform::Action;
use super::{text, Overlay};
use crate::error::Result;
use crate::snapshot::{aws, ScopeData};
use chrono::Duration;
use serde_json::Value;

impl Laying<'_> {
    /// `aws_backup_vault` (and the logically air-gapped one): a new vault, or one removed. A
    /// vault that holds recovery points is deleted only with `force_destroy` (AWS refuses
    /// otherwise), and its recovery points go with it.
    pub(super) fn vault(&self, data: &mut ScopeData, o: &mut Overlay) -> Result<()> {
        let c = self.c;
        let before = c.before.as_ref().and_then(|b| text(b, "name"));
        let after = c.after.as_ref().and_then(|a| text(a, "name"));
        if c.action == Action::Update && before.is_some() && before == after {
            // Updated in place (its tags, its policy's resource): the vault, its lock and its
            // recovery points stay as the snapshot has them.
            return Ok(());
        }
        if let Some(name) = before {
            let held = data
                .recovery_points
                .iter()
                .filter(|p| *p.backup_vault_name == *name)
                .count();
            let forced =
                c.before.as_ref().and_then(|b| b.get("force_destroy")) == Some(&Value::Bool(true));
            if held > 0 && !forced && c.after.is_none() {
                o.notes.push(format!(
                    "{}: vault {name} holds {held} recovery points and has no force_destroy: \
                     AWS refuses to delete it, so it is judged as staying",
                    c.address
                ));
                return Ok(());
            }
            data.vaults.retain(|v| v.backup_vault_name != name);
            data.recovery_points
                .retain(|p| *p.backup_vault_name != *name);
        }
        let Some(after) = &c.after else {
            return Ok(());
        };
        let name = text(after, "name").unwrap_or(self.at.placeholder);
        let arn = text(after, "arn")
            .map(str::to_owned)
            .unwrap_or_else(|| self.vault_arn(name));
        let air_gapped = c.kind == "aws_backup_logically_air_gapped_vault";
        let v = serde_json::json!({
            "BackupVaultName": name, "BackupVaultArn": arn,
            "VaultType": if air_gapped { "LOGICALLY_AIR_GAPPED_BACKUP_VAULT" } else { "BACKUP_VAULT" },
            "EncryptionKeyArn": after.get("kms_key_arn"),
            "Locked": air_gapped,
            "MinRetentionDays": after.get("min_retention_days"),
            "MaxRetentionDays": after.get("max_retention_days"),
        });
        data.vaults.push(super::lay::record(&c.address, v)?);
        Ok(())
    }

    /// `aws_backup_vault_lock_configuration`: the vault's lock and its bounds. Without
    /// `changeable_for_days` it is governance mode (removable); with it, compliance mode
    /// from the end of that grace time, counted from the snapshot's time.
    pub(super) fn vault_lock(&self, data: &mut ScopeData, o: &mut Overlay) -> Result<()> {
        let c = self.c;
        let Some(name) = self.vault_named(o, "locks") else {
            return Ok(());
        };
        let Some(v) = data.vaults.iter_mut().find(|v| v.backup_vault_name == name) else {
            o.notes
                .push(format!("{}: no vault {name} to lock", c.address));
            return Ok(());
        };
        let bounds = [
            "min_retention_days",
            "max_retention_days",
            "changeable_for_days",
        ];
        if bounds.iter().any(|b| c.is_unknown(b)) {
            self.undecidable_scope(
                o,
                format!(
                    "the bounds {} locks vault {name} to are known only after apply",
                    c.address
                ),
            );
            return Ok(());
        }
        match &c.after {
            None => {
                v.locked = Some(false);
                v.min_retention_days = None;
                v.max_retention_days = None;
                v.lock_date = None;
            }
            Some(after) => {
                let days = |k: &str| after.get(k).and_then(Value::as_i64);
                v.locked = Some(true);
                v.min_retention_days = days("min_retention_days");
                v.max_retention_days = days("max_retention_days");
                v.lock_date = days("changeable_for_days").map(|d| self.now + Duration::days(d));
            }
        }
        Ok(())
    }

    /// `aws_backup_region_settings`: which resource types AWS Backup may back up here. A
    /// removed resource leaves the settings as they are (Terraform cannot unset them).
    pub(super) fn region_settings(&self, data: &mut ScopeData, o: &mut Overlay) -> Result<()> {
        let c = self.c;
        let Some(after) = &c.after else {
            return Ok(());
        };
        if c.is_unknown("resource_type_opt_in_preference") {
            self.undecidable_scope(
                o,
                format!("the opt-in of {} is known only after apply", c.address),
            );
        }
        let map = |k: &str| -> Vec<(String, bool)> {
            after
                .get(k)
                .and_then(Value::as_object)
                .map(|m| {
                    m.iter()
                        .filter_map(|(t, v)| Some((t.clone(), v.as_bool()?)))
                        .collect()
                })
                .unwrap_or_default()
        };
        let mut settings: aws::RegionSettings = data.region_settings.take().unwrap_or_default();
        settings
            .resource_type_opt_in_preference
            .extend(map("resource_type_opt_in_preference"));
        settings
            .resource_type_management_preference
            .extend(map("resource_type_management_preference"));
        data.region_settings = Some(settings);
        Ok(())
    }

    /// `aws_backup_vault_policy` (a CloudFormation vault's `AccessPolicy`): the vault's access
    /// policy, which decides whether its recovery points can be deleted by hand. One known
    /// only after apply leaves the vault's verdicts undecidable.
    pub(super) fn vault_policy(&self, data: &mut ScopeData, o: &mut Overlay) -> Result<()> {
        let c = self.c;
        let Some(name) = self.vault_named(o, "sets a policy on") else {
            return Ok(());
        };
        data.vault_policies.retain(|p| p.backup_vault_name != name);
        let Some(after) = &c.after else {
            return Ok(());
        };
        let arn = data
            .vaults
            .iter()
            .find(|v| v.backup_vault_name == name)
            .map(|v| v.backup_vault_arn.clone())
            .unwrap_or_else(|| self.vault_arn(&name));
        if c.is_unknown("policy") {
            o.vault_policies_unknown.insert(
                arn,
                format!(
                    "its access policy is known only after apply ({})",
                    c.address
                ),
            );
            return Ok(());
        }
        let policy = match after.get("policy") {
            Some(Value::String(s)) => s.clone(),
            Some(v) => v.to_string(),
            None => return Ok(()),
        };
        let record = serde_json::json!({
            "BackupVaultName": name, "BackupVaultArn": arn, "Policy": policy,
        });
        data.vault_policies
            .push(super::lay::record(&c.address, record)?);
        Ok(())
    }

    /// The vault a lock or policy change names (`backup_vault_name`); when it is known only
    /// after apply, what depends on it in the account-region waits too, and `None`.
    fn vault_named(&self, o: &mut Overlay, what: &str) -> Option<String> {
        let c = self.c;
        let name = [&c.after, &c.before]
            .into_iter()
            .flatten()
            .find_map(|v| text(v, "backup_vault_name"));
        if name.is_none() {
            self.undecidable_scope(
                o,
                format!("the vault {} {what} is known only after apply", c.address),
            );
        }
        name.map(str::to_owned)
    }

    /// The ARN of the vault `name` where the change lands.
    fn vault_arn(&self, name: &str) -> String {
        format!(
            "arn:{}:backup:{}:{}:backup-vault:{name}",
            self.at.partition, self.at.region, self.at.account
        )
    }
}
