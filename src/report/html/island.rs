//! The report's data island: the findings of the table as rows of numbers into a string
//! table, and the engine's story of each of their resources, as JSON the page's script reads.

use super::script::escape_for_script;
use super::{HtmlLimits, HtmlMeta};
use crate::engine::{story, Evaluation};
use crate::findings::{Finding, Status, Subject};
use crate::history::diff::CHANGES;
use crate::history::record::{Change, FindingChange};
use crate::model::{Inventory, Scope};
use crate::rules::waiver::Waiver;
use crate::rules::{Rule, RuleSet, Severity};
use crate::snapshot::ScopeStatus;
use serde::Serialize;
use std::collections::{BTreeSet, HashMap};

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

/// A change as the island's small number: its place in `changes`, 0 for none to show.
fn change_code(c: Option<&FindingChange>) -> u32 {
    match c.map(|c| c.change) {
        None | Some(Change::Unchanged) => 0,
        Some(change) => CHANGES
            .iter()
            .position(|x| *x == change)
            .map_or(0, |i| i as u32 + 1),
    }
}

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

fn status_rank(s: Status) -> usize {
    STATUS_ORDER.iter().position(|x| *x == s).unwrap_or(0)
}

fn severity_rank(s: Severity) -> usize {
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

/// The page's data: the head (scopes, rules, waivers, the string table), the chosen findings
/// as rows of numbers, and the stories of their resources.
pub(super) fn data_island(
    inv: &Inventory,
    rules: &RuleSet,
    eval: &Evaluation,
    waivers: &[Waiver],
    meta: &HtmlMeta,
    limits: HtmlLimits,
    changes: Option<&[FindingChange]>,
) -> DataIsland {
    let findings = &eval.findings;
    let order = chosen(rules, findings, limits.max_findings);
    let (mut strings, mut types) = (Interner::new(), Interner::new());
    let table = Table {
        inv,
        rules,
        findings,
        changes,
    };
    let rows = rows(&table, &order, &mut strings, &mut types);
    let wanted = resources_of(findings, &order);
    let eligible = wanted.len();
    let (stories, story_count) = stories(inv, eval, wanted, limits);
    let head = Head {
        format: "backup-auditor-html-data/v1",
        meta,
        findings_total: findings.len(),
        findings_included: order.len(),
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
        changes: changes.map(|_| {
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
            total: findings.len(),
            included: order.len(),
            capped: order.len() < findings.len(),
            stories: story_count,
            stories_eligible: eligible,
        },
    }
}

/// Which findings the table holds: by status (FAIL first) and severity, up to `cap`, in two
/// passes so a million findings need no sort.
fn chosen(rules: &RuleSet, findings: &[Finding], cap: usize) -> Vec<u32> {
    let bucket = |f: &Finding| {
        status_rank(f.status) * SEVERITY_ORDER.len()
            + severity_rank(rules.rules[f.rule as usize].severity)
    };
    let mut sizes = vec![0usize; STATUS_ORDER.len() * SEVERITY_ORDER.len()];
    for f in findings {
        sizes[bucket(f)] += 1;
    }
    let mut room = cap;
    let take: Vec<usize> = sizes
        .iter()
        .map(|&n| {
            let t = n.min(room);
            room -= t;
            t
        })
        .collect();
    let mut chosen: Vec<Vec<u32>> = take.iter().map(|&t| Vec::with_capacity(t)).collect();
    for (i, f) in findings.iter().enumerate() {
        let b = bucket(f);
        if chosen[b].len() < take[b] {
            chosen[b].push(i as u32);
        }
    }
    chosen.into_iter().flatten().collect()
}

/// The rows, with every string interned: a resource's ARN appears once however many rules
/// judge it. Trailing empty cells are left out.
/// The findings a table is made of, and their changes since the baseline (if any).
struct Table<'a> {
    inv: &'a Inventory,
    rules: &'a RuleSet,
    findings: &'a [Finding],
    changes: Option<&'a [FindingChange]>,
}

fn rows<'a>(
    t: &Table<'a>,
    order: &[u32],
    strings: &mut Interner<'a>,
    types: &mut Interner<'a>,
) -> String {
    let mut rows = String::with_capacity(order.len() * 48);
    for (n, &i) in order.iter().enumerate() {
        let f = &t.findings[i as usize];
        let r = f.row(t.inv, t.rules);
        let mut cells = [
            f.rule,
            status_rank(f.status) as u32,
            f.subject.scope(),
            types.get(r.resource_type),
            strings.get(r.resource_arn),
            strings.get(r.resource_name),
            strings.get(r.reason),
            strings.get(r.plan),
            strings.get(r.selection),
            strings.get(r.backup_rule),
            strings.get(r.vault),
            strings.get(r.recovery_point),
            strings.get(r.through),
            f.waiver.map_or(0, |w| w + 1),
            change_code(t.changes.map(|c| &c[i as usize])),
        ]
        .to_vec();
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

/// The resources of the chosen findings, each once, in table order.
fn resources_of(findings: &[Finding], order: &[u32]) -> Vec<(u32, u32)> {
    let mut seen = BTreeSet::new();
    let mut wanted = Vec::new();
    for &i in order {
        if let Subject::Resource { scope, index } = findings[i as usize].subject {
            if seen.insert((scope, index)) {
                wanted.push((scope, index));
            }
        }
    }
    wanted
}

/// The engine's stories of `wanted`, as JSON objects joined by commas, within the limits;
/// and how many.
fn stories(
    inv: &Inventory,
    eval: &Evaluation,
    mut wanted: Vec<(u32, u32)>,
    limits: HtmlLimits,
) -> (String, usize) {
    wanted.truncate(limits.max_stories);
    let (mut stories, mut count) = (String::new(), 0);
    for story in story::tell_each(inv, eval, wanted) {
        let Ok(text) = serde_json::to_string(&story) else {
            continue;
        };
        if stories.len() + text.len() > limits.max_story_bytes {
            break;
        }
        if count > 0 {
            stories.push(',');
        }
        stories.push_str(&text);
        count += 1;
    }
    (stories, count)
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
