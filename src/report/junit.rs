//! `junit.xml` for CI systems: one testsuite per rule, one testcase per subject; FAIL is a
//! failure, NOT_ASSESSED an error, WAIVED and NOT_APPLICABLE are skipped. Their `type` is
//! the status and the rule's severity (`FAIL high`), which CI views show next to the message.
//!
//! A million-resource organisation has millions of testcases, so the report is never built
//! whole: the report and suite tags are cut out of small reports quick-junit serialises, the
//! testcases are written the way it writes them (`case_xml`), slices of a suite in parallel,
//! and the pieces are written in order. The result is byte for byte what serialising the
//! whole [`Report`] gives (`render`, kept for the tests that prove it).

use crate::findings::ordered::write_ordered;
use crate::findings::{Finding, Status};
use crate::model::Inventory;
use crate::rules::Rule;
use crate::rules::RuleSet;
use quick_junit::{
    NonSuccessKind, Property, Report, TestCase, TestCaseStatus, TestSuite, XmlString,
};
use std::io::Write;

const NAME: &str = "backup-auditor";
/// Testcases per slice of a suite.
const CHUNK: usize = 8_192;

fn test_case(inv: &Inventory, rules: &RuleSet, f: &Finding) -> TestCase {
    let row = f.row(inv, rules);
    let mut status = match f.status {
        Status::Pass => TestCaseStatus::success(),
        Status::Fail => TestCaseStatus::non_success(NonSuccessKind::Failure),
        Status::NotAssessed => TestCaseStatus::non_success(NonSuccessKind::Error),
        // Known only after apply: skipped, saying why (`--undecidable` decides the gate).
        Status::Undecidable | Status::Waived | Status::NotApplicable => TestCaseStatus::skipped(),
    };
    if f.status != Status::Pass {
        status
            .set_message(row.reason)
            .set_type(format!("{} {}", row.status, row.severity));
    }
    let name = if row.resource_arn.is_empty() {
        format!("{}/{}", row.account_id, row.region)
    } else {
        row.resource_arn.to_owned()
    };
    let mut case = TestCase::new(name, status);
    case.set_classname(format!("{}.{}", row.rule_id, row.account_id));
    case
}

/// A rule's testsuite, carrying the run's id as its `run_id` attribute and the rule's
/// framework controls as properties (`framework:aws-fsbp` = `EC2.28, DynamoDB.4`), which CI
/// views list with the suite.
fn new_suite(rule: &Rule, run_id: &str) -> TestSuite {
    let mut s = TestSuite::new(rule.id.as_str());
    s.extra.insert("run_id".into(), run_id.into());
    for (framework, ids) in &rule.frameworks {
        s.add_property(Property::new(
            format!("framework:{framework}"),
            ids.join(", "),
        ));
    }
    s
}

/// The whole report in memory: what [`write`] streams. For tests and small inputs.
pub fn render(inv: &Inventory, rules: &RuleSet, findings: &[Finding], run_id: &str) -> Report {
    let mut suites: Vec<TestSuite> = rules.rules.iter().map(|r| new_suite(r, run_id)).collect();
    for f in findings {
        suites[f.rule as usize].add_test_case(test_case(inv, rules, f));
    }
    let mut report = Report::new(NAME);
    report.add_test_suites(suites);
    report
}

/// One piece of the streamed file.
enum Piece {
    /// The XML declaration and the `<testsuites>` start tag.
    Head,
    /// A suite's start tag (or the whole suite, self-closing, when it has no testcases).
    Open(usize),
    /// Testcases `range` of the suite's findings.
    Cases(usize, std::ops::Range<usize>),
    /// A non-empty suite's end tag.
    Close(usize),
    Tail,
}

/// Streams `junit.xml`, holding at most a few slices of testcases at a time.
pub fn write(
    w: &mut dyn Write,
    inv: &Inventory,
    rules: &RuleSet,
    findings: &[Finding],
    run_id: &str,
) -> std::io::Result<()> {
    write_sliced(w, inv, rules, findings, run_id, CHUNK)
}

