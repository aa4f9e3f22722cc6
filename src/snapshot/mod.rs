//! The snapshot: the replay boundary between collection and evaluation.
//!
//! A snapshot is a directory: `manifest.json` plus, per account and region, AWS API outputs in
//! the exact shapes the AWS CLI prints (see the README, "Snapshot format"). Everything after
//! this module is pure and works the same on a live collection or on `samples/`.

pub mod aws;
pub mod config_json;
mod hint;
mod items;
pub mod time;

use crate::error::{Diagnostic, Error, Location, Result};
use crate::rules::names;
use rayon::prelude::*;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};
use time::Timestamp;

pub const FORMAT: &str = "backup-auditor-snapshot/v1";
pub const MANIFEST: &str = "manifest.json";

/// The data files of one account-region, by the API they come from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum DataFile {
    Resources,
    BackupPlans,
    BackupSelections,
    BackupVaults,
    BackupVaultPolicies,
    RecoveryPoints,
    ProtectedResources,
    RegionSettings,
    BackupJobs,
}

impl DataFile {
    pub const ALL: [DataFile; 9] = [
        DataFile::Resources,
        DataFile::BackupPlans,
        DataFile::BackupSelections,
        DataFile::BackupVaults,
        DataFile::BackupVaultPolicies,
        DataFile::RecoveryPoints,
        DataFile::ProtectedResources,
        DataFile::RegionSettings,
        DataFile::BackupJobs,
    ];

    pub fn file_name(self) -> &'static str {
        match self {
            DataFile::Resources => "resources.json",
            DataFile::BackupPlans => "backup-plans.json",
            DataFile::BackupSelections => "backup-selections.json",
            DataFile::BackupVaults => "backup-vaults.json",
            DataFile::BackupVaultPolicies => "backup-vault-policies.json",
            DataFile::RecoveryPoints => "recovery-points.json",
            DataFile::ProtectedResources => "protected-resources.json",
            DataFile::RegionSettings => "region-settings.json",
            DataFile::BackupJobs => "backup-jobs.json",
        }
    }

    pub fn from_file_name(name: &str) -> Option<DataFile> {
        DataFile::ALL.into_iter().find(|f| f.file_name() == name)
    }

    /// What it means when the file is not in a scope's directory (and the manifest does not
    /// list it as failed). Every file is named, so a new one needs a decision.
    pub fn when_absent(self) -> WhenAbsent {
        match self {
            DataFile::Resources
            | DataFile::BackupPlans
            | DataFile::BackupSelections
            | DataFile::BackupVaults
            | DataFile::BackupVaultPolicies
            | DataFile::RecoveryPoints
            | DataFile::ProtectedResources
            | DataFile::BackupJobs => WhenAbsent::Empty,
            DataFile::RegionSettings => WhenAbsent::Unknown,
        }
    }
}

/// What an absent data file stands for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WhenAbsent {
    /// A list answer: an API that listed nothing, so no items.
    Empty,
    /// A single-object answer the API always gives (`DescribeRegionSettings` always returns
    /// its maps): absent means it was not read, so what it holds is unknown, never "off".
    Unknown,
}

/// Why an "unknown when absent" file that is not in the snapshot is unknown (the summary
/// prints it after the file's name).
const ABSENT_UNKNOWN: &str =
    "absent from the snapshot: AWS always answers this call, so what it holds is unknown, not empty";

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ScopeStatus {
    Complete,
    Partial,
    Failed,
}

#[derive(Debug, Clone, Deserialize)]
struct Manifest {
    #[serde(rename = "format")]
    _format: FormatTag,
    #[serde(deserialize_with = "time::deserialize")]
    collected_at: Timestamp,
    #[serde(default)]
    scopes: Vec<ManifestScope>,
}

/// Accepts only the format this build understands, so a newer snapshot fails loudly.
#[derive(Debug, Clone)]
struct FormatTag;

