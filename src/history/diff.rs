//! What changed since the baseline: each current finding's change, the failures that went
//! away, the rules and waivers that changed, and the longest-standing failures. Pure: the
//! scan and the history hand it records and findings; it reads nothing and decides no exit
//! code (`exit` does, from the changes).
//!
//! A finding is compared only where both scans could say something about it. Present in both
//! with a verdict: the verdicts are compared (the engine never gives a verdict on data it
//! could not read, so a PASS or FAIL is trustworthy in a partial account-region too). Absent
//! on one side: it is gone (or new) only if that side's account-region was read completely;
//! otherwise what happened is `unknown`, never `new` nor `resolved`.
//!
//! A scan's time, for streaks and ages, is the time it judged as of (`as_of`: the snapshot's
//! collection time unless `--as-of` said otherwise), not when it ran: a failure is seen in the
//! data of that moment, and two scans of one snapshot stay identical.

mod scopes;
mod walk;

pub use scopes::{runs, RowScopes, Scopes};
pub use walk::{diff, diff_rows};

use super::record::{Change, FindingChange, PastFinding, ScanRecord, ScopeRecord};
use crate::rules::Severity;
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

/// Every change, in the order summaries list them.
pub const CHANGES: [Change; 9] = [
    Change::New,
    Change::Regressed,
    Change::Resolved,
    Change::Undecidable,
    Change::Unknown,
    Change::UnassessedNow,
    Change::AssessedAgain,
    Change::StillFailing,
    Change::Unchanged,
];

/// The check whose PASS means "protected": a FAIL of it where the baseline passed is a
/// regression, not just a new failure.
const PROTECTED_CHECK: &str = "protected";

/// Longest-standing failures a diff lists.
pub const LONGEST: usize = 10;

/// A finding as the diff reads it, on either side (borrowed from the evaluation's rows, a
/// Parquet part's columns, or rows in memory).
#[derive(Debug, Clone, Copy, Default)]
pub struct FindingRef<'a> {
    pub rule_id: &'a str,
    pub account_id: &'a str,
    pub region: &'a str,
    pub resource_arn: &'a str,
    pub resource_type: &'a str,
    pub check: &'a str,
    pub severity: &'a str,
    pub status: &'a str,
    pub reason: &'a str,
    /// A past finding's streak (the current side's is what the diff decides).
    pub failing_since: Option<&'a str>,
}

impl<'a> From<&'a PastFinding> for FindingRef<'a> {
    fn from(f: &'a PastFinding) -> Self {
        FindingRef {
            rule_id: &f.rule_id,
            account_id: &f.account_id,
            region: &f.region,
            resource_arn: &f.resource_arn,
            resource_type: &f.resource_type,
            check: &f.check,
            severity: &f.severity,
            status: &f.status,
            reason: &f.reason,
            failing_since: f.failing_since.as_deref(),
        }
    }
}

/// Which scan, for people.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ScanRef {
    pub scan_id: String,
    pub scan_time: String,
    /// The time it judged as of: what streaks and ages count from.
    pub as_of: String,
    pub snapshot: String,
}

impl ScanRef {
    fn of(r: &ScanRecord) -> ScanRef {
        ScanRef {
            scan_id: r.scan_id.clone(),
            scan_time: r.scan_time.clone(),
            as_of: r.as_of.clone(),
            snapshot: r.snapshot.clone(),
        }
    }
}

/// One finding a diff names: what it is now (or was, when it is gone) and what it was.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Listed {
    pub change: Change,
    pub rule_id: String,
    pub severity: String,
    /// Its status in this scan (empty when it is gone).
    pub status: String,
    /// Its status in the baseline (empty when it was not there).
    pub was: String,
    pub account_id: String,
    pub region: String,
    pub resource_type: String,
    pub resource_arn: String,
    pub reason: String,
    pub failing_since: Option<String>,
    /// Whole days from `failing_since` to this scan.
    pub age_days: Option<i64>,
}

/// Rules that differ between the two scans, by id (from the records' rule digests).
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct RuleChanges {
    pub added: Vec<String>,
    pub removed: Vec<String>,
    pub changed: Vec<String>,
}

