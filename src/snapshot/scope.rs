//! One account-region of a snapshot: what its manifest record says, then each of its data
//! files read, checked and put in one order.

use super::manifest::ManifestScope;
use super::skeleton::{self, Listing};
use super::{
    aws, config_json, hint, items, parse_json, DataFile, ScopeData, ScopeSnapshot, ScopeStatus,
    UnlistedTypes, WhenAbsent,
};
use crate::error::Diagnostic;
use crate::shard::Shard;
use rayon::prelude::*;
use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// Why an "unknown when absent" file that is not in the snapshot is unknown (the summary
/// prints it after the file's name).
const ABSENT_UNKNOWN: &str =
    "absent from the snapshot: AWS always answers this call, so what it holds is unknown, not empty";

/// The files a scope of another shard is read for: what a judged scope may look up across
/// accounts (copy destinations' vaults, locks and policies, the points copied there, the
/// management account's opt-in, the organisation's cross-account setting, the access points
/// of those points) and its inventory (whether a backed-up resource is listed at home).
const CONTEXT_FILES: [DataFile; 7] = [
    DataFile::Resources,
    DataFile::BackupVaults,
    DataFile::BackupVaultPolicies,
    DataFile::RecoveryPoints,
    DataFile::RegionSettings,
    DataFile::GlobalSettings,
    DataFile::BackupAccessPoints,
];

/// The files a skeleton scope is read for: what another account-region may look up in it
/// (copy destinations' vaults, locks and policies, the management account's opt-in, the
/// organisation's cross-account setting, access points onto copies). Of its recovery points
/// it keeps those another account-region may look up: see `skeleton::foreign_points`.
const SKELETON_FILES: [DataFile; 5] = [
    DataFile::BackupVaults,
    DataFile::BackupVaultPolicies,
    DataFile::RegionSettings,
    DataFile::GlobalSettings,
    DataFile::BackupAccessPoints,
];

/// How much of a scope is read.
#[derive(Clone, Copy)]
pub enum Reading<'a> {
    /// Every file: the scope is judged.
    Whole,
    /// Another shard's scope: [`CONTEXT_FILES`], and of the recovery points only those of
    /// these resources (the ones the shard judges).
    Context(&'a HashSet<&'a str>),
    /// What another account-region may look up, before the scope is read whole and judged
    /// in its turn (a streamed scan): [`SKELETON_FILES`], and of its recovery points only
    /// those of resources listed elsewhere (the scope's place in the listing, if there is one).
    Skeleton(Option<(&'a Listing, u32)>),
}

impl Reading<'_> {
    fn wants(self, file: DataFile) -> bool {
        match self {
            Reading::Whole => true,
            Reading::Context(_) => CONTEXT_FILES.contains(&file),
            // Its recovery points are read apart: see `skeleton::foreign_points`.
            Reading::Skeleton(_) => SKELETON_FILES.contains(&file),
        }
    }
}

/// Every scope the manifest lists, read in parallel and sorted by account and region, with
/// the warnings their reading gave; their problems go to `diags`. With `shard`, the scopes
/// of the shard's accounts come first; the others, read after them and only for what the
/// first may look up across accounts ([`CONTEXT_FILES`]), second. Read as `skeletons`,
/// every scope is a [`Reading::Skeleton`].
pub fn load_all(
    root: &Path,
    listed: &[ManifestScope],
    (shard, skeletons): (Option<Shard>, bool),
    diags: &mut Vec<Diagnostic>,
) -> (Vec<ScopeSnapshot>, Vec<ScopeSnapshot>, Vec<String>) {
    let (own, others): (Vec<&ManifestScope>, Vec<&ManifestScope>) = listed
        .iter()
        .partition(|s| shard.is_none_or(|sh| sh.owns(&s.account_id)));
    let mut warnings = Vec::new();
    // Which scopes list each S3 bucket, first: a skeleton keeps only the points others need.
    let listing = skeletons.then(|| Listing::peek(root, &own)).flatten();
    let how = |at: usize| match skeletons {
        true => Reading::Skeleton(listing.as_ref().map(|l| (l, at as u32))),
        false => Reading::Whole,
    };
    let scopes = gather(
        own.par_iter()
            .enumerate()
            .map(|(at, s)| load(root, s, how(at))),
        diags,
        Some(&mut warnings),
    );
    drop(listing);
    if others.is_empty() {
        return (scopes, Vec::new(), warnings);
    }
    // The other shards' points that matter are those of the resources judged here.
    let judged: HashSet<&str> = (scopes.iter())
        .flat_map(|s| &s.data.resources)
        .map(|i| i.arn.as_str())
        .collect();
    let context = gather(
        others
            .par_iter()
            .map(|s| load(root, s, Reading::Context(&judged))),
        diags,
        None, // its warnings are said by the shard that judges it
    );
    (scopes, context, warnings)
}

