//! `locked-vault-backups`: AWS Backup Audit Manager's
//! `BACKUP_RESOURCES_PROTECTED_BY_BACKUP_VAULT_LOCK`, judged per resource. An effective rule
//! must back the resource up into a vault that Vault Lock holds in compliance mode, with the
//! bounds the rule asks for; a rule's air-gapped primary vault counts too (air-gapped vaults
//! are always compliance-locked). The vault's lock is judged as `vault-lock` judges it.

use super::ctx::Ctx;
use super::finding::Status;
use super::{vaults, Verdict};
use crate::model::protection::AppliedRule;

pub(super) fn locked_vault(ctx: &Ctx, min: Option<i64>, max: Option<i64>) -> Verdict {
    let mut refused = Vec::new();
    let effective: Vec<&AppliedRule> = ctx.protection().effective().collect();
    for &a in &effective {
        let rule = ctx.plan_rule(a);
        let air_gapped = rule
            .air_gapped_vault
            .as_deref()
            .and_then(|arn| ctx.scope.vaults.iter().find(|v| v.arn == arn));
        let candidates = ctx.scope.vault(&rule.vault).into_iter().chain(air_gapped);
        for v in candidates {
            let lock = vaults::lock(ctx.inv, v, min, max);
            if lock.status == Status::Pass {
                let mut ev = ctx.evidence(a);
                ev.vault = Some(v.arn.as_str().into());
                let reason = format!(
                    "backed up by {} into vault {}, {}",
                    ctx.describe(a),
                    v.name,
                    lock.reason
                );
                return Verdict::new(Status::Pass, reason).with(ev);
            }
            refused.push(format!("vault {}: {}", v.name, lock.reason));
        }
    }
    refused.dedup();
    let reason = format!(
        "no effective backup rule backs it up into a vault locked in compliance mode{}",
        if refused.is_empty() {
            String::new()
        } else {
            format!(" ({})", refused.join("; "))
        }
    );
    // A rule whose effect could not be read may target a locked vault.
    ctx.fail_unless_unknown(reason, |_| true)
}
