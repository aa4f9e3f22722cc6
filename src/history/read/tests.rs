use super::*;
use crate::history::diff::{diff, diff_rows, Diff};
use crate::history::record::ScanRecord;
use crate::parquet::{Codec, Writer};
use polars_arrow::array::MutableBinaryViewArray;

/// A finding as a row of [`PAST_FINDING_COLUMNS`]; `None` is a null cell.
type Row = [Option<String>; 10];

fn row(account: &str, region: &str, arn: &str, rule: &str, status: &str) -> Row {
    let failing = matches!(status, "FAIL" | "WAIVED");
    [
        Some(rule.into()),
        Some(account.into()),
        Some(region.into()),
        Some(arn.into()),
        Some("ec2-volume".into()),
        Some("protected".into()),
        Some("high".into()),
        Some(status.into()),
        Some(format!("{arn} is {status}")),
        failing.then(|| "2026-11-01T00:00:00Z".into()),
    ]
}

/// Account-regions of 1 to 10 findings: with row groups of 3 rows and frames of 4, some lie
/// across row groups and frames, and one is larger than a frame.
fn rows(seed: usize) -> Vec<Row> {
    let mut out = Vec::new();
    for (n, account) in ["111", "222", "333", "444"].iter().enumerate() {
        for region in ["eu-west-1", "us-east-1"] {
            let size = 1 + (n * 7 + region.len() + seed) % 10;
            for i in 0..size {
                let status = ["PASS", "FAIL", "WAIVED", "NOT_ASSESSED"][(i + seed) % 4];
                let rule = ["backup-protected", "backup-frequency"][i % 2];
                out.push(row(
                    account,
                    region,
                    &format!("vol-{}", i / 2),
                    rule,
                    status,
                ));
            }
        }
    }
    out
}

/// A part of `rows`, `per_group` rows to a row group, written plainly.
fn part(rows: &[Row], per_group: usize) -> Vec<u8> {
    let mut bytes = Vec::new();
    let mut w = Writer::new(&mut bytes, &PAST_FINDING_COLUMNS, Codec::Snappy).unwrap();
    for chunk in rows.chunks(per_group) {
        let columns = (0..PAST_FINDING_COLUMNS.len())
            .map(|c| {
                let cells: MutableBinaryViewArray<str> =
                    chunk.iter().map(|r| r[c].as_deref()).collect();
                Utf8ViewArray::from(cells).boxed()
            })
            .collect();
        let group = w.encoder().encode(chunk.len(), columns).unwrap();
        w.write(&group).unwrap();
    }
    w.finish().unwrap();
    bytes
}

fn open(rows: &[Row], per_group: usize, frame_rows: usize) -> PartScopes {
    let mut p = PartScopes::open(Path::new("part.parquet"), part(rows, per_group)).unwrap();
    p.frame_rows = frame_rows;
    p
}

fn cells(f: FindingRef) -> Row {
    let text = |s: &str| Some(s.to_owned());
    [
        text(f.rule_id),
        text(f.account_id),
        text(f.region),
        text(f.resource_arn),
        text(f.resource_type),
        text(f.check),
        text(f.severity),
        text(f.status),
        text(f.reason),
        f.failing_since.map(str::to_owned),
    ]
}

#[test]
fn a_part_is_walked_one_whole_account_region_at_a_time_in_order() {
    let rows = rows(0);
    for (per_group, frame) in [(3, 4), (1, 1), (5, 2), (64, 4), (3, 1 << 19)] {
        let mut p = open(&rows, per_group, frame);
        assert_eq!(p.total(), rows.len());
        let mut seen: Vec<Row> = Vec::new();
        let mut keys = Vec::new();
        while p.advance().unwrap() {
            keys.push((p.key().0.to_owned(), p.key().1.to_owned()));
            for i in 0..p.len() {
                assert_eq!(p.position(i), seen.len(), "positions count the part's rows");
                seen.push(cells(p.get(i)));
            }
        }
        assert_eq!(
            seen, rows,
            "every row once, in order ({per_group}, {frame})"
        );
        assert_eq!(
            keys.len(),
            8,
            "each account-region whole, once ({per_group}, {frame})"
        );
        assert!(keys.windows(2).all(|k| k[0] < k[1]));
        assert!(!p.advance().unwrap(), "the end stays the end");
    }
}