/// What changed between a baseline and the current scan.
#[derive(Debug, Clone, Serialize)]
pub struct Diff {
    pub baseline: ScanRef,
    pub current: ScanRef,
    /// One per current finding, aligned with them by index.
    #[serde(skip)]
    pub changes: Vec<FindingChange>,
    /// Findings per change (every change named, zero included); `resolved` and `unknown`
    /// count the baseline's failures that are gone too.
    pub counts: BTreeMap<&'static str, usize>,
    /// `new` and `regressed` findings, most severe first.
    pub new: Vec<Listed>,
    /// The baseline's failures that no longer fail, or are gone from an account-region read
    /// completely.
    pub resolved: Vec<Listed>,
    /// Failures (now or in the baseline) whose change cannot be told: their account-region
    /// was not read completely in one of the scans.
    pub unknown: Vec<Listed>,
    /// Findings a planned change leaves undecidable until it is applied, most severe first.
    pub undecidable: Vec<Listed>,
    /// Failures in the baseline that could not be assessed now.
    pub unassessed_now: Vec<Listed>,
    /// Findings assessed now that could not be in the baseline, failing ones.
    pub assessed_again: Vec<Listed>,
    /// Unwaived failures still failing, oldest streak first, at most [`LONGEST`].
    pub longest: Vec<Listed>,
    pub still_failing: usize,
    pub rules: RuleChanges,
    pub waivers_changed: bool,
}

/// The account-regions a scan read completely: `complete`, and nothing it could not read
/// (a `complete` scope may still miss a resource type's listing, which its reason names).
fn complete_scopes(scopes: &[ScopeRecord]) -> HashSet<(&str, &str)> {
    scopes
        .iter()
        .filter(|s| s.status == "complete" && s.reason.is_empty())
        .map(|s| (s.account_id.as_str(), s.region.as_str()))
        .collect()
}

/// What a status says for a diff. WAIVED fails (it keeps its streak; the gate does not count
/// it); a status the tool does not know is read as "could not be assessed".
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Failing,
    Fine,
    NotAssessed,
    Undecidable,
}

impl Kind {
    fn of(status: &str) -> Kind {
        match status {
            "FAIL" | "WAIVED" => Kind::Failing,
            "PASS" | "NOT_APPLICABLE" => Kind::Fine,
            "UNDECIDABLE" => Kind::Undecidable,
            _ => Kind::NotAssessed,
        }
    }
}

/// The change of one current finding, given its baseline finding (if any) and whether the
/// baseline read its account-region completely.
fn change_of(was: Option<&FindingRef>, now: &FindingRef, read_before: bool) -> Change {
    use Kind::*;
    let before = was.map(|p| Kind::of(p.status));
    match (Kind::of(now.status), before) {
        (Undecidable, _) => Change::Undecidable,
        (NotAssessed, None) => Change::Unknown,
        (NotAssessed, Some(NotAssessed)) => Change::Unchanged,
        (NotAssessed, Some(_)) => Change::UnassessedNow,
        (_, Some(NotAssessed | Undecidable)) => Change::AssessedAgain,
        (Failing, Some(Failing)) => Change::StillFailing,
        (Failing, Some(Fine)) => {
            let was_pass = was.is_some_and(|p| p.status == "PASS");
            if now.check == PROTECTED_CHECK && was_pass {
                Change::Regressed
            } else {
                Change::New
            }
        }
        (Failing, None) if read_before => Change::New,
        (Fine, Some(Failing)) => Change::Resolved,
        (Fine, Some(Fine)) => Change::Unchanged,
        (Fine, None) if read_before => Change::Unchanged,
        (_, None) => Change::Unknown,
    }
}

fn severity_rank(s: &str) -> i32 {
    Severity::parse(s).map_or(-1, |s| s as i32)
}

/// Whole days between two RFC 3339 times, if both parse.
fn days_between(from: &str, to: &str) -> Option<i64> {
    let parse = |t: &str| chrono::DateTime::parse_from_rfc3339(t).ok();
    Some((parse(to)? - parse(from)?).num_days())
}

/// Gathers a diff finding by finding.
struct Builder<'a> {
    as_of: &'a str,
    changes: Vec<FindingChange>,
    /// Findings per change, by `Change as usize`.
    counts: [usize; CHANGES.len()],
    lists: HashMap<Change, Vec<Listed>>,
    /// Candidates for the longest-standing unwaived failures, cut now and then to the
    /// [`LONGEST`] first; `cut` is the key of the last one kept then (a finding after it is
    /// not even copied: a million still-failing findings cost no million copies).
    still: Vec<Listed>,
    cut: Option<(Option<String>, i32, String, String)>,
    still_failing: usize,
}