impl<'de> Deserialize<'de> for FormatTag {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        if s == FORMAT {
            Ok(FormatTag)
        } else {
            Err(serde::de::Error::custom(format!(
                "unknown snapshot format {s:?}: this build reads {FORMAT:?}"
            )))
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
struct ManifestScope {
    #[serde(deserialize_with = "account_id")]
    account_id: String,
    #[serde(default)]
    account_name: Option<String>,
    #[serde(deserialize_with = "region")]
    region: String,
    status: ScopeStatus,
    #[serde(default)]
    error: Option<String>,
    #[serde(default)]
    errors: Vec<FileError>,
}

/// A scope's account ID and region name become directory names, so each must be what AWS
/// names (never a path such as `../outside`); the error lands at its place in the manifest.
fn account_id<'de, D: serde::Deserializer<'de>>(d: D) -> std::result::Result<String, D::Error> {
    named(d, names::account_problem)
}

fn region<'de, D: serde::Deserializer<'de>>(d: D) -> std::result::Result<String, D::Error> {
    named(d, |r| {
        (r != ALL_REGIONS)
            .then(|| names::region_shape_problem(r))
            .flatten()
    })
}

/// The region of a failed scope whose regions could not even be listed (`--regions all` in
/// an account that could not be entered). It names no directory: a failed scope has no data.
const ALL_REGIONS: &str = "*";

fn named<'de, D: serde::Deserializer<'de>>(
    d: D,
    problem: fn(&str) -> Option<String>,
) -> std::result::Result<String, D::Error> {
    let s = String::deserialize(d)?;
    match problem(&s) {
        Some(why) => Err(serde::de::Error::custom(why)),
        None => Ok(s),
    }
}

/// A manifest's record of what could not be read. Without `types` the whole file is unknown;
/// with them (only `resources.json`: a per-type listing failed) just those resource types
/// are, and the file holds the rest.
#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct FileError {
    pub file: String,
    #[serde(
        default,
        skip_serializing_if = "Vec::is_empty",
        deserialize_with = "known_types"
    )]
    pub types: Vec<String>,
    pub error: String,
}

/// A resource type the tool does not judge would mark nothing unknown, so the resources it
/// meant would go unassessed in silence (a typo could pass a gate): an input error.
fn known_types<'de, D: serde::Deserializer<'de>>(
    d: D,
) -> std::result::Result<Vec<String>, D::Error> {
    use crate::model::resource::ResourceKind;
    let types = Vec::<String>::deserialize(d)?;
    match types
        .iter()
        .find(|t| !ResourceKind::config_types().any(|k| k == t.as_str()))
    {
        Some(t) => Err(serde::de::Error::custom(format!(
            "unknown resource type {t:?} in errors[].types; known types: {}",
            ResourceKind::config_types().collect::<Vec<_>>().join(", ")
        ))),
        None => Ok(types),
    }
}

impl FileError {
    /// `resources.json` or `resources.json (AWS::FSx::FileSystem)`, for messages.
    pub fn what(&self) -> String {
        if self.types.is_empty() {
            self.file.clone()
        } else {
            format!("{} ({})", self.file, self.types.join(", "))
        }
    }
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
    pub data: ScopeData,
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
    }
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
    pub scopes: Vec<ScopeSnapshot>,
    /// Data the manifest does not mention, and so is not judged: said, never silently dropped.
    pub warnings: Vec<String>,
}

impl Snapshot {
    /// Reads a snapshot directory. Every broken file is reported, not just the first.
    pub fn load(root: &Path) -> Result<Snapshot> {
        let manifest_path = root.join(MANIFEST);
        let bytes = crate::input::read_data(&manifest_path)
            .and_then(|b| {
                b.ok_or_else(|| {
                    Diagnostic::file(
                        &manifest_path,
                        format!("no {MANIFEST} here: is this a snapshot directory?"),
                    )
                })
            })
            .map_err(|d| Error::Invalid(vec![d]))?;
        let manifest: Manifest =
            parse_json(&manifest_path, &bytes).map_err(|d| Error::Invalid(vec![d]))?;

        let mut diags = Vec::new();
        let mut seen = std::collections::HashMap::new();
        let at_scope = |i: usize, message: String| match nth_scope_position(&bytes, i) {
            Some((line, column)) => Diagnostic::at(
                Location {
                    path: manifest_path.clone(),
                    line,
                    column,
                },
                message,
            ),
            None => Diagnostic::file(&manifest_path, message),
        };
        for (i, s) in manifest.scopes.iter().enumerate() {
            if let Some(first) = seen.insert((&s.account_id, &s.region), i) {
                let message = format!(
                    "scopes[{i}] repeats account {} region {} (already scopes[{first}]): \
                     its resources would be judged twice",
                    s.account_id, s.region
                );
                diags.push(at_scope(i, message));
            }
            if s.region == ALL_REGIONS && s.status != ScopeStatus::Failed {
                let message = format!(
                    "scopes[{i}] has region {ALL_REGIONS:?}, which only a failed scope may have \
                     (an account whose regions could not be listed); name its region"
                );
                diags.push(at_scope(i, message));
            }
            for e in &s.errors {
                let file = DataFile::from_file_name(&e.file);
                if file.is_none() {
                    diags.push(Diagnostic::file(
                        &manifest_path,
                        format!("scopes[{i}].errors names unknown file {:?}", e.file),
                    ));
                } else if !e.types.is_empty() && file != Some(DataFile::Resources) {
                    diags.push(at_scope(
                        i,
                        format!(
                            "scopes[{i}].errors gives types for {:?}: only resources.json is \
                             listed by resource type",
                            e.file
                        ),
                    ));
                }
            }
        }
        let loaded: Vec<_> = manifest
            .scopes
            .par_iter()
            .map(|s| load_scope(root, s))
            .collect();
        let mut scopes = Vec::with_capacity(loaded.len());
        let mut deleted = Vec::new();
        for r in loaded {
            match r {
                Ok((s, note)) => {
                    scopes.push(s);
                    deleted.extend(note);
                }
                Err(mut d) => diags.append(&mut d),
            }
        }
        // Account-regions in one order whatever the manifest's (see `canonical_order`).
        scopes.sort_by(|a, b| (&a.account_id, &a.region).cmp(&(&b.account_id, &b.region)));
        if !diags.is_empty() {
            return Err(Error::Invalid(diags));
        }
        let listed: std::collections::HashSet<(&str, &str)> = manifest
            .scopes
            .iter()
            .map(|s| (s.account_id.as_str(), s.region.as_str()))
            .collect();
        // A region this build does not know may be a new one: its data is judged, and said.
        let unknown_regions: std::collections::BTreeSet<&str> = manifest
            .scopes
            .iter()
            .map(|s| s.region.as_str())
            .filter(|r| *r != ALL_REGIONS && !names::KNOWN_REGIONS.contains(r))
            .collect();
        let region_warnings = unknown_regions.into_iter().map(|r| {
            format!(
                "{}: region {r:?} is not an AWS region this version knows; its data is judged \
                 as given",
                manifest_path.display()
            )
        });
        let unlisted = unlisted_scopes(root)
            .into_iter()
            .filter(|(a, r)| !listed.contains(&(a.as_str(), r.as_str())))
            .map(|(a, r)| {
                format!(
                    "{}: data for account {a} region {r} is not listed in {MANIFEST}, so it is \
                     not judged",
                    root.join(&a).join(&r).display()
                )
            });
        let warnings = region_warnings.chain(unlisted).chain(deleted).collect();
        Ok(Snapshot {
            root: root.to_path_buf(),
            collected_at: manifest.collected_at,
            scopes,
            warnings,
        })
    }
}

