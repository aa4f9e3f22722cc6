//! Mistakes in a plan's backup resources that cost a restore later, named with the plan's
//! address before it is applied. They are warnings: the verdicts already follow from them (a
//! condition key without its prefix is unmet), but the cause is easier to fix at its address.

use super::terraform::{Action, ResourceChange};
use crate::snapshot::Snapshot;
use serde_json::Value;

const PREFIX: &str = "aws:ResourceTag/";

/// Every mistake of `changes`, one line each. `snap` is the snapshot before the plan (its
/// recovery points and vault locks).
pub fn find(changes: &[ResourceChange], snap: &Snapshot) -> Vec<String> {
    let mut found = Vec::new();
    for c in changes.iter().filter(|c| c.action != Action::NoOp) {
        let after = c.after.as_ref();
        let at = &c.address;
        match (c.kind.as_str(), after) {
            ("aws_backup_selection", Some(a)) => selection(at, a, &mut found),
            ("aws_backup_plan", Some(a)) => plan_retention(at, a, snap, &mut found),
            ("aws_backup_vault", _) if forced(c) => {
                let state = c.after.as_ref().or(c.before.as_ref());
                let name = state
                    .and_then(|a| a.get("name"))
                    .and_then(Value::as_str)
                    .unwrap_or_default();
                let points = snap
                    .scopes
                    .iter()
                    .flat_map(|s| &s.data.recovery_points)
                    .filter(|p| *p.backup_vault_name == *name)
                    .count();
                if points > 0 {
                    let now = if c.action == Action::Delete {
                        "deletes"
                    } else {
                        "would delete"
                    };
                    found.push(format!(
                        "{at}: force_destroy on vault {name}, which holds {points} recovery \
                         points: destroying it {now} them"
                    ));
                }
            }
            ("aws_backup_vault_lock_configuration", Some(a)) => {
                lock_bounds(at, a, snap, &mut found)
            }
            ("aws_backup_vault_lock_configuration", _) if c.action == Action::Delete => {
                found.push(format!(
                    "{at}: removes a vault lock: its recovery points can then be deleted early"
                ));
            }
            _ => {}
        }
    }
    found
}

/// A vault whose destruction takes its recovery points with it.
fn forced(c: &ResourceChange) -> bool {
    let state = if c.action == Action::Delete {
        &c.before
    } else {
        &c.after
    };
    state.as_ref().and_then(|v| v.get("force_destroy")) == Some(&Value::Bool(true))
}

fn list<'a>(v: &'a serde_json::Map<String, Value>, k: &str) -> impl Iterator<Item = &'a Value> {
    v.get(k).and_then(Value::as_array).into_iter().flatten()
}

fn selection(at: &str, a: &serde_json::Map<String, Value>, found: &mut Vec<String>) {
    for c in list(a, "condition") {
        for op in [
            "string_equals",
            "string_not_equals",
            "string_like",
            "string_not_like",
        ] {
            for p in c[op].as_array().into_iter().flatten() {
                let key = p["key"].as_str().unwrap_or_default();
                if key.starts_with(&format!("{PREFIX}{PREFIX}")) {
                    found.push(format!(
                        "{at}: condition key {key:?} carries the {PREFIX} prefix twice: it \
                         names no tag, so the condition is never met"
                    ));
                } else if !key.starts_with(PREFIX) {
                    found.push(format!(
                        "{at}: condition key {key:?} lacks the {PREFIX} prefix: AWS Backup \
                         matches conditions on {PREFIX}<key> only, so it is never met"
                    ));
                }
            }
        }
    }
    let mut tagged = false;
    for t in list(a, "selection_tag") {
        tagged = true;
        let key = t["key"].as_str().unwrap_or_default();
        if key.starts_with(PREFIX) {
            found.push(format!(
                "{at}: selection_tag key {key:?} carries the {PREFIX} prefix: selection_tag \
                 takes the bare tag key, so it matches only a tag literally named so"
            ));
        }
    }
    let everything = list(a, "resources").any(|r| r == "*");
    if everything && tagged {
        found.push(format!(
            "{at}: resources = [\"*\"] with selection_tag: AWS Backup selects their union, so \
             the tags narrow nothing (only condition narrows a selection)"
        ));
    }
}

