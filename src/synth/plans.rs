//! A scope's backup plans (`backup-plans.json`) and the selections that assign resources to
//! them (`backup-selections.json`).

use super::out::{ts, uuid};
use super::place::Place;
use super::vaults::{primary_name, vault_arn, Vault, Vaults};
use super::DAY;
use fastrand::Rng;
use serde_json::{json, Value};

/// A backup rule, as its recovery points name it.
pub(super) struct Rule {
    /// Index of its plan and of its target vault.
    pub(super) plan: usize,
    pub(super) id: String,
    pub(super) vault: usize,
    /// Retention in days.
    pub(super) days: u32,
}

/// The plans: "daily", "weekly-monthly", "databases" and, if `has_legacy`, "legacy-ec2".
pub(super) struct Plans {
    pub(super) has_legacy: bool,
    pub(super) ids: Vec<String>,
    pub(super) versions: Vec<String>,
    pub(super) daily: Rule,
    pub(super) weekly: Rule,
    pub(super) monthly: Rule,
    pub(super) weekday: Rule,
    pub(super) cont: Rule,
    pub(super) legacy: Rule,
}

impl Plans {
    /// Draws the plans' ids and versions and their rules' ids, vaults and retention.
    pub(super) fn draw(rng: &mut Rng, vaults: &Vaults) -> Plans {
        let has_legacy = rng.bool();
        let nplans = 3 + has_legacy as usize;
        let ids: Vec<String> = (0..nplans).map(|_| uuid(rng)).collect();
        let versions: Vec<String> = (0..nplans)
            .map(|_| format!("{:032x}", rng.u128(..)))
            .collect();
        let rule = |rng: &mut Rng, plan, vault, days| Rule {
            plan,
            id: uuid(rng),
            vault,
            days,
        };
        let (primary, long) = (vaults.primary, vaults.long);
        let daily = rule(rng, 0, primary, 35);
        let weekly = rule(rng, 1, long, 365);
        let monthly = rule(rng, 1, long, 2555);
        let weekday = rule(rng, 2, vaults.app.unwrap_or(primary), 14);
        let cont = rule(rng, 2, primary, 35);
        let legacy_days = if rng.bool() { 3 } else { 14 };
        let legacy = rule(rng, 3, long, legacy_days);
        Plans {
            has_legacy,
            ids,
            versions,
            daily,
            weekly,
            monthly,
            weekday,
            cont,
            legacy,
        }
    }

    pub(super) fn count(&self) -> usize {
        self.ids.len()
    }

    /// Whether the legacy rule produces backups: not below its locked vault's minimum retention.
    pub(super) fn legacy_works(&self, vaults: &[Vault]) -> bool {
        let min = vaults[self.legacy.vault].min_days;
        min.is_none_or(|m| self.legacy.days >= m)
    }

    /// The plans' documents.
    pub(super) fn docs(&self, rng: &mut Rng, at: &Place, vaults: &[Vault]) -> Vec<Value> {
        let rules = self.rule_docs(rng, at, vaults);
        let mut plans = Vec::new();
        for (i, (name, rules)) in rules.into_iter().take(self.count()).enumerate() {
            let (id, arn) = (
                &self.ids[i],
                format!(
                    "arn:aws:backup:{}:{}:backup-plan:{}",
                    at.reg, at.acc, self.ids[i]
                ),
            );
            let name = format!("{name}-{}", at.acct.env);
            plans.push(json!({
                "BackupPlan": {"BackupPlanName": name, "Rules": rules, "AdvancedBackupSettings": []},
                "BackupPlanId": id, "BackupPlanArn": arn, "VersionId": self.versions[i],
                "CreatorRequestId": uuid(rng), "CreationDate": ts(at.now - rng.i64(30..900) * DAY),
            }));
        }
        plans
    }