fn write_sliced(
    w: &mut dyn Write,
    inv: &Inventory,
    rules: &RuleSet,
    findings: &[Finding],
    run_id: &str,
    chunk: usize,
) -> std::io::Result<()> {
    if rules.rules.is_empty() {
        let report = render(inv, rules, findings, run_id);
        return report.serialize(w).map_err(std::io::Error::other);
    }
    // Each suite's findings, in order, and its counts (the start tags carry them).
    let mut members: Vec<Vec<u32>> = vec![Vec::new(); rules.rules.len()];
    let mut counts: Vec<TestSuite> = rules
        .rules
        .iter()
        .map(|r| TestSuite::new(r.id.as_str()))
        .collect();
    for (i, f) in findings.iter().enumerate() {
        members[f.rule as usize].push(i as u32);
        let s = &mut counts[f.rule as usize];
        s.tests += 1;
        match f.status {
            Status::Pass => {}
            Status::Fail => s.failures += 1,
            Status::NotAssessed => s.errors += 1,
            Status::Undecidable | Status::Waived | Status::NotApplicable => s.skipped += 1,
        }
    }
    let mut report = Report::new(NAME);
    for s in &counts {
        report.tests += s.tests;
        report.failures += s.failures;
        report.errors += s.errors;
        report.skipped += s.skipped;
    }

    let mut pieces = vec![Piece::Head];
    for (ri, m) in members.iter().enumerate() {
        pieces.push(Piece::Open(ri));
        if m.is_empty() {
            continue;
        }
        for start in (0..m.len()).step_by(chunk) {
            pieces.push(Piece::Cases(ri, start..(start + chunk).min(m.len())));
        }
        pieces.push(Piece::Close(ri));
    }
    pieces.push(Piece::Tail);

    // Every piece is cut out of a one-suite report serialised by quick-junit, so indentation
    // and escaping are exactly the whole report's.
    let serialise = |suite: TestSuite, buf: &mut Vec<u8>| -> std::io::Result<Layout> {
        let mut one = Report::new(NAME);
        (one.tests, one.failures, one.errors, one.skipped) =
            (report.tests, report.failures, report.errors, report.skipped);
        one.test_suites.push(suite);
        one.serialize(&mut *buf).map_err(std::io::Error::other)?;
        Layout::of(buf)
    };
    write_ordered(w, pieces.len(), |t, buf| {
        let suite = |ri: usize| {
            let c = &counts[ri];
            let mut s = new_suite(&rules.rules[ri], run_id);
            (s.tests, s.failures, s.errors, s.skipped) = (c.tests, c.failures, c.errors, c.skipped);
            s
        };
        let case = |ri: usize, k: usize| test_case(inv, rules, &findings[members[ri][k] as usize]);
        match &pieces[t] {
            Piece::Head => {
                let l = serialise(suite(0), buf)?;
                buf.truncate(l.suite_start);
            }
            Piece::Open(ri) => {
                let mut s = suite(*ri);
                if !members[*ri].is_empty() {
                    s.test_cases.push(case(*ri, 0));
                }
                let l = serialise(s, buf)?;
                // A suite without testcases is whole here (self-closing, or its properties
                // and end tag).
                let keep = if members[*ri].is_empty() {
                    l.suite_whole_end
                } else {
                    l.suite_head_end
                };
                buf.truncate(keep);
                buf.drain(..l.suite_start);
            }
            Piece::Cases(ri, range) => {
                for k in range.clone() {
                    case_xml(buf, inv, rules, &findings[members[*ri][k] as usize]);
                }
            }
            Piece::Close(ri) => {
                let mut s = suite(*ri);
                s.test_cases.push(case(*ri, 0));
                let l = serialise(s, buf)?;
                buf.truncate(l.suites_end);
                buf.drain(..l.suite_end);
            }
            Piece::Tail => {
                let l = serialise(suite(0), buf)?;
                buf.drain(..l.suites_end);
            }
        }
        Ok(())
    })
}

/// One testcase exactly as quick-junit serialises [`test_case`]'s (at a suite's depth),
/// written directly: quick-junit cleans every string of a TestCase with an ANSI-escape
/// parser, which made building millions of them most of the cost of the file. Strings
/// still get that cleaning ([`XmlString::new`]) unless they are printable ASCII, which it
/// leaves unchanged; the tests compare both paths.
fn case_xml(buf: &mut Vec<u8>, inv: &Inventory, rules: &RuleSet, f: &Finding) {
    let row = f.row(inv, rules);
    buf.extend_from_slice(b"\n        <testcase name=\"");
    if row.resource_arn.is_empty() {
        attribute(buf, &format!("{}/{}", row.account_id, row.region));
    } else {
        attribute(buf, row.resource_arn);
    }
    buf.extend_from_slice(b"\" classname=\"");
    if printable(row.rule_id) && printable(row.account_id) {
        attribute(buf, row.rule_id);
        buf.push(b'.');
        attribute(buf, row.account_id);
    } else {
        attribute(buf, &format!("{}.{}", row.rule_id, row.account_id));
    }
    let tag: &[u8] = match f.status {
        Status::Pass => {
            buf.extend_from_slice(b"\"/>");
            return;
        }
        Status::Fail => b"failure",
        Status::NotAssessed => b"error",
        Status::Undecidable | Status::Waived | Status::NotApplicable => b"skipped",
    };
    buf.extend_from_slice(b"\">\n            <");
    buf.extend_from_slice(tag);
    buf.extend_from_slice(b" message=\"");
    attribute(buf, row.reason);
    buf.extend_from_slice(b"\" type=\"");
    attribute(buf, row.status);
    buf.push(b' ');
    attribute(buf, row.severity);
    buf.extend_from_slice(b"\"/>\n        </testcase>");
}

/// Bytes `XmlString::new` keeps as they are: no escape sequences, no control characters.
fn printable(s: &str) -> bool {
    s.bytes().all(|b| (0x20..0x7f).contains(&b))
}

