//! Where backups are kept out of reach. `air-gapped-recovery-point`: AWS Backup Audit
//! Manager's `RESOURCES_IN_LOGICALLY_AIR_GAPPED_VAULT`, a recent good recovery point in a
//! logically air-gapped vault, for the types that control judges.
//!
//! `locked-vault-backups`: AWS Backup Audit Manager's
//! `BACKUP_RESOURCES_PROTECTED_BY_BACKUP_VAULT_LOCK`, judged per resource. An effective rule
//! must back the resource up into a vault that Vault Lock holds in compliance mode, with the
//! bounds the rule asks for; a rule's air-gapped primary vault counts too (air-gapped vaults
//! are always compliance-locked). The vault's lock is judged as `vault-lock` judges it.

use super::ctx::Ctx;
use super::finding::{Evidence, Status};
use super::recency::{describe_age, points_unknown};
use super::{vaults, Verdict};
use crate::model::protection::AppliedRule;
use crate::model::resource::ResourceKind;
use crate::snapshot::DataFile;

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

/// The types BAM's air-gapped control (and its Config rule family) judges.
fn air_gap_judged(kind: ResourceKind) -> bool {
    matches!(
        kind,
        ResourceKind::AuroraCluster
            | ResourceKind::EbsVolume
            | ResourceKind::Ec2Instance
            | ResourceKind::EfsFileSystem
            | ResourceKind::S3Bucket
            | ResourceKind::StorageGatewayVolume
            | ResourceKind::VmwareVm
    )
}

pub(super) fn air_gapped_point(ctx: &Ctx, max_age_hours: i64) -> Verdict {
    if !air_gap_judged(ctx.res.kind) {
        return Verdict::new(
            Status::NotApplicable,
            format!(
                "AWS Backup Audit Manager's air-gapped control does not judge {} resources",
                ctx.res.kind.backup_type()
            ),
        );
    }
    let inv = ctx.inv;
    let owners = ctx.protection().point_owners(ctx.scope, ctx.res);
    // A point whose vault's type could not be read may be in an air-gapped vault.
    let vault_unread = std::cell::Cell::new(None::<String>);
    let in_air_gapped_vault = |r: crate::model::RpRef| {
        let scope = inv.scope(r.0);
        let name = &inv.recovery_point(r).backup_vault_name;
        match scope.vault(name) {
            Some(v) => v.is_air_gapped(),
            None => {
                if let Some(e) = scope.unavailable(DataFile::BackupVaults) {
                    vault_unread.set(Some(format!(
                        "the vaults of {} could not be read, so whether its points are \
                         air-gapped is unknown: {e}",
                        scope.label()
                    )));
                }
                false
            }
        }
    };
    let found = inv.newest_good_point_where(&owners, in_air_gapped_vault, |_| {});
    let limit = chrono::Duration::hours(max_age_hours);
    let reason = match found.newest {
        Some(p) => {
            let rp = inv.recovery_point(p.point);
            let ev = Evidence {
                recovery_point: Some(p.point),
                vault: Some(rp.backup_vault_name.clone()),
                ..Default::default()
            };
            let age = describe_age(p.age(inv.as_of).num_minutes());
            if p.continuous || p.age(inv.as_of) <= limit {
                let what = if p.continuous {
                    "a continuous recovery point".to_owned()
                } else {
                    format!("a recovery point {age} old")
                };
                return Verdict::new(
                    Status::Pass,
                    format!(
                        "{what} is in the logically air-gapped vault {}",
                        rp.backup_vault_name
                    ),
                )
                .with(ev);
            }
            format!(
                "the newest recovery point in a logically air-gapped vault ({}) is {age} old, \
                 older than {max_age_hours} h",
                rp.backup_vault_name
            )
        }
        None => "no good recovery point in a logically air-gapped vault".to_owned(),
    };
    let unknown = vault_unread
        .take()
        .or_else(|| points_unknown(ctx, found.undated));
    match unknown {
        Some(why) => Verdict::new(Status::NotAssessed, format!("{reason}; {why}")),
        None => Verdict::new(Status::Fail, reason),
    }
}
