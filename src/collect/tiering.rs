//! S3 warm-tier tiering configurations (`ListTieringConfigurations`, then
//! `GetTieringConfiguration` for each, 2025): which vaults' S3 backups move to the low-cost
//! warm tier, and after how many days. The move is one-way; `explain` says so, no verdict
//! depends on it.

use super::call::{ApiError, Caller};
use super::shapes::{Obj, ToJson};
use aws_sdk_backup::types as bk;
use aws_sdk_backup::Client as Backup;
use futures_util::future::join_all;
use serde_json::Value;

impl ToJson for bk::ResourceSelection {
    fn to_json(&self) -> Value {
        Obj::new()
            .put("Resources", &self.resources)
            .put(
                "TieringDownSettingsInDays",
                &i64::from(self.tiering_down_settings_in_days),
            )
            .put("ResourceType", &self.resource_type)
            .build()
    }
}

impl ToJson for bk::TieringConfiguration {
    fn to_json(&self) -> Value {
        Obj::new()
            .put("TieringConfigurationName", &self.tiering_configuration_name)
            .opt("TieringConfigurationArn", &self.tiering_configuration_arn)
            .put("BackupVaultName", &self.backup_vault_name)
            .put("ResourceSelection", &self.resource_selection)
            .opt("CreationTime", &self.creation_time)
            .opt("LastUpdatedTime", &self.last_updated_time)
            .build()
    }
}

/// Every tiering configuration of the account-region, read whole: `GetTieringConfiguration`
/// outputs (`{"TieringConfiguration": {…}}`), as the AWS CLI prints them.
pub async fn configurations(caller: &Caller, backup: &Backup) -> Result<Value, ApiError> {
    let listed = caller
        .all_pages(
            |t| {
                backup
                    .list_tiering_configurations()
                    .set_next_token(t)
                    .send()
            },
            |o| (o.tiering_configurations.unwrap_or_default(), o.next_token),
        )
        .await?;
    let names = listed
        .into_iter()
        .filter_map(|c| c.tiering_configuration_name);
    let read = join_all(names.map(|name| async move {
        caller
            .call(|| {
                backup
                    .get_tiering_configuration()
                    .tiering_configuration_name(&name)
                    .send()
            })
            .await
    }))
    .await;
    let mut out = Vec::new();
    for got in read {
        let got = got?;
        out.push(
            Obj::new()
                .opt("TieringConfiguration", &got.tiering_configuration)
                .build(),
        );
    }
    Ok(Value::Array(out))
}
