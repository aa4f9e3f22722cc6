//! What report.html shows of the judged organisation, gathered as it is judged: the charts'
//! counts, the findings its table holds (at most [`HtmlLimits::max_findings`], what needs
//! attention first) and the stories of their resources. A streamed scan adds one batch of
//! account-regions at a time and drops it; a scan that holds everything adds it as one
//! batch. The page is the same either way (tests compare the two).

use super::charts::{AgeCounts, CoverageTally};
use super::island::{severity_rank, status_rank, SEVERITY_ORDER, STATUS_ORDER};
use super::views::PageCounts;
use super::HtmlLimits;
use crate::engine::{story, Judged};
use crate::findings::columns::row_cells;
use crate::findings::summary::CountRow;
use crate::findings::{Finding, Row, Subject};
use crate::history::diff::CHANGES;
use crate::history::record::{Change, FindingChange};
use crate::model::not_judged::arn_key;
use crate::model::Inventory;
use crate::rules::RuleSet;
use crate::snapshot::names::arn_place;
use std::collections::{HashMap, HashSet};
use std::ops::Range;

/// A resource as the table knows it: (scope, resource) indices.
type Home = (u32, u32);

/// What report.html needs beyond the summary, gathered batch by batch.
pub struct Gathered {
    pub(super) limits: HtmlLimits,
    pub(super) coverage: CoverageTally,
    pub(super) age: AgeCounts,
    pub(super) findings: usize,
    pub(super) resources: usize,
    /// summary.csv's rows as the page reads them.
    pub(super) counts: PageCounts,
    /// Findings of every batch per table bucket (status, then severity).
    sizes: Vec<usize>,
    /// Per bucket, its first findings, as many as the table may still hold.
    kept: Vec<Vec<KeptRow>>,
    /// The stories told of resources that may still be among the table's first
    /// `max_stories`; `None` where the story is told from the ARN's first home instead.
    told: HashMap<Home, Option<String>>,
    /// Keys of earlier batches' ARNs that name no account-region (an S3 bucket may be listed
    /// in several): their stories are told from the first account-region listing them.
    placeless: HashSet<u128>,
}

impl Gathered {
    pub fn new(limits: HtmlLimits) -> Gathered {
        let buckets = STATUS_ORDER.len() * SEVERITY_ORDER.len();
        Gathered {
            limits,
            coverage: CoverageTally::default(),
            age: AgeCounts::default(),
            findings: 0,
            resources: 0,
            counts: PageCounts::default(),
            sizes: vec![0; buckets],
            kept: (0..buckets).map(|_| Vec::new()).collect(),
            told: HashMap::new(),
            placeless: HashSet::new(),
        }
    }

    /// The limits it gathers within.
    pub fn limits(&self) -> HtmlLimits {
        self.limits
    }

    /// Adds summary.csv's rows of the batches added (each batch's, or every batch's at once).
    pub fn add_counts(&mut self, rows: &[CountRow]) {
        self.counts.add(rows);
    }

    /// Adds `b`, judged in `inv` (which holds its account-regions whole) by `rules`; with a
    /// baseline, `changes` are its findings' changes since.
    pub fn add(
        &mut self,
        (inv, rules): (&Inventory, &RuleSet),
        b: &Judged,
        changes: Option<&[FindingChange]>,
    ) {
        let scopes = &inv.scopes[b.scopes()];
        self.coverage.add(inv, b);
        self.age.add(inv, b);
        self.findings += b.findings.len();
        self.resources += scopes.iter().map(|s| s.resources.len()).sum::<usize>();
        self.keep(inv, rules, b.findings, changes);
        self.tell(inv, b);
        for r in scopes.iter().flat_map(|s| &s.resources) {
            if arn_place(&r.arn).is_none() {
                self.placeless.insert(arn_key(&r.arn));
            }
        }
    }

    /// Keeps the findings the table may hold: by bucket, the first of each as long as the
    /// buckets before it leave room. Those buckets only grow, so what is dropped never
    /// comes back.
    fn keep(
        &mut self,
        inv: &Inventory,
        rules: &RuleSet,
        findings: &[Finding],
        changes: Option<&[FindingChange]>,
    ) {
        let bucket = |f: &Finding| {
            status_rank(f.status) * SEVERITY_ORDER.len()
                + severity_rank(rules.rules[f.rule as usize].severity)
        };
        for f in findings {
            self.sizes[bucket(f)] += 1;
        }
        let room = self.room();
        for (i, f) in findings.iter().enumerate() {
            let b = bucket(f);
            if self.kept[b].len() < room[b] {
                let change = change_code(changes.map(|c| &c[i]));
                self.kept[b].push(KeptRow::of(f, &f.row(inv, rules), change));
            }
        }
        for (kept, room) in self.kept.iter_mut().zip(room) {
            kept.truncate(room);
        }
    }

    /// How many findings of each bucket the table can hold, given the findings so far of the
    /// buckets before it.
    fn room(&self) -> Vec<usize> {
        let cap = self.limits.max_findings;
        let mut before = 0usize;
        (self.sizes.iter())
            .map(|&n| {
                let room = cap.saturating_sub(before);
                before = before.saturating_add(n);
                room
            })
            .collect()
    }

