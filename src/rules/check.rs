//! The check kinds a rule can use and their parameters. The kind names are the `check`
//! column of the findings: keep them stable.

use super::names;
use super::yaml::Ctx;
use marked_yaml::Node;
use serde::Serialize;

/// One frequency/retention requirement: some effective rule must run at least every
/// `max_interval_hours` and keep its backups at least `min_retention_days`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Tier {
    pub name: String,
    pub max_interval_hours: i64,
    pub min_retention_days: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case", tag = "kind")]
pub enum Check {
    Protected,
    FrequencyRetention {
        tiers: Vec<Tier>,
    },
    VaultMembership {
        /// Derive the vault from this tag's value (`app=payments` → vault `payments`).
        vault_from_tag: Option<String>,
        /// `{tag}` is replaced by the tag value.
        vault_name: String,
        /// Or: a fixed list of allowed vaults.
        vaults: Vec<String>,
    },
    CrossRegionCopy {
        regions: Vec<String>,
    },
    CrossAccountCopy {
        accounts: Vec<String>,
    },
    RecoveryPointRecent {
        max_age_hours: i64,
    },
    RecoveryPointEncrypted,
    /// GuardDuty's malware scans of the point found nothing.
    RecoveryPointClean,
    /// A logically air-gapped vault has a multi-party approval team.
    VaultMpa,
    RecoveryPointRetention {
        min_retention_days: i64,
    },
    VaultLock {
        min_retention_days: Option<i64>,
        max_retention_days: Option<i64>,
    },
    VaultEncryption,
    VaultDeletionProtection,
    /// The resource's backup jobs of the last `days` days did not fail, abort, expire or end
    /// PARTIAL.
    BackupJobsSucceeded {
        days: i64,
    },
    /// Each completed backup of a rule with copy actions, in the last `days` days, was
    /// followed by a copy job per destination, and none failed.
    CopyJobsSucceeded {
        days: i64,
    },
    /// The account's effective Organizations backup policy is fully enforced: the account is
    /// not listed by `ListAccountsWithInvalidEffectivePolicy(BACKUP_POLICY)`. One finding
    /// per account-region.
    OrgBackupPolicyValid,
    /// An effective rule backs the resource up into a vault locked in compliance mode whose
    /// bounds fit (AWS Backup Audit Manager's `BACKUP_RESOURCES_PROTECTED_BY_BACKUP_VAULT_LOCK`).
    LockedVaultBackups {
        min_retention_days: Option<i64>,
        max_retention_days: Option<i64>,
    },
    /// A restore testing selection covers the resource, and a restore job of its plan in the
    /// last `max_age_days` days COMPLETED with validation SUCCESSFUL (within
    /// `max_restore_minutes` when set).
    RestoreTested {
        max_age_days: i64,
        max_restore_minutes: Option<i64>,
    },
    /// A good recovery point of the resource in a logically air-gapped vault, at most
    /// `max_age_hours` old (AWS Backup Audit Manager's
    /// `RESOURCES_IN_LOGICALLY_AIR_GAPPED_VAULT`).
    AirGappedRecoveryPoint {
        max_age_hours: i64,
    },
}

/// What a check judges: the subject column of a finding.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum SubjectKind {
    Resource,
    RecoveryPoint,
    Vault,
    /// A whole account-region.
    Scope,
}

pub const KINDS: [&str; 19] = [
    "protected",
    "frequency-retention",
    "vault-membership",
    "cross-region-copy",
    "cross-account-copy",
    "recovery-point-recent",
    "recovery-point-encrypted",
    "recovery-point-retention",
    "vault-lock",
    "vault-encryption",
    "vault-deletion-protection",
    "backup-jobs-succeeded",
    "copy-jobs-succeeded",
    "org-backup-policy-valid",
    "locked-vault-backups",
    "restore-tested",
    "air-gapped-recovery-point",
    "recovery-point-clean",
    "vault-mpa",
];

