//! Properties no input may break, found before users find them:
//!
//! - loaders: arbitrary and mutated snapshot JSON, rule and waiver YAML and schedule
//!   expressions never panic, and every error names a file and a 1-based position;
//! - metamorphic, on generated organisations: taking a resource's selection, vault or
//!   recovery points away never turns a FAIL into a PASS; adding an unrelated resource or
//!   account never changes another finding; shuffling the items of any file changes no
//!   output byte.
//!
//! The case counts are small so `cargo test` stays quick; `PROPTEST_CASES=500 cargo test
//! props` runs a long campaign (proptest reads the variable).

use crate::util::*;
use backup_auditor::app::{self, Output};
use backup_auditor::cli::PolicyArgs;
use backup_auditor::error::Error;
use backup_auditor::model::schedule::Schedule;
use backup_auditor::rules::{waiver, RuleSet};
use backup_auditor::synth::{self, SynthOptions};
use chrono::TimeZone;
use proptest::prelude::*;
use serde_json::Value;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// Few cases by default (each scans a snapshot); `PROPTEST_CASES` overrides.
fn config(default_cases: u32) -> ProptestConfig {
    let cases = std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default_cases);
    ProptestConfig {
        cases,
        // A shrunk counterexample is worth a few more runs, not hundreds.
        max_shrink_iters: 64,
        failure_persistence: None,
        ..ProptestConfig::default()
    }
}

// ---------------------------------------------------------------------------------------------
// Loaders

fn policy() -> PolicyArgs {
    PolicyArgs {
        rules: vec![root().join("rules")],
        waivers: None,
        as_of: None,
    }
}

/// Every data file of the sample, relative to the snapshot root.
fn sample_files() -> Vec<PathBuf> {
    let base = root().join("samples/org");
    let mut files = vec![
        PathBuf::from("manifest.json"),
        PathBuf::from("organization/organization.json"),
    ];
    for account in std::fs::read_dir(&base).unwrap().flatten() {
        let is_account = account
            .file_name()
            .to_string_lossy()
            .bytes()
            .all(|b| b.is_ascii_digit());
        if !account.file_type().unwrap().is_dir() || !is_account {
            continue;
        }
        for region in std::fs::read_dir(account.path()).unwrap().flatten() {
            for f in std::fs::read_dir(region.path()).unwrap().flatten() {
                files.push(f.path().strip_prefix(&base).unwrap().to_path_buf());
            }
        }
    }
    files.sort();
    files
}

/// How a test damages a file's text.
#[derive(Debug, Clone)]
enum Mutation {
    /// Cut the text at a fraction of its length.
    Truncate(f64),
    /// Insert one of a few troublesome characters at a fraction of its length.
    Insert(f64, char),
    /// Replace a random JSON/YAML value (chosen by a walk) with another value.
    Replace(u64, Value),
}

fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<f64>()
            .prop_map(|f| serde_json::Number::from_f64(f).map_or(Value::Null, Value::Number)),
        Just(Value::from(1_764_219_600_000_i64)), // epoch milliseconds
        Just(Value::from(-1)),
        Just(Value::from("")),
        Just(Value::from("*")),
        Just(Value::from("../outside")),
        Just(Value::from("cron(0 5 L-3 * ? *)")),
        Just(Value::from("2026-13-45T99:99:99Z")),
        "\\PC{0,12}".prop_map(Value::from),
    ];
    leaf.prop_recursive(2, 8, 3, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..3).prop_map(Value::Array),
            prop::collection::btree_map("[A-Za-z]{1,8}", inner, 0..3)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

fn mutation() -> impl Strategy<Value = Mutation> {
    let troublesome = prop::sample::select(vec![
        '{', '}', '[', ']', ',', ':', '"', '\\', '\n', '\0', '\u{feff}', '\u{1b}', 'é', '-', '*',
        '#', '&', '!', '|', '>', '\t',
    ]);
    prop_oneof![
        (0.0..1.0f64).prop_map(Mutation::Truncate),
        ((0.0..1.0f64), troublesome).prop_map(|(at, c)| Mutation::Insert(at, c)),
        (any::<u64>(), json_value()).prop_map(|(walk, v)| Mutation::Replace(walk, v)),
    ]
}

