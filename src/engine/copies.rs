//! Copy checks (cross-region, cross-account): a copy action counts only if it can deliver.

use super::ctx::Ctx;
use super::overlap;
use super::Verdict;
use crate::engine::finding::Status;
use crate::model::keys::SourceKey;
use crate::model::plan::CopyRule;
use crate::model::protection::AppliedRule;
use crate::model::resource::ResourceKind;
use crate::model::vault::Vault;
use crate::model::vault_policy::{self, CopyAccess};
use crate::model::{Scope, Tri};
use crate::snapshot::DataFile;

/// Whether a copy action delivers, as far as the snapshot shows: a copy action is not a copy
/// (reference trap 17).
pub(super) enum Delivery {
    Yes,
    /// It cannot: why.
    No(String),
    /// What it depends on could not be read: why.
    Unknown(String),
}

impl Delivery {
    pub(super) fn tri(self) -> (Tri, Option<String>) {
        match self {
            Delivery::Yes => (Tri::Yes, None),
            Delivery::No(why) => (Tri::No, Some(why)),
            Delivery::Unknown(why) => (Tri::Unknown, Some(why)),
        }
    }
}

/// Whether copy action `c` of a rule that protects this resource delivers. What makes it fail
/// is told before what is unknown: a copy that cannot happen whatever the unread data says is
/// a failure. A destination account-region absent from the snapshot altogether is not "could
/// not look": the copy counts, and [`copies`] says what could not be checked.
pub(super) fn delivery(ctx: &Ctx, c: &CopyRule) -> Delivery {
    let cross_region = c.region.as_deref().is_some_and(|r| r != ctx.scope.region);
    let cross_account = c.crosses_account(&ctx.scope.account_id);
    let advanced = ctx.res.kind.advanced_backup(ctx.scope.management.as_ref());
    if advanced == Some(false) {
        return Delivery::No(format!(
            "DynamoDB backups are copied only with advanced DynamoDB backup, which is off in {} \
             (ResourceTypeManagementPreference)",
            ctx.scope.label()
        ));
    }
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
    if cross_region && cross_account && one_hop_only {
        return Delivery::No(format!(
            "{} backups cannot be copied both cross-account and cross-Region in one copy \
             action (AWS Backup supports one or the other)",
            ctx.res.kind.backup_type()
        ));
    }
    if cross_account && ctx.scope.cross_account_backup == Some(false) {
        return Delivery::No(format!(
            "cross-account backup is off for the organisation as {} sees it \
             (DescribeGlobalSettings: isCrossAccountBackupEnabled is false)",
            ctx.scope.label()
        ));
    }
    let dest = ctx.inv.vault_by_arn(&c.destination_vault_arn);
    let access = match dest {
        Some((scope, v)) if cross_account => {
            match scope.unavailable(DataFile::BackupVaultPolicies) {
                None => copy_access(ctx, v),
                Some(why) => CopyAccess::Unknown(format!(
                    "the access policies of {}'s vaults could not be read: {why}",
                    scope.label()
                )),
            }
        }
        _ => CopyAccess::Allowed,
    };
    if let Some(why) = failure_at(ctx, c, dest, &access, cross_region) {
        return Delivery::No(why);
    }
    let key = if cross_account {
        key_delivery(ctx)
    } else {
        None
    };
    if let Some(Delivery::No(why)) = key {
        return Delivery::No(why);
    }
    if advanced.is_none() {
        let why = ctx
            .scope
            .unavailable(DataFile::RegionSettings)
            .unwrap_or("not in the snapshot");
        return Delivery::Unknown(format!(
            "whether advanced DynamoDB backup (needed to copy DynamoDB backups) is on in {} is \
             unknown: {} {why}",
            ctx.scope.label(),
            DataFile::RegionSettings.file_name()
        ));
    }
    if cross_account {
        if let Some(why) = cross_account_setting_unknown(ctx.scope) {
            return Delivery::Unknown(why);
        }
    }
    if let CopyAccess::Unknown(why) = access {
        return Delivery::Unknown(why);
    }
    if let Some(unknown) = key {
        return unknown;
    }
    if dest.is_none() {
        let unread = (|| {
            let scope = ctx
                .inv
                .scope_at(c.account.as_deref()?, c.region.as_deref()?)?;
            let why = scope.unavailable(DataFile::BackupVaults)?;
            Some(format!(
                "the destination vault is not in the snapshot and the vaults of {} could not \
                 be read: {why}",
                scope.label()
            ))
        })();
        if let Some(why) = unread {
            return Delivery::Unknown(why);
        }
    }
    Delivery::Yes
}

