//! Live collection against the local fake AWS (tests/fake_aws): the real binary, the real SDK,
//! the real wire protocols. The sample org is served and collected back; faults are injected
//! and the snapshot and the verdicts that follow are checked.

use crate::fake_aws::{FakeAws, Faults};
use crate::util::{csv_rows, root, stderr};
use backup_auditor::collect::{iam_action, OPERATIONS};
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::Duration;

const SAMPLE_FAILED_ACCOUNT: &str = "444444444444";

pub(crate) fn run_with(fake: &FakeAws, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_backup-auditor"))
        .args(args)
        .envs(fake.env())
        .env_remove("AWS_PROFILE")
        .current_dir(root())
        .output()
        .expect("run backup-auditor")
}

/// `collect` of the whole served organisation into `out`.
pub(crate) fn collect(fake: &FakeAws, out: &Path, extra: &[&str]) -> Output {
    let mut args = vec![
        "collect",
        "--out",
        out.to_str().unwrap(),
        "--role-name",
        "BackupAuditor",
    ];
    args.extend_from_slice(extra);
    // Defaults for what `extra` does not set: the whole organisation, quick retries.
    for (flag, value) in [
        ("--accounts", "all"),
        ("--regions", "all"),
        ("--max-attempts", "4"),
        ("--retry-initial-backoff-ms", "1"),
    ] {
        if !extra.contains(&flag) {
            args.extend([flag, value]);
        }
    }
    run_with(fake, &args)
}

pub(crate) fn read_json(p: &Path) -> Value {
    serde_json::from_slice(&std::fs::read(p).unwrap_or_else(|e| panic!("{}: {e}", p.display())))
        .unwrap()
}

pub(crate) fn scopes(snapshot: &Path) -> BTreeMap<(String, String), Value> {
    read_json(&snapshot.join("manifest.json"))["scopes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            (
                (
                    s["account_id"].as_str().unwrap().to_string(),
                    s["region"].as_str().unwrap().to_string(),
                ),
                s.clone(),
            )
        })
        .collect()
}

/// Timestamps in either form (ISO or epoch seconds) as rounded epoch seconds, so files
/// compare by content. (Epoch seconds travel as floating point; the SDK may read `.297` as
/// `.296999…`, so milliseconds are not compared.)
fn normalise(v: &Value) -> Value {
    let secs = |f: f64| Value::from(f.round() as i64);
    match v {
        Value::String(s) => match chrono::DateTime::parse_from_rfc3339(s) {
            Ok(t) => secs(t.timestamp_millis() as f64 / 1000.0),
            Err(_) => v.clone(),
        },
        Value::Number(n) if n.is_f64() => secs(n.as_f64().unwrap()),
        Value::Array(a) => Value::Array(a.iter().map(normalise).collect()),
        Value::Object(m) => {
            Value::Object(m.iter().map(|(k, x)| (k.clone(), normalise(x))).collect())
        }
        other => other.clone(),
    }
}

/// Where an item of `file` holds what identifies it (a JSON pointer).
fn identity(file: &str) -> &'static str {
    match file {
        "resources.json" => "/arn",
        "backup-plans.json" => "/BackupPlanId",
        "backup-selections.json" => "/SelectionId",
        "backup-vaults.json" | "backup-vault-policies.json" => "/BackupVaultName",
        "recovery-points.json" => "/RecoveryPointArn",
        "protected-resources.json" => "/ResourceArn",
        "iam-roles.json" => "/Arn",
        "copy-jobs.json" => "/CopyJobId",
        "restore-testing-plans.json" => "/RestoreTestingPlan/RestoreTestingPlanArn",
        "restore-testing-selections.json" => "/RestoreTestingSelection/RestoreTestingSelectionName",
        "restore-jobs.json" => "/RestoreJobId",
        "kms-aliases.json" => "/AliasName",
        "backup-access-points.json" => "/AccessPointArn",
        "tiering-configurations.json" => "/TieringConfiguration/TieringConfigurationName",
        _ => "/BackupJobId",
    }
}

fn sorted_tags(v: &Value) -> Vec<(String, String)> {
    let mut t: Vec<(String, String)> = match v {
        Value::Array(a) => a
            .iter()
            .map(|t| {
                (
                    t["key"].as_str().unwrap().into(),
                    t["value"].as_str().unwrap_or("").into(),
                )
            })
            .collect(),
        Value::Object(m) => m
            .iter()
            .map(|(k, v)| (k.clone(), v.as_str().unwrap_or("").into()))
            .collect(),
        _ => Vec::new(),
    };
    t.sort();
    t
}