/// An attribute value as quick-junit writes it: cleaned into an `XmlString`, then escaped by
/// quick-xml (`<`, `>`, `&`, `'` and `"`).
fn attribute(buf: &mut Vec<u8>, s: &str) {
    let cleaned;
    let s = if printable(s) {
        s
    } else {
        cleaned = XmlString::new(s);
        cleaned.as_str()
    };
    let mut plain = 0;
    for (i, b) in s.bytes().enumerate() {
        let entity: &[u8] = match b {
            b'<' => b"&lt;",
            b'>' => b"&gt;",
            b'&' => b"&amp;",
            b'\'' => b"&apos;",
            b'"' => b"&quot;",
            _ => continue,
        };
        buf.extend_from_slice(&s.as_bytes()[plain..i]);
        buf.extend_from_slice(entity);
        plain = i + 1;
    }
    buf.extend_from_slice(&s.as_bytes()[plain..]);
}

/// Where the parts of a serialised one-suite report are.
struct Layout {
    /// Start of the line break before `<testsuite `.
    suite_start: usize,
    /// Just after the suite's start tag (or its self-closing tag) and its properties.
    suite_head_end: usize,
    /// Start of the line break before `</testsuite>`, or `suite_head_end` when self-closing.
    suite_end: usize,
    /// Just after the suite's end tag (or its self-closing tag).
    suite_whole_end: usize,
    /// Start of the line break before `</testsuites>`.
    suites_end: usize,
}

impl Layout {
    fn of(buf: &[u8]) -> std::io::Result<Layout> {
        let find = |needle: &[u8], from: usize| {
            buf[from..]
                .windows(needle.len())
                .position(|w| w == needle)
                .map(|p| p + from)
        };
        let rfind = |needle: &[u8]| buf.windows(needle.len()).rposition(|w| w == needle);
        let bad = || std::io::Error::other("unexpected quick-junit layout");
        // `<testsuite ` (with the space) never matches `<testsuites`; attribute values have
        // `<` and `>` escaped, so the first `>` after it closes the tag.
        let tag = find(b"<testsuite ", 0).ok_or_else(bad)?;
        let suite_start = buf[..tag]
            .iter()
            .rposition(|&b| b == b'\n')
            .ok_or_else(bad)?;
        let tag_end = find(b">", tag).ok_or_else(bad)? + 1;
        let closed = buf[tag_end - 2] == b'/';
        // The suite's properties, if any, come first inside it and belong to its head.
        let properties = buf[tag_end..]
            .iter()
            .position(|b| !b.is_ascii_whitespace())
            .filter(|&p| buf[tag_end + p..].starts_with(b"<properties>"));
        let suite_head_end = match properties {
            Some(_) if !closed => {
                let end = b"</properties>";
                find(end, tag_end).ok_or_else(bad)? + end.len()
            }
            _ => tag_end,
        };
        let suites_end = rfind(b"\n</testsuites>").ok_or_else(bad)?;
        let close = b"\n    </testsuite>";
        let suite_end = if closed {
            suite_head_end
        } else {
            rfind(close).ok_or_else(bad)?
        };
        let suite_whole_end = if closed {
            tag_end
        } else {
            suite_end + close.len()
        };
        Ok(Layout {
            suite_start,
            suite_head_end,
            suite_end,
            suite_whole_end,
            suites_end,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Streaming, in slices of any size, gives exactly what serialising the whole report does,
    /// including a suite with no testcases and reasons that need escaping.
    #[test]
    fn streamed_report_is_the_whole_report() {
        let e = crate::app::evaluate_sample();
        let (inv, rules) = (&e.inventory, &e.rules);
        let mut findings = e.evaluation.findings.clone();
        // Leave the last rule without testcases.
        let last = rules.rules.len() as u32 - 1;
        findings.retain(|f| f.rule != last);
        let mut odd = findings.iter_mut().filter(|f| f.status != Status::Pass);
        odd.next().unwrap().reason = "<&> \"quoted\" 'single'\nnew line".into();
        // What quick-junit cleans: escape sequences, control characters; and non-ASCII.
        odd.next().unwrap().reason = "\u{1b}[31mred\u{1b}[0m\ttab\u{7} bell é ✓ \u{7f}<".into();
        let pass = findings.iter_mut().find(|f| f.status == Status::Pass);
        pass.unwrap().reason = "\u{1b}[1m not shown for a PASS".into();
        let whole = render(inv, rules, &findings, "0badf00d")
            .to_string()
            .unwrap();
        assert!(whole.contains(" run_id=\"0badf00d\""));
        assert!(whole.contains("&lt;&amp;&gt;"));
        for chunk in [1, 3, CHUNK] {
            let mut streamed = Vec::new();
            write_sliced(&mut streamed, inv, rules, &findings, "0badf00d", chunk).unwrap();
            assert_eq!(
                String::from_utf8(streamed).unwrap(),
                whole,
                "slices of {chunk}"
            );
        }
        let mut none = Vec::new();
        write(&mut none, inv, rules, &[], "0badf00d").unwrap();
        let empty = render(inv, rules, &[], "0badf00d").to_string().unwrap();
        assert_eq!(String::from_utf8(none).unwrap(), empty);
    }
}