/// Scopes as read, sorted by account and region (whatever the manifest's order: see
/// `canonical_order`), their problems into `diags` and warnings into `warnings`.
fn gather(
    loaded: impl ParallelIterator<Item = Loaded>,
    diags: &mut Vec<Diagnostic>,
    mut warnings: Option<&mut Vec<String>>,
) -> Vec<ScopeSnapshot> {
    let loaded: Vec<Loaded> = loaded.collect();
    let mut scopes = Vec::with_capacity(loaded.len());
    for r in loaded {
        match r {
            Ok((s, note)) => {
                scopes.push(s);
                if let Some(w) = warnings.as_deref_mut() {
                    w.extend(note);
                }
            }
            Err(mut d) => diags.append(&mut d),
        }
    }
    sort_by_place(&mut scopes);
    scopes
}

/// Something of one account-region.
pub(super) trait Placed {
    fn place(&self) -> (&str, &str);
}

impl Placed for ScopeSnapshot {
    fn place(&self) -> (&str, &str) {
        (&self.account_id, &self.region)
    }
}

impl Placed for ManifestScope {
    fn place(&self) -> (&str, &str) {
        (&self.account_id, &self.region)
    }
}

/// Puts `items` in the organisation's order, by account and region: the skeleton's scopes and
/// the reader's list must agree on it, index for index.
pub(super) fn sort_by_place<T: Placed>(items: &mut [T]) {
    items.sort_by(|a, b| a.place().cmp(&b.place()));
}

type Loaded = std::result::Result<(ScopeSnapshot, Option<String>), Vec<Diagnostic>>;

/// Scopes `listed` read whole, in parallel, in their order, with the warnings their reading
/// gave, or every problem found.
pub fn load_whole(
    root: &Path,
    listed: &[ManifestScope],
) -> std::result::Result<(Vec<ScopeSnapshot>, Vec<String>), Vec<Diagnostic>> {
    let (mut diags, mut warnings) = (Vec::new(), Vec::new());
    let scopes = gather(
        listed.par_iter().map(|s| load(root, s, Reading::Whole)),
        &mut diags,
        Some(&mut warnings),
    );
    match diags.is_empty() {
        true => Ok((scopes, warnings)),
        false => Err(diags),
    }
}

/// A scope read as `how` says, and a warning if its `resources.json` records deleted
/// resources (dropped).
fn load(root: &Path, m: &ManifestScope, how: Reading) -> Loaded {
    let mut scope = recorded(m);
    if m.status == ScopeStatus::Failed {
        // A failed scope has no data: its record says all there is.
        return Ok((scope, None));
    }
    let dir = root.join(&m.account_id).join(&m.region);
    let skip: Vec<DataFile> = scope.unavailable.iter().map(|(f, _)| *f).collect();
    let wanted = |f: DataFile| how.wants(f);
    let (absent, mut diags) = read_files(&dir, m, &skip, &wanted, &mut scope.data);
    let (absent_unknown, not_collected): (Vec<DataFile>, Vec<DataFile>) = absent
        .into_iter()
        .partition(|f| f.when_absent() == WhenAbsent::Unknown);
    scope.not_collected = not_collected;
    if let (Reading::Skeleton(listing), false) = (how, skip.contains(&DataFile::RecoveryPoints)) {
        match skeleton::foreign_points(&dir, m, listing) {
            Ok(points) => scope.data.recovery_points = points,
            Err(d) => diags.push(d),
        }
    }
    let deleted = drop_deleted(&dir, &mut scope.data);
    scope.data.canonical_order();
    // After the deleted items are dropped: another shard lists what a whole scan would.
    if let Reading::Context(judged) = how {
        let points = &mut scope.data.recovery_points;
        points.retain(|p| judged.contains(p.resource_arn.as_str()));
        // `retain` keeps the capacity: thousands of scopes' worth of every point.
        points.shrink_to_fit();
        // Of its inventory, only whether a resource is listed is looked up.
        let mut listed: Vec<String> = std::mem::take(&mut scope.data.resources)
            .into_iter()
            .map(|i| i.arn)
            .collect();
        listed.sort_unstable();
        listed.dedup();
        // Collected in place, the vector kept the items' (far larger) allocation.
        listed.shrink_to_fit();
        scope.data.listed = listed;
    }
    share_strings(&mut scope.data.recovery_points);
    // Unknown data makes the scope partial, as a failed call does: everything that needs it
    // is NOT_ASSESSED and the summary names the scope.
    for file in absent_unknown {
        scope.unavailable.push((file, ABSENT_UNKNOWN.to_owned()));
        scope.status = ScopeStatus::Partial;
    }
    if diags.is_empty() {
        Ok((scope, deleted))
    } else {
        Err(diags)
    }
}

