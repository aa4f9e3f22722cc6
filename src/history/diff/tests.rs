use super::*;

fn scope(account: &str, region: &str, status: &str) -> ScopeRecord {
    ScopeRecord {
        account_id: account.into(),
        region: region.into(),
        status: status.into(),
        reason: String::new(),
    }
}

/// A scan at `time` of two account-regions, `a`/r1 and `b`/r1, with these statuses.
fn record(id: &str, time: &str, a: &str, b: &str) -> ScanRecord {
    ScanRecord {
        format: crate::history::record::SCAN_FORMAT.into(),
        scan_id: id.into(),
        scan_time: String::new(),
        run_id: String::new(),
        tool_version: String::new(),
        snapshot: String::new(),
        snapshot_collected_at: time.into(),
        as_of: time.into(),
        rules_digest: "d".into(),
        rule_digests: [("r1", "x"), ("r2", "y")]
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
        waivers_digest: String::new(),
        scopes: vec![scope("a", "r1", a), scope("b", "r1", b)],
        by_status: BTreeMap::new(),
        failures_by_severity: BTreeMap::new(),
        coverage: Default::default(),
        coverage_by_account: BTreeMap::new(),
        findings_path: String::new(),
        findings_rows: 0,
        shard: None,
    }
}

const T0: &str = "2026-11-27T05:00:00Z";
const T1: &str = "2026-12-04T05:00:00Z";

fn past(account: &str, arn: &str, check: &str, status: &str) -> PastFinding {
    PastFinding {
        rule_id: format!("rule-{check}"),
        account_id: account.into(),
        region: "r1".into(),
        resource_arn: arn.into(),
        resource_type: "ec2-instance".into(),
        check: check.into(),
        severity: "high".into(),
        status: status.into(),
        reason: "why".into(),
        failing_since: None,
    }
}

fn now<'a>(account: &'a str, arn: &'a str, check: &'a str, status: &'a str) -> Cur<'a> {
    Cur {
        rule: format!("rule-{check}"),
        account,
        arn,
        check,
        status,
        severity: "high",
    }
}

/// A current finding with an owned rule id (tests make them by the dozen).
struct Cur<'a> {
    rule: String,
    account: &'a str,
    arn: &'a str,
    check: &'a str,
    status: &'a str,
    severity: &'a str,
}

fn run(base: &ScanRecord, p: &[PastFinding], cur: &ScanRecord, c: &[Cur]) -> Diff {
    let findings: Vec<FindingRef> = c
        .iter()
        .map(|c| FindingRef {
            rule_id: &c.rule,
            account_id: c.account,
            region: "r1",
            resource_arn: c.arn,
            resource_type: "ec2-instance",
            check: c.check,
            severity: c.severity,
            status: c.status,
            reason: "now",
            failing_since: None,
        })
        .collect();
    diff_rows(base, p.iter().map(FindingRef::from), cur, findings)
}

fn changes(d: &Diff) -> Vec<&'static str> {
    d.changes.iter().map(|c| c.change.as_str()).collect()
}

#[test]
fn each_finding_gets_its_change_by_what_it_was() {
    let base = record("s0", T0, "complete", "complete");
    let cur = record("s1", T1, "complete", "complete");
    let p = [
        past("a", "i-1", "protected", "PASS"),
        past("a", "i-2", "protected", "FAIL"),
        past("a", "i-3", "protected", "FAIL"),
        past("a", "i-4", "vault-lock", "PASS"),
        past("a", "i-5", "protected", "NOT_APPLICABLE"),
        past("a", "i-6", "protected", "FAIL"),
    ];
    let c = [
        now("a", "i-1", "protected", "FAIL"),
        now("a", "i-2", "protected", "FAIL"),
        now("a", "i-3", "protected", "PASS"),
        now("a", "i-4", "vault-lock", "FAIL"),
        now("a", "i-5", "protected", "FAIL"),
        now("a", "i-7", "protected", "FAIL"),
        now("a", "i-8", "protected", "PASS"),
    ];
    let d = run(&base, &p, &cur, &c);
    assert_eq!(
        changes(&d),
        [
            "regressed",
            "still-failing",
            "resolved",
            "new",
            "new",
            "new",
            "unchanged"
        ]
    );
    // i-6 failed and is gone from an account-region read completely: resolved.
    assert_eq!(d.counts["resolved"], 2);
    assert_eq!(d.counts["new"], 3);
    assert_eq!(d.counts["regressed"], 1);
    assert_eq!(d.counts["unknown"], 0);
    let arns = |v: &[Listed]| v.iter().map(|l| l.resource_arn.clone()).collect::<Vec<_>>();
    assert_eq!(arns(&d.new), ["i-1", "i-4", "i-5", "i-7"]);
    assert_eq!(arns(&d.resolved), ["i-3", "i-6"]);
    assert_eq!(d.resolved[1].status, "");
    assert_eq!(d.resolved[1].was, "FAIL");
    assert_eq!(d.still_failing, 1);
}

