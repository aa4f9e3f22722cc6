//! Waivers: accepted exceptions, each with a reason, an owner and an expiry. A waived FAIL
//! is reported as WAIVED with the waiver's reason; expired and unused waivers are warnings.
//! A waiver names what it accepts: one that fixes no account and no resource is refused
//! unless it is marked broad and cites a ticket (see [`breadth`]).

pub mod breadth;
mod index;

pub use index::WaiverIndex;

use super::yaml::{self, Ctx};
use super::RuleSet;
use crate::error::{Diagnostic, Error, Location, Result};
use crate::model::selection::glob_match;
use crate::snapshot::time::{parse_timestamp, Timestamp};
use chrono::{NaiveDate, TimeZone, Utc};
use serde::Serialize;
use std::path::Path;

#[derive(Debug, Clone, Serialize)]
pub struct Waiver {
    /// A rule id, or a pattern with `*`.
    pub rule: String,
    /// A resource ARN (or vault / recovery point ARN), or a pattern with `*`.
    pub resource: String,
    pub reason: String,
    pub owner: Option<String>,
    /// The waiver stops applying at this instant (a bare date means its start, UTC).
    pub expires: Option<Timestamp>,
    /// Accepted although its resource pattern fixes no account and no resource identifier
    /// (`broad: true`, with a ticket in `reason`).
    pub broad: bool,
    /// `path:line` of the waiver, for the warnings.
    pub source: String,
    /// Where the waiver starts, for errors about it.
    #[serde(skip)]
    pub at: Location,
}

impl Waiver {
    pub fn matches(&self, rule_id: &str, subject_arn: &str) -> bool {
        glob_match(&self.rule, rule_id) && glob_match(&self.resource, subject_arn)
    }

    pub fn is_expired(&self, now: Timestamp) -> bool {
        self.expires.is_some_and(|e| e <= now)
    }
}

/// `--max-waiver-matches`: every waiver that waived more than `max` findings (`hits[i]` for
/// waiver `i`), as an error at the waiver.
pub fn check_matches(waivers: &[Waiver], hits: &[usize], max: usize) -> Result<()> {
    let diags: Vec<Diagnostic> = waivers
        .iter()
        .zip(hits)
        .filter(|(_, n)| **n > max)
        .map(|(w, n)| {
            Diagnostic::at(
                w.at.clone(),
                format!(
                    "this waiver of rule {:?} for {:?} waived {n} findings, more than \
                     --max-waiver-matches {max}: name fewer resources, or raise the limit",
                    w.rule, w.resource
                ),
            )
        })
        .collect();
    if diags.is_empty() {
        Ok(())
    } else {
        Err(Error::Invalid(diags))
    }
}

pub fn load(path: &Path, rules: &RuleSet) -> Result<Vec<Waiver>> {
    let text = crate::input::read_text(path).map_err(|d| Error::Invalid(vec![d]))?;
    parse(path, &text, rules)
}

pub fn parse(path: &Path, text: &str, rules: &RuleSet) -> Result<Vec<Waiver>> {
    let mut ctx = Ctx::new(path);
    let root = yaml::parse(path, text).map_err(|d| Error::Invalid(vec![d]))?;
    let mut out = Vec::new();
    if let Some(mut top) = ctx.mapping(&root, "a waiver file") {
        let list = top.required(&mut ctx, "waivers", "a waiver file");
        top.finish(&mut ctx, "a waiver file");
        if let Some(list) = list.and_then(|n| ctx.sequence(n, "`waivers`")) {
            for node in list {
                if let Some(w) = parse_one(&mut ctx, node, rules) {
                    out.push(w);
                }
            }
        }
    }
    if ctx.diags.is_empty() {
        Ok(out)
    } else {
        Err(Error::Invalid(ctx.diags))
    }
}

fn parse_one(ctx: &mut Ctx, node: &marked_yaml::Node, rules: &RuleSet) -> Option<Waiver> {
    let mut f = ctx.mapping(node, "a waiver")?;
    // The waiver's first key, where a reader sees it start.
    let start = node
        .as_mapping()
        .and_then(|m| m.iter().next())
        .map_or(f.span().start(), |(k, _)| k.span().start());
    let at = Location {
        path: ctx.path.clone(),
        line: start.map_or(0, |m| m.line()),
        column: start.map_or(0, |m| m.column()),
    };
    let rule_node = f.required(ctx, "rule", "a waiver");
    let rule = rule_node.and_then(|n| ctx.string(n, "`rule`"));
    if let (Some(r), Some(n)) = (&rule, rule_node) {
        if !rules.rules.iter().any(|x| glob_match(r, &x.id)) {
            ctx.error(
                n.span(),
                format!("waiver names rule {r:?}, which no loaded rule matches"),
            );
        }
    }
    let resource_node = f.required(ctx, "resource", "a waiver");
    let resource = resource_node.and_then(|n| ctx.string(n, "`resource`"));
    let reason = f
        .required(ctx, "reason", "a waiver")
        .and_then(|n| ctx.string(n, "`reason`"));
    // An exception nobody owns is not an accepted exception.
    let owner = f
        .required(ctx, "owner", "a waiver")
        .and_then(|n| ctx.string(n, "`owner`"));
    let broad_node = f.get("broad");
    let broad = match broad_node {
        Some(n) => ctx.one_of(n, "`broad`", &[("true", true), ("false", false)])?,
        None => false,
    };
    if let (Some(p), Some(n)) = (&resource, resource_node) {
        if !broad && !breadth::is_named(p) {
            ctx.error(
                n.span(),
                format!(
                    "resource {p:?} fixes no account and no resource identifier, so this \
                     waiver would accept failures of resources nobody named: name the account \
                     (arn:aws:*:*:111111111111:*) or the resource, or, if it is meant to be \
                     this broad, add `broad: true` and cite {} in `reason`",
                    breadth::TICKET_HELP
                ),
            );
        }
    }
    if let (true, Some(r), Some(n)) = (broad, &reason, broad_node) {
        if !breadth::has_ticket(r) {
            ctx.error(
                n.span(),
                format!(
                    "a waiver marked `broad: true` must cite in `reason` {}",
                    breadth::TICKET_HELP
                ),
            );
        }
    }
    let expires = match f.get("expires") {
        Some(n) => {
            let s = ctx.scalar(n, "`expires`")?;
            match parse_expiry(s.as_str()) {
                Some(t) => Some(t),
                None => {
                    ctx.error(
                        s.span(),
                        format!(
                            "`expires` must be a date (2027-03-31) or an RFC 3339 time, not {:?}",
                            s.as_str()
                        ),
                    );
                    return None;
                }
            }
        }
        None => None,
    };
    f.finish(ctx, "a waiver");
    Some(Waiver {
        rule: rule?,
        resource: resource?,
        reason: reason?,
        owner,
        expires,
        broad,
        source: format!("{}:{}", at.path.display(), at.line),
        at,
    })
}

fn parse_expiry(s: &str) -> Option<Timestamp> {
    if let Ok(d) = NaiveDate::parse_from_str(s, "%Y-%m-%d") {
        return Some(Utc.from_utc_datetime(&d.and_hms_opt(0, 0, 0)?));
    }
    parse_timestamp(s)
}