/// The scope as its manifest record describes it, without data: its status, the files whose
/// call failed and the resource types whose listing failed.
fn recorded(m: &ManifestScope) -> ScopeSnapshot {
    let (by_type, whole): (Vec<_>, Vec<_>) = m.errors.iter().partition(|e| !e.types.is_empty());
    ScopeSnapshot {
        account_id: m.account_id.clone(),
        account_name: m.account_name.clone(),
        region: m.region.clone(),
        status: m.status,
        error: m.error.clone(),
        unavailable: whole
            .iter()
            .filter_map(|e| DataFile::from_file_name(&e.file).map(|f| (f, e.error.clone())))
            .collect(),
        unlisted: by_type
            .iter()
            .map(|e| UnlistedTypes {
                types: e.types.clone(),
                error: e.error.clone(),
            })
            .collect(),
        not_collected: Vec::new(),
        inventory: m.inventory.clone(),
        data: ScopeData::default(),
    }
}

/// Reads into `d` every data file of the scope in `dir` that is `wanted` but those in `skip`
/// (whose call failed). Returns the files whose absence means "unknown" (AWS always answers
/// them, or the collector did not write them then), and every problem found. A file not
/// wanted is only looked for, so that its absence says the same as when it is read.
fn read_files(
    dir: &Path,
    m: &ManifestScope,
    skip: &[DataFile],
    wanted: &dyn Fn(DataFile) -> bool,
    d: &mut ScopeData,
) -> (Vec<DataFile>, Vec<Diagnostic>) {
    let mut diags = Vec::new();
    let mut absent_unknown = Vec::new();
    let mut load = |file: DataFile| -> std::result::Result<Option<(PathBuf, Vec<u8>)>, Diagnostic> {
        if skip.contains(&file) {
            return Ok(None);
        }
        let path = dir.join(file.file_name());
        if !wanted(file) {
            if !path.is_file() && file.when_absent() != WhenAbsent::Empty {
                absent_unknown.push(file);
            }
            return Ok(None);
        }
        let bytes = crate::input::read_data(&path)?;
        if bytes.is_none() && file.when_absent() != WhenAbsent::Empty {
            absent_unknown.push(file);
        }
        Ok(bytes.map(|b| (path, b)))
    };
    macro_rules! read_into {
        ($file:expr, $field:expr, $wrap:expr) => {
            read_into!($file, $field, $wrap, |_, _, _| Vec::new())
        };
        // `$check` finds what the types cannot express: (path, bytes, parsed) → problems.
        ($file:expr, $field:expr, $wrap:expr, $check:expr) => {
            match load($file) {
                Ok(Some((path, bytes))) => match parse_json(&path, &bytes) {
                    Ok(v) => {
                        $field = $wrap(v);
                        diags.extend($check(path.as_path(), bytes.as_slice(), &$field));
                    }
                    Err(e) => diags.push(hint::explain(e, $file, &bytes)),
                },
                Ok(None) => {}
                Err(e) => diags.push(e),
            }
        };
    }
    read_into!(
        DataFile::Resources,
        d.resources,
        |v: config_json::ConfigItems| v.0,
        |p: &Path, b: &[u8], v: &[aws::ConfigItem]| items::check(p, b, m, v)
    );
    read_into!(DataFile::BackupPlans, d.plans, |v| v);
    read_into!(DataFile::BackupSelections, d.selections, |v| v);
    read_into!(DataFile::BackupVaults, d.vaults, |v| v);
    read_into!(DataFile::BackupVaultPolicies, d.vault_policies, |v| v);
    read_into!(DataFile::RecoveryPoints, d.recovery_points, |v| v);
    read_into!(DataFile::ProtectedResources, d.protected_resources, |v| v);
    read_into!(DataFile::RegionSettings, d.region_settings, Some);
    read_into!(DataFile::BackupJobs, d.backup_jobs, |v| v);
    read_into!(DataFile::IamRoles, d.iam_roles, Some);
    read_into!(DataFile::CopyJobs, d.copy_jobs, |v| v);
    read_into!(DataFile::GlobalSettings, d.global_settings, Some);
    read_into!(
        DataFile::RestoreTestingPlans,
        d.restore_testing_plans,
        |v| v
    );
    read_into!(
        DataFile::RestoreTestingSelections,
        d.restore_testing_selections,
        |v| v
    );
    read_into!(DataFile::RestoreJobs, d.restore_jobs, |v| v);
    read_into!(DataFile::KmsAliases, d.kms_aliases, Some);
    read_into!(DataFile::BackupAccessPoints, d.backup_access_points, |v| v);
    read_into!(
        DataFile::TieringConfigurations,
        d.tiering_configurations,
        |v| v
    );
    (absent_unknown, diags)
}

