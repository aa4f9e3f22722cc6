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
    /// Whether an item lists `arn` wherever its ARN points: an unclassified item (found by
    /// ARN anywhere), an S3 bucket (an S3 ARN names no account-region).
    anywhere: &'a (dyn Fn(&str) -> bool + Sync),
    /// Whether scope `h`'s inventory lists `arn`.
    listed_in: &'a (dyn Fn(usize, &str) -> bool + Sync),
}

impl Elsewhere<'_> {
    /// The home of `entry`, listed in scope `si`: the account-region its ARN names, where
    /// its item would be (a copy in `si` names its source's account-region).
    fn home(&self, si: usize, entry: &Unmatched) -> Home {
        if (self.anywhere)(&entry.arn) {
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
        match (self.listed_in)(h, &entry.arn) {
            true => Home::Listed,
            false => Home::Absent,
        }
    }

    /// Per scope, the entries of `pending` (scope, entry) no inventory item describes, by
    /// type (those whose inventory could not be read left out).
    fn absent<'e>(
        &self,
        pending: impl Iterator<Item = (usize, &'e Unmatched)>,
    ) -> Vec<BTreeMap<String, u32>> {
        let mut counts = vec![BTreeMap::new(); self.scopes.len()];
        for (si, e) in pending {
            if let Home::Absent = self.home(si, e) {
                *counts[si].entry(e.backup_type.clone()).or_insert(0) += 1;
            }
        }
        counts
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
    let counts = {
        let buckets: HashSet<&str> = (scopes.iter())
            .flat_map(|s| &s.resources)
            .filter(|r| r.kind == ResourceKind::S3Bucket)
            .map(|r| r.arn.as_str())
            .collect();
        let anywhere = |arn: &str| unjudged.contains(arn) || buckets.contains(arn);
        let listed_in = |h: usize, arn: &str| {
            let s: &Scope = &scopes[h];
            s.resources
                .binary_search_by(|r| r.arn.as_str().cmp(arn))
                .is_ok()
                || s.listed.binary_search_by(|l| l.as_str().cmp(arn)).is_ok()
        };
        let elsewhere = Elsewhere {
            scopes,
            scope_index,
            anywhere: &anywhere,
            listed_in: &listed_in,
        };
        let each = pending.iter().enumerate();
        elsewhere.absent(each.flat_map(|(si, entries)| entries.iter().map(move |e| (si, e))))
    };
    for (s, c) in scopes.iter_mut().zip(counts) {
        s.not_judged.backed_up_types = c;
    }
}

/// The entries a streamed scan could not match in their own scope, kept with what resolves
/// them once every scope has been read: the ARNs each scope lists, as 128-bit hashes (SipHash
/// and FNV-1a) rather than strings, so that an organisation's inventory is not held.
#[derive(Debug, Default)]
pub struct Later {
    pending: Vec<(usize, Unmatched)>,
    /// Unclassified items and S3 buckets, anywhere.
    anywhere: HashSet<u128>,
    /// Per scope, its resources' ARNs, sorted.
    listed: Vec<Vec<u128>>,
}

/// A 128-bit key of an ARN: two independent 64-bit hashes, so that no two ARNs of any
/// organisation share one in practice.
pub(crate) fn arn_key(arn: &str) -> u128 {
    use std::hash::{DefaultHasher, Hash, Hasher};
    let mut sip = DefaultHasher::new();
    arn.hash(&mut sip);
    let fnv = (arn.bytes()).fold(0xcbf2_9ce4_8422_2325_u64, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    });
    (u128::from(sip.finish()) << 64) | u128::from(fnv)
}

/// What [`Later`] keeps of a scope read whole: the hashes of its resources' ARNs (sorted) and
/// of its S3 buckets' and unclassified items' (`unjudged`), made where the scope is converted.
pub(super) fn keys_of(scope: &Scope, unjudged: &[String]) -> (Vec<u128>, Vec<u128>) {
    let mut listed: Vec<u128> = scope.resources.iter().map(|r| arn_key(&r.arn)).collect();
    listed.sort_unstable();
    let buckets = (scope.resources.iter())
        .filter(|r| r.kind == ResourceKind::S3Bucket)
        .map(|r| r.arn.as_str());
    let anywhere = (unjudged.iter().map(String::as_str).chain(buckets))
        .map(arn_key)
        .collect();
    (listed, anywhere)
}

impl Later {
    /// Keeps what scope `si`, read whole, says: its unmatched entries and the hashes of the
    /// ARNs it lists ([`keys_of`]).
    pub(super) fn add(
        &mut self,
        si: usize,
        protected: Vec<Unmatched>,
        (listed, anywhere): (Vec<u128>, Vec<u128>),
    ) {
        self.pending.extend(protected.into_iter().map(|e| (si, e)));
        self.anywhere.extend(anywhere);
        if self.listed.len() <= si {
            self.listed.resize(si + 1, Vec::new());
        }
        self.listed[si] = listed;
    }

    /// Counts, into each scope's [`NotJudged::backed_up_types`], the entries no inventory
    /// item describes.
    pub(super) fn count(self, scopes: &mut [Scope], scope_index: &HashMap<(String, String), u32>) {
        let counts = {
            let anywhere = |arn: &str| self.anywhere.contains(&arn_key(arn));
            let listed_in = |h: usize, arn: &str| {
                self.listed
                    .get(h)
                    .is_some_and(|l| l.binary_search(&arn_key(arn)).is_ok())
            };
            let elsewhere = Elsewhere {
                scopes,
                scope_index,
                anywhere: &anywhere,
                listed_in: &listed_in,
            };
            elsewhere.absent(self.pending.iter().map(|(si, e)| (*si, e)))
        };
        for (s, c) in scopes.iter_mut().zip(counts) {
            s.not_judged.backed_up_types = c;
        }
    }
}
