//! The snapshot: the replay boundary between collection and evaluation.
//!
//! A snapshot is a directory: `manifest.json` plus, per account and region, AWS API outputs in
//! the exact shapes the AWS CLI prints (see the README, "Snapshot format"). Everything after
//! this module is pure and works the same on a live collection or on `samples/`.

pub mod access_points;
pub mod aws;
pub mod config_json;
pub mod config_types;
mod data_file;
mod hint;
mod items;
pub mod json_string;
pub mod kms;
mod manifest;
pub mod names;
pub mod organization;
mod parse;
mod peek;
pub mod restore;
mod scope;
mod skeleton;
pub mod time;
mod warnings;

pub use data_file::{DataFile, WhenAbsent};
pub use manifest::{FileError, InventorySource, Windows};
pub use parse::parse_json;

use crate::error::{Error, Result};
use crate::shard::Shard;
use manifest::ManifestScope;
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};
use time::Timestamp;

pub const FORMAT: &str = "backup-auditor-snapshot/v1";
pub const MANIFEST: &str = "manifest.json";

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ScopeStatus {
    Complete,
    Partial,
    Failed,
}

/// Resource types whose listing failed while the rest of the inventory was read: they are
/// unknown in their scope, the other types are judged.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnlistedTypes {
    pub types: Vec<String>,
    pub error: String,
}

/// Everything read from one account-region.
#[derive(Debug, Clone, Default)]
pub struct ScopeData {
    pub resources: Vec<aws::ConfigItem>,
    pub plans: Vec<aws::GetBackupPlanOutput>,
    pub selections: Vec<aws::GetBackupSelectionOutput>,
    pub vaults: Vec<aws::DescribeBackupVaultOutput>,
    pub vault_policies: Vec<aws::VaultAccessPolicy>,
    pub recovery_points: Vec<aws::RecoveryPoint>,
    pub protected_resources: Vec<aws::ProtectedResource>,
    pub region_settings: Option<aws::RegionSettings>,
    pub backup_jobs: Vec<aws::BackupJob>,
    /// `iam-roles.json`: `None` when the snapshot did not collect it (or its call failed).
    pub iam_roles: Option<Vec<aws::IamRole>>,
    pub copy_jobs: Vec<aws::CopyJob>,
    /// `global-settings.json`: `None` when absent or its call failed.
    pub global_settings: Option<aws::GlobalSettings>,
    /// `restore-testing-plans.json`; absent (not collected) reads as empty, and
    /// `ScopeSnapshot::not_collected` says so.
    pub restore_testing_plans: Vec<restore::GetRestoreTestingPlanOutput>,
    pub restore_testing_selections: Vec<restore::GetRestoreTestingSelectionOutput>,
    pub restore_jobs: Vec<restore::RestoreJob>,
    /// `kms-aliases.json`: `None` when absent or its call failed.
    pub kms_aliases: Option<Vec<kms::KmsAlias>>,
    /// `backup-access-points.json`; absent reads as none.
    pub backup_access_points: Vec<access_points::BackupAccessPoint>,
    /// `tiering-configurations.json`; absent reads as none.
    pub tiering_configurations: Vec<access_points::GetTieringConfigurationOutput>,
    /// Another shard's scope: the ARNs of its inventory items (sorted), in place of
    /// `resources`.
    pub listed: Vec<String>,
}

#[derive(Debug, Clone)]
pub struct ScopeSnapshot {
    pub account_id: String,
    pub account_name: Option<String>,
    pub region: String,
    pub status: ScopeStatus,
    /// Why the whole scope could not be read (status `failed`).
    pub error: Option<String>,
    /// Files whose API call failed, with the AWS error: their absence means "unknown".
    pub unavailable: Vec<(DataFile, String)>,
    /// Resource types missing from a `resources.json` that was otherwise read.
    pub unlisted: Vec<UnlistedTypes>,
    /// Files this snapshot does not have because its collector did not write them
    /// ([`WhenAbsent::NotCollected`]): unknown to the checks that need them, and not a
    /// failure of the scope.
    pub not_collected: Vec<DataFile>,
    /// The manifest's `inventory`: where each resource type came from (empty when it does
    /// not say).
    pub inventory: std::collections::BTreeMap<String, manifest::InventorySource>,
    pub data: ScopeData,
}

impl ScopeSnapshot {
    pub fn is_unavailable(&self, file: DataFile) -> bool {
        self.status == ScopeStatus::Failed || self.unavailable.iter().any(|(f, _)| *f == file)
    }

    pub fn unavailable_reason(&self, file: DataFile) -> Option<&str> {
        if self.status == ScopeStatus::Failed {
            return Some(self.error.as_deref().unwrap_or("scope could not be read"));
        }
        self.unavailable
            .iter()
            .find(|(f, _)| *f == file)
            .map(|(_, e)| e.as_str())
    }
}

