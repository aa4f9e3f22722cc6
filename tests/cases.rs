//! Data-driven cases from `tests/cases/*.yaml`: selections, schedules, vault lock and
//! retention, and the expected verdicts of the sample organisation.

use crate::util::*;
use backup_auditor::model::plan::Retention;
use backup_auditor::model::resource::{Resource, ResourceKind};
use backup_auditor::model::schedule::{Interval, Schedule};
use backup_auditor::model::selection::{decide, opt_in_for, Selection};
use backup_auditor::model::vault::{LockMode, Vault};
use backup_auditor::model::Tri;
use backup_auditor::snapshot::aws;
use serde_yaml::Value;
use std::collections::{BTreeMap, BTreeSet};

fn load(name: &str) -> Value {
    let path = root().join("tests/cases").join(name);
    let text = std::fs::read_to_string(&path).unwrap();
    serde_yaml::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn names(v: &Value, key: &str) -> BTreeSet<String> {
    v.get(key)
        .and_then(Value::as_sequence)
        .map(|s| s.iter().map(|x| x.as_str().unwrap().to_owned()).collect())
        .unwrap_or_default()
}

#[test]
fn selection_cases() {
    let doc = load("selections.yaml");
    let resources: BTreeMap<String, Resource> = doc["resources"]
        .as_mapping()
        .unwrap()
        .iter()
        .map(|(k, v)| {
            let item: aws::ConfigItem = serde_yaml::from_value(v.clone()).unwrap();
            (
                k.as_str().unwrap().to_owned(),
                Resource::from_config(item).unwrap(),
            )
        })
        .collect();
    let mut failures = Vec::new();
    for case in doc["cases"].as_sequence().unwrap() {
        let name = case["name"].as_str().unwrap();
        let mut sel = case["selection"].clone();
        sel.as_mapping_mut()
            .unwrap()
            .insert("SelectionName".into(), "case".into());
        let sel: aws::BackupSelection = serde_yaml::from_value(sel).unwrap();
        let sel = Selection::from_aws(sel, None);
        let mut settings: BTreeMap<String, bool> = ResourceKind::ALL
            .iter()
            .map(|k| (k.backup_type().to_owned(), true))
            .collect();
        let unknown_settings = case.get("opt_in").and_then(Value::as_str) == Some("unknown");
        if let Some(m) = case.get("opt_in").and_then(Value::as_mapping) {
            for (k, v) in m {
                let k = k.as_str().unwrap().to_owned();
                match v.as_bool() {
                    Some(b) => settings.insert(k, b),
                    None => settings.remove(&k),
                };
            }
        }
        let (want_yes, want_blocked, want_unknown) = (
            names(case, "selected"),
            names(case, "blocked_by_opt_in"),
            names(case, "unknown"),
        );
        for (id, res) in &resources {
            let opt_in = (!unknown_settings)
                .then(|| opt_in_for(&settings, res.kind))
                .flatten();
            let d = decide(&sel, res, opt_in);
            let want = if want_yes.contains(id) {
                Tri::Yes
            } else if want_unknown.contains(id) {
                Tri::Unknown
            } else {
                Tri::No
            };
            if d.selected != want || d.blocked_by_opt_in != want_blocked.contains(id) {
                failures.push(format!(
                    "{name}: {id}: got {:?} (blocked by opt-in: {}), want {want:?}: {}",
                    d.selected, d.blocked_by_opt_in, d.reason
                ));
            }
        }
    }
    assert!(failures.is_empty(), "\n{}", failures.join("\n"));
}

#[test]
fn schedule_cases() {
    let doc = load("schedules.yaml");
    let from = chrono::DateTime::parse_from_rfc3339(doc["from"].as_str().unwrap())
        .unwrap()
        .with_timezone(&chrono::Utc);
    let mut failures = Vec::new();
    for case in doc["valid"].as_sequence().unwrap() {
        let expr = case["expression"].as_str().unwrap();
        let tz = case.get("timezone").and_then(Value::as_str);
        let got = match Schedule::parse(expr, tz) {
            Ok(s) => match s.worst_case_interval(from) {
                Interval::Every { max_gap, .. } => {
                    format!("{}h", max_gap.num_minutes() as f64 / 60.0)
                }
                Interval::NeverRuns => "never".into(),
                Interval::StopsRunning { .. } => "stops".into(),
            },
            Err(e) => format!("error: {e}"),
        };
        let want = match &case["worst_gap"] {
            Value::Number(n) => format!("{}h", n.as_f64().unwrap()),
            v => v.as_str().unwrap().to_owned(),
        };
        if got != want {
            failures.push(format!("{expr} ({tz:?}): got {got}, want {want}"));
        }
    }
    for case in doc["invalid"].as_sequence().unwrap() {
        let expr = case["expression"].as_str().unwrap();
        let want = case["error"].as_str().unwrap();
        match Schedule::parse(expr, case.get("timezone").and_then(Value::as_str)) {
            Ok(_) => failures.push(format!("{expr}: parsed, want error containing {want:?}")),
            Err(e) if !e.to_string().contains(want) => {
                failures.push(format!("{expr}: error {e:?} does not contain {want:?}"))
            }
            Err(_) => {}
        }
    }
    assert!(failures.is_empty(), "\n{}", failures.join("\n"));
}

#[test]
fn vault_lock_cases() {
    let doc = load("vault-lock.yaml");
    let now = chrono::DateTime::parse_from_rfc3339(doc["now"].as_str().unwrap())
        .unwrap()
        .with_timezone(&chrono::Utc);
    let mut failures = Vec::new();
    for case in doc["cases"].as_sequence().unwrap() {
        let name = case["name"].as_str().unwrap();
        let mut v = case["vault"].clone();
        let m = v.as_mapping_mut().unwrap();
        m.insert("BackupVaultName".into(), "v".into());
        m.insert(
            "BackupVaultArn".into(),
            "arn:aws:backup:us-east-1:1:backup-vault:v".into(),
        );
        let vault = Vault::from_aws(serde_yaml::from_value(v).unwrap());
        let mode = match vault.lock_mode(now) {
            LockMode::Unlocked => "unlocked",
            LockMode::Governance => "governance",
            LockMode::ComplianceGrace { .. } => "compliance-grace",
            LockMode::Compliance => "compliance",
        };
        if let Some(want) = case.get("mode").and_then(Value::as_str) {
            if mode != want {
                failures.push(format!("{name}: mode {mode}, want {want}"));
            }
        }
        for r in case
            .get("rules")
            .and_then(Value::as_sequence)
            .into_iter()
            .flatten()
        {
            let retention = match r["retention"].as_i64() {
                Some(d) => Retention::Days(d),
                None => Retention::Forever,
            };
            let want_ok = r["jobs"].as_str().unwrap() == "succeed";
            let violation = vault.lock_violation(retention);
            if violation.is_none() != want_ok {
                failures.push(format!(
                    "{name}: retention {retention}: got {violation:?}, want jobs to {}",
                    r["jobs"].as_str().unwrap()
                ));
            }
        }
    }
    assert!(failures.is_empty(), "\n{}", failures.join("\n"));
}

#[test]
fn sample_verdicts() {
    let doc = load("sample-verdicts.yaml");
    let (out, _) = sample_scan();
    let rows = csv_rows(&out.path().join("findings.csv"));
    let failures = unmet(&rows, &doc["expect"]);
    assert!(failures.is_empty(), "\n{}", failures.join("\n"));
}

/// Variations of the sample, each scanned end to end: every tests/cases/scenarios*.yaml (one
/// file per subject, e.g. scenarios-jobs.yaml).
#[test]
fn scenario_verdicts() {
    let mut files: Vec<String> = std::fs::read_dir(root().join("tests/cases"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with("scenarios") && n.ends_with(".yaml"))
        .collect();
    files.sort();
    let docs: Vec<(String, Value)> = files
        .into_iter()
        .map(|f| {
            let doc = load(&f);
            (f, doc)
        })
        .collect();
    let mut failures = Vec::new();
    for (file, sc) in docs.iter().flat_map(|(f, d)| {
        d["scenarios"]
            .as_sequence()
            .unwrap()
            .iter()
            .map(move |sc| (f, sc))
    }) {
        let name = format!("{file}: {}", sc["name"].as_str().unwrap());
        let (dir, snap) = sample_copy();
        let out = dir.path().join("out");
        for edit in sc["edits"].as_sequence().unwrap() {
            apply_edit(&snap, edit);
        }
        let o = run(
            &[
                "scan",
                snap.to_str().unwrap(),
                "--rules",
                "rules",
                "--out",
                out.to_str().unwrap(),
                "-q",
            ],
            &root(),
        );
        assert_eq!(o.status.code(), Some(0), "{name}: {}", stderr(&o));
        let rows = csv_rows(&out.join("findings.csv"));
        failures.extend(
            unmet(&rows, &sc["expect"])
                .into_iter()
                .map(|f| format!("{name}: {f}")),
        );
    }
    assert!(failures.is_empty(), "\n{}", failures.join("\n"));
}

/// One `edits` entry of scenarios.yaml: `remove`, `set` or `append` on a data file's array,
/// `write` of a whole file (one object), `delete` of a whole file, `unreadable` (with `types`:
/// only those resource types of resources.json), `failed`,
/// `absent` (a scope not collected at all), or `manifest` (top-level manifest fields).
fn apply_edit(snap: &std::path::Path, edit: &Value) {
    if let Some(f) = edit.get("absent") {
        // The snapshot never looked at the scope: not in the manifest, no directory.
        let (account, region) = (
            f["account"].as_str().unwrap(),
            f["region"].as_str().unwrap(),
        );
        edit_manifest(snap, |m| {
            let scopes = m["scopes"].as_array_mut().unwrap();
            let before = scopes.len();
            scopes.retain(|s| !(s["account_id"] == account && s["region"] == region));
            assert!(scopes.len() < before, "the scope is in the manifest");
        });
        std::fs::remove_dir_all(snap.join(account).join(region)).unwrap();
        return;
    }
    if let Some(f) = edit.get("failed") {
        // The manifest records that a whole scope could not be read: its data is ignored.
        edit_manifest(snap, |m| {
            let scope = manifest_scope(m, f);
            scope["status"] = "failed".into();
            scope["error"] = f["error"].as_str().into();
            if let Some(o) = scope.as_object_mut() {
                o.remove("errors");
            }
        });
        return;
    }
    if let Some(f) = edit.get("unreadable") {
        // The manifest records that one file of a scope could not be read.
        edit_manifest(snap, |m| {
            let scope = manifest_scope(m, f);
            scope["status"] = "partial".into();
            let mut error =
                serde_json::json!({"file": f["file"].as_str(), "error": f["error"].as_str()});
            // `types`: only those resource types could not be listed (resources.json).
            if let Some(types) = f.get("types") {
                error["types"] = serde_json::to_value(types).unwrap();
            }
            match scope["errors"].as_array_mut() {
                Some(list) => list.push(error),
                None => scope["errors"] = serde_json::json!([error]),
            }
        });
        return;
    }
    if let Some(fields) = edit.get("manifest") {
        // Top-level manifest fields set (or, when null, removed), e.g. `windows`.
        edit_manifest(snap, |m| {
            for (k, v) in serde_json::to_value(fields).unwrap().as_object().unwrap() {
                let m = m.as_object_mut().unwrap();
                if v.is_null() {
                    m.remove(k);
                } else {
                    m.insert(k.clone(), v.clone());
                }
            }
        });
        return;
    }
    if let Some(f) = edit.get("delete") {
        std::fs::remove_file(snap.join(f.as_str().unwrap())).expect("the file to delete exists");
        return;
    }
    let path = snap.join(edit["file"].as_str().unwrap());
    if let Some(content) = edit.get("write") {
        // A file that is one object (region-settings.json): written whole.
        let text = serde_json::to_vec_pretty(&serde_json::to_value(content).unwrap()).unwrap();
        std::fs::write(&path, text).unwrap();
        return;
    }
    let mut items: Vec<serde_json::Value> =
        serde_json::from_slice(&std::fs::read(&path).unwrap_or_default()).unwrap_or_default();
    let json = |v: &Value| serde_json::to_value(v).unwrap();
    let matches = |item: &serde_json::Value, m: &Value| {
        json(m)
            .as_object()
            .unwrap()
            .iter()
            .all(|(k, v)| item.get(k) == Some(v))
    };
    let before = items.len();
    if let Some(m) = edit.get("remove") {
        items.retain(|i| !matches(i, m));
        assert!(
            items.len() < before,
            "{}: nothing to remove",
            path.display()
        );
    } else if let Some(set) = edit.get("set") {
        let mut hit = false;
        for i in items.iter_mut().filter(|i| matches(i, &set["match"])) {
            for (k, v) in json(&set["fields"]).as_object().unwrap() {
                // `BackupPlan.Rules` sets a nested field.
                let slot = k.split('.').fold(&mut *i, |node, part| &mut node[part]);
                *slot = v.clone();
            }
            hit = true;
        }
        assert!(hit, "{}: nothing to set", path.display());
    } else if let Some(add) = edit.get("append") {
        items.extend(json(add).as_array().unwrap().iter().cloned());
    } else {
        panic!("unknown edit {edit:?}");
    }
    std::fs::write(&path, serde_json::to_vec_pretty(&items).unwrap()).unwrap();
}

/// Reads the snapshot's manifest, lets `f` change it, writes it back.
fn edit_manifest(snap: &std::path::Path, f: impl FnOnce(&mut serde_json::Value)) {
    let path = snap.join("manifest.json");
    let mut m: serde_json::Value = serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
    f(&mut m);
    std::fs::write(&path, serde_json::to_vec_pretty(&m).unwrap()).unwrap();
}

/// The manifest's scope for an edit's `account` and `region`.
fn manifest_scope<'m>(m: &'m mut serde_json::Value, edit: &Value) -> &'m mut serde_json::Value {
    let (account, region) = (
        edit["account"].as_str().unwrap(),
        edit["region"].as_str().unwrap(),
    );
    m["scopes"]
        .as_array_mut()
        .unwrap()
        .iter_mut()
        .find(|s| s["account_id"] == account && s["region"] == region)
        .expect("the scope is in the manifest")
}