/// Line and column of the `n`-th scope in the manifest's text: of its `n`-th `"account_id"`
/// key, which each scope has once and nothing else has.
fn nth_scope_position(text: &[u8], n: usize) -> Option<(usize, usize)> {
    let key = b"\"account_id\"";
    let at = text
        .windows(key.len())
        .enumerate()
        .filter(|(_, w)| *w == key)
        .nth(n)?
        .0;
    let before = &text[..at];
    let line = before.iter().filter(|&&b| b == b'\n').count() + 1;
    let column = at
        - before
            .iter()
            .rposition(|&b| b == b'\n')
            .map_or(0, |p| p + 1)
        + 1;
    Some((line, column))
}

/// `<12-digit account>/<region>` directories under the snapshot root.
fn unlisted_scopes(root: &Path) -> Vec<(String, String)> {
    let dirs = |p: &Path| -> Vec<String> {
        std::fs::read_dir(p)
            .into_iter()
            .flatten()
            .flatten()
            .filter(|e| e.file_type().is_ok_and(|t| t.is_dir()))
            .filter_map(|e| e.file_name().into_string().ok())
            .collect()
    };
    let mut out = Vec::new();
    for account in dirs(root) {
        if account.len() != 12 || !account.bytes().all(|b| b.is_ascii_digit()) {
            continue;
        }
        for region in dirs(&root.join(&account)) {
            out.push((account.clone(), region));
        }
    }
    out.sort();
    out
}

