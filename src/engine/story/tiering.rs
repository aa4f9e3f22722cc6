//! The S3 warm tier in a story: which tiering configurations move a bucket's backups to the
//! low-cost warm tier, and when. One-way, so worth telling; no verdict depends on it.

use crate::model::resource::{Resource, ResourceKind};
use crate::model::Scope;

/// `NAME: vault V (or every vault), after N days` for each configuration that selects `res`.
pub(super) fn warm_tier(scope: &Scope, res: &Resource) -> Vec<String> {
    if res.kind != ResourceKind::S3Bucket {
        return Vec::new();
    }
    let mut out = Vec::new();
    for c in &scope.tiering {
        let vault = match c.backup_vault_name.as_str() {
            "*" => "every vault".to_owned(),
            v => format!("vault {v}"),
        };
        for s in &c.resource_selection {
            let selects =
                s.resource_type == "S3" && s.resources.iter().any(|r| r == "*" || *r == res.arn);
            if selects {
                out.push(format!(
                    "{}: its backups in {vault} move after {} days",
                    c.tiering_configuration_name, s.tiering_down_settings_in_days
                ));
            }
        }
    }
    out
}