/// Every file of every readable scope arrived with the same items, and every member the
/// collector wrote equals the served one.
pub(crate) fn assert_same_content(served: &Path, collected: &Path) {
    let collected_scopes = scopes(collected);
    for ((acct, region), s) in scopes(served) {
        if s["status"] == "failed" {
            continue;
        }
        // Types the collection listed from their own API: rebuilt, not copied from Config.
        let inventory = &collected_scopes[&(acct.clone(), region.clone())]["inventory"];
        let direct = |t: &Value| inventory[t.as_str().unwrap()] == "direct";
        let dir = |root: &Path| root.join(&acct).join(&region);
        for entry in std::fs::read_dir(dir(served)).unwrap() {
            let name = entry.unwrap().file_name().to_string_lossy().into_owned();
            let original = normalise(&read_json(&dir(served).join(&name)));
            let got = normalise(&read_json(&dir(collected).join(&name)));
            if name == "region-settings.json" || name == "global-settings.json" {
                assert_eq!(got, original, "{acct}/{region}/{name}");
                continue;
            }
            let key = identity(&name);
            let index = |v: &Value| -> BTreeMap<String, Value> {
                v.as_array()
                    .unwrap()
                    .iter()
                    .map(|i| {
                        (
                            i.pointer(key).unwrap().as_str().unwrap().to_string(),
                            i.clone(),
                        )
                    })
                    .collect()
            };
            let (mut want, have) = (index(&original), index(&got));
            if name == "resources.json" {
                want.retain(|_, i| !not_listed(i));
            }
            assert_eq!(
                want.keys().collect::<Vec<_>>(),
                have.keys().collect::<Vec<_>>(),
                "{acct}/{region}/{name}: different items"
            );
            for (id, item) in &have {
                let orig = &want[id];
                if name == "resources.json" {
                    for k in ["resourceType", "resourceId", "accountId", "awsRegion"] {
                        assert_eq!(item[k], orig[k], "{name} {id} {k}");
                    }
                    assert_eq!(
                        sorted_tags(&item["tags"]),
                        sorted_tags(&orig["tags"]),
                        "{id} tags"
                    );
                    let rebuilt = ["AWS::StorageGateway::Volume", "AWS::FSx::FileSystem"];
                    if rebuilt.contains(&item["resourceType"].as_str().unwrap()) {
                        continue;
                    }
                    if direct(&item["resourceType"]) {
                        // What the judgement reads of a directly listed item.
                        let versioning = |i: &Value| {
                            i["supplementaryConfiguration"]["BucketVersioningConfiguration"]
                                ["status"]
                                .clone()
                        };
                        assert_eq!(versioning(item), versioning(orig), "{id} versioning");
                        assert_eq!(item["resourceName"], orig["resourceName"], "{id}");
                    } else {
                        assert_eq!(item, orig, "{name} {id}");
                    }
                    continue;
                }
                for (k, v) in item.as_object().unwrap() {
                    // Non-optional booleans and counts of the API model: the SDK reads an
                    // absent member as false / 0, as AWS always sends them.
                    let model_default = *v == Value::Bool(false) || v.as_i64() == Some(0);
                    if orig.get(k).is_none() && model_default {
                        continue;
                    }
                    assert_eq!(Some(v), orig.get(k), "{acct}/{region}/{name} {id}: {k}");
                }
            }
        }
    }
}

/// An item of a type the tool judges but this collector does not list yet (Timestream, VMware,
/// Redshift Serverless): a served snapshot may have it, a collection cannot.
fn not_listed(item: &Value) -> bool {
    let t = item["resourceType"].as_str().unwrap_or_default();
    backup_auditor::snapshot::config_types::NOT_LISTED.contains(&t)
}

/// The ARNs of the served sample's items of [`not_listed`] types.
fn not_listed_arns(served: &Path) -> BTreeSet<String> {
    scopes(served)
        .into_keys()
        .filter_map(|(a, r)| std::fs::read(served.join(a).join(r).join("resources.json")).ok())
        .flat_map(|b| serde_json::from_slice::<Vec<Value>>(&b).unwrap())
        .filter(not_listed)
        .map(|i| i["arn"].as_str().unwrap().to_owned())
        .collect()
}

/// `(account, rule, subject, status, reason)` of every finding of a scan of `snapshot`, judged
/// at the sample's `collected_at` (a live collection's own time would age every point).
fn verdicts(snapshot: &Path) -> BTreeSet<[String; 5]> {
    let out = tempfile::tempdir().unwrap();
    let o = Command::new(env!("CARGO_BIN_EXE_backup-auditor"))
        .args([
            "scan",
            snapshot.to_str().unwrap(),
            "--as-of",
            "2026-11-27T05:00:00Z",
        ])
        .args(["--rules", "rules", "--waivers"])
        .args(["samples/waivers.yaml", "--format", "csv", "-q", "--out"])
        .arg(out.path())
        .current_dir(root())
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    csv_rows(&out.path().join("findings.csv"))
        .into_iter()
        .map(|r| {
            [
                r["account_id"].clone(),
                r["rule_id"].clone(),
                r["resource_arn"].clone(),
                r["status"].clone(),
                without_call_context(&r["reason"]),
            ]
        })
        .collect()
}

/// A reason without the ` (service:Operation, HTTP 400)` a collected error adds to the
/// AWS error the sample records.
fn without_call_context(reason: &str) -> String {
    let mut r = reason.to_string();
    while let Some(at) = r.find(", HTTP ") {
        let start = r[..at].rfind(" (").expect("opened");
        let end = at + r[at..].find(')').expect("closed");
        r.replace_range(start..=end, "");
    }
    r
}

/// The sample's verdicts, and the collected snapshot's, agree for every readable account; the
/// account the sample could not enter is NOT_ASSESSED throughout.
pub(crate) fn assert_same_verdicts(served: &Path, collected: &Path) {
    let split = |v: BTreeSet<[String; 5]>| -> (BTreeSet<[String; 5]>, BTreeSet<[String; 5]>) {
        v.into_iter().partition(|r| r[0] != SAMPLE_FAILED_ACCOUNT)
    };
    // What a collection cannot list is left out on both sides (a snapshot built otherwise
    // may have it).
    let unlisted = not_listed_arns(served);
    let listed = |mut v: BTreeSet<[String; 5]>| {
        v.retain(|r| !unlisted.contains(&r[2]));
        v
    };
    let (want, _) = split(listed(verdicts(served)));
    let (have, failed) = split(listed(verdicts(collected)));
    let missing: Vec<_> = want.difference(&have).take(5).collect();
    let extra: Vec<_> = have.difference(&want).take(5).collect();
    assert!(
        missing.is_empty() && extra.is_empty(),
        "missing {missing:#?}\nextra {extra:#?}"
    );
    assert!(!failed.is_empty());
    assert!(failed.iter().all(|r| r[3] == "NOT_ASSESSED"), "{failed:#?}");
}

