//! `manifest.json`: which account-regions a snapshot holds, how each was read, and what
//! could not be read. Serde checks its shape; [`check`] what the types cannot say (a scope
//! listed twice, a region `*` on a scope with data, an error naming no data file).

use super::names;
use super::{parse_json, DataFile, ScopeStatus, FORMAT, MANIFEST};
use crate::error::{Diagnostic, Error, Location, Result};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::path::Path;

#[derive(Debug, Clone, Deserialize)]
pub struct Manifest {
    #[serde(rename = "format")]
    _format: FormatTag,
    #[serde(deserialize_with = "super::time::deserialize")]
    pub collected_at: super::time::Timestamp,
    #[serde(default)]
    pub scopes: Vec<ManifestScope>,
    #[serde(default)]
    pub windows: Windows,
    /// Which of the root folder `organization/`'s files could not be read.
    #[serde(default)]
    pub organization: Option<super::organization::ManifestOrganization>,
    /// The share of the organisation's accounts `collect --shard` read: the snapshot holds
    /// those accounts only.
    #[serde(default)]
    pub shard: Option<crate::shard::Shard>,
}

/// How far back the collector listed what it lists by date. A snapshot without them (an older
/// collector, or one assembled by hand) does not say: an item absent from its files may then
/// simply be older than what was listed, so absence is no evidence.
#[derive(Debug, Clone, Copy, Default, Deserialize)]
pub struct Windows {
    /// `ListBackupJobs` was called with `ByCreatedAfter` this time.
    #[serde(default, with = "super::time::option")]
    pub backup_jobs_since: Option<super::time::Timestamp>,
    /// `ListCopyJobs` was called with `ByCreatedAfter` this time.
    #[serde(default, with = "super::time::option")]
    pub copy_jobs_since: Option<super::time::Timestamp>,
    /// `ListRestoreJobs` was called with `ByCreatedAfter` this time.
    #[serde(default, with = "super::time::option")]
    pub restore_jobs_since: Option<super::time::Timestamp>,
    /// `ListRecoveryPointsByBackupVault` was called with `ByCreatedAfter` this time (absent
    /// when every point was listed, or when the snapshot does not say).
    #[serde(default, with = "super::time::option")]
    pub recovery_points_since: Option<super::time::Timestamp>,
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
pub struct ManifestScope {
    #[serde(deserialize_with = "account_id")]
    pub account_id: String,
    #[serde(default)]
    pub account_name: Option<String>,
    #[serde(deserialize_with = "region")]
    pub region: String,
    pub status: ScopeStatus,
    #[serde(default)]
    pub error: Option<String>,
    #[serde(default)]
    pub errors: Vec<FileError>,
    /// Where each resource type's items came from: AWS Config or the type's own API. Absent
    /// in snapshots from before `--inventory` (then Config, but for FSx and Storage Gateway).
    #[serde(default, deserialize_with = "known_type_keys")]
    pub inventory: std::collections::BTreeMap<String, InventorySource>,
}

/// A value of the manifest's `inventory`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum InventorySource {
    /// `SelectResourceConfig` (or the Config aggregator).
    Config,
    /// The type's own API (`ListBuckets`, `DescribeFileSystems`, …).
    Direct,
}

/// Keys of `inventory` are resource types a snapshot may carry, as `errors[].types` are.
fn known_type_keys<'de, D: serde::Deserializer<'de>>(
    d: D,
) -> std::result::Result<std::collections::BTreeMap<String, InventorySource>, D::Error> {
    use super::config_types;
    let map = std::collections::BTreeMap::<String, InventorySource>::deserialize(d)?;
    match map
        .keys()
        .find(|t| !config_types::all().any(|k| k == t.as_str()))
    {
        Some(t) => Err(serde::de::Error::custom(format!(
            "unknown resource type {t:?} in inventory; known types: {}",
            config_types::all().collect::<Vec<_>>().join(", ")
        ))),
        None => Ok(map),
    }
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
pub const ALL_REGIONS: &str = "*";

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
    use super::config_types;
    let types = Vec::<String>::deserialize(d)?;
    match types
        .iter()
        .find(|t| !config_types::all().any(|k| k == t.as_str()))
    {
        Some(t) => Err(serde::de::Error::custom(format!(
            "unknown resource type {t:?} in errors[].types; known types: {}",
            config_types::all().collect::<Vec<_>>().join(", ")
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

/// Reads and parses `path`, the manifest, with its bytes (for [`check`]'s positions).
pub fn read(path: &Path) -> Result<(Manifest, Vec<u8>)> {
    let bytes = crate::input::read_data(path)
        .and_then(|b| {
            b.ok_or_else(|| {
                Diagnostic::file(
                    path,
                    format!("no {MANIFEST} here: is this a snapshot directory?"),
                )
            })
        })
        .map_err(|d| Error::Invalid(vec![d]))?;
    let manifest = parse_json(path, &bytes).map_err(|d| Error::Invalid(vec![d]))?;
    Ok((manifest, bytes))
}

/// What the manifest's types cannot say, each at the scope it concerns: a scope listed twice
/// (its resources would be judged twice), a region `*` on a scope that is not failed, and
/// errors that name an unknown file or give types for a file not listed by type.
pub fn check(manifest: &Manifest, path: &Path, bytes: &[u8]) -> Vec<Diagnostic> {
    let at_scope = |i: usize, message: String| match nth_scope_position(bytes, i) {
        Some((line, column)) => Diagnostic::at(
            Location {
                path: path.to_path_buf(),
                line,
                column,
            },
            message,
        ),
        None => Diagnostic::file(path, message),
    };
    let mut diags = Vec::new();
    let mut seen = HashMap::new();
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
                    path,
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
    diags
}

/// An `organization.errors` entry must name one of the organisation's files: another would
/// mark nothing unknown, and its data would be judged as if read.
pub fn check_organization(
    org: &super::organization::ManifestOrganization,
    path: &Path,
) -> Vec<Diagnostic> {
    use super::organization::FILES;
    org.errors
        .iter()
        .filter(|e| !FILES.contains(&e.file.as_str()))
        .map(|e| {
            Diagnostic::file(
                path,
                format!(
                    "organization.errors names unknown file {:?}; known files: {}",
                    e.file,
                    FILES.join(", ")
                ),
            )
        })
        .collect()
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