/// The order of the longest-standing failures: oldest streak first (RFC 3339 times in UTC
/// with seconds sort as text), then the most severe, then by ARN and rule.
fn longest_key<'k>(
    since: Option<&'k str>,
    severity: &str,
    arn: &'k str,
    rule: &'k str,
) -> (Option<&'k str>, i32, &'k str, &'k str) {
    (since, -severity_rank(severity), arn, rule)
}

fn longest_key_of(l: &Listed) -> (Option<&str>, i32, &str, &str) {
    longest_key(
        l.failing_since.as_deref(),
        &l.severity,
        &l.resource_arn,
        &l.rule_id,
    )
}

impl<'a> Builder<'a> {
    /// For a current scan of `total` findings.
    fn new(current: &'a ScanRecord, total: usize) -> Self {
        let unset = FindingChange {
            change: Change::Unknown,
            failing_since: None,
        };
        Builder {
            as_of: &current.as_of,
            changes: vec![unset; total],
            counts: [0; CHANGES.len()],
            lists: HashMap::new(),
            still: Vec::new(),
            cut: None,
            still_failing: 0,
        }
    }

    /// The current finding at `position`.
    fn current(
        &mut self,
        position: usize,
        c: &FindingRef,
        was: Option<&FindingRef>,
        fc: FindingChange,
    ) {
        self.counts[fc.change as usize] += 1;
        let failing = Kind::of(c.status) == Kind::Failing
            || was.is_some_and(|p| Kind::of(p.status) == Kind::Failing);
        let listed = || Listed {
            change: fc.change,
            rule_id: c.rule_id.to_owned(),
            severity: c.severity.to_owned(),
            status: c.status.to_owned(),
            was: was.map(|p| p.status.to_owned()).unwrap_or_default(),
            account_id: c.account_id.to_owned(),
            region: c.region.to_owned(),
            resource_type: c.resource_type.to_owned(),
            resource_arn: c.resource_arn.to_owned(),
            reason: c.reason.to_owned(),
            age_days: fc.since().and_then(|t| days_between(t, self.as_of)),
            failing_since: fc.since().map(str::to_owned),
        };
        match fc.change {
            Change::StillFailing if c.status == "FAIL" => {
                self.still_failing += 1;
                let key = longest_key(fc.since(), c.severity, c.resource_arn, c.rule_id);
                let after_cut = self
                    .cut
                    .as_ref()
                    .is_some_and(|k| key >= (k.0.as_deref(), k.1, k.2.as_str(), k.3.as_str()));
                if !after_cut {
                    self.still.push(listed());
                    if self.still.len() >= 4 * LONGEST {
                        self.trim_still();
                    }
                }
            }
            Change::StillFailing | Change::Unchanged => {}
            Change::New | Change::Regressed | Change::Resolved | Change::Undecidable => {
                self.list(listed())
            }
            _ if failing => self.list(listed()),
            _ => {}
        }
        self.changes[position] = fc;
    }

    /// Keeps the [`LONGEST`] first candidates, and remembers where they end.
    fn trim_still(&mut self) {
        self.still
            .sort_by(|a, b| longest_key_of(a).cmp(&longest_key_of(b)));
        self.still.truncate(LONGEST);
        self.cut = self.still.last().map(|l| {
            let (since, rank, arn, rule) = longest_key_of(l);
            (
                since.map(str::to_owned),
                rank,
                arn.to_owned(),
                rule.to_owned(),
            )
        });
    }

    fn gone(&mut self, p: &FindingRef, change: Change) {
        self.counts[change as usize] += 1;
        self.list(Listed {
            change,
            rule_id: p.rule_id.to_owned(),
            severity: p.severity.to_owned(),
            status: String::new(),
            was: p.status.to_owned(),
            account_id: p.account_id.to_owned(),
            region: p.region.to_owned(),
            resource_type: p.resource_type.to_owned(),
            resource_arn: p.resource_arn.to_owned(),
            reason: p.reason.to_owned(),
            failing_since: None,
            age_days: None,
        });
    }

    fn list(&mut self, l: Listed) {
        // `regressed` is listed with `new`: both are failures this scan introduced.
        let at = if l.change == Change::Regressed {
            Change::New
        } else {
            l.change
        };
        self.lists.entry(at).or_default().push(l);
    }