fn record(id: &str) -> ScanRecord {
    let scopes: Vec<serde_json::Value> = ["111", "222", "333", "444"]
        .iter()
        .flat_map(|a| {
            ["eu-west-1", "us-east-1"].map(|r| {
                let status = if *a == "333" { "failed" } else { "complete" };
                serde_json::json!({"account_id": a, "region": r, "status": status, "reason": ""})
            })
        })
        .collect();
    serde_json::from_value(serde_json::json!({
        "format": "backup-auditor-scan/v1", "scan_id": id, "scan_time": "2026-12-01T00:00:00Z",
        "run_id": "r", "tool_version": "0", "snapshot": "snap",
        "snapshot_collected_at": "2026-12-01T00:00:00Z", "as_of": "2026-12-01T00:00:00Z",
        "rules_digest": "d", "rule_digests": {}, "waivers_digest": "", "scopes": scopes,
        "by_status": {}, "failures_by_severity": {},
        "coverage": {"protected": 0, "unprotected": 0, "not_assessed": 0, "percent": 0.0},
        "coverage_by_account": {}, "findings_path": "", "findings_rows": 0
    }))
    .unwrap()
}

fn as_refs(rows: &[Row]) -> Vec<FindingRef<'_>> {
    rows.iter()
        .map(|r| {
            let t = |c: usize| r[c].as_deref().unwrap_or("");
            FindingRef {
                rule_id: t(0),
                account_id: t(1),
                region: t(2),
                resource_arn: t(3),
                resource_type: t(4),
                check: t(5),
                severity: t(6),
                status: t(7),
                reason: t(8),
                failing_since: r[9].as_deref(),
            }
        })
        .collect()
}

fn same(a: &Diff, b: &Diff) {
    assert_eq!(a.changes, b.changes);
    assert_eq!(a.counts, b.counts);
    assert_eq!(
        (&a.new, &a.resolved, &a.unknown, &a.longest),
        (&b.new, &b.resolved, &b.unknown, &b.longest)
    );
    assert_eq!(
        (&a.unassessed_now, &a.assessed_again),
        (&b.unassessed_now, &b.assessed_again)
    );
}

#[test]
fn two_parts_walked_a_few_rows_at_a_time_differ_as_the_same_rows_in_memory() {
    let (was, now) = (record("a"), record("b"));
    // The later scan lost an account-region's findings and gained others.
    let before = rows(0);
    let mut after = rows(1);
    after.retain(|r| r[1].as_deref() != Some("222") || r[2].as_deref() != Some("us-east-1"));
    let expected = diff_rows(&was, as_refs(&before), &now, as_refs(&after));
    assert!(
        expected.counts.values().filter(|n| **n > 0).count() > 3,
        "{:?}",
        expected.counts
    );
    for (per_group, frame) in [(3, 4), (1, 1), (7, 2)] {
        let (mut p, mut n) = (
            open(&before, per_group, frame),
            open(&after, per_group, frame),
        );
        same(&diff(&was, &mut p, &now, &mut n).unwrap(), &expected);
    }
}

#[test]
fn a_part_out_of_account_region_order_or_broken_is_refused_with_its_name() {
    let mut rows = rows(0);
    rows.reverse();
    let (was, now) = (record("a"), record("b"));
    let mut p = open(&rows, 3, 4);
    let mut n = open(&rows, 3, 4);
    let err = diff(&was, &mut p, &now, &mut n)
        .expect_err("refused")
        .to_string();
    assert!(
        err.contains("not grouped by account-region in order"),
        "{err}"
    );

    let mut bytes = part(&rows, 3);
    bytes.truncate(bytes.len() / 2);
    let err = PartScopes::open(Path::new("half.parquet"), bytes)
        .err()
        .expect("refused")
        .to_string();
    assert!(
        err.contains("half.parquet") && err.contains("not a findings part"),
        "{err}"
    );
}