/// The expectations (`rule`, `subject`, `status`, optional `reason` part) the findings miss.
fn unmet(rows: &[BTreeMap<String, String>], expect: &Value) -> Vec<String> {
    let mut failures = Vec::new();
    for case in expect.as_sequence().unwrap() {
        let rule = case["rule"].as_str().unwrap();
        let subject = case["subject"].as_str().unwrap();
        let want = case["status"].as_str().unwrap();
        let hits: Vec<&BTreeMap<String, String>> = rows
            .iter()
            .filter(|r| {
                r["rule_id"] == rule
                    && (r["resource_arn"] == subject || r["resource_name"] == subject)
                    // `scope: ACCOUNT/REGION` tells apart subjects of one name (a whole
                    // scope's subject is "").
                    && case.get("scope").and_then(Value::as_str).is_none_or(|s| {
                        s == format!("{}/{}", r["account_id"], r["region"])
                    })
            })
            .collect();
        match hits.as_slice() {
            [r] => {
                if r["status"] != want {
                    failures.push(format!(
                        "{rule} {subject}: {} ({}), want {want}",
                        r["status"], r["reason"]
                    ));
                }
                if let Some(part) = case.get("reason").and_then(Value::as_str) {
                    if !r["reason"].contains(part) {
                        failures.push(format!(
                            "{rule} {subject}: reason {:?} lacks {part:?}",
                            r["reason"]
                        ));
                    }
                }
            }
            other => failures.push(format!(
                "{rule} {subject}: {} matching findings",
                other.len()
            )),
        }
    }
    failures
}