#[derive(Debug, Clone)]
pub struct Snapshot {
    pub root: PathBuf,
    pub collected_at: Timestamp,
    /// How far back jobs and points were listed, when the manifest records it.
    pub windows: Windows,
    pub scopes: Vec<ScopeSnapshot>,
    /// With a shard, the other shards' scopes, read only for what [`Snapshot::scopes`] may look
    /// up across accounts (copy destinations): never judged.
    pub context: Vec<ScopeSnapshot>,
    /// The share of the organisation's accounts this snapshot's `scopes` are: the one judged
    /// (`scan --shard`), or the one collected (`collect --shard`).
    pub shard: Option<Shard>,
    /// Whether the snapshot holds only `shard`'s accounts (`collect --shard`).
    pub collected_in_shard: bool,
    /// Data the manifest does not mention, and so is not judged: said, never silently dropped.
    pub warnings: Vec<String>,
    /// `organization/organization.json`, if the snapshot has it.
    pub organization: Option<organization::Organization>,
    /// Why `DescribeOrganization` failed, when the manifest says it did.
    pub organization_unreadable: Option<String>,
    /// Which accounts' effective backup policies are not fully enforced, and why.
    pub backup_policies: organization::BackupPolicies,
}

impl Snapshot {
    /// Reads a snapshot directory. Every broken file is reported, not just the first: the
    /// manifest's own problems and every scope's are gathered before any is returned.
    pub fn load(root: &Path) -> Result<Snapshot> {
        Snapshot::load_shard(root, None)
    }

    /// Reads a snapshot to judge the accounts of `shard` (all of them without one). A snapshot
    /// `collect --shard` wrote holds its shard's accounts only: judged with that shard or none.
    pub fn load_shard(root: &Path, shard: Option<Shard>) -> Result<Snapshot> {
        Snapshot::read(root, (shard, false)).map(|(s, _)| s)
    }

    /// Reads every scope's skeleton (what other account-regions may look up: see
    /// `scope::Reading::Skeleton`, `skeleton`), and returns the reader of the scopes whole, one batch at
    /// a time, in the order of `scopes`.
    pub fn load_skeleton(root: &Path) -> Result<(Snapshot, ScopeReader)> {
        Snapshot::read(root, (None, true))
    }

    fn read(
        root: &Path,
        (shard, skeletons): (Option<Shard>, bool),
    ) -> Result<(Snapshot, ScopeReader)> {
        let manifest_path = root.join(MANIFEST);
        let (manifest, bytes) = manifest::read(&manifest_path)?;
        let mut diags = manifest::check(&manifest, &manifest_path, &bytes);
        if let (Some(given), Some(collected)) = (shard, manifest.shard) {
            if given != collected {
                diags.push(crate::error::Diagnostic::file(
                    &manifest_path,
                    format!(
                        "this snapshot holds the accounts of shard {collected} only (collect \
                         --shard {collected}): judge it with --shard {collected} or without \
                         --shard, not --shard {given}"
                    ),
                ));
            }
        }
        let judged = shard.filter(|_| manifest.shard.is_none());
        let (mut scopes, context, deleted) =
            scope::load_all(root, &manifest.scopes, (judged, skeletons), &mut diags);
        let org = manifest.organization.clone().unwrap_or_default();
        diags.extend(manifest::check_organization(&org, &manifest_path));
        let org = organization::read(root, &org).unwrap_or_else(|d| {
            diags.push(d);
            Default::default()
        });
        if !diags.is_empty() {
            return Err(Error::Invalid(diags));
        }
        if skeletons {
            // Of region settings, another account-region looks up only the management
            // account's opt-in (for the plans of an organisation's policy); the others'
            // are read with their batch.
            let management =
                (org.organization.as_ref()).and_then(|o| o.master_account_id.as_deref());
            for s in &mut scopes {
                if Some(s.account_id.as_str()) != management {
                    s.data.region_settings = None;
                }
            }
        }
        let warnings = warnings::unknown_regions(&manifest, &manifest_path)
            .into_iter()
            .chain(warnings::unlisted_data(root, &manifest))
            .chain(deleted)
            .collect();
        let mut listed = match skeletons {
            true => manifest.scopes.clone(),
            false => Vec::new(),
        };
        scope::sort_by_place(&mut listed);
        let reader = ScopeReader {
            root: root.to_path_buf(),
            listed,
        };
        let snapshot = Snapshot {
            root: root.to_path_buf(),
            collected_at: manifest.collected_at,
            windows: manifest.windows,
            scopes,
            context,
            shard: shard.or(manifest.shard),
            collected_in_shard: manifest.shard.is_some(),
            warnings,
            organization: org.organization,
            organization_unreadable: org.unreadable,
            backup_policies: org.backup_policies,
        };
        Ok((snapshot, reader))
    }
}

/// Reads the scopes of a snapshot whose skeleton was read, whole, a batch at a time.
#[derive(Debug)]
pub struct ScopeReader {
    root: PathBuf,
    /// The manifest's scopes, in the order of the skeleton's.
    listed: Vec<ManifestScope>,
}

impl ScopeReader {
    /// How many scopes there are.
    pub fn len(&self) -> usize {
        self.listed.len()
    }

    pub fn is_empty(&self) -> bool {
        self.listed.is_empty()
    }

    /// Scopes `range` read whole (in parallel), with the warnings their reading gave, or
    /// every problem found in them.
    pub fn read(&self, range: std::ops::Range<usize>) -> Result<(Vec<ScopeSnapshot>, Vec<String>)> {
        scope::load_whole(&self.root, &self.listed[range]).map_err(Error::Invalid)
    }
}