/// Drops the items of `resources.json` that record deleted resources: they no longer exist,
/// so they are not judged, and a warning says how many.
fn drop_deleted(dir: &Path, d: &mut ScopeData) -> Option<String> {
    items::drop_deleted(&mut d.resources).map(|n| {
        format!(
            "{}: {n} item(s) record deleted resources (configurationItemStatus \
             ResourceDeleted): they no longer exist, so they are not judged",
            dir.join(DataFile::Resources.file_name()).display()
        )
    })
}

impl ScopeData {
    /// Sorts every file's items by their identity, so that nothing downstream (which plan is
    /// named as evidence, the order of findings) depends on the order AWS or a hand-edited
    /// file listed them in: the same organisation always gives the same bytes.
    fn canonical_order(&mut self) {
        self.resources
            .sort_by(|a, b| (&a.arn, &a.resource_type).cmp(&(&b.arn, &b.resource_type)));
        self.plans.sort_by(|a, b| {
            (&a.backup_plan.backup_plan_name, &a.backup_plan_id)
                .cmp(&(&b.backup_plan.backup_plan_name, &b.backup_plan_id))
        });
        let selection = |s: &aws::GetBackupSelectionOutput| {
            (
                s.backup_plan_id.clone(),
                s.backup_selection.selection_name.clone(),
                s.selection_id.clone(),
            )
        };
        self.selections.sort_by_cached_key(selection);
        self.vaults
            .sort_by(|a, b| a.backup_vault_name.cmp(&b.backup_vault_name));
        self.vault_policies
            .sort_by(|a, b| a.backup_vault_name.cmp(&b.backup_vault_name));
        self.recovery_points.sort_by(|a, b| {
            (&a.recovery_point_arn, &a.backup_vault_name)
                .cmp(&(&b.recovery_point_arn, &b.backup_vault_name))
        });
        self.protected_resources
            .sort_by(|a, b| a.resource_arn.cmp(&b.resource_arn));
        self.backup_jobs
            .sort_by(|a, b| a.backup_job_id.cmp(&b.backup_job_id));
        if let Some(roles) = &mut self.iam_roles {
            roles.sort_by(|a, b| (&a.arn, &a.role_name).cmp(&(&b.arn, &b.role_name)));
        }
        self.copy_jobs
            .sort_by(|a, b| a.copy_job_id.cmp(&b.copy_job_id));
    }
}

/// Makes the strings `points` repeat (vault name and ARN, resource type, status) one
/// string each: read, every point had its own copy (a million points of a few vaults).
fn share_strings(points: &mut [aws::RecoveryPoint]) {
    // An account-region has a few vaults, types and statuses: a short list, searched
    // newest first, finds them sooner than hashing would.
    const KEPT: usize = 64;
    let mut seen: Vec<Arc<str>> = Vec::new();
    let mut share = |s: &mut Arc<str>| match seen.iter().rev().find(|k| **k == *s) {
        Some(known) => *s = known.clone(),
        None if seen.len() < KEPT => seen.push(s.clone()),
        None => {}
    };
    for p in points {
        share(&mut p.backup_vault_name);
        share(&mut p.status);
        if let Some(a) = &mut p.backup_vault_arn {
            share(a);
        }
        if let Some(t) = &mut p.resource_type {
            share(t);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn points_of_one_vault_share_its_strings() {
        let point = |arn: &str, vault: &str| -> aws::RecoveryPoint {
            serde_json::from_value(serde_json::json!({
                "RecoveryPointArn": arn, "BackupVaultName": vault, "ResourceArn": "r",
                "Status": "COMPLETED", "ResourceType": "EBS",
            }))
            .unwrap()
        };
        let mut points = vec![point("a", "v1"), point("b", "v2"), point("c", "v1")];
        assert!(!Arc::ptr_eq(&points[0].status, &points[2].status));
        share_strings(&mut points);
        let (a, b, c) = (&points[0], &points[1], &points[2]);
        assert!(Arc::ptr_eq(&a.backup_vault_name, &c.backup_vault_name));
        assert!(Arc::ptr_eq(&a.status, &b.status) && Arc::ptr_eq(&b.status, &c.status));
        assert!(Arc::ptr_eq(
            a.resource_type.as_ref().unwrap(),
            c.resource_type.as_ref().unwrap()
        ));
        // Values are unchanged.
        assert_eq!((&*a.backup_vault_name, &*b.backup_vault_name), ("v1", "v2"));
    }
}
