//! Mistakes seen only in the organisation as the plan leaves it, named at the plan's address:
//! a selection that selects nothing there, and a volume that misses a tag-based selection its
//! instance's tags meet (tags on an instance do not reach its volumes).

use super::Overlay;
use crate::model::resource::{Resource, ResourceKind};
use crate::model::selection::{decide_quietly, Selection};
use crate::model::{Inventory, Scope, Tri};
use crate::snapshot::ScopeStatus;
use std::collections::BTreeMap;

/// Every such mistake, one line each. `inv` is the organisation as the plan leaves it.
pub fn find(inv: &Inventory, o: &Overlay) -> Vec<String> {
    let mut found = Vec::new();
    for laid in &o.selections {
        let key = (laid.account.clone(), laid.region.clone());
        let Some(&si) = inv.scope_index.get(&key) else {
            continue;
        };
        let scope = inv.scope(si);
        // Where the listing is incomplete, or the selection waits for apply, nothing proves
        // that it selects nothing.
        if !listed_completely(scope) || o.undecidable_scopes.contains_key(&key) {
            continue;
        }
        let selection = selections(scope).find(|s| s.id.as_deref() == Some(laid.id.as_str()));
        if let Some(s) = selection {
            if !scope
                .resources
                .iter()
                .any(|r| criteria_meet(s, r) != Tri::No)
            {
                found.push(format!(
                    "{}: selection {} selects nothing in {} {} as the snapshot plus the plan \
                     have it: it protects nothing",
                    laid.address, s.name, laid.account, laid.region
                ));
            }
        }
    }
    let planned: BTreeMap<&str, &str> = o
        .arns
        .iter()
        .map(|(address, arn)| (arn.as_str(), address.as_str()))
        .collect();
    for scope in &inv.scopes {
        volumes_untagged_like_their_instance(scope, &planned, &mut found);
    }
    found
}

fn listed_completely(s: &Scope) -> bool {
    s.status == ScopeStatus::Complete && s.unlisted.is_empty()
}

fn selections(s: &Scope) -> impl Iterator<Item = &Selection> {
    s.plans.iter().flat_map(|p| &p.selections)
}

/// Whether the selection's criteria pick the resource, region opt-in aside (a selection that
/// opt-in blocks is a gap the verdicts already name).
fn criteria_meet(s: &Selection, r: &Resource) -> Tri {
    decide_quietly(s, r, Some(true)).selected
}

/// A planned instance or volume (`planned`: ARN → address) whose volume no selection picks
/// and whose instance no selection picks either, though the volume would be picked if it
/// carried the instance's tags.
fn volumes_untagged_like_their_instance(
    scope: &Scope,
    planned: &BTreeMap<&str, &str>,
    found: &mut Vec<String>,
) {
    let instances: BTreeMap<&str, &Resource> = scope
        .resources
        .iter()
        .filter(|r| r.kind == ResourceKind::Ec2Instance)
        .map(|r| (r.id.as_str(), r))
        .collect();
    let volumes = scope
        .resources
        .iter()
        .filter(|r| r.kind == ResourceKind::EbsVolume);
    for volume in volumes {
        for instance in volume
            .attached_to
            .iter()
            .filter_map(|i| instances.get(i.as_str()))
        {
            let Some(address) = planned
                .get(volume.arn.as_str())
                .or_else(|| planned.get(instance.arn.as_str()))
            else {
                continue;
            };
            let picked = |r: &Resource| selections(scope).any(|s| criteria_meet(s, r) != Tri::No);
            if picked(volume) || picked(instance) {
                continue;
            }
            let as_tagged = Resource {
                tags: instance.tags.clone(),
                ..volume.clone()
            };
            let missed = selections(scope).find(|s| criteria_meet(s, &as_tagged) == Tri::Yes);
            if let Some(s) = missed {
                found.push(format!(
                    "{address}: volume {} is attached to instance {}, whose tags selection {} \
                     picks volumes by, but the volume does not carry them (an instance's tags \
                     do not reach its volumes; in Terraform, volume_tags or the volume's own \
                     tags): neither is backed up",
                    volume.id, instance.id, s.name
                ));
            }
        }
    }
}