/// An account-region that could not be read in either scan produces no `new` and no
/// `resolved`: its findings are `unknown`.
#[test]
fn an_unreadable_account_region_is_unknown_never_new_or_resolved() {
    // `b` was read before, not now: its failure is gone, but not resolved.
    let base = record("s0", T0, "failed", "complete");
    let cur = record("s1", T1, "complete", "failed");
    let p = [
        past("b", "i-9", "protected", "FAIL"),
        past("b", "i-8", "protected", "PASS"),
    ];
    // `a` could not be read before: a FAIL now may be old.
    let c = [
        now("a", "i-1", "protected", "FAIL"),
        now("a", "i-2", "protected", "PASS"),
        now("b", "", "protected", "NOT_ASSESSED"),
    ];
    let d = run(&base, &p, &cur, &c);
    assert_eq!(changes(&d), ["unknown", "unknown", "unknown"]);
    assert_eq!((d.counts["new"], d.counts["resolved"]), (0, 0));
    assert_eq!(d.counts["unknown"], 4);
    let unknown: Vec<&str> = d.unknown.iter().map(|l| l.resource_arn.as_str()).collect();
    assert_eq!(unknown, ["i-1", "i-9"], "the failing ones are listed");
    // A failure whose history is unknown is dated from this scan.
    assert_eq!(d.changes[0].since(), Some(T1));
}

/// A partial account-region keeps the verdicts it could give: the engine gives none on
/// data it could not read.
#[test]
fn verdicts_in_a_partial_account_region_are_compared() {
    let base = record("s0", T0, "partial", "complete");
    let cur = record("s1", T1, "partial", "complete");
    let p = [
        past("a", "i-1", "protected", "PASS"),
        past("a", "i-2", "recent", "PASS"),
        past("a", "i-3", "recent", "NOT_ASSESSED"),
        past("a", "i-4", "protected", "FAIL"),
    ];
    let c = [
        now("a", "i-1", "protected", "FAIL"),
        now("a", "i-2", "recent", "NOT_ASSESSED"),
        now("a", "i-3", "recent", "FAIL"),
        now("a", "i-5", "protected", "FAIL"),
    ];
    let d = run(&base, &p, &cur, &c);
    assert_eq!(
        changes(&d),
        ["regressed", "unassessed-now", "assessed-again", "unknown"]
    );
    // i-4 is gone from a partial account-region: unknown.
    assert_eq!((d.counts["resolved"], d.counts["unknown"]), (0, 2));
    assert_eq!(d.assessed_again.len(), 1);
    assert!(
        d.unassessed_now.is_empty(),
        "i-2 passed: nothing failing lost"
    );
}

#[test]
fn a_streak_starts_when_a_failure_is_new_and_keeps_through_waivers() {
    let base = record("s0", T0, "complete", "complete");
    let cur = record("s1", T1, "complete", "complete");
    let mut kept = past("a", "i-1", "protected", "FAIL");
    kept.failing_since = Some("2026-11-01T00:00:00Z".into());
    let mut waived = past("a", "i-3", "protected", "WAIVED");
    waived.failing_since = Some("2026-10-01T00:00:00Z".into());
    let p = [kept, past("a", "i-2", "protected", "FAIL"), waived];
    let c = [
        now("a", "i-1", "protected", "FAIL"),
        now("a", "i-2", "protected", "WAIVED"),
        now("a", "i-3", "protected", "FAIL"),
        now("a", "i-4", "protected", "FAIL"),
        now("a", "i-5", "protected", "PASS"),
    ];
    let d = run(&base, &p, &cur, &c);
    let since: Vec<Option<&str>> = d.changes.iter().map(|c| c.since()).collect();
    assert_eq!(
        since,
        [
            Some("2026-11-01T00:00:00Z"),
            Some(T0),
            Some("2026-10-01T00:00:00Z"),
            Some(T1),
            None
        ]
    );
    assert_eq!(
        changes(&d)[..4],
        ["still-failing", "still-failing", "still-failing", "new"]
    );
    // The longest-standing unwaived failures, oldest first, with their age.
    let longest: Vec<(&str, Option<i64>)> = d
        .longest
        .iter()
        .map(|l| (l.resource_arn.as_str(), l.age_days))
        .collect();
    assert_eq!(longest, [("i-3", Some(64)), ("i-1", Some(33))]);
    assert_eq!(d.still_failing, 2);
}

