//! `summary.md`: a compact summary for a GitHub/GitLab job summary or a PR comment. Bounded
//! whatever the organisation's size: lists are cut, cells shortened.

use super::Templates;
use crate::error::Result;
use crate::findings::summary::{parts, Summary, Totals};
use crate::findings::{Finding, Status};
use crate::history::diff::Diff;
use crate::model::Inventory;
use crate::rules::RuleSet;
use serde::Serialize;
use std::collections::BTreeMap;

const MAX_FAILURES: usize = 25;
const MAX_RULES: usize = 30;
pub const MAX_CELL: usize = 160;

#[derive(Serialize)]
pub struct RuleCount {
    pub rule_id: String,
    pub severity: &'static str,
    pub count: usize,
}

#[derive(Serialize)]
struct FailureRow {
    severity: &'static str,
    rule_id: String,
    account: String,
    region: String,
    resource: String,
    reason: String,
}

#[derive(Serialize)]
struct View<'a> {
    version: &'static str,
    run_id: &'a str,
    collected_at: String,
    as_of: String,
    summary: &'a Totals,
    /// Count per status, zero included (templates must not guess missing keys).
    status: BTreeMap<&'static str, usize>,
    top_failures: Vec<RuleCount>,
    failures: Vec<FailureRow>,
    more_failures: usize,
    /// The other outputs of this run the summary may point to (`findings.csv`, …).
    outputs: &'a [&'a str],
    /// What changed since the baseline, when there is one.
    diff: Option<&'a Diff>,
    /// The planned change judged, when the scan judged one.
    planned: Option<&'a PlannedView<'a>>,
}

/// A planned change a scan judged (`--terraform-plan`, `--cfn-change-set`): which, and what
/// was said of it at its addresses (mistakes, what is not laid over the snapshot).
#[derive(Debug, Serialize)]
pub struct PlannedView<'a> {
    pub source: String,
    pub warnings: &'a [String],
    /// Each planned resource's ARN (known, or standing in until apply) → its address.
    pub addresses: &'a std::collections::BTreeMap<String, String>,
}

/// Shortens a cell so the summary stays small whatever the input.
pub fn cut(s: &str) -> String {
    cut_at(s, MAX_CELL)
}

/// Shortens text to `max` characters, saying so with an ellipsis.
pub fn cut_at(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        s.to_owned()
    } else {
        format!("{}…", s.chars().take(max).collect::<String>())
    }
}

/// Unwaived failures per rule, most first.
pub fn failures_by_rule(rules: &RuleSet, findings: &[Finding]) -> Vec<RuleCount> {
    ranked(rule_counts(
        rules,
        &parts::failures_by_rule(rules, findings),
    ))
}

/// `per_rule` (indexed like the rules) as counts of the rules it counts any of.
pub fn rule_counts<'a>(
    rules: &'a RuleSet,
    per_rule: &'a [usize],
) -> impl Iterator<Item = RuleCount> + 'a {
    (rules.rules.iter().zip(per_rule))
        .filter(|(_, n)| **n > 0)
        .map(|(r, n)| RuleCount {
            rule_id: r.id.clone(),
            severity: r.severity.as_str(),
            count: *n,
        })
}

/// Failure counts as every summary lists them: the most first, ties by rule id.
pub fn ranked(counts: impl Iterator<Item = RuleCount>) -> Vec<RuleCount> {
    let mut out: Vec<RuleCount> = counts.collect();
    out.sort_by(|a, b| b.count.cmp(&a.count).then(a.rule_id.cmp(&b.rule_id)));
    out
}

/// The run a summary.md belongs to: the other files it wrote, its id, and what changed since
/// its baseline (if any).
pub struct RunView<'a> {
    pub outputs: &'a [&'a str],
    pub run_id: &'a str,
    pub diff: Option<&'a Diff>,
    pub planned: Option<&'a PlannedView<'a>>,
}