    /// Each plan's name prefix and rule documents: weekday and monthly crons, timezones, a
    /// continuous rule, cold storage, and copies to the next region's primary vault (most
    /// scopes) and to the central account's archive (all accounts but the central one).
    fn rule_docs(&self, rng: &mut Rng, at: &Place, vaults: &[Vault]) -> [(&str, Vec<Value>); 4] {
        let rule_doc = |rule: &Rule, name: &str, cron: &str, windows: (u32, u32)| {
            json!({"RuleName": name, "TargetBackupVaultName": vaults[rule.vault].name,
                "ScheduleExpression": cron, "StartWindowMinutes": windows.0,
                "CompletionWindowMinutes": windows.1, "Lifecycle": {"DeleteAfterDays": rule.days},
                "RecoveryPointTags": {}, "RuleId": rule.id, "CopyActions": []})
        };
        let (reg, acc) = (at.reg, at.acc);
        let mut d = rule_doc(&self.daily, "daily-35d", "cron(0 5 ? * * *)", (60, 480));
        let other_region = &at.opts.regions[(at.r + 1) % at.opts.regions.len()];
        if other_region != reg && rng.u8(..10) < 7 {
            let to = vault_arn(other_region, acc, &primary_name(at.acct));
            d["CopyActions"] =
                json!([{"DestinationBackupVaultArn": to, "Lifecycle": {"DeleteAfterDays": 35}}]);
        }
        let mut wk = rule_doc(&self.weekly, "weekly-1y", "cron(0 3 ? * 1 *)", (120, 1440));
        wk["ScheduleExpressionTimezone"] = "Etc/UTC".into();
        let mut mo = rule_doc(
            &self.monthly,
            "monthly-7y",
            "cron(0 4 1 * ? *)",
            (120, 2880),
        );
        mo["Lifecycle"]["MoveToColdStorageAfterDays"] = 90.into();
        if at.a != 0 {
            let to = vault_arn(reg, &at.accounts[0].id, "central-archive");
            mo["CopyActions"] = json!([{"DestinationBackupVaultArn": to}]);
        }
        let weekday_cron = "cron(0 22 ? * MON-FRI *)";
        let mut wd = rule_doc(&self.weekday, "weekday-nightly", weekday_cron, (60, 360));
        wd["ScheduleExpressionTimezone"] = timezone(reg).into();
        let mut ct = rule_doc(
            &self.cont,
            "continuous-pitr",
            "cron(0 */12 * * ? *)",
            (60, 240),
        );
        ct["EnableContinuousBackup"] = true.into();
        let lg = rule_doc(
            &self.legacy,
            "nightly-short",
            "cron(30 2 * * ? *)",
            (480, 1440),
        );
        [
            ("daily", vec![d]),
            ("weekly-monthly", vec![wk, mo]),
            ("databases", vec![wd, ct]),
            ("legacy-ec2", vec![lg]),
        ]
    }

    /// One selection per plan: tag conditions, `ListOfTags`, ARN patterns with `NotResources`,
    /// and for the legacy plan the explicit ARNs `legacy_arns`.
    pub(super) fn selections(
        &self,
        rng: &mut Rng,
        at: &Place,
        legacy_arns: Vec<String>,
    ) -> Vec<Value> {
        let tag = |k: &str, v: &str| json!([{"ConditionKey": format!("aws:ResourceTag/{k}"), "ConditionValue": v}]);
        let weekly_tag = json!([{"ConditionType": "STRINGEQUALS", "ConditionKey": "backup", "ConditionValue": "weekly"}]);
        let table =
            |pattern: &str| format!("arn:aws:dynamodb:{}:{}:table/{pattern}", at.reg, at.acc);
        let mut bodies = vec![
            json!({"SelectionName": "tag-backup-daily", "Resources": ["*"], "NotResources": [], "ListOfTags": [],
                "Conditions": {"StringEquals": tag("backup", "daily"), "StringNotEquals": tag("env", "sandbox")}}),
            json!({"SelectionName": "tag-backup-weekly", "Resources": [], "NotResources": [], "ListOfTags": weekly_tag}),
            json!({"SelectionName": "databases-by-arn", "ListOfTags": [],
                "Resources": [at.rds("db:*"), at.rds("cluster:*"), table("*")],
                "NotResources": [at.rds("db:*-scratch"), table("tmp-*")]}),
        ];
        if self.has_legacy {
            bodies.push(
                json!({"SelectionName": "legacy-explicit", "Resources": legacy_arns,
                "NotResources": [], "ListOfTags": []}),
            );
        }
        let role = at.role();
        let mut selections = Vec::new();
        for (i, mut body) in bodies.into_iter().enumerate() {
            body["IamRoleArn"] = role.clone().into();
            body["Conditions"] = all_conditions(body["Conditions"].take());
            selections.push(json!({"BackupSelection": body, "SelectionId": uuid(rng),
                "BackupPlanId": self.ids[i], "CreationDate": ts(at.now - rng.i64(1..900) * DAY)}));
        }
        selections
    }
}

/// The weekday rule's timezone: the region's business hours.
fn timezone(region: &str) -> &'static str {
    match region.split('-').next() {
        Some("eu") => "Europe/London",
        Some("ap") => "Australia/Sydney",
        _ => "America/New_York",
    }
}

/// A selection's `Conditions` with every operator present, as the API returns them: `given`'s
/// lists, and empty lists for the others.
fn all_conditions(given: Value) -> Value {
    let mut conditions = json!({"StringEquals": [], "StringNotEquals": [], "StringLike": [],
        "StringNotLike": []});
    for (k, v) in given.as_object().into_iter().flatten() {
        conditions[k] = v.clone();
    }
    conditions
}
