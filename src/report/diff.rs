//! A diff on its own (`backup-auditor diff … --format text|json|markdown|csv`): the same
//! sections the summaries include (`diff.txt.j2`, `diff.md.j2`), the Diff as JSON, or its
//! listed findings as CSV. Reads no file and decides nothing: it prints the Diff it is given.

use super::Templates;
use crate::error::{Error, Result};
use crate::findings::columns::neutralise;
use crate::findings::write::write_frame;
use crate::history::diff::{Diff, Listed};
use polars_core::prelude::*;
use serde::Serialize;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DiffFormat {
    Text,
    Json,
    Markdown,
    Csv,
}

/// Columns of the CSV: one row per finding that changed (new, regressed, resolved, unknown,
/// unassessed now, assessed again); still-failing and unchanged findings are not changes.
pub const DIFF_COLUMNS: [&str; 12] = [
    "change",
    "severity",
    "rule_id",
    "status",
    "was",
    "account_id",
    "region",
    "resource_type",
    "resource_arn",
    "failing_since",
    "age_days",
    "reason",
];

#[derive(Serialize)]
struct View<'a> {
    diff: &'a Diff,
    /// Printed on its own, not inside a scan's summary: the template says which scans.
    alone: bool,
}

pub fn render(t: &Templates, diff: &Diff, format: DiffFormat) -> Result<String> {
    let view = View { diff, alone: true };
    match format {
        DiffFormat::Text => t.render("diff.txt.j2", &view),
        DiffFormat::Markdown => t.render("diff.md.j2", &view),
        DiffFormat::Json => serde_json::to_string_pretty(diff)
            .map(|s| s + "\n")
            .map_err(|e| Error::Usage(format!("cannot write the diff as JSON: {e}"))),
        DiffFormat::Csv => {
            let mut out = Vec::new();
            csv(&mut out, diff)
                .map_err(|e| Error::Usage(format!("cannot write the diff as CSV: {e}")))?;
            Ok(String::from_utf8_lossy(&out).into_owned())
        }
    }
}

/// Every listed finding, in the order the summaries list them.
fn csv(w: &mut dyn std::io::Write, d: &Diff) -> std::io::Result<()> {
    let rows: Vec<&Listed> = [
        &d.new,
        &d.resolved,
        &d.unknown,
        &d.unassessed_now,
        &d.assessed_again,
    ]
    .into_iter()
    .flatten()
    .collect();
    let cells: Vec<[String; 12]> = rows
        .iter()
        .map(|l| {
            [
                l.change.as_str().to_owned(),
                l.severity.clone(),
                l.rule_id.clone(),
                l.status.clone(),
                l.was.clone(),
                l.account_id.clone(),
                l.region.clone(),
                l.resource_type.clone(),
                l.resource_arn.clone(),
                l.failing_since.clone().unwrap_or_default(),
                l.age_days.map(|a| a.to_string()).unwrap_or_default(),
                l.reason.clone(),
            ]
        })
        .collect();
    let columns: Vec<Column> = DIFF_COLUMNS
        .iter()
        .enumerate()
        .map(|(i, name)| {
            let values = cells.iter().map(|c| neutralise(&c[i]));
            StringChunked::from_iter_values((*name).into(), values).into_column()
        })
        .collect();
    write_frame(w, cells.len(), columns, true)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::history::diff::{diff_rows, FindingRef};
    use crate::history::record::{PastFinding, ScanRecord};

    fn record(id: &str, as_of: &str) -> ScanRecord {
        serde_json::from_value(serde_json::json!({
            "format": "backup-auditor-scan/v1", "scan_id": id, "scan_time": as_of,
            "run_id": "r", "tool_version": "0", "snapshot": "snap", "snapshot_collected_at": as_of,
            "as_of": as_of, "rules_digest": "d", "rule_digests": {"backup-protected": "x"},
            "waivers_digest": "", "scopes": [
                {"account_id": "111111111111", "region": "us-east-1", "status": "complete", "reason": ""}
            ],
            "by_status": {}, "failures_by_severity": {},
            "coverage": {"protected": 0, "unprotected": 0, "not_assessed": 0, "percent": 0.0},
            "coverage_by_account": {}, "findings_path": "", "findings_rows": 0
        }))
        .unwrap()
    }

    /// A resource that was protected and is not, and one whose failure was fixed.
    fn sample() -> Diff {
        let (a, b) = (
            record("A", "2026-11-27T05:00:00Z"),
            record("B", "2026-12-04T05:00:00Z"),
        );
        let past = |arn: &str, status: &str| PastFinding {
            rule_id: "backup-protected".into(),
            account_id: "111111111111".into(),
            region: "us-east-1".into(),
            resource_arn: arn.into(),
            resource_type: "ec2-instance".into(),
            check: "protected".into(),
            severity: "high".into(),
            status: status.into(),
            reason: "then".into(),
            failing_since: None,
        };
        let now = |arn: &'static str, status: &'static str| FindingRef {
            rule_id: "backup-protected",
            account_id: "111111111111",
            region: "us-east-1",
            resource_arn: arn,
            resource_type: "ec2-instance",
            check: "protected",
            severity: "high",
            status,
            reason: "=now",
            failing_since: None,
        };
        let past = [past("i-1", "PASS"), past("i-2", "FAIL")];
        diff_rows(
            &a,
            past.iter().map(FindingRef::from),
            &b,
            [now("i-1", "FAIL"), now("i-2", "PASS")],
        )
    }

    #[test]
    fn a_diff_renders_alone_in_every_format() {
        let (t, d) = (Templates::builtin().unwrap(), sample());
        let text = render(&t, &d, DiffFormat::Text).unwrap();
        assert!(
            text.starts_with("Changes from scan A (snap as of 2026-11-27T05:00:00Z) to scan B"),
            "{text}"
        );
        assert!(text.contains("new 1 (regressed 1)  resolved 1"), "{text}");
        assert!(text.contains("high  backup-protected i-1 [regressed: was protected]"));
        let md = render(&t, &d, DiffFormat::Markdown).unwrap();
        assert!(
            md.starts_with("### Changes from scan `A` to scan `B`"),
            "{md}"
        );
        let json: serde_json::Value =
            serde_json::from_str(&render(&t, &d, DiffFormat::Json).unwrap()).unwrap();
        assert_eq!(json["counts"]["regressed"], 1);
        assert_eq!(json["new"][0]["failing_since"], "2026-12-04T05:00:00Z");
        let csv = render(&t, &d, DiffFormat::Csv).unwrap();
        let lines: Vec<&str> = csv.lines().collect();
        assert_eq!(lines[0], DIFF_COLUMNS.join(","));
        assert_eq!(
            lines[1],
            "regressed,high,backup-protected,FAIL,PASS,111111111111,us-east-1,ec2-instance,i-1,\
             2026-12-04T05:00:00Z,0,'=now"
        );
        assert!(lines[2].starts_with("resolved,high,backup-protected,PASS,FAIL,"));
        assert_eq!(lines.len(), 3);
    }
}
