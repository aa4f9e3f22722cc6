//! `explain`: the story of one resource (as the engine told it) and its verdicts, as data
//! (`--format json`) and text (`report-templates/explain.txt.j2`).

use crate::engine::story::{self, Story};
use crate::engine::Evaluation;
use crate::findings::{Finding, Subject};
use crate::model::Inventory;
use crate::rules::RuleSet;
use crate::snapshot::InventorySource;
use serde::Serialize;

#[derive(Debug, Serialize)]
pub struct Explanation<'a> {
    #[serde(flatten)]
    pub story: Story<'a>,
    /// Where the inventory listed the resource; absent when the snapshot does not say.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub listed_by: Option<ListedBy>,
    pub verdicts: Vec<VerdictStory<'a>>,
}

/// The source of a resource's inventory item, from the manifest's `inventory`.
#[derive(Debug, Serialize)]
pub struct ListedBy {
    /// `config` or `direct`.
    pub source: InventorySource,
    /// What listed it: AWS Config, or the type's own API calls.
    pub by: &'static str,
}

#[derive(Debug, Serialize)]
pub struct VerdictStory<'a> {
    pub rule_id: &'a str,
    pub title: &'a str,
    pub severity: &'static str,
    pub check: &'static str,
    pub status: &'static str,
    pub reason: &'a str,
    /// What backs the verdict, as in findings.csv (empty when nothing does).
    pub evidence: VerdictEvidence<'a>,
}

#[derive(Debug, Serialize)]
pub struct VerdictEvidence<'a> {
    pub plan: &'a str,
    pub selection: &'a str,
    pub backup_rule: &'a str,
    pub vault: &'a str,
    pub recovery_point: &'a str,
    pub through: &'a str,
}

/// The story of resource `ri` of scope `si` and the verdicts on it.
pub fn explain<'a>(
    inv: &'a Inventory,
    rules: &'a RuleSet,
    eval: &'a Evaluation,
    si: usize,
    ri: usize,
) -> Explanation<'a> {
    let subject = Subject::Resource {
        scope: si as u32,
        index: ri as u32,
    };
    let scope = &inv.scopes[si];
    let listed_by = scope
        .inventory
        .get(&scope.resources[ri].config_type)
        .map(|&source| ListedBy {
            source,
            by: match source {
                InventorySource::Config => "AWS Config",
                InventorySource::Direct => {
                    crate::collect::direct_operations(&scope.resources[ri].config_type)
                }
            },
        });
    Explanation {
        story: story::tell(inv, eval, si, ri),
        listed_by,
        verdicts: eval
            .findings
            .iter()
            .filter(|f| f.subject == subject)
            .map(|f| verdict(inv, rules, f))
            .collect(),
    }
}

fn verdict<'a>(inv: &'a Inventory, rules: &'a RuleSet, f: &'a Finding) -> VerdictStory<'a> {
    let rule = &rules.rules[f.rule as usize];
    let row = f.row(inv, rules);
    VerdictStory {
        rule_id: &rule.id,
        title: &rule.title,
        severity: rule.severity.as_str(),
        check: rule.check.name(),
        status: f.status.as_str(),
        reason: &f.reason,
        evidence: VerdictEvidence {
            plan: row.plan,
            selection: row.selection,
            backup_rule: row.backup_rule,
            vault: row.vault,
            recovery_point: row.recovery_point,
            through: row.through,
        },
    }
}
