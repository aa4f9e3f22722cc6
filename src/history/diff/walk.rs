//! The walk of a diff: both scans an account-region at a time, in order, each finding matched
//! by rule and ARN within its account-region.

use super::scopes::{self, RowScopes, Scopes};
use super::{change_of, complete_scopes, Builder, Diff, FindingRef, Kind};
use crate::error::Result;
use crate::history::record::{Change, FindingChange, ScanRecord};
use polars_core::prelude::PlHashMap;
use std::cmp::Ordering;
use std::collections::HashSet;
use std::sync::Arc;

/// Compares the current scan (`current`, its findings `now`) with a baseline scan (`past`),
/// one account-region at a time: within one, findings are matched by rule and ARN; an
/// account-region only one side has is all gone, or all there for the first time.
pub fn diff(
    baseline: &ScanRecord,
    past: &mut dyn Scopes,
    current: &ScanRecord,
    now: &mut dyn Scopes,
) -> Result<Diff> {
    let mut walk = Walk {
        base_complete: complete_scopes(&baseline.scopes),
        now_complete: complete_scopes(&current.scopes),
        since: Streaks::new(&baseline.as_of, &current.as_of),
        out: Builder::new(current, now.total()),
    };
    let (mut last_past, mut last_now) = (None, None);
    let mut more_past = scopes::step(past, &mut last_past)?;
    let mut more_now = scopes::step(now, &mut last_now)?;
    while more_past || more_now {
        let order = match (more_past, more_now) {
            (true, true) => past.key().cmp(&now.key()),
            (true, false) => Ordering::Less,
            _ => Ordering::Greater,
        };
        match order {
            Ordering::Less => {
                walk.scope(Some(&*past), None);
                more_past = scopes::step(past, &mut last_past)?;
            }
            Ordering::Greater => {
                walk.scope(None, Some(&*now));
                more_now = scopes::step(now, &mut last_now)?;
            }
            Ordering::Equal => {
                walk.scope(Some(&*past), Some(&*now));
                more_past = scopes::step(past, &mut last_past)?;
                more_now = scopes::step(now, &mut last_now)?;
            }
        }
    }
    Ok(walk.out.finish(baseline, current))
}

/// [`diff`] of findings held in memory, in any order.
pub fn diff_rows<'p, 'n>(
    baseline: &ScanRecord,
    past: impl IntoIterator<Item = FindingRef<'p>>,
    current: &ScanRecord,
    now: impl IntoIterator<Item = FindingRef<'n>>,
) -> Diff {
    let (mut past, mut now) = (RowScopes::new(past), RowScopes::new(now));
    // Rows in memory are grouped and sorted here: walking them cannot fail.
    diff(baseline, &mut past, current, &mut now).expect("rows in memory walk in order")
}

/// The comparison under way.
struct Walk<'a> {
    base_complete: HashSet<(&'a str, &'a str)>,
    now_complete: HashSet<(&'a str, &'a str)>,
    since: Streaks,
    out: Builder<'a>,
}

impl Walk<'_> {
    /// One account-region, as each side has it (`None`: that side has no finding in it).
    fn scope(&mut self, past: Option<&dyn Scopes>, now: Option<&dyn Scopes>) {
        let key = match (past, now) {
            (_, Some(s)) | (Some(s), None) => s.key(),
            (None, None) => return,
        };
        let read_before = self.base_complete.contains(&key);
        let read_now = self.now_complete.contains(&key);
        let past_len = past.map_or(0, |p| p.len());
        // Built only if a finding is not where it was: two scans of an account-region that did
        // not change list its findings in one order, and are matched by position.
        let mut index: Option<PlHashMap<(&str, &str), usize>> = None;
        let mut matched = vec![false; past_len];
        if let Some(now) = now {
            for i in 0..now.len() {
                let c = now.get(i);
                let was = past.and_then(|p| {
                    let key = (c.rule_id, c.resource_arn);
                    let j = if i < past_len && p.key_at(i) == key {
                        i
                    } else {
                        *index.get_or_insert_with(|| index_of(p)).get(&key)?
                    };
                    matched[j] = true;
                    Some(p.get(j))
                });
                let change = change_of(was.as_ref(), &c, read_before);
                let failing_since = if Kind::of(c.status) != Kind::Failing {
                    None
                } else if change == Change::StillFailing {
                    Some(self.since.kept(was.and_then(|p| p.failing_since)))
                } else {
                    Some(self.since.now())
                };
                let fc = FindingChange {
                    change,
                    failing_since,
                };
                self.out.current(now.position(i), &c, was.as_ref(), fc);
            }
        }
        let Some(p) = past else { return };
        for (i, _) in matched.iter().enumerate().filter(|(_, m)| !**m) {
            let f = p.get(i);
            if Kind::of(f.status) == Kind::Failing {
                let change = if read_now {
                    Change::Resolved
                } else {
                    Change::Unknown
                };
                self.out.gone(&f, change);
            }
        }
    }
}

/// Where each finding of an account-region is, by rule and ARN (the first, if twice).
fn index_of(past: &dyn Scopes) -> PlHashMap<(&str, &str), usize> {
    let mut index = PlHashMap::default();
    index.reserve(past.len());
    for i in 0..past.len() {
        index.entry(past.key_at(i)).or_insert(i);
    }
    index
}

/// The times streaks start at, shared: millions of still-failing findings name a handful.
struct Streaks {
    baseline: Arc<String>,
    now: Arc<String>,
    seen: PlHashMap<String, Arc<String>>,
}

impl Streaks {
    fn new(baseline_as_of: &str, now_as_of: &str) -> Self {
        Streaks {
            baseline: Arc::new(baseline_as_of.to_owned()),
            now: Arc::new(now_as_of.to_owned()),
            seen: PlHashMap::default(),
        }
    }

    fn now(&self) -> Arc<String> {
        self.now.clone()
    }

    /// A streak that goes on: since the baseline's own `failing_since`, or since the baseline.
    fn kept(&mut self, since: Option<&str>) -> Arc<String> {
        let Some(t) = since else {
            return self.baseline.clone();
        };
        if let Some(k) = self.seen.get(t) {
            return k.clone();
        }
        let k = Arc::new(t.to_owned());
        self.seen.insert(t.to_owned(), k.clone());
        k
    }
}
