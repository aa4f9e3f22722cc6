//! Copy checks (cross-region, cross-account): a copy action counts only if it can deliver.

use super::ctx::Ctx;
use super::overlap;
use super::Verdict;
use crate::engine::finding::Status;
use crate::model::plan::CopyRule;
use crate::model::protection::AppliedRule;
use crate::model::resource::ResourceKind;
use crate::model::vault::Vault;
use crate::model::vault_policy::{self, CopyAccess};
use crate::snapshot::DataFile;

/// Why a copy action cannot deliver, as far as the snapshot shows: a copy action is not a copy
/// (reference trap 17). A destination whose scope is missing or unreadable is not judged here:
/// see [`copy_unknown`].
pub(super) fn copy_failure(ctx: &Ctx, c: &CopyRule) -> Option<String> {
    let cross_region = c.region.as_deref().is_some_and(|r| r != ctx.scope.region);
    let cross_account = c
        .account
        .as_deref()
        .is_some_and(|a| a != ctx.scope.account_id);
    // AWS Backup feature availability, footnote 3: "RDS, Aurora, DocumentDB, and Neptune do not
    // support a single copy action that performs both cross-Region AND cross-account backup";
    // such a copy never happens, so it counts for neither check.
    let one_hop_only = matches!(
        ctx.res.kind,
        ResourceKind::RdsInstance
            | ResourceKind::AuroraCluster
            | ResourceKind::DocumentDbCluster
            | ResourceKind::NeptuneCluster
    );
    if ctx.res.kind.advanced_backup(ctx.scope.management.as_ref()) == Some(false) {
        return Some(format!(
            "DynamoDB backups are copied only with advanced DynamoDB backup, which is off in {} \
             (ResourceTypeManagementPreference)",
            ctx.scope.label()
        ));
    }
    if cross_region && cross_account && one_hop_only {
        return Some(format!(
            "{} backups cannot be copied both cross-account and cross-Region in one copy \
             action (AWS Backup supports one or the other)",
            ctx.res.kind.backup_type()
        ));
    }
    let Some((dest, v)) = ctx.inv.vault_by_arn(&c.destination_vault_arn) else {
        let scope = ctx
            .inv
            .scope_at(c.account.as_deref()?, c.region.as_deref()?)?;
        return match scope.unavailable(DataFile::BackupVaults) {
            Some(_) => None,
            None => Some(format!(
                "the destination vault does not exist in {}",
                scope.label()
            )),
        };
    };
    if let Some(why) = v.lock_violation(c.retention) {
        return Some(why);
    }
    // Policies that could not be read: see [`copy_unknown`].
    if cross_account && dest.unavailable(DataFile::BackupVaultPolicies).is_none() {
        if let CopyAccess::Refused(why) = copy_access(ctx, v) {
            return Some(why);
        }
    }
    let air_gapped = v.is_air_gapped();
    let refused = matches!(
        ctx.res.kind,
        ResourceKind::AuroraCluster
            | ResourceKind::DocumentDbCluster
            | ResourceKind::NeptuneCluster
    );
    (cross_region && air_gapped && refused).then(|| {
        format!(
            "logically air-gapped vaults do not accept cross-Region copies of {}",
            ctx.res.kind.backup_type()
        )
    })
}

/// Why whether a copy delivers is unknown: the source region's settings that say whether a
/// DynamoDB table's backups can be copied could not be read; or its destination vault is not in
/// the snapshot, and its account-region is, but that scope failed or its `backup-vaults.json`
/// could not be read.
/// (A destination account-region absent from the snapshot altogether is not "could not look":
/// the copy counts, and its reason says the lock could not be checked.)
pub(super) fn copy_unknown(ctx: &Ctx, c: &CopyRule) -> Option<String> {
    if ctx
        .res
        .kind
        .advanced_backup(ctx.scope.management.as_ref())
        .is_none()
    {
        let why = ctx
            .scope
            .unavailable(DataFile::RegionSettings)
            .unwrap_or("not in the snapshot");
        return Some(format!(
            "whether advanced DynamoDB backup (needed to copy DynamoDB backups) is on in {} is \
             unknown: {} {why}",
            ctx.scope.label(),
            DataFile::RegionSettings.file_name()
        ));
    }
    if let Some((scope, v)) = ctx.inv.vault_by_arn(&c.destination_vault_arn) {
        let cross_account = scope.account_id != ctx.scope.account_id;
        if let (true, Some(why)) = (
            cross_account,
            scope.unavailable(DataFile::BackupVaultPolicies),
        ) {
            return Some(format!(
                "the access policies of {}'s vaults could not be read: {why}",
                scope.label()
            ));
        }
        return match (cross_account, copy_access(ctx, v)) {
            (true, CopyAccess::Unknown(why)) => Some(why),
            _ => None,
        };
    }
    let scope = ctx
        .inv
        .scope_at(c.account.as_deref()?, c.region.as_deref()?)?;
    let why = scope.unavailable(DataFile::BackupVaults)?;
    Some(format!(
        "the destination vault is not in the snapshot and the vaults of {} could not be read: {why}",
        scope.label()
    ))
}