/// Of many still-failing findings, the oldest streaks are kept, whatever their order.
#[test]
fn the_longest_standing_are_the_oldest_streaks_of_many() {
    let base = record("s0", T0, "complete", "complete");
    let cur = record("s1", T1, "complete", "complete");
    let arns: Vec<String> = (0..100).map(|i| format!("i-{i:03}")).collect();
    // Streaks start on day (i * 37) % 100 of October, a shuffled order.
    let p: Vec<PastFinding> = arns
        .iter()
        .enumerate()
        .map(|(i, arn)| {
            let mut f = past("a", arn, "protected", "FAIL");
            let day = (i * 37) % 100;
            f.failing_since = Some(format!(
                "2026-{:02}-{:02}T00:00:00Z",
                1 + day / 28,
                1 + day % 28
            ));
            f
        })
        .collect();
    let c: Vec<Cur> = arns
        .iter()
        .map(|a| now("a", a, "protected", "FAIL"))
        .collect();
    let d = run(&base, &p, &cur, &c);
    let mut want: Vec<&str> = p
        .iter()
        .map(|f| f.failing_since.as_deref().unwrap())
        .collect();
    want.sort();
    let got: Vec<&str> = d
        .longest
        .iter()
        .map(|l| l.failing_since.as_deref().unwrap())
        .collect();
    assert_eq!(got, want[..LONGEST]);
    assert_eq!(d.still_failing, 100);
}

#[test]
fn new_failures_are_listed_most_severe_first() {
    let base = record("s0", T0, "complete", "complete");
    let cur = record("s1", T1, "complete", "complete");
    let mut c = [
        now("a", "i-1", "protected", "FAIL"),
        now("a", "i-2", "protected", "FAIL"),
        now("b", "i-3", "protected", "FAIL"),
    ];
    c[0].severity = "low";
    c[2].severity = "critical";
    let d = run(&base, &[], &cur, &c);
    let order: Vec<&str> = d.new.iter().map(|l| l.resource_arn.as_str()).collect();
    assert_eq!(order, ["i-3", "i-2", "i-1"]);
}

#[test]
fn rules_and_waivers_that_changed_are_named() {
    let base = record("s0", T0, "complete", "complete");
    let mut cur = record("s1", T1, "complete", "complete");
    cur.rule_digests.remove("r1");
    cur.rule_digests.insert("r2".into(), "other".into());
    cur.rule_digests.insert("r3".into(), "z".into());
    cur.waivers_digest = "w".into();
    let d = run(&base, &[], &cur, &[]);
    assert_eq!(
        d.rules,
        RuleChanges {
            added: vec!["r3".into()],
            removed: vec!["r1".into()],
            changed: vec!["r2".into()],
        }
    );
    assert!(d.waivers_changed);
    let same = run(&base, &[], &base, &[]);
    assert_eq!(same.rules, RuleChanges::default());
    assert!(!same.waivers_changed);
}

#[test]
fn the_baseline_is_the_latest_scan_of_the_same_account_regions() {
    let a = record("20261120T050000Z-aaaaaaaa", T0, "complete", "complete");
    let b = record("20261127T050000Z-bbbbbbbb", T0, "failed", "complete");
    let mut c = record("20261201T050000Z-cccccccc", T1, "complete", "complete");
    c.scopes.push(scope("c", "r1", "complete"));
    let now = record("x", T1, "complete", "partial").scopes;
    let scans = [b.clone(), a.clone(), c.clone()];
    // The status of an account-region does not matter, the set does.
    assert_eq!(choose_baseline(&scans, &now, None), Ok(&scans[0]));
    assert_eq!(
        choose_baseline(&scans, &now, Some("20261120T050000Z-aaaaaaaa")),
        Ok(&scans[1])
    );
    assert_eq!(
        choose_baseline(&scans, &now, Some("nope")),
        Err(NoBaseline::NoSuchScan {
            requested: "nope".into()
        })
    );
    assert_eq!(
        choose_baseline(&[], &now, None),
        Err(NoBaseline::EmptyHistory)
    );
    let only_c = [c];
    let err = choose_baseline(&only_c, &now, None).unwrap_err();
    assert_eq!(
        err,
        NoBaseline::OtherScopes {
            latest: "20261201T050000Z-cccccccc".into(),
            only_then: 1,
            only_now: 0
        }
    );
    assert!(
        err.to_string().contains("covered 1 this scan does not"),
        "{err}"
    );
}
