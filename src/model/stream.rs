//! The inventory of a streamed scan: built from every scope's skeleton (what other
//! account-regions look up: vaults, settings, the recovery points of resources elsewhere),
//! then each batch of scopes, read whole, takes the place of its skeletons while it is judged
//! and written, and gives it back after. Only a batch's inventory is ever held whole.

use super::not_judged::{keys_of, Later};
use super::{convert_scope, Inventory, RpRef, ScheduleCache, Scope};
use crate::error::{Diagnostic, Error, Result};
use crate::snapshot::ScopeSnapshot;
use rayon::prelude::*;
use std::collections::HashMap;

/// What a streamed scan keeps from batch to batch: the schedules measured so far, and what
/// the scopes read say of resources other scopes back up.
#[derive(Debug)]
pub struct Streaming {
    schedules: ScheduleCache,
    later: Later,
}

impl Streaming {
    pub fn new(inv: &Inventory) -> Streaming {
        Streaming {
            schedules: ScheduleCache::new(inv.as_of),
            later: Later::default(),
        }
    }
}

/// The skeletons a batch of scopes took the place of, from scope `first` on.
#[derive(Debug)]
pub struct Filled {
    first: usize,
    skeletons: Vec<Scope>,
}

impl Filled {
    pub fn range(&self) -> std::ops::Range<usize> {
        self.first..self.first + self.skeletons.len()
    }
}

impl Inventory {
    /// Puts `read` (scopes `first..`, read whole) in place of their skeletons; refuses a scope
    /// whose vaults are not its skeleton's (the snapshot changed while it was read).
    pub fn fill(
        &mut self,
        first: usize,
        read: Vec<ScopeSnapshot>,
        on: &mut Streaming,
    ) -> Result<Filled> {
        // Indices are the organisation's account-region order: no other shard's context.
        debug_assert!(self.context.is_empty());
        for s in &read {
            for p in &s.data.plans {
                for r in &p.backup_plan.rules {
                    on.schedules.add(r);
                }
            }
        }
        let schedules = &on.schedules;
        let converted: Vec<_> = read
            .into_par_iter()
            .map(|s| {
                let (scope, c) = convert_scope(s, schedules);
                let keys = keys_of(&scope, &c.unjudged);
                (scope, c.protected, keys)
            })
            .collect();
        let later = &mut on.later;
        for (i, (whole, _, _)) in converted.iter().enumerate() {
            let skeleton = &self.scopes[first + i];
            let same =
                (whole.vaults.iter().map(|v| &v.name)).eq(skeleton.vaults.iter().map(|v| &v.name));
            if !same {
                let file = (self.root.join(&whole.account_id).join(&whole.region))
                    .join(crate::snapshot::DataFile::BackupVaults.file_name());
                return Err(Error::Invalid(vec![Diagnostic::file(
                    &file,
                    "changed while the scan read it: its vaults are not those read first",
                )]));
            }
        }
        let mut skeletons = Vec::with_capacity(converted.len());
        for (i, (whole, protected, keys)) in converted.into_iter().enumerate() {
            let si = first + i;
            later.add(si, protected, keys);
            skeletons.push(self.swap(si, whole));
        }
        Ok(Filled { first, skeletons })
    }

    /// Gives the skeletons of `filled` back their places; each keeps the count of its
    /// scope's unclassified items.
    pub fn empty(&mut self, filled: Filled) {
        let mut wholes = Vec::with_capacity(filled.skeletons.len());
        for (i, mut skeleton) in filled.skeletons.into_iter().enumerate() {
            let si = filled.first + i;
            let items = &mut self.scopes[si].not_judged.item_types;
            skeleton.not_judged.item_types = std::mem::take(items);
            wholes.push(self.swap(si, skeleton));
        }
        // A batch is a million small allocations: freed on both cores.
        wholes.into_par_iter().for_each(drop);
    }

    /// Counts the `protected-resources.json` entries no item describes, once every scope
    /// has been filled and emptied.
    pub fn count_not_judged(&mut self, on: Streaming) {
        on.later.count(&mut self.scopes, &self.scope_index);
    }