pub fn render(
    t: &Templates,
    inv: &Inventory,
    rules: &RuleSet,
    findings: &[Finding],
    summary: &Summary,
    run: &RunView,
) -> Result<String> {
    let fmt =
        |d: chrono::DateTime<chrono::Utc>| d.to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    let mut failing: Vec<&Finding> = findings
        .iter()
        .filter(|f| f.status == Status::Fail)
        .collect();
    // Most severe first; stable within a severity, so the output is reproducible.
    failing.sort_by_key(|f| std::cmp::Reverse(rules.rules[f.rule as usize].severity));
    let more_failures = failing.len().saturating_sub(MAX_FAILURES);
    let failures = failing
        .into_iter()
        .take(MAX_FAILURES)
        .map(|f| {
            let r = f.row(inv, rules);
            FailureRow {
                severity: r.severity,
                rule_id: r.rule_id.to_owned(),
                account: r.account_id.to_owned(),
                region: r.region.to_owned(),
                resource: cut(if r.resource_name.is_empty() {
                    r.resource_arn
                } else {
                    r.resource_name
                }),
                reason: cut(r.reason),
            }
        })
        .collect();
    let mut top_failures = failures_by_rule(rules, findings);
    top_failures.truncate(MAX_RULES);
    t.render(
        "summary.md.j2",
        &View {
            version: env!("CARGO_PKG_VERSION"),
            run_id: run.run_id,
            collected_at: fmt(inv.collected_at),
            as_of: fmt(inv.as_of),
            summary,
            status: Status::ALL
                .iter()
                .map(|s| {
                    (
                        s.as_str(),
                        summary.by_status.get(s.as_str()).copied().unwrap_or(0),
                    )
                })
                .collect(),
            top_failures,
            failures,
            more_failures,
            outputs: run.outputs,
            diff: run.diff,
            planned: run.planned,
        },
    )
}

/// Markdown-escapes text from the snapshot so a tag value cannot inject markup, links or
/// table cells into a PR comment, nor notify anyone: an `@` is followed by a zero-width space
/// (no @mention, no e-mail link), and so is the `:` of `://` and the `www` of `www.` (no bare
/// URL becomes a link). The text still reads the same.
pub fn escape_md(s: &str) -> String {
    const BREAK: &str = "&#8203;";
    let mut out = String::with_capacity(s.len());
    for (i, c) in s.char_indices() {
        match c {
            '\\' | '`' | '*' | '_' | '{' | '}' | '[' | ']' | '|' | '<' | '>' => {
                out.push('\\');
                out.push(c);
            }
            '&' => out.push_str("&amp;"),
            '\n' | '\r' => out.push(' '),
            '@' => {
                out.push('@');
                out.push_str(BREAK);
            }
            ':' if s[i..].starts_with("://") => {
                out.push(':');
                out.push_str(BREAK);
            }
            'w' | 'W' if starts_www(s, i) => {
                out.push(c);
                out.push_str(BREAK);
            }
            c => out.push(c),
        }
    }
    out
}

/// Whether `www.` starts at byte `i` of `s`, as a word: what GitHub turns into a link.
fn starts_www(s: &str, i: usize) -> bool {
    let word_start = !s[..i].ends_with(|c: char| c.is_alphanumeric());
    word_start
        && s.get(i..i + 4)
            .is_some_and(|w| w.eq_ignore_ascii_case("www."))
}

#[cfg(test)]
mod tests {
    use super::escape_md;

    #[test]
    fn mentions_and_bare_urls_from_data_are_neutralised() {
        assert_eq!(escape_md("ping @org/team"), "ping @&#8203;org/team");
        assert_eq!(
            escape_md("see https://evil.example/x"),
            "see https:&#8203;//evil.example/x"
        );
        assert_eq!(escape_md("WWW.evil.example"), "W&#8203;WW.evil.example");
        assert_eq!(escape_md("a@b.example"), "a@&#8203;b.example");
        // Not a link: left alone.
        assert_eq!(escape_md("awww.x arn:aws:s3:::b"), "awww.x arn:aws:s3:::b");
    }
}
