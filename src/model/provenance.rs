//! Where a backup plan comes from, and so whose region opt-in decides what its selections pick.
//!
//! An Organizations backup policy creates a plan in each member account; "the AWS Backup
//! opt-in settings for the Organizations management account will override the opt-in
//! settings in that member account, but only for that backup plan" (BK-XACCT,
//! https://docs.aws.amazon.com/aws-backup/latest/devguide/manage-cross-account.html). Such a
//! plan is told by its id or ARN, `…:backup-plan:orgs/…` (AWS's sample Backup Audit Manager
//! report shows one; the marker itself is inferred: reference aws-backup-2024-2026 §1.7).
//! Control Tower enables AWS Backup through such policies, with its own tags and vaults
//! (CT-BACKUP). EFS automatic backups come from the AWS-managed plan `aws/efs/…`.

use super::resource::ResourceKind;
use super::selection::{opt_in_for, OptIn, OptInWords, Selection};
use super::{Inventory, Scope};
use crate::snapshot::DataFile;
use serde::Serialize;
use std::collections::BTreeMap;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum PlanSource {
    /// Created in the account itself.
    Local,
    /// Created by an Organizations backup policy: judged with the management account's opt-in.
    OrgPolicy,
    /// An org-policy plan of AWS Control Tower's backup (its tags or vaults): the same rules.
    ControlTower,
    /// The AWS-managed plan of EFS automatic backups.
    EfsAutomatic,
}

const ORG_MARKER: &str = "orgs/";
const EFS_MARKER: &str = "aws/efs/";
/// Control Tower selects by `aws-control-tower-backuphourly|daily|weekly|monthly` (CT-BACKUP).
const CT_TAG: &str = "aws-control-tower-backup";
/// Control Tower's backup vaults: `aws-controltower-backupvault`, `…-central-backupvault-*`.
const CT_VAULT: &str = "aws-controltower-";

impl PlanSource {
    /// The source of plan `id` (ARN `arn`) whose rules target `vaults` and whose selections
    /// are `sels`.
    pub fn of<'v>(
        id: &str,
        arn: Option<&str>,
        mut vaults: impl Iterator<Item = &'v str>,
        sels: &[Selection],
    ) -> PlanSource {
        let in_arn = arn
            .and_then(|a| a.split_once(":backup-plan:"))
            .map(|(_, r)| r);
        let marked = |m: &str| id.starts_with(m) || in_arn.is_some_and(|r| r.starts_with(m));
        if marked(ORG_MARKER) {
            let ct_tag = |k: &str| {
                k.strip_prefix("aws:ResourceTag/")
                    .unwrap_or(k)
                    .starts_with(CT_TAG)
            };
            let by_tag = sels.iter().any(|s| {
                s.list_of_tags.iter().any(|(k, _)| ct_tag(k))
                    || s.conditions.iter().any(|c| ct_tag(&c.key))
            });
            if by_tag || vaults.any(|v| v.starts_with(CT_VAULT)) {
                PlanSource::ControlTower
            } else {
                PlanSource::OrgPolicy
            }
        } else if marked(EFS_MARKER) {
            PlanSource::EfsAutomatic
        } else {
            PlanSource::Local
        }
    }

    /// Made by an Organizations backup policy, so judged with the management account's opt-in.
    pub fn from_org_policy(self) -> bool {
        matches!(self, PlanSource::OrgPolicy | PlanSource::ControlTower)
    }

    /// How verdicts name where the plan came from; `None` for a plan of the account's own.
    pub fn label(self) -> Option<&'static str> {
        match self {
            PlanSource::Local => None,
            PlanSource::OrgPolicy => Some("org policy"),
            PlanSource::ControlTower => Some("Control Tower org policy"),
            PlanSource::EfsAutomatic => Some("EFS automatic backups"),
        }
    }
}