    /// Puts `scope` at `si` (its vaults are those of the scope it replaces: `fill` checks),
    /// its recovery points indexed in place of the other's.
    fn swap(&mut self, si: usize, scope: Scope) -> Scope {
        let index = &mut self.recovery_points_by_resource;
        unindex_points(index, si as u32, &self.scopes[si].recovery_points);
        index_points(index, si as u32, &scope.recovery_points);
        std::mem::replace(&mut self.scopes[si], scope)
    }
}

type PointIndex = HashMap<String, Vec<RpRef>>;

/// Adds scope `si`'s points to `index`, each resource's in scope order (as [`Inventory::build`]
/// lists them).
fn index_points(index: &mut PointIndex, si: u32, points: &[crate::snapshot::aws::RecoveryPoint]) {
    for (ri, p) in points.iter().enumerate() {
        let at = (si, ri as u32);
        match index.get_mut(&p.resource_arn) {
            Some(refs) => {
                let pos = refs.partition_point(|r| *r < at);
                refs.insert(pos, at);
            }
            None => {
                index.insert(p.resource_arn.clone(), vec![at]);
            }
        }
    }
}

/// Takes scope `si`'s points out of `index`.
fn unindex_points(index: &mut PointIndex, si: u32, points: &[crate::snapshot::aws::RecoveryPoint]) {
    for p in points {
        if let Some(refs) = index.get_mut(&p.resource_arn) {
            refs.retain(|r| r.0 != si);
            if refs.is_empty() {
                index.remove(&p.resource_arn);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn point(resource: &str) -> crate::snapshot::aws::RecoveryPoint {
        serde_json::from_value(serde_json::json!({
            "RecoveryPointArn": "p", "BackupVaultName": "v", "ResourceArn": resource,
            "Status": "COMPLETED",
        }))
        .unwrap()
    }

    fn sample() -> (Inventory, crate::snapshot::ScopeReader) {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("samples/org");
        let (snap, reader) = crate::snapshot::Snapshot::load_skeleton(&root).unwrap();
        (Inventory::build(snap, None).unwrap(), reader)
    }

    #[test]
    fn a_filled_batch_emptied_leaves_the_skeleton_as_it_was() {
        let (mut inv, reader) = sample();
        let before = inv.recovery_points_by_resource.clone();
        let mut on = Streaming::new(&inv);
        let (read, _) = reader.read(0..2).unwrap();
        let filled = inv.fill(0, read, &mut on).unwrap();
        assert!(inv.scopes[0].resources.len() + inv.scopes[1].resources.len() > 0);
        assert_ne!(inv.recovery_points_by_resource, before);
        inv.empty(filled);
        assert!(inv.scopes[0].resources.is_empty() && inv.scopes[1].resources.is_empty());
        assert_eq!(inv.recovery_points_by_resource, before);
    }

    #[test]
    fn a_scope_whose_vaults_changed_since_its_skeleton_is_refused() {
        let (mut inv, reader) = sample();
        let mut on = Streaming::new(&inv);
        let (mut read, _) = reader.read(0..1).unwrap();
        assert!(read[0].data.vaults.pop().is_some());
        let err = inv.fill(0, read, &mut on).unwrap_err().to_string();
        assert!(
            err.contains("backup-vaults.json") && err.contains("changed while"),
            "{err}"
        );
    }

    #[test]
    fn a_scope_put_back_lists_its_points_in_scope_order_among_the_others() {
        let mut index = PointIndex::new();
        index_points(&mut index, 0, &[point("r")]);
        index_points(&mut index, 2, &[point("r"), point("s")]);
        // Scope 1, read whole, comes between them; its skeleton had none of r's points.
        index_points(&mut index, 1, &[point("s"), point("r"), point("r")]);
        assert_eq!(index["r"], [(0, 0), (1, 1), (1, 2), (2, 0)]);
        assert_eq!(index["s"], [(1, 0), (2, 1)]);
        unindex_points(&mut index, 1, &[point("s"), point("r"), point("r")]);
        assert_eq!(index["r"], [(0, 0), (2, 0)]);
        unindex_points(&mut index, 2, &[point("r"), point("s")]);
        assert!(!index.contains_key("s"));
    }
}
