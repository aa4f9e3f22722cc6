//! Waivers: accepted exceptions, each with a reason, an owner and an expiry. A waived FAIL
//! is reported as WAIVED with the waiver's reason; expired and unused waivers are warnings.

use super::yaml::{self, Ctx};
use super::RuleSet;
use crate::error::{Error, Result};
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
    /// `path:line` of the waiver, for the warnings.
    pub source: String,
}

impl Waiver {
    pub fn matches(&self, rule_id: &str, subject_arn: &str) -> bool {
        glob_match(&self.rule, rule_id) && glob_match(&self.resource, subject_arn)
    }

    pub fn is_expired(&self, now: Timestamp) -> bool {
        self.expires.is_some_and(|e| e <= now)
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
    let line = f.span().start().map(|m| m.line()).unwrap_or(0);
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
    let resource = f
        .required(ctx, "resource", "a waiver")
        .and_then(|n| ctx.string(n, "`resource`"));
    let reason = f
        .required(ctx, "reason", "a waiver")
        .and_then(|n| ctx.string(n, "`reason`"));
    // An exception nobody owns is not an accepted exception.
    let owner = f
        .required(ctx, "owner", "a waiver")
        .and_then(|n| ctx.string(n, "`owner`"));
    if let (Some("*"), Some("*")) = (rule.as_deref(), resource.as_deref()) {
        ctx.error(
            f.span(),
            "a waiver of rule \"*\" for resource \"*\" would waive every failure: name the \
             rules or the resources it accepts",
        );
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
        source: format!("{}:{line}", ctx.path.display()),
    })
}

fn parse_expiry(s: &str) -> Option<Timestamp> {
    if let Ok(d) = NaiveDate::parse_from_str(s, "%Y-%m-%d") {
        return Some(Utc.from_utc_datetime(&d.and_hms_opt(0, 0, 0)?));
    }
    parse_timestamp(s)
}
