//! KMS output a snapshot holds: `kms-aliases.json`.

use serde::Deserialize;

/// One element of KMS `ListAliases`: an alias and the key it points to. AWS managed keys are
/// the targets of the aliases AWS made, `alias/aws/…` (`alias/aws/ebs`, `alias/aws/rds`);
/// an alias AWS reserved but has not made its key for yet has no `TargetKeyId`.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct KmsAlias {
    pub alias_name: String,
    #[serde(default)]
    pub target_key_id: Option<String>,
}
