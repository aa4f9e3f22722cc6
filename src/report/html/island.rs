//! The report's data island: the findings of the table as rows of numbers into a string
//! table, and the engine's story of each of their resources, as JSON the page's script reads.

use super::gathered::Gathered;
use super::script::escape_for_script;
use super::HtmlMeta;
use crate::findings::Status;
use crate::history::diff::CHANGES;
use crate::model::{Inventory, Scope};
use crate::rules::waiver::Waiver;
use crate::rules::{Rule, RuleSet, Severity};
use crate::snapshot::ScopeStatus;
use serde::Serialize;
use std::collections::HashMap;

/// What the page says about the embedded findings and evidence.
#[derive(Debug, Clone, Serialize)]
pub struct TableNote {
    pub total: usize,
    pub included: usize,
    pub capped: bool,
    pub stories: usize,
    pub stories_eligible: usize,
}

pub(super) struct DataIsland {
    pub json: String,
    pub note: TableNote,
}

/// Row columns of the data island; string columns index `strings` (0 is the empty string),
/// `change` indexes `changes` (0: unchanged, or no baseline).
const COLUMNS: [&str; 15] = [
    "rule",
    "status",
    "scope",
    "type",
    "arn",
    "name",
    "reason",
    "plan",
    "selection",
    "backup_rule",
    "vault",
    "recovery_point",
    "through",
    "waiver",
    "change",
];

/// Status order in the table and in the data island: what needs attention first.
pub(super) const STATUS_ORDER: [Status; 6] = [
    Status::Fail,
    Status::NotAssessed,
    Status::Undecidable,
    Status::Waived,
    Status::NotApplicable,
    Status::Pass,
];

pub(super) const SEVERITY_ORDER: [Severity; 5] = [
    Severity::Critical,
    Severity::High,
    Severity::Medium,
    Severity::Low,
    Severity::Info,
];

pub(super) fn status_rank(s: Status) -> usize {
    STATUS_ORDER.iter().position(|x| *x == s).unwrap_or(0)
}

pub(super) fn severity_rank(s: Severity) -> usize {
    SEVERITY_ORDER.iter().position(|x| *x == s).unwrap_or(0)
}

struct Interner<'a> {
    index: HashMap<&'a str, u32>,
    list: Vec<&'a str>,
}

impl<'a> Interner<'a> {
    fn new() -> Self {
        let mut i = Interner {
            index: HashMap::new(),
            list: Vec::new(),
        };
        i.get("");
        i
    }

    fn get(&mut self, s: &'a str) -> u32 {
        if let Some(&i) = self.index.get(s) {
            return i;
        }
        let i = self.list.len() as u32;
        self.index.insert(s, i);
        self.list.push(s);
        i
    }
}

/// The page's data: the head (scopes, rules, waivers, the string table), the table's findings
/// as rows of numbers, and the stories of their resources. `changes`: whether the findings
/// were compared with a baseline.
pub(super) fn data_island(
    inv: &Inventory,
    rules: &RuleSet,
    gathered: &Gathered,
    (waivers, meta): (&[Waiver], &HtmlMeta),
    changes: bool,
) -> DataIsland {
    let (mut strings, mut types) = (Interner::new(), Interner::new());
    let rows = rows(gathered, &mut strings, &mut types);
    let included = gathered.rows().count();
    let (stories, story_count, eligible) = gathered.stories();
    let limits = gathered.limits;
    let head = Head {
        format: "backup-auditor-html-data/v1",
        meta,
        findings_total: gathered.findings,
        findings_included: included,
        findings_cap: limits.max_findings,
        stories_eligible: eligible,
        stories_included: story_count,
        statuses: STATUS_ORDER.iter().map(|s| s.as_str()).collect(),
        severities: SEVERITY_ORDER.iter().map(|s| s.as_str()).collect(),
        scopes: inv.scopes.iter().map(ScopeView::of).collect(),
        types: &types.list,
        rules: rules.rules.iter().map(RuleRef::of).collect(),
        waivers: waivers.iter().map(WaiverRef::of).collect(),
        columns: COLUMNS,
        changes: changes.then(|| {
            std::iter::once("")
                .chain(CHANGES.iter().map(|c| c.as_str()))
                .collect()
        }),
        strings: &strings.list,
    };
    let head = serde_json::to_string(&head).unwrap_or_else(|_| "{}".into());
    let mut json = String::with_capacity(head.len() + rows.len() + stories.len() + 64);
    json.push_str(&head[..head.len() - 1]);
    json.push_str(",\"findings\":[");
    json.push_str(&rows);
    json.push_str("],\"stories\":[");
    json.push_str(&stories);
    json.push_str("]}");
    DataIsland {
        json: escape_for_script(&json),
        note: TableNote {
            total: gathered.findings,
            included,
            capped: included < gathered.findings,
            stories: story_count,
            stories_eligible: eligible,
        },
    }
}

