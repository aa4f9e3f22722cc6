//! A scan's findings as a diff walks them: one account-region after another, in
//! `(account_id, region)` order, so that two scans are compared an account-region at a time
//! and neither is ever held whole.

use super::FindingRef;
use crate::error::Result;
use std::ops::Range;

/// One side of a diff. The evaluation's findings, a history's Parquet part read a few row
/// groups at a time, or rows held in memory all walk this way.
pub trait Scopes {
    /// Findings in all (the changes of the current side are aligned with them).
    fn total(&self) -> usize;
    /// Moves to the next account-region (the first, on the first call); false after the last.
    fn advance(&mut self) -> Result<bool>;
    /// The account-region moved to: `(account_id, region)`.
    fn key(&self) -> (&str, &str);
    /// Its findings.
    fn len(&self) -> usize;
    fn is_empty(&self) -> bool {
        self.len() == 0
    }
    fn get(&self, i: usize) -> FindingRef<'_>;
    /// What its `i`th finding is matched by: `(rule_id, resource_arn)`.
    fn key_at(&self, i: usize) -> (&str, &str) {
        let f = self.get(i);
        (f.rule_id, f.resource_arn)
    }
    /// Where its `i`th finding is among all the side's findings.
    fn position(&self, i: usize) -> usize;
}

/// Findings held in memory, in any order: walked grouped by account-region.
pub struct RowScopes<'a> {
    rows: Vec<FindingRef<'a>>,
    /// Indexes into `rows`, sorted by account-region (stably).
    order: Vec<usize>,
    groups: Vec<Range<usize>>,
    at: Option<usize>,
}

impl<'a> RowScopes<'a> {
    pub fn new(rows: impl IntoIterator<Item = FindingRef<'a>>) -> Self {
        let rows: Vec<FindingRef<'a>> = rows.into_iter().collect();
        let mut order: Vec<usize> = (0..rows.len()).collect();
        order.sort_by_key(|&i| (rows[i].account_id, rows[i].region));
        let key = |n: usize| (rows[order[n]].account_id, rows[order[n]].region);
        let groups = runs(order.len(), |n| key(n) == key(n - 1));
        RowScopes {
            rows,
            order,
            groups,
            at: None,
        }
    }

    fn group(&self) -> Range<usize> {
        self.at.map_or(0..0, |g| self.groups[g].clone())
    }
}

impl Scopes for RowScopes<'_> {
    fn total(&self) -> usize {
        self.rows.len()
    }

    fn advance(&mut self) -> Result<bool> {
        let next = self.at.map_or(0, |g| g + 1);
        self.at = (next < self.groups.len()).then_some(next);
        Ok(self.at.is_some())
    }

    fn key(&self) -> (&str, &str) {
        let r = &self.rows[self.order[self.group().start]];
        (r.account_id, r.region)
    }

    fn len(&self) -> usize {
        self.group().len()
    }

    fn get(&self, i: usize) -> FindingRef<'_> {
        self.rows[self.position(i)]
    }

    fn position(&self, i: usize) -> usize {
        self.order[self.group().start + i]
    }
}

/// The runs of `len` rows in which each row is the same as the one before
/// (`same_as_previous(n)`, asked for every row `n` after the first): one account-region's rows
/// after another.
pub fn runs(len: usize, same_as_previous: impl Fn(usize) -> bool) -> Vec<Range<usize>> {
    let mut out: Vec<Range<usize>> = Vec::new();
    for n in 0..len {
        match out.last_mut() {
            Some(run) if same_as_previous(n) => run.end = n + 1,
            _ => out.push(n..n + 1),
        }
    }
    out
}

/// Walks `side` on, checking that account-regions come in order and once each: a side that
/// breaks it (a Parquet part not written by this tool) cannot be compared a scope at a time.
pub(super) fn step(side: &mut dyn Scopes, last: &mut Option<(String, String)>) -> Result<bool> {
    if !side.advance()? {
        return Ok(false);
    }
    let (account, region) = side.key();
    if let Some((a, r)) = last.as_ref() {
        if (a.as_str(), r.as_str()) >= (account, region) {
            return Err(crate::error::Error::Usage(format!(
                "findings are not grouped by account-region in order ({account} {region} comes \
                 after {a} {r}): they were not written by backup-auditor"
            )));
        }
    }
    *last = Some((account.to_owned(), region.to_owned()));
    Ok(true)
}