pub(crate) fn assert_manifest_matches(served: &Path, collected: &Path) {
    let (want, have) = (scopes(served), scopes(collected));
    for ((acct, region), s) in &want {
        if acct == SAMPLE_FAILED_ACCOUNT {
            continue;
        }
        let got = &have[&(acct.clone(), region.clone())];
        assert_eq!(got["status"], s["status"], "{acct}/{region}");
        assert_eq!(got["account_name"], s["account_name"], "{acct}/{region}");
        assert_same_errors(&got["errors"], &s["errors"], &format!("{acct}/{region}"));
    }
    // The account whose role cannot be assumed: its regions cannot even be listed.
    let denied: Vec<_> = have
        .iter()
        .filter(|((a, _), _)| a == SAMPLE_FAILED_ACCOUNT)
        .collect();
    assert_eq!(denied.len(), 1);
    let (_, d) = denied[0];
    assert_eq!(d["status"], "failed");
    let expected = &want[&(SAMPLE_FAILED_ACCOUNT.to_string(), "us-east-1".to_string())]["error"];
    assert_same_error(&d["error"], expected, "sts:AssumeRole");
    assert_eq!(have.len(), want.len());
}

/// The same files failed with the served AWS error; the collector adds which operation it
/// was and the HTTP status.
fn assert_same_errors(got: &Value, want: &Value, scope: &str) {
    let list = |v: &Value| v.as_array().cloned().unwrap_or_default();
    let (got, want) = (list(got), list(want));
    assert_eq!(got.len(), want.len(), "{scope}: {got:?} vs {want:?}");
    for (g, w) in got.iter().zip(&want) {
        assert_eq!(g["file"], w["file"], "{scope}");
        assert_same_error(&g["error"], &w["error"], "HTTP 4");
    }
}

fn assert_same_error(got: &Value, want: &Value, context: &str) {
    let (got, want) = (got.as_str().unwrap(), want.as_str().unwrap());
    assert!(got.starts_with(want), "{got:?} does not start {want:?}");
    assert!(
        got[want.len()..].contains(context),
        "{got:?} lacks {context:?}"
    );
}

/// The manifest records how far back backup jobs were listed: `days` before the collection,
/// give or take the moment the bounds were computed.
fn assert_jobs_window(snapshot: &Path, days: i64) {
    let m = read_json(&snapshot.join("manifest.json"));
    let at = |v: &Value| chrono::DateTime::parse_from_rfc3339(v.as_str().unwrap()).unwrap();
    let back = at(&m["collected_at"]) - at(&m["windows"]["backup_jobs_since"]);
    let want = chrono::Duration::days(days);
    assert!(
        back <= want && back > want - chrono::Duration::minutes(5),
        "{m:#}"
    );
}

#[test]
fn collecting_the_served_sample_reproduces_it() {
    let fake = FakeAws::start(&root().join("samples/org"), Faults::default());
    let dir = tempfile::tempdir().unwrap();
    let snap = dir.path().join("snap");
    let o = collect(&fake, &snap, &[]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let served = root().join("samples/org");
    assert_manifest_matches(&served, &snap);
    assert_same_content(&served, &snap);
    assert_same_verdicts(&served, &snap);
    assert_jobs_window(&snap, 7);
    // Each job keeps the rule that started it: what its runs are matched by.
    let jobs = read_json(&snap.join("111111111111/us-east-1/backup-jobs.json"));
    let rules: Vec<&str> = jobs
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|j| j["CreatedBy"]["BackupRuleId"].as_str())
        .collect();
    assert_eq!(rules.len(), jobs.as_array().unwrap().len(), "{jobs:#}");

    // Read-only by construction: everything called is in the declared set, which holds only
    // List/Get/Describe/Select operations and the two STS calls that enter accounts.
    let called: BTreeSet<String> = fake.calls().into_keys().collect();
    for op in &called {
        assert!(OPERATIONS.contains(&op.as_str()), "{op} is not declared");
    }
    for op in OPERATIONS {
        let name = op.split(':').nth(1).unwrap();
        let read_only = ["List", "Get", "Describe", "Select"]
            .iter()
            .any(|p| name.starts_with(p));
        assert!(
            read_only || *op == "sts:AssumeRole",
            "{op} is not read-only"
        );
    }
    // Every declared operation but the aggregator's and the direct listings' (the sample's
    // Config records every type; tests/collect_direct.rs calls them) is exercised here.
    let aggregator_only = [
        "config:SelectAggregateResourceConfig",
        "config:DescribeConfigurationAggregatorSourcesStatus",
    ];
    let not_exercised: Vec<&str> = aggregator_only
        .into_iter()
        .chain(crate::collect_direct::LISTINGS)
        .collect();
    for op in OPERATIONS.iter().filter(|o| !not_exercised.contains(o)) {
        assert!(called.contains(*op), "{op} never called");
    }
}

