//! The newest good recovery point of a resource: what `recovery-point-recent` judges and the
//! HTML report's age chart shows, computed in one place so the two never disagree.

use super::protection::Protection;
use super::resource::Resource;
use super::{Inventory, RpRef, Scope};
use crate::snapshot::time::Timestamp;

/// A resource's newest good recovery point.
#[derive(Debug, Clone, Copy)]
pub struct NewestPoint {
    pub point: RpRef,
    /// Its `CreationDate`.
    pub created: Timestamp,
    /// A continuous-backup point: updated continuously, so current whatever its creation date
    /// (reference trap 11).
    pub continuous: bool,
}

impl NewestPoint {
    /// How old the backed-up data is at `now` (zero for a continuous point).
    pub fn age(&self, now: Timestamp) -> chrono::Duration {
        if self.continuous {
            chrono::Duration::zero()
        } else {
            (now - self.created).max(chrono::Duration::zero())
        }
    }
}

/// What a search for the newest good point found.
#[derive(Debug, Default)]
pub struct Newest {
    pub newest: Option<NewestPoint>,
    /// Good points without a `CreationDate`: their age is unknown.
    pub undated: usize,
}

impl Protection {
    /// The resources whose recovery points hold this resource's data: itself, then each EC2
    /// instance it is backed up through (an AMI includes the attached volumes).
    pub fn point_owners<'s>(&self, scope: &'s Scope, res: &'s Resource) -> Vec<&'s str> {
        let mut arns = vec![res.arn.as_str()];
        for t in self.rules.iter().filter_map(|a| a.through) {
            let arn = scope.resources[t as usize].arn.as_str();
            if !arns.contains(&arn) {
                arns.push(arn);
            }
        }
        arns
    }
}

impl Inventory {
    /// The newest COMPLETED or AVAILABLE recovery point of `owners`, anywhere in the
    /// organisation (copies included), by `CreationDate`: never by `CompletionDate`, because a
    /// copy carries its source backup's creation date and completes whenever the copy does
    /// ("Copies retain their source configuration, including creation dates … The creation
    /// date refers to when the source was created, not when the copy was created", AWS Backup
    /// Developer Guide, "Copy a backup"). A temporary point deleted once copied does not count
    /// (reference trap 20), nor does one created after "now". `status` sees every point's
    /// status as reasons name it.
    pub fn newest_good_point<'a>(&'a self, owners: &[&str], status: impl FnMut(&'a str)) -> Newest {
        self.newest_good_point_where(owners, |_| true, status)
    }

    /// [`Self::newest_good_point`] among the points `keep` accepts (say, those in an
    /// air-gapped vault).
    pub fn newest_good_point_where<'a>(
        &'a self,
        owners: &[&str],
        keep: impl Fn(RpRef) -> bool,
        mut status: impl FnMut(&'a str),
    ) -> Newest {
        let mut found = Newest::default();
        let points = owners
            .iter()
            .filter_map(|arn| self.recovery_points_by_resource.get(*arn))
            .flatten()
            .filter(|&&r| keep(r));
        for &r in points {
            let rp = self.recovery_point(r);
            if rp.deleted_after_copy() {
                status("temporary (deleted after copy)");
                continue;
            }
            status(&rp.status);
            if !matches!(&*rp.status, "COMPLETED" | "AVAILABLE") {
                continue;
            }
            let Some(created) = rp.creation_date else {
                found.undated += 1;
                continue;
            };
            if created > self.as_of {
                continue;
            }
            let candidate = NewestPoint {
                point: r,
                created,
                continuous: rp.is_continuous(),
            };
            // A continuous point is as new as "now"; the first of equals wins.
            let key = |p: &NewestPoint| if p.continuous { self.as_of } else { p.created };
            if found.newest.is_none_or(|n| key(&candidate) > key(&n)) {
                found.newest = Some(candidate);
            }
        }
        found
    }
}