/// Why the destination makes the copy fail: the vault does not exist in an account-region
/// that was read, it is a restore-access vault, its lock refuses the retention, its policy refuses the source account, or an
/// air-gapped vault refuses the type from another Region.
fn failure_at(
    ctx: &Ctx,
    c: &CopyRule,
    dest: Option<(&Scope, &Vault)>,
    access: &CopyAccess,
    cross_region: bool,
) -> Option<String> {
    let Some((_, v)) = dest else {
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
    if let Some(why) = v
        .not_a_backup_target()
        .or_else(|| v.lock_violation(c.retention))
    {
        return Some(why);
    }
    if let CopyAccess::Refused(why) = access {
        return Some(why.clone());
    }
    let refused = matches!(
        ctx.res.kind,
        ResourceKind::AuroraCluster
            | ResourceKind::DocumentDbCluster
            | ResourceKind::NeptuneCluster
    );
    (cross_region && v.is_air_gapped() && refused).then(|| {
        format!(
            "logically air-gapped vaults do not accept cross-Region copies of {}",
            ctx.res.kind.backup_type()
        )
    })
}

/// What the resource's own KMS key does to a copy into another account (`model::keys`):
/// nothing, a copy that cannot happen (an AWS managed key), or one that may not (the key's
/// kind is unknown). A snapshot older than `kms-aliases.json` is judged as before, and
/// [`copies`] says the key was not checked.
fn key_delivery(ctx: &Ctx) -> Option<Delivery> {
    let file = DataFile::KmsAliases;
    let label = ctx.scope.label();
    match &ctx.res.source_key {
        SourceKey::None | SourceKey::Customer => None,
        SourceKey::AwsManaged(key) => Some(Delivery::No(format!(
            "{} backups keep the resource's own encryption, and it is encrypted with the AWS \
             managed key {key}, which no other account can use",
            ctx.res.kind.backup_type()
        ))),
        _ if ctx.scope.not_collected.contains(&file) => None,
        SourceKey::Key(key) => Some(Delivery::Unknown(format!(
            "whether its KMS key {key} is an AWS managed key (which no other account can use) \
             is unknown: {} of {label} could not be read: {}",
            file.file_name(),
            ctx.scope
                .unavailable(file)
                .unwrap_or("it is not in the snapshot")
        ))),
        SourceKey::Unnamed => Some(Delivery::Unknown(format!(
            "it is encrypted, but its item in {label}'s resources.json does not name the KMS \
             key, so whether that key is an AWS managed key (which no other account can use) is \
             unknown"
        ))),
        SourceKey::VolumesUnknown => Some(Delivery::Unknown(format!(
            "which KMS keys encrypt the instance's AMI is unknown: none of its volumes is among \
             {label}'s resources"
        ))),
    }
}

/// Why whether the organisation allows cross-account backup is unknown for `scope`: its
/// `global-settings.json` could not be read, or does not say. A snapshot older than the file
/// is not "could not look": the copy counts and its reason says the setting was not checked.
fn cross_account_setting_unknown(scope: &Scope) -> Option<String> {
    if scope.cross_account_backup.is_some()
        || scope.not_collected.contains(&DataFile::GlobalSettings)
    {
        return None;
    }
    let why = scope
        .unavailable(DataFile::GlobalSettings)
        .unwrap_or("it does not say isCrossAccountBackupEnabled");
    Some(format!(
        "whether the organisation allows cross-account backup is unknown in {}: {} {why}",
        scope.label(),
        DataFile::GlobalSettings.file_name()
    ))
}

/// Whether the destination vault's access policy lets this resource's account copy into it.
fn copy_access(ctx: &Ctx, v: &Vault) -> CopyAccess {
    let org = ctx.inv.organization.as_ref().map(|o| o.id.as_str());
    vault_policy::copy_access(v.policy_doc(), &ctx.scope.account_id, org)
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
            match delivery(ctx, c) {
                Delivery::Yes => {}
                Delivery::No(why) => {
                    // Two rules copying to one vault fail alike: said once.
                    let problem = format!("copy to {} fails: {why}", c.destination_vault_arn);
                    if !problems.contains(&problem) {
                        problems.push(problem);
                    }
                    continue;
                }
                Delivery::Unknown(why) => {
                    unknown.push(format!(
                        "whether {}'s copy to {} delivers is unknown: {why}",
                        ctx.describe(a),
                        c.destination_vault_arn
                    ));
                    continue;
                }
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
            if c.crosses_account(&ctx.scope.account_id)
                && ctx.scope.not_collected.contains(&DataFile::GlobalSettings)
            {
                reason.push_str(
                    "; whether the organisation allows cross-account backup was not collected \
                     (global-settings.json)",
                );
            }
            if c.crosses_account(&ctx.scope.account_id)
                && matches!(
                    ctx.res.source_key,
                    SourceKey::Key(_) | SourceKey::Unnamed | SourceKey::VolumesUnknown
                )
            {
                reason.push_str(
                    "; whether its KMS key is an AWS managed key (which would stop the copy) was \
                     not collected (kms-aliases.json)",
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