    fn finish(mut self, baseline: &ScanRecord, current: &ScanRecord) -> Diff {
        let mut take = |c: Change| {
            let mut v = self.lists.remove(&c).unwrap_or_default();
            v.sort_by(|a, b| {
                (severity_rank(&b.severity).cmp(&severity_rank(&a.severity)))
                    .then_with(|| a.account_id.cmp(&b.account_id))
                    .then_with(|| a.region.cmp(&b.region))
                    .then_with(|| a.resource_arn.cmp(&b.resource_arn))
                    .then_with(|| a.rule_id.cmp(&b.rule_id))
            });
            v
        };
        let (new, resolved, unknown, undecidable) = (
            take(Change::New),
            take(Change::Resolved),
            take(Change::Unknown),
            take(Change::Undecidable),
        );
        let (unassessed_now, assessed_again) =
            (take(Change::UnassessedNow), take(Change::AssessedAgain));
        self.trim_still();
        let longest = std::mem::take(&mut self.still);
        Diff {
            baseline: ScanRef::of(baseline),
            current: ScanRef::of(current),
            changes: self.changes,
            counts: CHANGES
                .iter()
                .map(|&c| (c.as_str(), self.counts[c as usize]))
                .collect(),
            new,
            resolved,
            unknown,
            undecidable,
            unassessed_now,
            assessed_again,
            longest,
            still_failing: self.still_failing,
            rules: rule_changes(&baseline.rule_digests, &current.rule_digests),
            waivers_changed: baseline.waivers_digest != current.waivers_digest,
        }
    }
}

fn rule_changes(before: &BTreeMap<String, String>, now: &BTreeMap<String, String>) -> RuleChanges {
    let ids: BTreeSet<&String> = before.keys().chain(now.keys()).collect();
    let mut r = RuleChanges::default();
    for id in ids {
        match (before.get(id), now.get(id)) {
            (None, Some(_)) => r.added.push(id.clone()),
            (Some(_), None) => r.removed.push(id.clone()),
            (Some(a), Some(b)) if a != b => r.changed.push(id.clone()),
            _ => {}
        }
    }
    r
}

/// Why there is no baseline to compare with.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "why", rename_all = "kebab-case")]
pub enum NoBaseline {
    /// Neither `--baseline` nor a history was given.
    NotGiven,
    /// The history holds no earlier scan.
    EmptyHistory,
    /// `--baseline SCAN_ID` names no scan of the history.
    NoSuchScan { requested: String },
    /// Every earlier scan covered other account-regions; the latest of them, and how many
    /// account-regions only it or only this scan covers.
    OtherScopes {
        latest: String,
        only_then: usize,
        only_now: usize,
    },
}

impl std::fmt::Display for NoBaseline {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            NoBaseline::NotGiven => write!(f, "no --baseline was given"),
            NoBaseline::EmptyHistory => write!(f, "the history holds no earlier scan"),
            NoBaseline::NoSuchScan { requested } => {
                write!(f, "the history holds no scan {requested:?}")
            }
            NoBaseline::OtherScopes {
                latest,
                only_then,
                only_now,
            } => write!(
                f,
                "no earlier scan covered the same account-regions (the latest, {latest}, \
                 covered {only_then} this scan does not, and missed {only_now} it covers)"
            ),
        }
    }
}

/// The scan to compare with: `requested` by id, or else the latest of `scans` (the history
/// before this scan is added) that covered the same set of account-regions, whatever their
/// status then.
pub fn choose_baseline<'a>(
    scans: &'a [ScanRecord],
    current_scopes: &[ScopeRecord],
    requested: Option<&str>,
) -> Result<&'a ScanRecord, NoBaseline> {
    if let Some(id) = requested {
        return scans
            .iter()
            .find(|s| s.scan_id == id)
            .ok_or_else(|| NoBaseline::NoSuchScan {
                requested: id.to_owned(),
            });
    }
    let set = |scopes: &'a [ScopeRecord]| -> BTreeSet<(&'a str, &'a str)> {
        scopes
            .iter()
            .map(|s| (s.account_id.as_str(), s.region.as_str()))
            .collect()
    };
    let now: BTreeSet<(&str, &str)> = current_scopes
        .iter()
        .map(|s| (s.account_id.as_str(), s.region.as_str()))
        .collect();
    let latest = scans
        .iter()
        .max_by(|a, b| a.scan_id.cmp(&b.scan_id))
        .ok_or(NoBaseline::EmptyHistory)?;
    scans
        .iter()
        .filter(|s| set(&s.scopes) == now)
        .max_by(|a, b| a.scan_id.cmp(&b.scan_id))
        .ok_or_else(|| {
            let then = set(&latest.scopes);
            NoBaseline::OtherScopes {
                latest: latest.scan_id.clone(),
                only_then: then.difference(&now).count(),
                only_now: now.difference(&then).count(),
            }
        })
}

#[cfg(test)]
mod tests;
