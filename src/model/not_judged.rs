//! What a snapshot holds that the tool does not judge, counted per account-region so that
//! nothing is dropped in silence: inventory items of resource types the model does not
//! classify, and resources AWS Backup lists as backed up (`protected-resources.json`) that no
//! inventory item describes. Counting changes no verdict.

use super::resource::{Resource, ResourceKind};
use super::{Arn, Scope};
use crate::snapshot::aws::ProtectedResource;
use crate::snapshot::DataFile;
use std::collections::{BTreeMap, HashMap, HashSet};

/// One account-region's unjudged items, by type.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NotJudged {
    /// Inventory items (`resources.json`) of resource types the tool does not judge, by their
    /// Config resource type.
    pub item_types: BTreeMap<String, u32>,
    /// `protected-resources.json` entries (resources AWS Backup has backed up) that no
    /// inventory item of the snapshot describes, by their AWS Backup resource type.
    pub backed_up_types: BTreeMap<String, u32>,
}

impl NotJudged {
    pub fn is_empty(&self) -> bool {
        self.item_types.is_empty() && self.backed_up_types.is_empty()
    }
}

/// A `protected-resources.json` entry not found among its own scope's inventory items, kept
/// until every scope is converted: its resource may live in another account-region (a copy
/// held in this one).
#[derive(Debug, Clone)]
pub(super) struct Unmatched {
    pub arn: String,
    pub backup_type: String,
}

/// The entries of `protected` that are neither among `resources` (sorted by ARN) nor among
/// `unjudged` (the ARNs of the scope's unclassified items).
pub(super) fn unmatched(
    protected: Vec<ProtectedResource>,
    resources: &[Resource],
    unjudged: &HashSet<String>,
) -> Vec<Unmatched> {
    protected
        .into_iter()
        .filter(|p| {
            resources
                .binary_search_by(|r| r.arn.as_str().cmp(&p.resource_arn))
                .is_err()
                && !unjudged.contains(&p.resource_arn)
        })
        .map(|p| Unmatched {
            backup_type: p.resource_type.unwrap_or_else(|| "(no type)".to_owned()),
            arn: p.resource_arn,
        })
        .collect()
}

/// Where an unmatched entry's resource would be, and what that says.
enum Home {
    /// An inventory item describes it: judged there, or counted there as an unjudged item.
    Listed,
    /// Its inventory, or its type's listing, could not be read: it is already reported as
    /// not assessed, not as "not judged".
    Unread,
    /// No inventory item describes it: AWS Backup backed it up, the tool does not judge it.
    Absent,
}

/// What the other scopes say about the entries one scope could not match.
struct Elsewhere<'a> {
    scopes: &'a [Scope],
    scope_index: &'a HashMap<(String, String), u32>,
    /// The ARNs of every scope's unclassified items.
    unjudged: &'a HashSet<String>,
    /// The ARNs of every S3 bucket: an S3 ARN names no account-region.
    buckets: HashSet<&'a str>,
}

impl Elsewhere<'_> {
    /// The home of `entry`, listed in scope `si`: the account-region its ARN names, where
    /// its item would be (a copy in `si` names its source's account-region).
    fn home(&self, si: usize, entry: &Unmatched) -> Home {
        if self.unjudged.contains(&entry.arn) || self.buckets.contains(entry.arn.as_str()) {
            return Home::Listed;
        }
        let home = match Arn::parse(&entry.arn) {
            Some(a) if !a.account().is_empty() && !a.region().is_empty() => self
                .scope_index
                .get(&(a.account().to_owned(), a.region().to_owned()))
                .map(|&h| h as usize),
            _ => Some(si),
        };
        // An account-region outside the snapshot: nothing of it is judged.
        let Some(h) = home else {
            return Home::Absent;
        };
        let scope = &self.scopes[h];
        if scope.unavailable(DataFile::Resources).is_some() || unlisted(scope, &entry.backup_type) {
            return Home::Unread;
        }
        let found = scope
            .resources
            .binary_search_by(|r| r.arn.as_str().cmp(&entry.arn))
            .is_ok()
            || scope.listed.binary_search(&entry.arn).is_ok();
        if found {
            Home::Listed
        } else {
            Home::Absent
        }
    }
}

/// Whether the listing of the kinds with AWS Backup type `backup_type` failed in `scope`.
fn unlisted(scope: &Scope, backup_type: &str) -> bool {
    scope.unlisted.iter().flat_map(|u| &u.types).any(|t| {
        ResourceKind::ALL
            .iter()
            .any(|k| k.backup_type() == backup_type && k.item_types().contains(&t.as_str()))
    })
}

/// Counts, into each scope's [`NotJudged::backed_up_types`], the entries of `pending[si]`
/// (scope `si`'s unmatched entries) that no inventory item describes, leaving out those
/// whose inventory could not be read.
pub(super) fn count_backed_up(
    scopes: &mut [Scope],
    pending: Vec<Vec<Unmatched>>,
    unjudged: &HashSet<String>,
    scope_index: &HashMap<(String, String), u32>,
) {
    let counts: Vec<BTreeMap<String, u32>> = {
        let elsewhere = Elsewhere {
            scopes,
            scope_index,
            unjudged,
            buckets: scopes
                .iter()
                .flat_map(|s| &s.resources)
                .filter(|r| r.kind == ResourceKind::S3Bucket)
                .map(|r| r.arn.as_str())
                .collect(),
        };
        pending
            .iter()
            .enumerate()
            .map(|(si, entries)| {
                let mut by_type = BTreeMap::new();
                for e in entries {
                    if let Home::Absent = elsewhere.home(si, e) {
                        *by_type.entry(e.backup_type.clone()).or_insert(0) += 1;
                    }
                }
                by_type
            })
            .collect()
    };
    for (s, c) in scopes.iter_mut().zip(counts) {
        s.not_judged.backed_up_types = c;
    }
}