/// Every SDK client (four per account-region) goes through one connection pool, so one call at
/// a time needs about one connection (3–5 here: hyper may open one while a finished connection
/// is on its way back to the pool). With a pool per client the sample took 31.
#[test]
fn every_client_shares_one_connection_pool() {
    let fake = FakeAws::start(&root().join("samples/org"), Faults::default());
    let dir = tempfile::tempdir().unwrap();
    let o = collect(&fake, &dir.path().join("snap"), &["--concurrency", "1"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(
        fake.total_requests() > 300,
        "{} requests",
        fake.total_requests()
    );
    assert!(
        fake.connections() <= 8,
        "{} connections",
        fake.connections()
    );
}

#[test]
fn throttling_and_5xx_bursts_are_retried_to_the_same_snapshot() {
    let faults = Faults {
        latency: Duration::from_millis(2),
        throttle_every: Some(7),
        burst_5xx: Some((40, 6)),
        ..Faults::default()
    };
    let fake = FakeAws::start(&root().join("samples/org"), faults);
    let dir = tempfile::tempdir().unwrap();
    let snap = dir.path().join("snap");
    let o = collect(&fake, &snap, &["--max-attempts", "10"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let served = root().join("samples/org");
    assert_manifest_matches(&served, &snap);
    assert_same_content(&served, &snap);
    let log = stderr(&o);
    let closing = log
        .lines()
        .find(|l| l.starts_with("collected "))
        .unwrap_or_default();
    let retries: u64 = closing
        .split(" retries")
        .next()
        .and_then(|s| s.rsplit(' ').next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no retry count in {log}"));
    assert!(retries > 10, "{log}");
    // Every retry reached the server: the SDK, not the collector, repeats the calls.
    assert!(fake.total_requests() > retries, "{log}");
}

#[test]
fn a_denied_account_and_a_stopped_recorder_are_not_assessed() {
    let faults = Faults {
        deny_assume_role: ["222222222222".to_string()].into(),
        recorder_off: [("111111111111".to_string(), "eu-west-1".to_string())].into(),
        ..Faults::default()
    };
    let fake = FakeAws::start(&root().join("samples/org"), faults);
    let dir = tempfile::tempdir().unwrap();
    let snap = dir.path().join("snap");
    let out = dir.path().join("report");
    // scan --live: collect, keep the snapshot, evaluate; --fail-on makes not-assessed exit 3.
    let o = run_with(
        &fake,
        &[
            "scan",
            "--live",
            "--save-snapshot",
            snap.to_str().unwrap(),
            "--accounts",
            "111111111111,222222222222",
            "--regions",
            "us-east-1,eu-west-1",
            "--role-name",
            "BackupAuditor",
            "--format",
            "csv",
            "--out",
            out.to_str().unwrap(),
            "--fail-on",
            "critical",
            "--max-attempts",
            "2",
            "--retry-initial-backoff-ms",
            "1",
            // Config only: nothing of the stopped recorder's scope is listed another way.
            "--inventory",
            "config",
        ],
    );
    let m = scopes(&snap);
    for region in ["us-east-1", "eu-west-1"] {
        let s = &m[&("222222222222".to_string(), region.to_string())];
        assert_eq!(s["status"], "failed");
        assert!(
            s["error"].as_str().unwrap().starts_with("AccessDenied: "),
            "{s}"
        );
    }
    let s = &m[&("111111111111".to_string(), "eu-west-1".to_string())];
    assert_eq!(s["status"], "partial");
    assert_eq!(s["errors"][0]["file"], "resources.json");
    assert!(
        s["errors"][0]["error"]
            .as_str()
            .unwrap()
            .contains("not recording"),
        "{s}"
    );

    let rows = csv_rows(&out.join("findings.csv"));
    let of = |acct: &str, region: &str| -> Vec<&BTreeMap<String, String>> {
        rows.iter()
            .filter(|r| r["account_id"] == acct && r["region"] == region)
            .collect()
    };
    for region in ["us-east-1", "eu-west-1"] {
        let denied = of("222222222222", region);
        assert!(!denied.is_empty());
        assert!(denied.iter().all(|r| r["status"] == "NOT_ASSESSED"));
    }
    let unknown_inventory = of("111111111111", "eu-west-1");
    assert!(unknown_inventory
        .iter()
        .any(|r| r["status"] == "NOT_ASSESSED"));
    assert!(
        !unknown_inventory
            .iter()
            .any(|r| r["status"] == "PASS" && r["check"] == "protected"),
        "a resource judged protected although the inventory is unknown"
    );
    assert!(
        matches!(o.status.code(), Some(1) | Some(3)),
        "{}",
        stderr(&o)
    );
}

#[test]
fn credentials_that_expire_mid_scan_are_refreshed() {
    let faults = Faults {
        expire_once: Some("111111111111".into()),
        ..Faults::default()
    };
    let fake = FakeAws::start(&root().join("samples/org"), faults);
    let dir = tempfile::tempdir().unwrap();
    let snap = dir.path().join("snap");
    let o = collect(
        &fake,
        &snap,
        &["--accounts", "111111111111", "--regions", "us-east-1"],
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let m = scopes(&snap);
    assert_eq!(m.len(), 1);
    let s = &m[&("111111111111".to_string(), "us-east-1".to_string())];
    assert_eq!(s["status"], "complete", "{s}");
    assert_eq!(
        fake.calls()["sts:AssumeRole"],
        2,
        "the role is assumed again after the expiry"
    );
}

#[test]
fn an_aggregator_supplies_the_same_inventory() {
    let fake = FakeAws::start(&root().join("samples/org"), Faults::default());
    let dir = tempfile::tempdir().unwrap();
    let snap = dir.path().join("snap");
    let o = collect(&fake, &snap, &["--config-aggregator", "org"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let served = root().join("samples/org");
    assert_same_content(&served, &snap);
    let calls = fake.calls();
    assert_eq!(calls.get("config:SelectResourceConfig"), None);
    assert!(calls["config:SelectAggregateResourceConfig"] > 0);
}

#[test]
fn the_iam_policies_grant_exactly_what_the_collector_calls() {
    let mut granted = BTreeSet::new();
    for f in ["iam/member-role-policy.json", "iam/management-policy.json"] {
        let p = read_json(&root().join(f));
        for st in p["Statement"].as_array().unwrap() {
            assert_eq!(st["Effect"], "Allow", "{f}");
            for a in st["Action"].as_array().unwrap() {
                granted.insert(a.as_str().unwrap().to_string());
            }
        }
    }
    // GetCallerIdentity needs no permission.
    let needed: BTreeSet<String> = OPERATIONS
        .iter()
        .filter(|o| **o != "sts:GetCallerIdentity")
        .map(|s| iam_action(s).to_string())
        .collect();
    assert_eq!(granted, needed);
}

#[test]
fn scan_live_without_keeping_the_snapshot_reports_and_cleans_up() {
    let fake = FakeAws::start(&root().join("samples/org"), Faults::default());
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("report");
    let tmp = dir.path().join("tmp");
    std::fs::create_dir(&tmp).unwrap();
    let o = Command::new(env!("CARGO_BIN_EXE_backup-auditor"))
        .args([
            "scan",
            "--live",
            "--accounts",
            "111111111111",
            "--regions",
            "us-east-1",
        ])
        .args([
            "--role-name",
            "BackupAuditor",
            "--format",
            "csv",
            "-q",
            "--out",
        ])
        .arg(&out)
        .envs(fake.env())
        .env("TMPDIR", &tmp)
        .current_dir(root())
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let rows = csv_rows(&out.join("findings.csv"));
    assert!(rows.iter().any(|r| r["status"] == "PASS"));
    assert!(rows.iter().all(|r| r["account_id"] == "111111111111"));
    // The snapshot was collected in the run directory next to --out and removed with it:
    // nothing under TMPDIR, nothing next to the report.
    assert_eq!(std::fs::read_dir(&tmp).unwrap().count(), 0);
    let mut beside: Vec<String> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    beside.sort();
    assert_eq!(beside, ["report", "tmp"]);
}

/// `collect --out` against `fake` with its environment changed: `Some` sets, `None` removes.
/// The environment starts empty, so the test runner's own AWS settings cannot leak in.
fn collect_with_env(fake: &FakeAws, env: &[(&str, Option<&str>)], extra: &[&str]) -> Output {
    let dir = tempfile::tempdir().unwrap();
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_backup-auditor"));
    cmd.args(["collect", "--out"])
        .arg(dir.path().join("snap"))
        .args(extra)
        .env_clear()
        .envs(fake.env())
        .current_dir(root());
    for (k, v) in env {
        match v {
            Some(v) => cmd.env(k, v),
            None => cmd.env_remove(k),
        };
    }
    cmd.output().expect("run backup-auditor")
}

#[test]
fn no_region_fails_before_any_call() {
    let fake = FakeAws::start(&root().join("samples/org"), Faults::default());
    let o = collect_with_env(&fake, &[("AWS_REGION", None)], &[]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert_eq!(
        stderr(&o),
        "error: no region: set AWS_REGION, use a profile with a region, or pass --regions\n"
    );
    assert_eq!(fake.total_requests(), 0, "{:?}", fake.calls());
}

#[test]
fn no_credentials_says_how_to_provide_them() {
    let fake = FakeAws::start(&root().join("samples/org"), Faults::default());
    let none = [("AWS_ACCESS_KEY_ID", None), ("AWS_SECRET_ACCESS_KEY", None)];
    let o = collect_with_env(&fake, &none, &[]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    let err = stderr(&o);
    assert!(
        err.starts_with("error: no AWS credentials were found: set AWS_PROFILE"),
        "{err}"
    );
    assert_eq!(err.lines().count(), 1, "{err}");
    assert_eq!(fake.total_requests(), 0, "{:?}", fake.calls());

    // Where the instance metadata service, tried last, answers with an error (here the
    // fake's 400 to the token request), that is still "no credentials", not its token error.
    let imds = [
        none[0],
        none[1],
        ("AWS_EC2_METADATA_DISABLED", None),
        ("AWS_EC2_METADATA_SERVICE_ENDPOINT", Some(fake.url.as_str())),
    ];
    let o = collect_with_env(&fake, &imds, &[]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    let err = stderr(&o);
    assert!(
        err.starts_with("error: no AWS credentials were found"),
        "{err}"
    );
    assert!(
        err.contains("AWS_PROFILE") && !err.contains("token"),
        "{err}"
    );
    assert_eq!(fake.calls().get("sts:GetCallerIdentity"), None);
}

#[test]
fn an_unreachable_endpoint_is_one_readable_line() {
    let fake = FakeAws::start(&root().join("samples/org"), Faults::default());
    // A port nothing listens on: bound, then released.
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", closed.local_addr().unwrap());
    drop(closed);
    let o = collect_with_env(
        &fake,
        &[("AWS_ENDPOINT_URL", Some(url.as_str()))],
        &["--max-attempts", "2", "--retry-initial-backoff-ms", "1"],
    );
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    let err = stderr(&o);
    assert!(
        err.starts_with(
            "error: cannot identify the caller (sts:GetCallerIdentity): dispatch failure"
        ),
        "{err}"
    );
    assert!(err.contains("Connection refused"), "{err}");
    assert_eq!(err.lines().count(), 1, "{err}");
    for debug in ["DispatchFailure", "hyper", "{"] {
        assert!(!err.contains(debug), "a Debug dump: {err}");
    }
}

/// A TCP endpoint that accepts every connection and never answers, as a black-holed VPC
/// endpoint or a stuck proxy does. Connections are held open until the test process ends.
fn silent_endpoint() -> String {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    std::thread::spawn(move || {
        let held: Vec<_> = listener.incoming().collect();
        drop(held);
    });
    url
}

/// Backup never answers: each of its calls gives up after --api-timeout per attempt, its
/// files are recorded as unreadable naming the call, and what depends on them is
/// NOT_ASSESSED, while Config's inventory is still read.
#[test]
fn an_endpoint_that_never_answers_times_out_into_not_assessed() {
    let fake = FakeAws::start(&root().join("samples/org"), Faults::default());
    let silent = silent_endpoint();
    let dir = tempfile::tempdir().unwrap();
    let (snap, out) = (dir.path().join("snap"), dir.path().join("report"));
    let started = std::time::Instant::now();
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_backup-auditor"));
    cmd.args(["scan", "--live", "--save-snapshot"])
        .arg(&snap)
        .args(["--accounts", "111111111111", "--regions", "us-east-1"])
        .args(["--role-name", "BackupAuditor", "--format", "csv", "--out"])
        .arg(&out)
        .args(["--fail-on", "critical", "--api-timeout", "1"])
        .args(["--max-attempts", "2", "--retry-initial-backoff-ms", "1"])
        .envs(fake.env())
        .env("AWS_ENDPOINT_URL_BACKUP", &silent)
        .env_remove("AWS_PROFILE")
        .current_dir(root());
    let o = crate::util::output_within(&mut cmd, 120);
    assert_eq!(o.status.code(), Some(3), "{}", stderr(&o));
    // Five Backup calls, four at a time, two attempts of a second each.
    assert!(
        started.elapsed() < Duration::from_secs(30),
        "{:?}",
        started.elapsed()
    );

    let s = &scopes(&snap)[&("111111111111".to_string(), "us-east-1".to_string())];
    assert_eq!(s["status"], "partial", "{s}");
    let errors: BTreeMap<&str, &str> = s["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| (e["file"].as_str().unwrap(), e["error"].as_str().unwrap()))
        .collect();
    assert!(!errors.contains_key("resources.json"), "{s}");
    for (file, op) in [
        ("backup-plans.json", "backup:ListBackupPlans"),
        ("backup-vaults.json", "backup:ListBackupVaults"),
        ("protected-resources.json", "backup:ListProtectedResources"),
        ("region-settings.json", "backup:DescribeRegionSettings"),
        ("backup-jobs.json", "backup:ListBackupJobs"),
    ] {
        let e = errors
            .get(file)
            .unwrap_or_else(|| panic!("{file} not failed: {s}"));
        assert!(e.starts_with(&format!("{op} timed out: ")), "{file}: {e}");
    }

    let rows = csv_rows(&out.join("findings.csv"));
    assert!(rows.iter().any(|r| r["status"] == "NOT_ASSESSED"));
    assert!(
        !rows
            .iter()
            .any(|r| r["status"] == "PASS" && r["check"] == "protected"),
        "a resource judged protected although its plans are unknown"
    );
}

/// Collects account 111111111111 (whose us-east-1 has Storage Gateway volumes and FSx file
/// systems) with `faults`, keeping the snapshot in `dir/snap`.
fn collect_one_account(faults: Faults, dir: &Path, regions: &str) -> (Output, PathBuf) {
    let fake = FakeAws::start(&root().join("samples/org"), faults);
    let snap = dir.join("snap");
    let o = collect(
        &fake,
        &snap,
        &[
            "--accounts",
            "111111111111",
            "--regions",
            regions,
            "--max-attempts",
            "2",
        ],
    );
    (o, snap)
}

fn listing_faults() -> Faults {
    Faults {
        denied: ["storagegateway:ListGateways".to_string()].into(),
        garbage: [("fsx:DescribeFileSystems".to_string(), 200)].into(),
        ..Faults::default()
    }
}

#[test]
fn a_failing_listing_costs_only_its_resource_types() {
    let dir = tempfile::tempdir().unwrap();
    let (o, snap) = collect_one_account(listing_faults(), dir.path(), "us-east-1");
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let m = scopes(&snap);
    let s = &m[&("111111111111".to_string(), "us-east-1".to_string())];
    assert_eq!(s["status"], "partial", "{s}");
    let errors = s["errors"].as_array().unwrap();
    let types_of = |file: &str| -> BTreeSet<String> {
        errors
            .iter()
            .filter(|e| e["file"] == file)
            .map(|e| {
                e["types"].as_array().expect("types listed")[0]
                    .as_str()
                    .unwrap()
                    .into()
            })
            .collect()
    };
    assert_eq!(errors.len(), 2, "{s}");
    assert_eq!(
        types_of("resources.json"),
        ["AWS::FSx::FileSystem", "AWS::StorageGateway::Volume"]
            .map(String::from)
            .into()
    );
    let fsx = errors
        .iter()
        .find(|e| e["types"][0] == "AWS::FSx::FileSystem")
        .unwrap()["error"]
        .as_str()
        .unwrap();
    assert!(
        fsx.starts_with("fsx:DescribeFileSystems answered HTTP 200 with what is not an AWS answer"),
        "{fsx}"
    );
    // The Config items read fine are kept.
    let items = read_json(&snap.join("111111111111/us-east-1/resources.json"));
    let kinds: BTreeSet<&str> = items
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["resourceType"].as_str().unwrap())
        .collect();
    assert!(kinds.contains("AWS::EC2::Volume"), "{kinds:?}");
    assert!(!kinds.contains("AWS::FSx::FileSystem"), "{kinds:?}");

    let out = dir.path().join("report");
    let scan = Command::new(env!("CARGO_BIN_EXE_backup-auditor"))
        .args(["scan", snap.to_str().unwrap(), "--format", "csv,json"])
        .args(["--out", out.to_str().unwrap()])
        .current_dir(root())
        .output()
        .unwrap();
    assert_eq!(scan.status.code(), Some(0), "{}", stderr(&scan));
    let rows = csv_rows(&out.join("findings.csv"));
    let protected: Vec<_> = rows.iter().filter(|r| r["check"] == "protected").collect();
    // Every other type is judged...
    assert!(protected
        .iter()
        .any(|r| r["resource_type"] == "ebs-volume"
            && matches!(r["status"].as_str(), "PASS" | "FAIL")));
    // ...and each unlisted type is NOT_ASSESSED at scope level, naming the type.
    for t in ["AWS::StorageGateway::Volume", "AWS::FSx::FileSystem"] {
        let r = protected
            .iter()
            .find(|r| r["resource_arn"].is_empty() && r["reason"].contains(t))
            .unwrap_or_else(|| panic!("no scope-level finding names {t}"));
        assert_eq!(r["status"], "NOT_ASSESSED", "{r:?}");
        assert!(
            r["reason"].contains("could not be listed in 111111111111/us-east-1"),
            "{r:?}"
        );
    }
    let summary = &read_json(&out.join("findings.json"))["summary"];
    let named = &summary["not_assessed_scopes"][0];
    assert_eq!(named["region"], "us-east-1", "{summary}");
    let reason = named["reason"].as_str().unwrap();
    for t in ["AWS::StorageGateway::Volume", "AWS::FSx::FileSystem"] {
        assert!(reason.contains(t), "{reason}");
    }
}

#[test]
fn a_collection_error_names_the_operation_the_status_and_what_came_back() {
    let faults = Faults {
        garbage: [("fsx:DescribeFileSystems".to_string(), 502)].into(),
        ..listing_faults()
    };
    let dir = tempfile::tempdir().unwrap();
    let (o, snap) = collect_one_account(faults, dir.path(), "us-east-1");
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let m = scopes(&snap);
    let s = &m[&("111111111111".to_string(), "us-east-1".to_string())];
    let error_of = |t: &str| -> String {
        s["errors"]
            .as_array()
            .unwrap()
            .iter()
            .find(|e| e["types"][0] == t)
            .unwrap_or_else(|| panic!("{t} not recorded: {s}"))["error"]
            .as_str()
            .unwrap()
            .to_string()
    };
    let denied = error_of("AWS::StorageGateway::Volume");
    assert!(denied.starts_with("AccessDeniedException: "), "{denied}");
    assert!(
        denied.contains("storagegateway:ListGateways, HTTP 400"),
        "{denied}"
    );
    let garbage = error_of("AWS::FSx::FileSystem");
    assert!(
        garbage.starts_with("fsx:DescribeFileSystems answered HTTP 502"),
        "{garbage}"
    );
    // The start of the body, its escape character shown rather than obeyed, and no more.
    assert!(
        garbage.contains("\"The service is unavailable\\x1b[31m in this region. <html>xxx"),
        "{garbage}"
    );
    assert!(!garbage.contains('\u{1b}'), "{garbage}");
    let quoted = &garbage[garbage.find(": \"The").unwrap() + 3..];
    assert!(quoted.ends_with("x…\""), "{garbage}");
    assert!(quoted.chars().count() <= 210, "{quoted}");
    // The progress line says the same, on one line.
    let err = stderr(&o);
    assert!(
        err.lines()
            .any(|l| l
                .contains("partial: could not read resources.json (AWS::StorageGateway::Volume)")),
        "{err}"
    );
}

/// `(calls, retries, errors)` of the progress line of each `account region` in `stderr`.
fn scope_lines(stderr: &str) -> BTreeMap<String, (u64, u64, u64)> {
    stderr
        .lines()
        .filter_map(|l| {
            let (scope, rest) = l.split_once(": ")?;
            let counts = rest.rsplit_once(" (")?.1.strip_suffix(')')?;
            let n: Vec<u64> = counts
                .split(", ")
                .map(|c| c.split(' ').next()?.parse().ok())
                .collect::<Option<_>>()?;
            Some((scope.to_string(), (n[0], n[1], n[2])))
        })
        .collect()
}

#[test]
fn each_progress_line_counts_its_own_account_region() {
    let dir = tempfile::tempdir().unwrap();
    // Alone, each scope's line shows its own work...
    let mut alone = BTreeMap::new();
    for region in ["us-east-1", "eu-west-1"] {
        let d = dir.path().join(region);
        let (o, _) = collect_one_account(listing_faults(), &d, region);
        alone.extend(scope_lines(&stderr(&o)));
    }
    assert_eq!(alone.len(), 2, "{alone:?}");
    let (big, small) = (
        alone["111111111111 us-east-1"],
        alone["111111111111 eu-west-1"],
    );
    assert_ne!(big.0, small.0, "the two scopes should differ in size");
    // ...and together, each still shows its own, not the running total.
    let d = dir.path().join("both");
    let (o, _) = collect_one_account(listing_faults(), &d, "us-east-1,eu-west-1");
    assert_eq!(scope_lines(&stderr(&o)), alone, "{}", stderr(&o));
    // Each scope's errors are its own: the failing listings happen in both regions.
    assert_eq!(big.2, 2);
    assert_eq!(small.2, 2);
}

/// IAM is global: each role an account's selections name is asked for once, whichever region
/// names it; a role GetRole does not find (`NoSuchEntity`) is left out of iam-roles.json, not
/// an error, and the selections that use it protect nothing.
#[test]
fn selection_roles_are_read_once_per_account_and_a_missing_one_fails_its_selections() {
    let (_dir, served) = crate::util::sample_copy();
    for region in ["us-east-1", "eu-west-1"] {
        let path = served
            .join("111111111111")
            .join(region)
            .join("iam-roles.json");
        let mut roles = read_json(&path);
        roles
            .as_array_mut()
            .unwrap()
            .retain(|r| r["RoleName"] != "AWSBackupDefaultServiceRole");
        std::fs::write(&path, roles.to_string()).unwrap();
    }
    let fake = FakeAws::start(&served, Faults::default());
    let out = tempfile::tempdir().unwrap();
    let snap = out.path().join("snap");
    let o = collect(&fake, &snap, &[]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    // 111111111111 names two roles, 222222222222 and 333333333333 one each, in two regions.
    assert_eq!(fake.calls().get("iam:GetRole"), Some(&4));
    let s = &scopes(&snap)[&("111111111111".to_string(), "us-east-1".to_string())];
    assert_eq!(s["status"], "complete", "{s}");
    let got = read_json(&snap.join("111111111111/us-east-1/iam-roles.json"));
    let names: Vec<&str> = got
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["RoleName"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["AWSServiceRoleForBackup"]);
    // Written as the CLI prints it: the trust policy decoded into an object.
    assert_eq!(
        got[0]["AssumeRolePolicyDocument"]["Statement"][0]["Principal"]["Service"],
        "backup.amazonaws.com"
    );
    let found = verdicts(&snap);
    let orders_worker = "arn:aws:ec2:us-east-1:111111111111:instance/i-01a20000000000001";
    let protected = found
        .iter()
        .find(|[_, rule, arn, _, _]| rule == "backup-protected" && arn == orders_worker)
        .expect("orders-worker-1 is judged");
    assert_eq!(protected[3], "FAIL", "{protected:?}");
    assert!(
        protected[4].contains("does not exist in account 111111111111"),
        "{protected:?}"
    );
}

/// A denied iam:GetRole makes iam-roles.json unknown: the scope is partial and what its
/// selections protect is not assessed, never PASS.
#[test]
fn a_denied_get_role_leaves_the_selections_roles_unknown() {
    let faults = Faults {
        denied: ["iam:GetRole".to_string()].into(),
        ..Faults::default()
    };
    let fake = FakeAws::start(&root().join("samples/org"), faults);
    let dir = tempfile::tempdir().unwrap();
    let snap = dir.path().join("snap");
    let o = collect(
        &fake,
        &snap,
        &["--accounts", "111111111111", "--regions", "us-east-1"],
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let s = &scopes(&snap)[&("111111111111".to_string(), "us-east-1".to_string())];
    assert_eq!(s["status"], "partial", "{s}");
    assert_eq!(s["errors"][0]["file"], "iam-roles.json", "{s}");
    assert!(!snap.join("111111111111/us-east-1/iam-roles.json").exists());
    let found = verdicts(&snap);
    let of = |arn: &str| {
        found
            .iter()
            .find(|[_, rule, a, _, _]| rule == "backup-protected" && a == arn)
            .cloned()
            .expect("judged")
    };
    let orders_worker = of("arn:aws:ec2:us-east-1:111111111111:instance/i-01a20000000000001");
    assert_eq!(orders_worker[3], "NOT_ASSESSED", "{orders_worker:?}");
    assert!(
        orders_worker[4].contains("iam-roles.json could not be read"),
        "{orders_worker:?}"
    );
}

/// `--backup-jobs-days` bounds both job listings, and the manifest records it, so a scan can
/// tell "no job" from "not listed that far back".
#[test]
fn the_job_window_follows_backup_jobs_days() {
    let fake = FakeAws::start(&root().join("samples/org"), Faults::default());
    let dir = tempfile::tempdir().unwrap();
    let snap = dir.path().join("snap");
    let args = [
        "--backup-jobs-days",
        "3",
        "--accounts",
        "111111111111",
        "--regions",
        "us-east-1",
    ];
    let o = collect(&fake, &snap, &args);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_jobs_window(&snap, 3);
    let m = read_json(&snap.join("manifest.json"));
    for listed in ["copy_jobs_since", "restore_jobs_since"] {
        assert_eq!(
            m["windows"][listed], m["windows"]["backup_jobs_since"],
            "{listed}"
        );
    }
    assert!(m["windows"].get("recovery_points_since").is_none(), "{m:#}");
}

/// A denied backup:ListRestoreJobs costs only restore-jobs.json: the scope is partial, the
/// restore testing plans and selections are still collected, and restore-tested is
/// NOT_ASSESSED for the scope, never FAIL for want of jobs nor PASS.
#[test]
fn a_denied_list_restore_jobs_leaves_restore_testing_not_assessed() {
    let faults = Faults {
        denied: ["backup:ListRestoreJobs".to_string()].into(),
        ..Faults::default()
    };
    let fake = FakeAws::start(&root().join("samples/org"), faults);
    let dir = tempfile::tempdir().unwrap();
    let snap = dir.path().join("snap");
    let o = collect(
        &fake,
        &snap,
        &["--accounts", "111111111111", "--regions", "us-east-1"],
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let s = &scopes(&snap)[&("111111111111".to_string(), "us-east-1".to_string())];
    assert_eq!(s["status"], "partial", "{s}");
    assert_eq!(s["errors"][0]["file"], "restore-jobs.json", "{s}");
    let scope = snap.join("111111111111/us-east-1");
    assert!(!scope.join("restore-jobs.json").exists());
    let selections = read_json(&scope.join("restore-testing-selections.json"));
    assert_eq!(
        selections[0]["RestoreTestingSelection"]["ProtectedResourceArns"][0],
        "arn:aws:rds:us-east-1:111111111111:db:orders-prod"
    );
    let plans = read_json(&scope.join("restore-testing-plans.json"));
    assert_eq!(
        plans[0]["RestoreTestingPlan"]["RecoveryPointSelection"]["SelectionWindowDays"],
        7
    );
    let tested: Vec<_> = verdicts(&snap)
        .into_iter()
        .filter(|[_, rule, ..]| rule == "restore-tested-critical")
        .collect();
    assert_eq!(tested.len(), 1, "{tested:?}");
    let [_, _, arn, status, reason] = &tested[0];
    assert_eq!((arn.as_str(), status.as_str()), ("", "NOT_ASSESSED"));
    assert!(
        reason.starts_with(
            "restore-jobs.json could not be read in 111111111111/us-east-1: AccessDenied"
        ),
        "{reason}"
    );
    // explain says the restore tests are unknown, not that there are none.
    let o = Command::new(env!("CARGO_BIN_EXE_backup-auditor"))
        .args(["explain", snap.to_str().unwrap()])
        .arg("arn:aws:rds:us-east-1:111111111111:db:orders-prod")
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let text = String::from_utf8_lossy(&o.stdout);
    assert!(
        text.contains("  UNKNOWN: restore-jobs.json: AccessDenied"),
        "{text}"
    );
    assert!(!text.contains("(no restore job listed)"), "{text}");
}