impl Check {
    pub fn name(&self) -> &'static str {
        match self {
            Check::Protected => KINDS[0],
            Check::FrequencyRetention { .. } => KINDS[1],
            Check::VaultMembership { .. } => KINDS[2],
            Check::CrossRegionCopy { .. } => KINDS[3],
            Check::CrossAccountCopy { .. } => KINDS[4],
            Check::RecoveryPointRecent { .. } => KINDS[5],
            Check::RecoveryPointEncrypted => KINDS[6],
            Check::RecoveryPointRetention { .. } => KINDS[7],
            Check::VaultLock { .. } => KINDS[8],
            Check::VaultEncryption => KINDS[9],
            Check::VaultDeletionProtection => KINDS[10],
            Check::BackupJobsSucceeded { .. } => KINDS[11],
            Check::CopyJobsSucceeded { .. } => KINDS[12],
            Check::OrgBackupPolicyValid => KINDS[13],
            Check::LockedVaultBackups { .. } => KINDS[14],
            Check::RestoreTested { .. } => KINDS[15],
            Check::AirGappedRecoveryPoint { .. } => KINDS[16],
            Check::RecoveryPointClean => KINDS[17],
            Check::VaultMpa => KINDS[18],
        }
    }

    /// Judged from what has run (recovery points, jobs, restores) rather than from the
    /// configuration: a resource that does not exist yet has no such evidence to judge.
    pub fn judges_what_ran(&self) -> bool {
        matches!(
            self,
            Check::RecoveryPointRecent { .. }
                | Check::BackupJobsSucceeded { .. }
                | Check::CopyJobsSucceeded { .. }
                | Check::RestoreTested { .. }
                | Check::AirGappedRecoveryPoint { .. }
        )
    }

    /// Reads vault access policies: a vault's own, or a copy destination's.
    pub fn reads_vault_policies(&self) -> bool {
        matches!(
            self,
            Check::VaultDeletionProtection
                | Check::CrossRegionCopy { .. }
                | Check::CrossAccountCopy { .. }
        )
    }

    pub fn subject(&self) -> SubjectKind {
        match self {
            Check::RecoveryPointEncrypted
            | Check::RecoveryPointClean
            | Check::RecoveryPointRetention { .. } => SubjectKind::RecoveryPoint,
            Check::VaultLock { .. }
            | Check::VaultEncryption
            | Check::VaultDeletionProtection
            | Check::VaultMpa => SubjectKind::Vault,
            Check::OrgBackupPolicyValid => SubjectKind::Scope,
            _ => SubjectKind::Resource,
        }
    }
}

const DAYS_MAX: i64 = 36_500;

/// The check kinds that take no parameters (written as a scalar or as `kind:` alone).
fn without_parameters(kind: &str) -> Option<Check> {
    match kind {
        "protected" => Some(Check::Protected),
        "recovery-point-encrypted" => Some(Check::RecoveryPointEncrypted),
        "recovery-point-clean" => Some(Check::RecoveryPointClean),
        "vault-encryption" => Some(Check::VaultEncryption),
        "vault-deletion-protection" => Some(Check::VaultDeletionProtection),
        "vault-mpa" => Some(Check::VaultMpa),
        "org-backup-policy-valid" => Some(Check::OrgBackupPolicyValid),
        _ => None,
    }
}

/// `check: protected` or `check: {kind: frequency-retention, tiers: [...]}`.
pub fn parse(ctx: &mut Ctx, node: &Node) -> Option<Check> {
    if let Node::Scalar(s) = node {
        let kind = s.as_str();
        if let Some(check) = without_parameters(kind) {
            return Some(check);
        }
        return match kind {
            k if KINDS.contains(&k) => {
                ctx.error(
                    s.span(),
                    format!("check `{k}` needs parameters: write it as a mapping with `kind: {k}`"),
                );
                None
            }
            _ => {
                ctx.error(
                    s.span(),
                    format!(
                        "unknown check {kind:?}: expected one of {}",
                        KINDS.join(", ")
                    ),
                );
                None
            }
        };
    }
    let mut f = ctx.mapping(node, "`check`")?;
    let kind_node = f.required(ctx, "kind", "`check`")?;
    let kinds: Vec<(&str, &str)> = KINDS.iter().map(|k| (*k, *k)).collect();
    let kind = ctx.one_of(kind_node, "check", &kinds)?;
    let what = format!("check `{kind}`");
    let check = match kind {
        k if without_parameters(k).is_some() => without_parameters(k),
        "frequency-retention" => f
            .required(ctx, "tiers", &what)
            .and_then(|n| parse_tiers(ctx, n))
            .map(|tiers| Check::FrequencyRetention { tiers }),
        "vault-membership" => {
            let tag = f
                .get("vault_from_tag")
                .and_then(|n| ctx.string(n, "`vault_from_tag`"));
            let name = f
                .get("vault_name")
                .and_then(|n| ctx.string(n, "`vault_name`"));
            let vaults = f
                .get("vaults")
                .and_then(|n| ctx.strings(n, "`vaults`"))
                .unwrap_or_default();
            if tag.is_none() && vaults.is_empty() {
                ctx.error(
                    f.span(),
                    "check `vault-membership` needs `vault_from_tag` or `vaults`",
                );
                None
            } else {
                Some(Check::VaultMembership {
                    vault_from_tag: tag,
                    vault_name: name.unwrap_or_else(|| "{tag}".to_owned()),
                    vaults,
                })
            }
        }
        "cross-region-copy" => Some(Check::CrossRegionCopy {
            regions: f
                .get("regions")
                .and_then(|n| ctx.checked_strings(n, "`regions`", names::region_problem))
                .unwrap_or_default(),
        }),
        "cross-account-copy" => Some(Check::CrossAccountCopy {
            accounts: f
                .get("accounts")
                .and_then(|n| ctx.checked_strings(n, "`accounts`", names::account_problem))
                .unwrap_or_default(),
        }),
        "recovery-point-recent" => f
            .required(ctx, "max_age_hours", &what)
            .and_then(|n| ctx.integer(n, "`max_age_hours`", 1, 24 * 366))
            .map(|h| Check::RecoveryPointRecent { max_age_hours: h }),
        "recovery-point-retention" => f
            .required(ctx, "min_retention_days", &what)
            .and_then(|n| ctx.integer(n, "`min_retention_days`", 1, DAYS_MAX))
            .map(|d| Check::RecoveryPointRetention {
                min_retention_days: d,
            }),
        "vault-lock" => parse_lock_bounds(ctx, &mut f).map(|(min, max)| Check::VaultLock {
            min_retention_days: min,
            max_retention_days: max,
        }),
        "locked-vault-backups" => {
            parse_lock_bounds(ctx, &mut f).map(|(min, max)| Check::LockedVaultBackups {
                min_retention_days: min,
                max_retention_days: max,
            })
        }
        // `ListBackupJobs` returns at most the last 30 days.
        "backup-jobs-succeeded" => f
            .required(ctx, "days", &what)
            .and_then(|n| ctx.integer(n, "`days`", 1, 30))
            .map(|days| Check::BackupJobsSucceeded { days }),
        "copy-jobs-succeeded" => f
            .required(ctx, "days", &what)
            .and_then(|n| ctx.integer(n, "`days`", 1, 30))
            .map(|days| Check::CopyJobsSucceeded { days }),
        "restore-tested" => parse_restore_tested(ctx, &mut f, &what),
        // BAM's window: 24 hours to 91 days.
        "air-gapped-recovery-point" => f
            .required(ctx, "max_age_hours", &what)
            .and_then(|n| ctx.integer(n, "`max_age_hours`", 24, 2184))
            .map(|max_age_hours| Check::AirGappedRecoveryPoint { max_age_hours }),
        _ => None,
    };
    f.finish(ctx, &what);
    check
}