/// Applies `m` to `text`; `parse`/`print` convert between text and a value tree for
/// `Replace` (JSON or YAML).
fn mutate(text: &str, m: &Mutation, yaml: bool) -> String {
    let at = |f: f64| {
        let mut i = ((text.len() as f64) * f) as usize;
        while !text.is_char_boundary(i) {
            i -= 1;
        }
        i
    };
    match m {
        Mutation::Truncate(f) => text[..at(*f)].to_owned(),
        Mutation::Insert(f, c) => {
            let i = at(*f);
            format!("{}{c}{}", &text[..i], &text[i..])
        }
        Mutation::Replace(walk, v) => {
            let mut tree: Value = if yaml {
                serde_yaml::from_str(text).unwrap()
            } else {
                serde_json::from_str(text).unwrap()
            };
            replace_somewhere(&mut tree, *walk, v.clone());
            if yaml {
                serde_yaml::to_string(&tree).unwrap()
            } else {
                serde_json::to_string_pretty(&tree).unwrap()
            }
        }
    }
}

/// Walks down the tree choosing children by the bits of `walk`, and replaces the node where
/// the walk stops (at a leaf, or when the bits say so).
fn replace_somewhere(node: &mut Value, walk: u64, with: Value) {
    let children = match node {
        Value::Array(a) => a.len(),
        Value::Object(o) => o.len(),
        _ => 0,
    };
    if children == 0 || walk.is_multiple_of(5) {
        *node = with;
        return;
    }
    let pick = (walk / 5) as usize % children;
    let next = walk / 5 / children as u64;
    let child = match node {
        Value::Array(a) => &mut a[pick],
        Value::Object(o) => o.values_mut().nth(pick).unwrap(),
        _ => unreachable!(),
    };
    replace_somewhere(child, next, with);
}

/// The error names files under `base` and only 1-based positions; a syntax error in
/// `mutated` (a file that no longer parses) carries a line.
fn check_error(e: &Error, base: &Path) -> Result<(), TestCaseError> {
    let text = e.to_string();
    match e {
        Error::Invalid(diags) => {
            prop_assert!(!diags.is_empty(), "an Invalid error with no diagnostic");
            for d in diags {
                prop_assert!(
                    d.path.starts_with(base),
                    "diagnostic names {} outside {}: {text}",
                    d.path.display(),
                    base.display()
                );
                prop_assert!(d.line.is_none_or(|l| l >= 1), "line 0 in {text}");
                prop_assert!(d.column.is_none_or(|c| c >= 1), "column 0 in {text}");
                if d.column.is_some() {
                    prop_assert!(d.line.is_some(), "a column without a line: {text}");
                }
            }
        }
        Error::Io { path, .. } => prop_assert!(path.starts_with(base), "{text}"),
        other => prop_assert!(false, "not an input error: {other:?}"),
    }
    Ok(())
}

