//! The summary's account of what the snapshot holds that the tool did not judge (see
//! [`crate::model::not_judged`]): totals and types for the sentence every output prints, and
//! the counts per account-region for `findings.json`.

use crate::model::Inventory;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct NotJudgedSummary {
    /// Inventory items of resource types the tool does not judge.
    pub items: u64,
    /// Their Config resource types, sorted.
    pub item_types: Vec<String>,
    /// Resources AWS Backup lists as backed up (`protected-resources.json`) that no inventory
    /// item describes.
    pub backed_up: u64,
    /// Their AWS Backup resource types, sorted.
    pub backed_up_types: Vec<String>,
    /// Per account-region with anything not judged, in scope order.
    pub scopes: Vec<NotJudgedScope>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct NotJudgedScope {
    pub account_id: String,
    pub region: String,
    /// Config resource type → inventory items.
    pub item_types: BTreeMap<String, u32>,
    /// AWS Backup resource type → `protected-resources.json` entries.
    pub backed_up_types: BTreeMap<String, u32>,
}

impl NotJudgedSummary {
    pub fn build(inv: &Inventory) -> NotJudgedSummary {
        let mut out = NotJudgedSummary::default();
        let (mut item_types, mut backed_up_types) = (BTreeSet::new(), BTreeSet::new());
        for s in inv.scopes.iter().filter(|s| !s.not_judged.is_empty()) {
            let nj = &s.not_judged;
            for (t, n) in &nj.item_types {
                out.items += u64::from(*n);
                item_types.insert(t.clone());
            }
            for (t, n) in &nj.backed_up_types {
                out.backed_up += u64::from(*n);
                backed_up_types.insert(t.clone());
            }
            out.scopes.push(NotJudgedScope {
                account_id: s.account_id.clone(),
                region: s.region.clone(),
                item_types: nj.item_types.clone(),
                backed_up_types: nj.backed_up_types.clone(),
            });
        }
        out.item_types = item_types.into_iter().collect();
        out.backed_up_types = backed_up_types.into_iter().collect();
        out
    }
}
