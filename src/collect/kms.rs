//! The account-region's KMS aliases (`ListAliases`): which keys are AWS managed, for the
//! cross-account copies of backups that keep their resource's encryption (`model::keys`).

use super::call::{ApiError, Caller};
use super::shapes::{Obj, ToJson};
use serde_json::Value;

impl ToJson for aws_sdk_kms::types::AliasListEntry {
    fn to_json(&self) -> Value {
        Obj::new()
            .opt("AliasName", &self.alias_name)
            .opt("AliasArn", &self.alias_arn)
            .opt("TargetKeyId", &self.target_key_id)
            .build()
    }
}

/// Every alias of the account-region, AWS's (`alias/aws/…`) among them.
pub async fn aliases(caller: &Caller, kms: &aws_sdk_kms::Client) -> Result<Value, ApiError> {
    let items = caller
        .all_pages(
            |marker| kms.list_aliases().set_marker(marker).send(),
            // KMS pages with a marker that counts only while `Truncated` is true.
            |o| {
                let next = o.next_marker.filter(|_| o.truncated);
                (o.aliases.unwrap_or_default(), next)
            },
        )
        .await?;
    Ok(items.to_json())
}
