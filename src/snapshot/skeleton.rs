//! What a streamed scan's skeleton keeps of a scope's recovery points: those another
//! account-region may look up, that is the points of a resource it lists. A resource's points
//! are looked up by its ARN from the scope that lists it, so a point stays when its ARN names
//! another account-region (a copy), or names none (an S3 bucket's) and another scope lists it.

use super::manifest::ManifestScope;
use super::names::arn_place;
use super::{aws, hint, parse_json, peek, DataFile};
use crate::error::Diagnostic;
use rayon::prelude::*;
use std::collections::HashMap;
use std::path::Path;

/// Which scopes list each resource whose ARN names no account-region, as their
/// `resources.json` says (read with a peek, not parsed; deleted items included, so it may say
/// more than the inventory, never less).
#[derive(Debug, Default)]
pub struct Listing(HashMap<String, Lister>);

#[derive(Debug, Clone, Copy, PartialEq)]
enum Lister {
    One(u32),
    Several,
}

impl Listing {
    /// The listing of `scopes` (indexed in their order), or `None` when a `resources.json`
    /// cannot be peeked (not a plain array, an escaped ARN, unreadable): then every point of a
    /// resource whose ARN names no account-region is kept, as a whole read would find it.
    pub fn peek(root: &Path, scopes: &[&ManifestScope]) -> Option<Listing> {
        let found: Vec<Option<Vec<String>>> = (scopes.par_iter())
            .map(|m| {
                let dir = root.join(&m.account_id).join(&m.region);
                let path = dir.join(DataFile::Resources.file_name());
                let bytes = crate::input::read_data(&path).ok()?.unwrap_or_default();
                if bytes.is_empty() {
                    return Some(Vec::new());
                }
                let items = peek::item_arns(&bytes)?;
                let placeless = items.into_iter().filter(|p| arn_place(p.arn).is_none());
                Some(placeless.map(|p| p.arn.to_owned()).collect())
            })
            .collect();
        let mut listing = HashMap::new();
        for (at, arns) in found.into_iter().enumerate() {
            for arn in arns? {
                let at = Lister::One(at as u32);
                listing
                    .entry(arn)
                    .and_modify(|l| {
                        if *l != at {
                            *l = Lister::Several
                        }
                    })
                    .or_insert(at);
            }
        }
        Some(Listing(listing))
    }

    /// Whether a scope other than scope `at` lists `arn`.
    fn elsewhere(&self, arn: &str, at: u32) -> bool {
        match self.0.get(arn) {
            None => false,
            Some(l) => *l != Lister::One(at),
        }
    }
}

/// The recovery points of `recovery-points.json` in `dir` (scope `m`, at `at` in `listing`)
/// that another account-region may look up; without a listing, those of every resource not
/// of `m`. Their ARNs are looked at first, without reading the points: most points are of the
/// scope's own resources, and are read when its batch comes.
pub fn foreign_points(
    dir: &Path,
    m: &ManifestScope,
    listing: Option<(&Listing, u32)>,
) -> Result<Vec<aws::RecoveryPoint>, Diagnostic> {
    let path = dir.join(DataFile::RecoveryPoints.file_name());
    let Some(bytes) = crate::input::read_data(&path)? else {
        return Ok(Vec::new());
    };
    let keep = |arn: &str| match arn_place(arn) {
        Some(place) => place != (m.region.as_str(), m.account_id.as_str()),
        None => listing.is_none_or(|(l, at)| l.elsewhere(arn, at)),
    };
    // Only the points kept are parsed; a file the peek cannot read, or whose points do not
    // parse alone, is parsed whole, which says what is wrong with it.
    let parsed = peek::resource_arns(&bytes).and_then(|peeked| {
        (peeked.into_iter())
            .filter(|p| keep(p.arn))
            .map(|p| serde_json::from_slice(&bytes[p.object]).ok())
            .collect::<Option<Vec<aws::RecoveryPoint>>>()
    });
    if let Some(points) = parsed {
        return Ok(points);
    }
    let mut points: Vec<aws::RecoveryPoint> = parse_json(&path, &bytes)
        .map_err(|e| hint::explain(e, DataFile::RecoveryPoints, &bytes))?;
    points.retain(|p| keep(&p.resource_arn));
    points.shrink_to_fit();
    Ok(points)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_resource_lives_in_the_account_region_its_arn_names() {
        let ebs = "arn:aws:ec2:eu-west-1:111111111111:volume/vol-1";
        assert_eq!(arn_place(ebs), Some(("eu-west-1", "111111111111")));
        // A bucket's ARN names no account-region: whoever lists it looks its points up.
        assert_eq!(arn_place("arn:aws:s3:::bucket"), None);
        assert_eq!(arn_place("arn:aws:iam::111111111111:role/r"), None);
        assert_eq!(arn_place("not an arn"), None);
    }

    #[test]
    fn a_placeless_arn_is_looked_up_from_elsewhere_only_if_another_scope_lists_it() {
        let mut listing = Listing::default();
        listing.0.insert("arn:aws:s3:::mine".into(), Lister::One(0));
        listing
            .0
            .insert("arn:aws:s3:::theirs".into(), Lister::One(1));
        listing
            .0
            .insert("arn:aws:s3:::both".into(), Lister::Several);
        assert!(!listing.elsewhere("arn:aws:s3:::mine", 0));
        assert!(listing.elsewhere("arn:aws:s3:::theirs", 0));
        assert!(listing.elsewhere("arn:aws:s3:::both", 0));
        // Listed nowhere: no resource looks its points up.
        assert!(!listing.elsewhere("arn:aws:s3:::gone", 0));
    }

    #[test]
    fn the_sample_keeps_the_bucket_points_another_account_region_judges() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("samples/org");
        let (manifest, _) =
            super::super::manifest::read(&root.join(super::super::MANIFEST)).unwrap();
        let scopes: Vec<&ManifestScope> = manifest.scopes.iter().collect();
        let listing = Listing::peek(&root, &scopes).unwrap();
        let buckets = |account: &str, region: &str| -> Vec<String> {
            let at = (scopes.iter())
                .position(|m| m.account_id == account && m.region == region)
                .unwrap();
            let dir = root.join(account).join(region);
            let points = foreign_points(&dir, scopes[at], Some((&listing, at as u32))).unwrap();
            let mut arns: Vec<String> = (points.into_iter())
                .map(|p| p.resource_arn)
                .filter(|a| a.starts_with("arn:aws:s3"))
                .collect();
            arns.dedup();
            arns
        };
        // us-east-1 lists the buckets whose points it holds: none is kept.
        assert!(buckets("111111111111", "us-east-1").is_empty());
        // A cross-region copy of a us-east-1 bucket is kept; eu-west-1's own bucket is not.
        assert_eq!(
            buckets("111111111111", "eu-west-1"),
            ["arn:aws:s3:::acme-catalog-images"]
        );
        // The backup account lists one bucket of its own; the others are copies.
        let copies = buckets("333333333333", "us-east-1");
        assert!(
            copies.contains(&"arn:aws:s3:::acme-orders-invoices".to_owned()),
            "{copies:?}"
        );
        assert!(!copies.contains(&"arn:aws:s3:::acme-backup-audit-reports".to_owned()));
    }
}