proptest! {
    #![proptest_config(config(48))]

    /// A damaged snapshot file loads or is refused with its path and a 1-based position;
    /// never a panic.
    #[test]
    fn a_damaged_snapshot_file_is_an_error_with_a_position_or_loads(
        file in prop::sample::select(sample_files()),
        m in mutation(),
    ) {
        let (_dir, snap) = sample_copy();
        let path = snap.join(&file);
        let text = std::fs::read_to_string(&path).unwrap();
        std::fs::write(&path, mutate(&text, &m, false)).unwrap();
        match app::evaluate(&snap, &policy(), &Output::silent()) {
            Ok(_) => {}
            Err(e) => {
                check_error(&e, &snap)?;
                let syntax = serde_json::from_str::<Value>(&std::fs::read_to_string(&path)
                    .unwrap_or_default()).is_err();
                if syntax {
                    if let Error::Invalid(d) = &e {
                        prop_assert!(
                            d.iter().any(|d| d.path == path && d.line.is_some()),
                            "{} no longer parses but the error does not point into it: {e}",
                            file.display()
                        );
                    }
                }
            }
        }
    }

    /// A damaged rule or waiver file loads or is refused with its path and a 1-based
    /// position; never a panic.
    #[test]
    fn a_damaged_rule_or_waiver_file_is_an_error_with_a_position_or_loads(
        which in prop::sample::select(vec![
            "rules/default/protection.yaml",
            "rules/default/recovery-points.yaml",
            "rules/default/vaults.yaml",
            "samples/waivers.yaml",
        ]),
        m in mutation(),
    ) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(Path::new(which).file_name().unwrap());
        let text = std::fs::read_to_string(root().join(which)).unwrap();
        std::fs::write(&path, mutate(&text, &m, true)).unwrap();
        let result = if which.starts_with("samples") {
            let rules = RuleSet::load(&[root().join("rules")]).unwrap();
            waiver::load(&path, &rules).map(drop)
        } else {
            RuleSet::load(std::slice::from_ref(&path)).map(drop)
        };
        if let Err(e) = result {
            check_error(&e, dir.path())?;
        }
    }

    /// Any text in a plan's schedule fields parses or is refused; a parsed schedule always
    /// yields an interval.
    #[test]
    fn any_schedule_text_parses_or_is_refused(
        expr in prop_oneof![
            "cron\\([0-9*?/,LW#A-Z -]{0,40}\\)",
            "(cron|rate|at)\\(\\PC{0,30}\\)",
            "\\PC{0,30}",
        ],
        tz in prop::option::of(prop_oneof![
            Just("utc".to_owned()),
            Just("Europe/London".to_owned()),
            Just("America/Sao_Paulo".to_owned()),
            "\\PC{0,16}",
        ]),
    ) {
        if let Ok(s) = Schedule::parse(&expr, tz.as_deref()) {
            let from = chrono::Utc.with_ymd_and_hms(2026, 3, 1, 0, 0, 0).unwrap();
            let _ = s.worst_case_interval(from);
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Metamorphic properties on generated organisations

/// A small generated organisation: 2 accounts × 2 regions × `per_scope` resources.
fn generated(seed: u64, per_scope: usize, dir: &Path) -> PathBuf {
    let opts = SynthOptions {
        accounts: 2,
        regions: vec!["us-east-1".into(), "eu-west-1".into()],
        resources_per_scope: per_scope,
        recovery_points_per_resource: 2,
        seed,
        collected_at: chrono::Utc.with_ymd_and_hms(2026, 11, 27, 5, 0, 0).unwrap(),
    };
    let snap = dir.join("org");
    synth::generate(&opts, &snap).unwrap();
    snap
}

/// Scans `snap` with the shipped rules; returns the output directory.
fn scan(snap: &Path, out: &Path) -> PathBuf {
    let o = run(
        &[
            "scan",
            snap.to_str().unwrap(),
            "--rules",
            "rules",
            "--format",
            "csv,json,junit,markdown",
            "--out",
            out.to_str().unwrap(),
            "-q",
        ],
        &root(),
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    out.to_path_buf()
}

/// (rule, subject) → (status, reason) from findings.csv.
/// `(rule, subject) → (status, reason)`; a whole account-region's subject is `account/region`.
fn verdicts(out: &Path) -> BTreeMap<(String, String), (String, String)> {
    csv_rows(&out.join("findings.csv"))
        .into_iter()
        .map(|r| {
            let subject = match r["resource_arn"].as_str() {
                "" => format!("{}/{}", r["account_id"], r["region"]),
                arn => arn.to_owned(),
            };
            (
                (r["rule_id"].clone(), subject),
                (r["status"].clone(), r["reason"].clone()),
            )
        })
        .collect()
}

fn read_json(path: &Path) -> Value {
    serde_json::from_slice(&std::fs::read(path).unwrap_or_else(|_| b"[]".to_vec())).unwrap()
}

fn write_json(path: &Path, v: &Value) {
    std::fs::write(path, serde_json::to_vec_pretty(v).unwrap()).unwrap();
}

/// The scope directories of a snapshot, from its manifest.
fn scope_dirs(snap: &Path) -> Vec<PathBuf> {
    read_json(&snap.join("manifest.json"))["scopes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            snap.join(s["account_id"].as_str().unwrap())
                .join(s["region"].as_str().unwrap())
        })
        .collect()
}

/// What a removal takes away from one scope.
#[derive(Debug, Clone, Copy)]
enum Removal {
    Selection,
    Vault,
    RecoveryPointsOfOneResource,
}

/// Removes the `pick`-th item of the kind; false when the scope has none.
fn remove(scope: &Path, what: Removal, pick: usize) -> bool {
    let (file, key) = match what {
        Removal::Selection => ("backup-selections.json", None),
        Removal::Vault => ("backup-vaults.json", None),
        Removal::RecoveryPointsOfOneResource => ("recovery-points.json", Some("ResourceArn")),
    };
    let path = scope.join(file);
    let mut items = read_json(&path).as_array().cloned().unwrap_or_default();
    if items.is_empty() {
        return false;
    }
    let victim = items[pick % items.len()].clone();
    match key {
        None => items.retain(|i| *i != victim),
        Some(k) => items.retain(|i| i[k] != victim[k]),
    }
    write_json(&path, &Value::Array(items));
    true
}

proptest! {
    #![proptest_config(config(4))]

    /// Taking away a selection, a vault or a resource's recovery points can only lose
    /// protection: no FAIL becomes a PASS.
    #[test]
    fn removing_protection_never_turns_a_fail_into_a_pass(
        seed in any::<u64>(),
        scope_pick in any::<usize>(),
        item_pick in any::<usize>(),
        what in prop::sample::select(vec![
            Removal::Selection,
            Removal::Vault,
            Removal::RecoveryPointsOfOneResource,
        ]),
    ) {
        let dir = tempfile::tempdir().unwrap();
        let snap = generated(seed, 12, dir.path());
        let before = verdicts(&scan(&snap, &dir.path().join("before")));
        let scopes = scope_dirs(&snap);
        prop_assume!(remove(&scopes[scope_pick % scopes.len()], what, item_pick));
        let after = verdicts(&scan(&snap, &dir.path().join("after")));
        for (key, (was, why_was)) in &before {
            if let Some((now, why_now)) = after.get(key) {
                prop_assert!(
                    !(was == "FAIL" && now == "PASS"),
                    "{what:?} turned {key:?} from FAIL ({why_was}) into PASS ({why_now})"
                );
            }
        }
    }

    /// A new resource that nothing refers to, or a new account, changes no other finding.
    #[test]
    fn adding_an_unrelated_resource_or_account_changes_no_other_finding(
        seed in any::<u64>(),
        scope_pick in any::<usize>(),
        new_account in any::<bool>(),
    ) {
        let dir = tempfile::tempdir().unwrap();
        let snap = generated(seed, 10, dir.path());
        let before = verdicts(&scan(&snap, &dir.path().join("before")));
        let added_arn;
        // A new account-region has findings of its own (the organisation's policy check).
        let mut added_scope = String::new();
        if new_account {
            let (account, region) = ("999999999999", "us-east-1");
            added_arn = format!("arn:aws:dynamodb:{region}:{account}:table/unrelated");
            added_scope = format!("{account}/{region}");
            let scope = snap.join(account).join(region);
            std::fs::create_dir_all(&scope).unwrap();
            write_json(&scope.join("resources.json"), &serde_json::json!([
                config_item(&added_arn, "AWS::DynamoDB::Table", "unrelated", account, region),
            ]));
            // As a collector writes it: without copy-jobs.json the scope would read as one
            // whose copy jobs were never listed, a finding of its own.
            write_json(&scope.join("copy-jobs.json"), &serde_json::json!([]));
            let manifest = snap.join("manifest.json");
            let mut m = read_json(&manifest);
            m["scopes"].as_array_mut().unwrap().push(serde_json::json!(
                {"account_id": account, "region": region, "status": "complete"}
            ));
            write_json(&manifest, &m);
        } else {
            let scopes = scope_dirs(&snap);
            let scope = &scopes[scope_pick % scopes.len()];
            let region = scope.file_name().unwrap().to_str().unwrap().to_owned();
            let account = scope.parent().unwrap().file_name().unwrap().to_str().unwrap().to_owned();
            added_arn = format!("arn:aws:dynamodb:{region}:{account}:table/zz-unrelated");
            let path = scope.join("resources.json");
            let mut items = read_json(&path);
            items.as_array_mut().unwrap().push(
                config_item(&added_arn, "AWS::DynamoDB::Table", "zz-unrelated", &account, &region)
            );
            write_json(&path, &items);
        }
        let after = verdicts(&scan(&snap, &dir.path().join("after")));
        for (key, was) in &before {
            prop_assert_eq!(Some(was), after.get(key), "{:?} changed", key);
        }
        prop_assert!(
            after
                .keys()
                .all(|k| before.contains_key(k) || k.1 == added_arn || k.1 == added_scope),
            "findings appeared for subjects other than the added resource"
        );
    }

    /// The order of items in any data file, and of the manifest's scopes, changes no output
    /// byte (beyond the run's own time and id).
    #[test]
    fn shuffling_items_in_any_file_changes_no_output_byte(seed in any::<u64>(), shuffle in any::<u64>()) {
        let dir = tempfile::tempdir().unwrap();
        let snap = generated(seed, 10, dir.path());
        let before = outputs(&scan(&snap, &dir.path().join("before")));
        let mut rng = fastrand::Rng::with_seed(shuffle);
        for scope in scope_dirs(&snap) {
            for f in std::fs::read_dir(&scope).unwrap().flatten() {
                let mut v = read_json(&f.path());
                if let Some(items) = v.as_array_mut() {
                    rng.shuffle(items);
                }
                write_json(&f.path(), &v);
            }
        }
        let manifest = snap.join("manifest.json");
        let mut m = read_json(&manifest);
        rng.shuffle(m["scopes"].as_array_mut().unwrap());
        write_json(&manifest, &m);
        let after = outputs(&scan(&snap, &dir.path().join("after")));
        prop_assert_eq!(before.keys().collect::<Vec<_>>(), after.keys().collect::<Vec<_>>());
        for (name, text) in &before {
            prop_assert!(&after[name] == text, "{} differs after shuffling", name);
        }
    }
}

/// A Config item of the shape resources.json holds.
fn config_item(arn: &str, kind: &str, name: &str, account: &str, region: &str) -> Value {
    serde_json::json!({
        "resourceType": kind,
        "resourceId": name,
        "resourceName": name,
        "arn": arn,
        "accountId": account,
        "awsRegion": region,
        "tags": {"owner": "nobody"},
        "configuration": {},
    })
}

/// Every output file's text, with what differs by run (its time and id, and the output
/// directory's own path) blanked.
fn outputs(out: &Path) -> BTreeMap<String, String> {
    let json = read_json(&out.join("findings.json"));
    let mut volatile: Vec<String> = ["run_at", "run_id"]
        .iter()
        .filter_map(|k| json[k].as_str().map(str::to_owned))
        .collect();
    // The scan's id is its time and run id, which the two replace only in part.
    volatile.extend(json["scan"]["scan_id"].as_str().map(str::to_owned));
    volatile.sort_by_key(|v| std::cmp::Reverse(v.len()));
    volatile.push(out.display().to_string());
    std::fs::read_dir(out)
        .unwrap()
        .flatten()
        // Hidden files are the run's own bookkeeping (lock, mark), not outputs.
        .filter(|e| {
            e.file_type().unwrap().is_file() && !e.file_name().to_string_lossy().starts_with('.')
        })
        .map(|e| {
            let mut text = std::fs::read_to_string(e.path()).unwrap();
            for v in &volatile {
                text = text.replace(v.as_str(), "[RUN]");
            }
            (e.file_name().to_string_lossy().into_owned(), text)
        })
        .collect()
}