/// Why an `aws/efs` plan's EFS selection is not assessed when EFS is not opted in.
const EFS_OPT_OUT_UNDOCUMENTED: &str = "EFS is not opted in for this region, and AWS does not \
     document whether EFS automatic backups still run (only a third-party copy of AWS text says \
     they are exempt from opt-out), so this is not assessed";

/// The region opt-in one plan's selections are judged with, decided once per plan and scope.
#[derive(Debug, Clone, Default)]
pub struct OptInView<'a> {
    settings: Option<&'a BTreeMap<String, bool>>,
    /// Whose settings, when not the scope's own: `the management account A in R (…)`.
    owner: Option<String>,
    /// Why those settings are unknown, when they are and are not the scope's own.
    unknown: Option<String>,
    efs_automatic: bool,
}

impl<'a> OptInView<'a> {
    /// The management account's settings in the scope's region for a plan an org policy made;
    /// the scope's own for any other.
    pub fn of(inv: &'a Inventory, scope: &'a Scope, source: PlanSource) -> OptInView<'a> {
        let own = OptInView {
            settings: scope.opt_in.as_ref(),
            efs_automatic: source == PlanSource::EfsAutomatic,
            ..Default::default()
        };
        if !source.from_org_policy() {
            return own;
        }
        let label = source.label().unwrap_or_default();
        let Some(mgmt) = inv
            .organization
            .as_ref()
            .and_then(|o| o.master_account_id.as_deref())
        else {
            return OptInView {
                settings: None,
                owner: Some(format!(
                    "the organisation's management account ({label} plan)"
                )),
                unknown: Some(format!(
                    "the opt-in settings of the organisation's management account decide for \
                     an {label} plan, and the snapshot does not say which account that is \
                     ({} is not in it)",
                    crate::snapshot::organization::ORGANIZATION_FILE
                )),
                efs_automatic: false,
            };
        };
        let region = &scope.region;
        let owner = format!("the management account {mgmt} in {region}");
        let (settings, unknown) = match inv.scope_at(mgmt, region) {
            None => (
                None,
                Some(format!(
                    "the opt-in settings of {owner} decide for an {label} plan, and that \
                     account-region is not in the snapshot"
                )),
            ),
            Some(m) => match (&m.opt_in, m.unavailable(DataFile::RegionSettings)) {
                (Some(s), None) => (Some(s), None),
                (_, why) => (
                    None,
                    Some(format!(
                        "the opt-in settings of {owner} decide for an {label} plan, and its {} \
                         could not be read: {}",
                        DataFile::RegionSettings.file_name(),
                        why.unwrap_or("no region settings")
                    )),
                ),
            },
        };
        OptInView {
            settings,
            owner: Some(format!("{owner} ({label} plan)")),
            unknown,
            efs_automatic: false,
        }
    }

    /// Opt-in for one resource type; `None` when unknown.
    pub fn value(&self, kind: ResourceKind) -> OptIn {
        let on = self.settings.and_then(|m| opt_in_for(m, kind))?;
        // Conservative: an exemption only a third-party copy states is not relied on.
        (on || !self.efs_opt_out(kind)).then_some(on)
    }

    fn efs_opt_out(&self, kind: ResourceKind) -> bool {
        self.efs_automatic && kind == ResourceKind::EfsFileSystem
    }

    /// The words a selection's reason uses for this opt-in.
    pub fn words(&self, kind: ResourceKind) -> OptInWords<'_> {
        let efs_off = self.efs_opt_out(kind)
            && self
                .settings
                .is_some_and(|m| opt_in_for(m, kind) == Some(false));
        if efs_off {
            return OptInWords {
                owner: None,
                unknown: Some(EFS_OPT_OUT_UNDOCUMENTED),
            };
        }
        OptInWords {
            owner: self.owner.as_deref(),
            unknown: self.unknown.as_deref(),
        }
    }

    /// Whether an unknown outcome's reason already says why (else the caller adds the scope's
    /// own region-settings error).
    pub fn explains_unknown(&self, kind: ResourceKind) -> bool {
        self.words(kind).unknown.is_some()
    }
}

#[cfg(test)]
mod tests;