/// A new lock whose bounds the snapshot's rules that target the vault fall outside.
fn lock_bounds(
    at: &str,
    a: &serde_json::Map<String, Value>,
    snap: &Snapshot,
    found: &mut Vec<String>,
) {
    let vault = a
        .get("backup_vault_name")
        .and_then(Value::as_str)
        .unwrap_or_default();
    let (min, max) = (
        a.get("min_retention_days").and_then(Value::as_i64),
        a.get("max_retention_days").and_then(Value::as_i64),
    );
    let rules = snap
        .scopes
        .iter()
        .flat_map(|s| &s.data.plans)
        .flat_map(|p| p.backup_plan.rules.iter().map(move |r| (p, r)))
        .filter(|(_, r)| r.target_backup_vault_name == vault);
    for (p, r) in rules {
        let days = r.lifecycle.as_ref().and_then(|l| l.delete_after_days);
        let outside = match days {
            Some(d) => min.is_some_and(|m| d < m) || max.is_some_and(|m| d > m),
            None => max.is_some(),
        };
        if outside {
            found.push(format!(
                "{at}: locks vault {vault} to {}–{} days, but rule {} of plan {} keeps recovery \
                 points {}: its backup jobs will fail",
                min.map_or("0".into(), |d| d.to_string()),
                max.map_or("∞".into(), |d| d.to_string()),
                r.rule_name,
                p.backup_plan.backup_plan_name,
                days.map_or("forever".to_string(), |d| format!("{d} days")),
            ));
        }
    }
}

/// A rule whose retention a locked target vault refuses: its jobs fail rather than adjust.
fn plan_retention(
    at: &str,
    a: &serde_json::Map<String, Value>,
    snap: &Snapshot,
    found: &mut Vec<String>,
) {
    for r in list(a, "rule") {
        let vault = r["target_vault_name"].as_str().unwrap_or_default();
        let days = r["lifecycle"][0]["delete_after"]
            .as_i64()
            .filter(|d| *d > 0);
        let locks = snap
            .scopes
            .iter()
            .flat_map(|s| &s.data.vaults)
            .filter(|v| v.backup_vault_name == vault && v.locked == Some(true));
        for v in locks {
            let below = match (days, v.min_retention_days) {
                (Some(d), Some(min)) => d < min,
                _ => false,
            };
            let above = match (days, v.max_retention_days) {
                (Some(d), Some(max)) => d > max,
                (None, Some(_)) => true, // kept forever, beyond any maximum
                _ => false,
            };
            if below || above {
                found.push(format!(
                    "{at}: rule {} keeps recovery points {} but vault {vault} is locked to {}–{} \
                     days: its backup jobs will fail",
                    r["rule_name"].as_str().unwrap_or_default(),
                    days.map_or("forever".to_string(), |d| format!("{d} days")),
                    v.min_retention_days.map_or("0".into(), |d| d.to_string()),
                    v.max_retention_days.map_or("∞".into(), |d| d.to_string()),
                ));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn named(a: Value) -> Vec<String> {
        let mut found = Vec::new();
        selection("aws_backup_selection.s", a.as_object().unwrap(), &mut found);
        found
    }

    #[test]
    fn condition_keys_need_the_prefix_exactly_once() {
        let found = named(json!({"condition": [{"string_equals": [
            {"key": "backup", "value": "daily"},
            {"key": "aws:ResourceTag/aws:ResourceTag/env", "value": "prod"},
            {"key": "aws:ResourceTag/app", "value": "orders"}]}]}));
        assert_eq!(found.len(), 2, "{found:?}");
        assert!(found[0].contains("lacks") && found[1].contains("twice"));
    }

    #[test]
    fn a_prefixed_selection_tag_and_a_star_with_tags_are_named() {
        let found = named(json!({"resources": ["*"], "selection_tag": [
            {"type": "STRINGEQUALS", "key": "aws:ResourceTag/backup", "value": "daily"}]}));
        assert_eq!(found.len(), 2, "{found:?}");
        assert!(found[0].contains("bare tag key") && found[1].contains("union"));
        assert!(named(json!({"resources": ["*"], "condition": []})).is_empty());
    }
}