/// A scope, and a warning if its `resources.json` records deleted resources (dropped).
fn load_scope(
    root: &Path,
    m: &ManifestScope,
) -> std::result::Result<(ScopeSnapshot, Option<String>), Vec<Diagnostic>> {
    let (by_type, whole): (Vec<&FileError>, Vec<&FileError>) =
        m.errors.iter().partition(|e| !e.types.is_empty());
    let unavailable: Vec<(DataFile, String)> = whole
        .iter()
        .filter_map(|e| DataFile::from_file_name(&e.file).map(|f| (f, e.error.clone())))
        .collect();
    let unlisted = by_type
        .iter()
        .map(|e| UnlistedTypes {
            types: e.types.clone(),
            error: e.error.clone(),
        })
        .collect();
    let mut scope = ScopeSnapshot {
        account_id: m.account_id.clone(),
        account_name: m.account_name.clone(),
        region: m.region.clone(),
        status: m.status,
        error: m.error.clone(),
        unavailable,
        unlisted,
        data: ScopeData::default(),
    };
    if m.status == ScopeStatus::Failed {
        return Ok((scope, None));
    }
    let dir = root.join(&m.account_id).join(&m.region);
    let mut diags = Vec::new();
    let skip: Vec<DataFile> = scope.unavailable.iter().map(|(f, _)| *f).collect();
    let mut absent_unknown = Vec::new();
    let d = &mut scope.data;
    let mut load = |file: DataFile| -> std::result::Result<Option<(PathBuf, Vec<u8>)>, Diagnostic> {
        if skip.contains(&file) {
            return Ok(None);
        }
        let path = dir.join(file.file_name());
        let bytes = crate::input::read_data(&path)?;
        if bytes.is_none() && file.when_absent() == WhenAbsent::Unknown {
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
    let deleted = items::drop_deleted(&mut d.resources).map(|n| {
        format!(
            "{}: {n} item(s) record deleted resources (configurationItemStatus \
             ResourceDeleted): they no longer exist, so they are not judged",
            dir.join(DataFile::Resources.file_name()).display()
        )
    });
    d.canonical_order();
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

/// Parses JSON, turning any failure into a diagnostic with path, line, column and the JSON
/// path of the offending value (e.g. `[3].BackupPlan.Rules[0].Lifecycle.DeleteAfterDays`).
pub fn parse_json<T: DeserializeOwned>(
    path: &Path,
    bytes: &[u8],
) -> std::result::Result<T, Diagnostic> {
    // Fast path: path tracking allocates a string per object key, which dominates loading a
    // large snapshot. Parsing is deterministic, so a failure is parsed again with tracking
    // to report where it happened.
    // Checking UTF-8 once for the whole file is cheaper than string by string.
    let fast = match std::str::from_utf8(bytes) {
        Ok(text) => T::deserialize(&mut serde_json::Deserializer::from_str(text)),
        Err(_) => T::deserialize(&mut serde_json::Deserializer::from_slice(bytes)),
    };
    if let Ok(v) = fast {
        return Ok(v);
    }
    let de = &mut serde_json::Deserializer::from_slice(bytes);
    serde_path_to_error::deserialize(de).map_err(|e| {
        let at = e.path().to_string();
        let inner = e.into_inner();
        let mut msg = inner
            .to_string()
            .replace("expected struct ", "expected an object ");
        if let Some(i) = msg.rfind(" at line ") {
            msg.truncate(i);
        }
        let mut msg = shorten_quoted(&msg);
        if at != "." && !at.is_empty() {
            msg = format!("{msg} (at {at})");
        }
        // serde_json counts a line's characters read so far: 0 at the start of a line (an
        // empty file, the end after a final newline) is where its first character would be.
        // Line 0 means no position at all.
        let line = Some(inner.line()).filter(|&l| l > 0);
        Diagnostic {
            path: path.to_path_buf(),
            line,
            column: line.map(|_| inner.column().max(1)),
            message: msg,
        }
    })
}

/// Longest quoted value an error repeats: enough to recognise it, never kilobytes of it.
const QUOTE_MAX: usize = 200;

/// `msg` with every `"…"` quotation (serde quotes values with `{:?}`) longer than
/// [`QUOTE_MAX`] characters cut to that, saying how long it was.
fn shorten_quoted(msg: &str) -> String {
    let mut out = String::with_capacity(msg.len().min(1024));
    let mut rest = msg;
    while let Some(open) = rest.find('"') {
        out.push_str(&rest[..=open]);
        let body = &rest[open + 1..];
        // The closing quote: the first one not escaped by a backslash.
        let mut escaped = false;
        let close = body.char_indices().find_map(|(i, c)| match c {
            _ if escaped => {
                escaped = false;
                None
            }
            '\\' => {
                escaped = true;
                None
            }
            '"' => Some(i),
            _ => None,
        });
        let Some(close) = close else {
            rest = body;
            break;
        };
        let quoted = &body[..close];
        let chars = quoted.chars().count();
        if chars > QUOTE_MAX {
            out.extend(quoted.chars().take(QUOTE_MAX));
            out.push_str(&format!("…\" ({chars} characters)"));
        } else {
            out.push_str(quoted);
            out.push('"');
        }
        rest = &body[close + 1..];
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_quoted_values_are_cut() {
        let long = "x".repeat(5000);
        let msg = format!("invalid type: string \"{long}\", expected a \"thing\"");
        let short = shorten_quoted(&msg);
        assert_eq!(
            short,
            format!(
                "invalid type: string \"{}…\" (5000 characters), expected a \"thing\"",
                "x".repeat(200)
            )
        );
        assert_eq!(shorten_quoted(r#"a "b\"c" d "#), r#"a "b\"c" d "#);
        assert_eq!(shorten_quoted("unclosed \"abc"), "unclosed \"abc");
    }
}