/// Whether the destination vault's access policy lets this resource's account copy into it.
fn copy_access(ctx: &Ctx, v: &Vault) -> CopyAccess {
    let org = ctx.inv.organization.as_ref().map(|o| o.id.as_str());
    vault_policy::copy_access(v.policy_doc.as_ref(), &ctx.scope.account_id, org)
}

pub(super) fn copies(
    ctx: &Ctx,
    what: &str,
    allowed: &[String],
    field: impl Fn(&CopyRule) -> Option<&str>,
    own: &str,
) -> Verdict {
    if ctx.res.kind == ResourceKind::RdsCluster {
        return Verdict::new(
            Status::Fail,
            "RDS Multi-AZ DB clusters do not support copy operations in AWS Backup",
        );
    }
    let mut problems = Vec::new();
    let mut unknown = Vec::new();
    let wanted = |c: &CopyRule| {
        field(c).is_some_and(|dest| {
            dest != own && (allowed.is_empty() || allowed.iter().any(|x| x == dest))
        })
    };
    let effective: Vec<&AppliedRule> = ctx.protection().effective().collect();
    for &a in &effective {
        let shadow = overlap::shadowed_by(ctx.scope, &effective, a);
        for c in ctx.plan_rule(a).copies.iter().filter(|c| wanted(c)) {
            if let Some(b) = shadow {
                problems.push(format!(
                    "{}'s copy to {} never runs: rule {:?} of the same plan has the same \
                     schedule and keeps backups longer, and AWS takes only that backup",
                    ctx.describe(a),
                    c.destination_vault_arn,
                    ctx.plan_rule(b).name
                ));
                continue;
            }
            if let Some(why) = copy_failure(ctx, c) {
                problems.push(format!("copy to {} fails: {why}", c.destination_vault_arn));
                continue;
            }
            if let Some(why) = copy_unknown(ctx, c) {
                unknown.push(format!(
                    "whether {}'s copy to {} delivers is unknown: {why}",
                    ctx.describe(a),
                    c.destination_vault_arn
                ));
                continue;
            }
            let mut reason = format!(
                "{} copies to {} (another {what}), kept {}{}",
                ctx.describe(a),
                c.destination_vault_arn,
                c.retention,
                if c.inherited {
                    " (inherited from the source rule)"
                } else {
                    ""
                }
            );
            if ctx.inv.vault_by_arn(&c.destination_vault_arn).is_none() {
                reason.push_str(
                    "; destination vault not in the snapshot, so its lock could not be checked",
                );
            }
            let mut ev = ctx.evidence(a);
            ev.vault = Some(c.destination_vault_arn.as_str().into());
            return Verdict::new(Status::Pass, reason).with(ev);
        }
    }
    // A copy into an account-region that could not be read may deliver: "could not look".
    if !unknown.is_empty() {
        unknown.extend(problems);
        return Verdict::new(Status::NotAssessed, unknown.join("; "));
    }
    let mut reason = if allowed.is_empty() {
        format!("no effective backup rule copies to another {what}")
    } else {
        format!(
            "no effective backup rule copies to {what} {}",
            allowed.join(" or ")
        )
    };
    if !problems.is_empty() {
        reason.push_str(&format!(": {}", problems.join("; ")));
    }
    // A rule whose effect could not be read may make the copy the others miss.
    ctx.fail_unless_unknown(reason, |a| ctx.plan_rule(a).copies.iter().any(&wanted))
}
