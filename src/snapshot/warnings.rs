//! What a snapshot holds that is judged with a caveat, or not judged at all: said as a
//! warning, never dropped in silence.

use super::manifest::{Manifest, ALL_REGIONS};
use super::names;
use super::MANIFEST;
use std::collections::{BTreeSet, HashSet};
use std::path::Path;

/// A region this build does not know may be a new one: its data is judged, and said.
pub fn unknown_regions(manifest: &Manifest, manifest_path: &Path) -> Vec<String> {
    let unknown: BTreeSet<&str> = manifest
        .scopes
        .iter()
        .map(|s| s.region.as_str())
        .filter(|r| *r != ALL_REGIONS && !names::KNOWN_REGIONS.contains(r))
        .collect();
    unknown
        .into_iter()
        .map(|r| {
            format!(
                "{}: region {r:?} is not an AWS region this version knows; its data is judged \
                 as given",
                manifest_path.display()
            )
        })
        .collect()
}

/// Account-region directories under `root` that the manifest does not list: not judged.
pub fn unlisted_data(root: &Path, manifest: &Manifest) -> Vec<String> {
    let listed: HashSet<(&str, &str)> = manifest
        .scopes
        .iter()
        .map(|s| (s.account_id.as_str(), s.region.as_str()))
        .collect();
    scope_dirs(root)
        .into_iter()
        .filter(|(a, r)| !listed.contains(&(a.as_str(), r.as_str())))
        .map(|(a, r)| {
            format!(
                "{}: data for account {a} region {r} is not listed in {MANIFEST}, so it is \
                 not judged",
                root.join(&a).join(&r).display()
            )
        })
        .collect()
}

/// `<12-digit account>/<region>` directories under the snapshot root.
fn scope_dirs(root: &Path) -> Vec<(String, String)> {
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