fn parse_restore_tested(ctx: &mut Ctx, f: &mut super::yaml::Fields, what: &str) -> Option<Check> {
    let max_age = f
        .required(ctx, "max_age_days", what)
        .and_then(|n| ctx.integer(n, "`max_age_days`", 1, 365));
    // At most a week: the longest a restore testing plan's start window is.
    let minutes = f
        .get("max_restore_minutes")
        .map(|n| ctx.integer(n, "`max_restore_minutes`", 1, 7 * 24 * 60));
    match (max_age, minutes) {
        (Some(d), None) => Some(Check::RestoreTested {
            max_age_days: d,
            max_restore_minutes: None,
        }),
        (Some(d), Some(Some(m))) => Some(Check::RestoreTested {
            max_age_days: d,
            max_restore_minutes: Some(m),
        }),
        _ => None,
    }
}

/// `min_retention_days` and `max_retention_days` a vault lock must have, both optional.
fn parse_lock_bounds(
    ctx: &mut Ctx,
    f: &mut super::yaml::Fields,
) -> Option<(Option<i64>, Option<i64>)> {
    let min_node = f.get("min_retention_days");
    let min = min_node.and_then(|n| ctx.integer(n, "`min_retention_days`", 1, DAYS_MAX));
    let max = f
        .get("max_retention_days")
        .and_then(|n| ctx.integer(n, "`max_retention_days`", 1, DAYS_MAX));
    if let (Some(lo), Some(hi), Some(n)) = (min, max, min_node) {
        if lo > hi {
            // No lock could pass: every vault would FAIL for a typo in the rule.
            ctx.error(
                n.span(),
                format!(
                    "`min_retention_days` ({lo}) is above `max_retention_days` ({hi}): \
                     no vault lock can meet both"
                ),
            );
            return None;
        }
    }
    Some((min, max))
}

fn parse_tiers(ctx: &mut Ctx, node: &Node) -> Option<Vec<Tier>> {
    let list = ctx.sequence(node, "`tiers`")?;
    if list.is_empty() {
        ctx.error(node.span(), "`tiers` needs at least one tier");
        return None;
    }
    let mut tiers = Vec::new();
    let mut ok = true;
    for (i, n) in list.iter().enumerate() {
        let Some(mut f) = ctx.mapping(n, "a tier") else {
            ok = false;
            continue;
        };
        let name = f.get("name").and_then(|n| ctx.string(n, "`name`"));
        let interval = f
            .required(ctx, "max_interval_hours", "a tier")
            .and_then(|n| ctx.integer(n, "`max_interval_hours`", 1, 24 * 366));
        let retention = f
            .required(ctx, "min_retention_days", "a tier")
            .and_then(|n| ctx.integer(n, "`min_retention_days`", 1, DAYS_MAX));
        f.finish(ctx, "a tier");
        match (interval, retention) {
            (Some(h), Some(d)) => tiers.push(Tier {
                name: name.unwrap_or_else(|| format!("tier {}", i + 1)),
                max_interval_hours: h,
                min_retention_days: d,
            }),
            _ => ok = false,
        }
    }
    ok.then_some(tiers)
}