/// The rows, with every string interned: a resource's ARN appears once however many rules
/// judge it. Trailing empty cells are left out.
fn rows<'a>(
    gathered: &'a Gathered,
    strings: &mut Interner<'a>,
    types: &mut Interner<'a>,
) -> String {
    let mut rows = String::with_capacity(gathered.rows().count() * 48);
    for (n, k) in gathered.rows().enumerate() {
        let mut cells = vec![k.rule, k.status, k.scope, types.get(k.cell(0))];
        cells.extend((1..10).map(|i| strings.get(k.cell(i))));
        cells.extend([k.waiver, k.change]);
        while cells.len() > 7 && cells.last() == Some(&0) {
            cells.pop();
        }
        if n > 0 {
            rows.push(',');
        }
        rows.push('[');
        let cells: Vec<String> = cells.iter().map(u32::to_string).collect();
        rows.push_str(&cells.join(","));
        rows.push(']');
    }
    rows
}

#[derive(Serialize)]
struct Head<'a> {
    format: &'static str,
    meta: &'a HtmlMeta,
    findings_total: usize,
    findings_included: usize,
    findings_cap: usize,
    stories_eligible: usize,
    stories_included: usize,
    statuses: Vec<&'static str>,
    severities: Vec<&'static str>,
    scopes: Vec<ScopeView<'a>>,
    types: &'a [&'a str],
    rules: Vec<RuleRef<'a>>,
    waivers: Vec<WaiverRef<'a>>,
    columns: [&'static str; 15],
    /// The names of the `change` column's numbers; absent without a baseline.
    #[serde(skip_serializing_if = "Option::is_none")]
    changes: Option<Vec<&'static str>>,
    strings: &'a [&'a str],
}

#[derive(Serialize)]
struct ScopeView<'a> {
    account_id: &'a str,
    account_name: &'a str,
    region: &'a str,
    status: ScopeStatus,
}

impl<'a> ScopeView<'a> {
    fn of(s: &'a Scope) -> Self {
        ScopeView {
            account_id: &s.account_id,
            account_name: s.account_name.as_deref().unwrap_or(""),
            region: &s.region,
            status: s.status,
        }
    }
}

#[derive(Serialize)]
struct RuleRef<'a> {
    id: &'a str,
    title: &'a str,
    severity: &'static str,
    check: &'static str,
}

impl<'a> RuleRef<'a> {
    fn of(r: &'a Rule) -> Self {
        RuleRef {
            id: &r.id,
            title: &r.title,
            severity: r.severity.as_str(),
            check: r.check.name(),
        }
    }
}

#[derive(Serialize)]
struct WaiverRef<'a> {
    rule: &'a str,
    resource: &'a str,
    reason: &'a str,
    owner: Option<&'a str>,
    expires: Option<String>,
    source: &'a str,
}

impl<'a> WaiverRef<'a> {
    fn of(w: &'a Waiver) -> Self {
        WaiverRef {
            rule: &w.rule,
            resource: &w.resource,
            reason: &w.reason,
            owner: w.owner.as_deref(),
            expires: w.expires.map(|e| e.format("%Y-%m-%d").to_string()),
            source: &w.source,
        }
    }
}