    /// The table's rows, in its order.
    pub(super) fn rows(&self) -> impl Iterator<Item = &KeptRow> {
        self.kept.iter().flatten()
    }

    /// The resources of the table's rows, each once, in table order.
    pub(super) fn resources_shown(&self) -> Vec<Home> {
        let mut seen = HashSet::new();
        (self.rows().filter_map(|r| r.resource))
            .filter(|h| seen.insert(*h))
            .collect()
    }

    /// Tells the stories of `b`'s resources now among the table's first `max_stories`, and
    /// forgets those no longer among them: a resource only moves down the table (rows come
    /// after it or are dropped from its end), so one told later would never be shown.
    fn tell(&mut self, inv: &Inventory, b: &Judged) {
        let mut wanted = self.resources_shown();
        wanted.truncate(self.limits.max_stories);
        let keep: HashSet<Home> = wanted.iter().copied().collect();
        self.told.retain(|h, _| keep.contains(h));
        let here: Vec<Home> = (wanted.into_iter())
            .filter(|(s, _)| b.scopes().contains(&(*s as usize)))
            .filter(|h| !self.told.contains_key(h))
            .collect();
        if here.is_empty() {
            return;
        }
        let arn = |(s, r): Home| inv.scopes[s as usize].resources[r as usize].arn.as_str();
        let homes = first_homes(inv, b.scopes(), here.iter().map(|&h| arn(h)).collect());
        for h in here {
            let (si, ri) = (h.0 as usize, h.1 as usize);
            let first = homes.get(arn(h)) == Some(&h)
                && !(arn_place(arn(h)).is_none() && self.placeless.contains(&arn_key(arn(h))));
            let text = (b.story_of(si, ri).filter(|_| first)).and_then(|judged| {
                serde_json::to_string(&story::tell_judged(inv, si, ri, judged)).ok()
            });
            self.told.insert(h, text);
        }
    }

    /// The stories the page embeds, joined by commas, within the limits; how many; and how
    /// many resources the table shows.
    pub(super) fn stories(&self) -> (String, usize, usize) {
        let shown = self.resources_shown();
        let (mut stories, mut count) = (String::new(), 0);
        for h in shown.iter().take(self.limits.max_stories) {
            let Some(Some(text)) = self.told.get(h) else {
                continue;
            };
            if stories.len() + text.len() > self.limits.max_story_bytes {
                break;
            }
            if count > 0 {
                stories.push(',');
            }
            stories.push_str(text);
            count += 1;
        }
        (stories, count, shown.len())
    }
}

/// Where each of `arns` is first found among `scopes`, in scope then resource order (as
/// `explain ARN` finds it).
fn first_homes<'a>(
    inv: &'a Inventory,
    scopes: Range<usize>,
    arns: HashSet<&str>,
) -> HashMap<&'a str, Home> {
    let mut homes = HashMap::with_capacity(arns.len());
    for si in scopes {
        for (ri, r) in inv.scopes[si].resources.iter().enumerate() {
            if arns.contains(r.arn.as_str()) {
                homes
                    .entry(r.arn.as_str())
                    .or_insert((si as u32, ri as u32));
            }
        }
    }
    homes
}

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

/// A finding the table may hold, with its own copy of its text cells (its account-region
/// may be dropped before the page is written).
pub(super) struct KeptRow {
    pub rule: u32,
    pub status: u32,
    pub scope: u32,
    pub resource: Option<Home>,
    /// The waiver's index plus one; 0 for none.
    pub waiver: u32,
    pub change: u32,
    /// The text cells one after the other, each ending where `ends` says.
    text: String,
    ends: [u32; TEXT_CELLS],
}

/// Type, ARN, name, reason, plan, selection, backup rule, vault, recovery point, through.
const TEXT_CELLS: usize = 10;

impl KeptRow {
    fn of(f: &Finding, r: &Row, change: u32) -> KeptRow {
        // The subject's and the evidence's cells: those after the region.
        let all = row_cells(r);
        let cells = &all[all.len() - TEXT_CELLS..];
        let mut text = String::with_capacity(cells.iter().map(|c| c.len()).sum());
        let mut ends = [0; TEXT_CELLS];
        for (end, c) in ends.iter_mut().zip(cells) {
            text.push_str(c);
            *end = text.len() as u32;
        }
        KeptRow {
            rule: f.rule,
            status: status_rank(f.status) as u32,
            scope: f.subject.scope(),
            resource: match f.subject {
                Subject::Resource { scope, index } => Some((scope, index)),
                _ => None,
            },
            waiver: f.waiver.map_or(0, |w| w + 1),
            change,
            text,
            ends,
        }
    }

    /// Text cell `i` (in the order of [`TEXT_CELLS`]).
    pub fn cell(&self, i: usize) -> &str {
        let start = if i == 0 { 0 } else { self.ends[i - 1] as usize };
        &self.text[start..self.ends[i] as usize]
    }
}
