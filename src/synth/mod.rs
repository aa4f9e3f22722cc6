//! Synthetic organisation generator for benchmarks.
//!
//! Writes a snapshot directory (`backup-auditor-snapshot/v1`) of a large, realistic AWS
//! organisation: a mix of resource types with tags, three or four backup plans per account-region
//! (tag conditions, `ListOfTags`, ARN patterns with `NotResources`, weekday and monthly crons, a
//! continuous rule, cross-region and cross-account copies), two to five vaults (some locked),
//! vault policies, region opt-in settings and recovery points of varied ages and states. The
//! output is a pure function of [`SynthOptions`]: the same options give byte-identical files.

use chrono::{DateTime, SecondsFormat, TimeZone, Utc};
use fastrand::Rng;
use rayon::prelude::*;
use serde::{Serialize, Serializer};
use serde_json::{json, Value};
use std::fmt;
use std::fs::{self, File};
use std::io::{self, BufWriter, Write};
use std::path::Path;

/// What to generate.
#[derive(Debug, Clone)]
pub struct SynthOptions {
    /// Number of accounts. Account 0 is the central backup account that receives the
    /// cross-account copies.
    pub accounts: usize,
    /// Every account gets one scope per region.
    pub regions: Vec<String>,
    /// Configuration items in each scope's `resources.json`, volumes and cluster members included.
    pub resources_per_scope: usize,
    /// Mean number of recovery points per protected resource.
    pub recovery_points_per_resource: usize,
    pub seed: u64,
    /// The manifest's `collected_at`. Every age in the snapshot is relative to it.
    pub collected_at: DateTime<Utc>,
}

impl SynthOptions {
    /// Accounts × 5 regions with 100 resources per scope, or 200 from 500,000 resources on:
    /// 100,000 → 200 accounts = 1,000 scopes of 100; 1,000,000 → 1,000 accounts = 5,000 scopes
    /// of 200. The total is rounded up to whole scopes. Fixed seed and `collected_at`.
    pub fn for_total_resources(total: usize) -> Self {
        let regions = [
            "us-east-1",
            "us-west-2",
            "eu-west-1",
            "eu-central-1",
            "ap-southeast-2",
        ];
        let per_scope = if total >= 500_000 { 200 } else { 100 };
        let accounts = total.div_ceil(per_scope * regions.len()).max(1);
        SynthOptions {
            accounts,
            regions: regions.iter().map(|r| r.to_string()).collect(),
            resources_per_scope: total.max(1).div_ceil(accounts * regions.len()),
            recovery_points_per_resource: 3,
            seed: 0x5EED_2026,
            collected_at: Utc.with_ymd_and_hms(2026, 11, 27, 5, 0, 0).unwrap(),
        }
    }
}

/// What was written.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SynthStats {
    pub scopes: usize,
    pub resources: usize,
    pub recovery_points: usize,
    pub plans: usize,
    pub bytes_written: u64,
}

/// Generates the organisation into `out.tmp-<pid>` and renames that to `out`. Refuses to replace
/// an existing `out` unless it is an empty directory.
pub fn generate(opts: &SynthOptions, out: &Path) -> Result<SynthStats, io::Error> {
    let invalid = |msg: String| io::Error::new(io::ErrorKind::InvalidInput, msg);
    if opts.accounts == 0 || opts.regions.is_empty() {
        return Err(invalid(
            "synth: need at least one account and one region".into(),
        ));
    }
    let exists = out.symlink_metadata().is_ok();
    if exists && !(out.is_dir() && fs::read_dir(out)?.next().is_none()) {
        let msg = format!(
            "refusing to overwrite {}: it exists and is not empty",
            out.display()
        );
        return Err(io::Error::new(io::ErrorKind::AlreadyExists, msg));
    }
    let Some(name) = out.file_name() else {
        return Err(invalid(format!(
            "synth: {} has no file name",
            out.display()
        )));
    };
    let mut tmp_name = name.to_os_string();
    tmp_name.push(format!(".tmp-{}", std::process::id()));
    let tmp = out.with_file_name(tmp_name);
    if tmp.exists() {
        fs::remove_dir_all(&tmp)?;
    }
    fs::create_dir_all(&tmp)?;
    let result = write_org(opts, &tmp).and_then(|stats| {
        if exists {
            fs::remove_dir(out)?;
        }
        fs::rename(&tmp, out)?;
        Ok(stats)
    });
    if result.is_err() {
        let _ = fs::remove_dir_all(&tmp);
    }
    result
}

const APPS: &str = "payments orders search identity analytics catalog billing inventory messaging \
                    reporting web datalake";
const OWNERS: [&str; 4] = [
    "platform@acme.example",
    "data@acme.example",
    "sre@acme.example",
    "web@acme.example",
];
/// `ResourceTypeOptInPreference` keys, with the percentage of regions where each is opted in.
const OPT_IN: &str = "Aurora=97,CloudFormation=20,DocumentDB=80,DynamoDB=98,EBS=100,EC2=100,\
    EFS=98,FSx=90,Neptune=80,RDS=100,Redshift=70,S3=85,SAP HANA on Amazon EC2=10,\
    Storage Gateway=95,Timestream=10,VirtualMachine=30";
const DAY: i64 = 86_400_000;
const HOUR: i64 = 3_600_000;

fn pick<T: Copy>(rng: &mut Rng, items: &[T]) -> T {
    items[rng.usize(..items.len())]
}

fn words(s: &'static str) -> Vec<&'static str> {
    s.split_whitespace().collect()
}

/// splitmix64 over the inputs: independent, reproducible streams per account and per scope.
fn mix(seed: u64, a: u64, b: u64) -> u64 {
    let mut z =
        seed ^ a.wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ b.wrapping_mul(0xC2B2_AE3D_27D4_EB4F);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

struct Account {
    id: String,
    name: String,
    env: &'static str,
    apps: Vec<&'static str>,
}

fn account(seed: u64, i: usize) -> Account {
    let mut rng = Rng::with_seed(mix(seed, i as u64, u64::MAX));
    let env = if i == 0 {
        "prod"
    } else {
        pick(&mut rng, &["prod", "prod", "staging", "dev"])
    };
    let apps: Vec<&str> = (0..rng.usize(1..=3))
        .map(|_| pick(&mut rng, &words(APPS)))
        .collect();
    let name = match i {
        0 => "backup-central".to_string(),
        _ => format!("{env}-{}-{i:04}", apps[0]),
    };
    let id = format!("{:012}", 210_000_000_000 + i as u64 * 1_000_003);
    Account {
        id,
        name,
        env,
        apps,
    }
}

fn write_org(opts: &SynthOptions, dir: &Path) -> io::Result<SynthStats> {
    let accounts: Vec<Account> = (0..opts.accounts).map(|i| account(opts.seed, i)).collect();
    let nr = opts.regions.len();
    let scopes: Vec<(usize, usize)> = (0..opts.accounts * nr).map(|i| (i / nr, i % nr)).collect();
    let per_scope = scopes
        .par_iter()
        .map(|&(a, r)| write_scope(opts, &accounts, a, r, dir))
        .collect::<io::Result<Vec<SynthStats>>>()?;
    let manifest = json!({
        "format": "backup-auditor-snapshot/v1",
        "collected_at": opts.collected_at.to_rfc3339_opts(SecondsFormat::Secs, true),
        "scopes": scopes.iter().map(|&(a, r)| json!({
            "account_id": accounts[a].id, "account_name": accounts[a].name,
            "region": opts.regions[r], "status": "complete",
        })).collect::<Vec<_>>(),
    });
    let mut stats = SynthStats {
        scopes: scopes.len(),
        ..SynthStats::default()
    };
    stats.bytes_written = write_pretty(dir, "manifest.json", &manifest)?;
    for s in per_scope {
        stats.resources += s.resources;
        stats.recovery_points += s.recovery_points;
        stats.plans += s.plans;
        stats.bytes_written += s.bytes_written;
    }
    Ok(stats)
}

/// Flushes a writer and returns the size of its file.
fn finish(w: BufWriter<File>) -> io::Result<u64> {
    Ok(w.into_inner()
        .map_err(|e| e.into_error())?
        .metadata()?
        .len())
}

fn write_pretty(dir: &Path, name: &str, value: &Value) -> io::Result<u64> {
    let mut w = BufWriter::new(File::create(dir.join(name))?);
    serde_json::to_writer_pretty(&mut w, value)?;
    w.write_all(b"\n")?;
    finish(w)
}

/// A JSON array written element by element, one per line.
struct Array {
    w: BufWriter<File>,
    len: usize,
}

impl Array {
    fn create(dir: &Path, name: &str) -> io::Result<Array> {
        let mut w = BufWriter::with_capacity(1 << 17, File::create(dir.join(name))?);
        w.write_all(b"[")?;
        Ok(Array { w, len: 0 })
    }

    fn push(&mut self, value: &impl Serialize) -> io::Result<()> {
        self.w
            .write_all(if self.len == 0 { b"\n" } else { b",\n" })?;
        self.len += 1;
        Ok(serde_json::to_writer(&mut self.w, value)?)
    }

    fn finish(mut self) -> io::Result<u64> {
        self.w.write_all(b"\n]\n")?;
        finish(self.w)
    }
}

fn write_array(dir: &Path, name: &str, values: &[impl Serialize]) -> io::Result<u64> {
    let mut array = Array::create(dir, name)?;
    for v in values {
        array.push(v)?;
    }
    array.finish()
}

/// ISO-8601 UTC timestamp with milliseconds, from epoch milliseconds.
struct Ts(i64);

impl fmt::Display for Ts {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let t = DateTime::from_timestamp_millis(self.0).unwrap_or_default();
        f.write_str(&t.to_rfc3339_opts(SecondsFormat::Millis, true))
    }
}

impl Serialize for Ts {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

fn ts(ms: i64) -> String {
    Ts(ms).to_string()
}

fn uuid(rng: &mut Rng) -> String {
    let v = rng.u128(..);
    let (a, b, c) = (v >> 96, (v >> 80) & 0xffff, (v >> 68) & 0xfff);
    let (d, e) = (0x8000 | ((v >> 52) & 0x3fff), v & 0xffff_ffff_ffff);
    format!("{a:08x}-{b:04x}-4{c:03x}-{d:04x}-{e:012x}")
}

/// An AWS Config configuration item, as `SelectResourceConfig` returns it.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ConfigItem<'a> {
    resource_type: &'static str,
    resource_id: String,
    resource_name: String,
    arn: String,
    account_id: &'a str,
    aws_region: &'a str,
    tags: Vec<Tag>,
    configuration: Value,
}

#[derive(Serialize)]
struct Tag {
    key: &'static str,
    value: &'static str,
}

/// A `RecoveryPoints` member of `ListRecoveryPointsByBackupVault`.
#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct RecoveryPoint<'a> {
    recovery_point_arn: String,
    backup_vault_name: &'a str,
    backup_vault_arn: &'a str,
    resource_arn: &'a str,
    resource_type: &'a str,
    resource_name: &'a str,
    created_by: CreatedBy<'a>,
    iam_role_arn: &'a str,
    status: &'a str,
    creation_date: Ts,
    completion_date: Ts,
    backup_size_in_bytes: u64,
    calculated_lifecycle: Lifecycle<Ts>,
    lifecycle: Lifecycle<u32>,
    is_encrypted: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    encryption_key_arn: Option<&'a str>,
    vault_type: &'a str,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct CreatedBy<'a> {
    backup_plan_id: &'a str,
    backup_plan_arn: String,
    backup_plan_version: &'a str,
    backup_rule_id: &'a str,
}

/// A one-field object: `{"DeleteAt": …}` or `{"DeleteAfterDays": …}`.
struct Lifecycle<T>(&'static str, T);

impl<T: Serialize> Serialize for Lifecycle<T> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let mut map = s.serialize_map(Some(1))?;
        map.serialize_entry(self.0, &self.1)?;
        map.end()
    }
}

/// Which plan gives a resource its recovery points.
#[derive(Clone, Copy, PartialEq)]
enum Protect {
    Daily,
    Weekly,
    Db,
    Legacy,
    None,
}

/// A backup target and how it is protected, remembered for its recovery points.
struct Target {
    arn: String,
    name: String,
    btype: &'static str,
    protect: Protect,
    encrypted: bool,
}

struct Vault {
    name: String,
    arn: String,
    key: String,
    min_days: Option<u32>,
}

struct Rule {
    plan: usize,
    id: String,
    vault: usize,
    days: u32,
}

fn vault_arn(region: &str, account: &str, name: &str) -> String {
    format!("arn:aws:backup:{region}:{account}:backup-vault:{name}")
}

fn write_scope(
    opts: &SynthOptions,
    accounts: &[Account],
    a: usize,
    r: usize,
    root: &Path,
) -> io::Result<SynthStats> {
    let acct = &accounts[a];
    let (acc, reg) = (acct.id.as_str(), opts.regions[r].as_str());
    let dir = root.join(acc).join(reg);
    fs::create_dir_all(&dir)?;
    let mut rng = Rng::with_seed(mix(opts.seed, a as u64, r as u64));
    let now = opts.collected_at.timestamp_millis();

    let mut opt_in = Vec::new();
    for (t, p) in OPT_IN.split(',').filter_map(|kv| kv.split_once('=')) {
        opt_in.push((t, rng.u8(..100) < p.parse::<u8>().unwrap_or(100)));
    }
    let opt_in_map: serde_json::Map<_, _> =
        opt_in.iter().map(|&(t, v)| (t.into(), v.into())).collect();
    let settings = json!({"ResourceTypeOptInPreference": opt_in_map,
        "ResourceTypeManagementPreference": {"DynamoDB": rng.bool(), "EFS": true}});
    let mut bytes = write_pretty(&dir, "region-settings.json", &settings)?;

    // Vaults: Default and the primary vault always (the primary sometimes governance-locked),
    // then maybe a compliance-locked vault and a per-application vault, and in the central
    // account the target of the cross-account copies.
    let primary_name = format!("{}-primary", acct.env);
    let (mut vaults, mut vault_docs) = (Vec::new(), Vec::new());
    let mut add_vault = |rng: &mut Rng, name: &str, lock: Option<(u32, u32, bool)>, cmk: bool| {
        let key = format!("arn:aws:kms:{reg}:{acc}:key/{}", uuid(rng));
        let key_type = if cmk {
            "CUSTOMER_MANAGED_KMS_KEY"
        } else {
            "AWS_OWNED_KMS_KEY"
        };
        let mut doc = json!({
            "BackupVaultName": name, "BackupVaultArn": vault_arn(reg, acc, name),
            "VaultType": "BACKUP_VAULT", "EncryptionKeyArn": key, "EncryptionKeyType": key_type,
            "CreationDate": ts(now - rng.i64(100 * DAY..1500 * DAY)),
            "CreatorRequestId": uuid(rng), "Locked": lock.is_some(),
        });
        if let Some((min, max, compliance)) = lock {
            doc["MinRetentionDays"] = min.into();
            doc["MaxRetentionDays"] = max.into();
            // Compliance mode: mostly locked for good, sometimes still in the grace period.
            let days = if rng.u8(..100) < 85 {
                -rng.i64(10..400)
            } else {
                rng.i64(1..3)
            };
            if compliance {
                doc["LockDate"] = ts(now + days * DAY).into();
            }
        }
        vault_docs.push(doc);
        let min_days = lock.map(|l| l.0);
        vaults.push(Vault {
            name: name.into(),
            arn: vault_arn(reg, acc, name),
            key,
            min_days,
        });
        vaults.len() - 1
    };
    add_vault(&mut rng, "Default", None, false);
    let governance = rng.u8(..100) < 20;
    let primary = add_vault(
        &mut rng,
        &primary_name,
        governance.then_some((1, 36500, false)),
        true,
    );
    let (locked, app_vault, cmk) = (rng.u8(..100) < 60, rng.u8(..100) < 40, rng.u8(..10) < 8);
    let locked =
        locked.then(|| add_vault(&mut rng, "compliance-locked", Some((7, 3650, true)), true));
    let app_vault = app_vault.then(|| add_vault(&mut rng, acct.apps[0], None, cmk));
    if a == 0 {
        add_vault(&mut rng, "central-archive", Some((30, 3650, true)), true);
    }
    let long_vault = locked.unwrap_or(primary);

    let legacy_plan = rng.bool();
    let nplans = 3 + legacy_plan as usize;
    let plan_ids: Vec<String> = (0..nplans).map(|_| uuid(&mut rng)).collect();
    let versions: Vec<String> = (0..nplans)
        .map(|_| format!("{:032x}", rng.u128(..)))
        .collect();
    let rule = |rng: &mut Rng, plan, vault, days| Rule {
        plan,
        id: uuid(rng),
        vault,
        days,
    };
    let daily = rule(&mut rng, 0, primary, 35);
    let weekly = rule(&mut rng, 1, long_vault, 365);
    let monthly = rule(&mut rng, 1, long_vault, 2555);
    let weekday = rule(&mut rng, 2, app_vault.unwrap_or(primary), 14);
    let cont = rule(&mut rng, 2, primary, 35);
    let legacy_days = if rng.bool() { 3 } else { 14 };
    let legacy = rule(&mut rng, 3, long_vault, legacy_days);
    // Below a locked vault's minimum retention the rule produces no backups.
    let legacy_works = vaults[long_vault].min_days.is_none_or(|m| legacy.days >= m);

    let mut s = Scope {
        rng,
        acct,
        region: reg,
        n: 0,
        items: Vec::with_capacity(opts.resources_per_scope),
        targets: Vec::new(),
        legacy: Vec::new(),
        legacy_open: legacy_plan,
        opt_in,
    };
    while s.items.len() < opts.resources_per_scope {
        s.unit(opts.resources_per_scope - s.items.len());
    }
    bytes += write_array(&dir, "resources.json", &s.items)?;
    let (mut rng, targets, legacy_arns) = (s.rng, s.targets, s.legacy);
    bytes += write_array(&dir, "backup-vaults.json", &vault_docs)?;

    let mut policies = Vec::new();
    for v in vaults.iter().filter(|v| v.name != "Default") {
        let statement = match rng.u8(..10) {
            0..=4 => json!({"Sid": "DenyRecoveryPointDeletion", "Effect": "Deny", "Principal": "*",
                "Action": ["backup:DeleteRecoveryPoint", "backup:UpdateRecoveryPointLifecycle",
                    "backup:PutBackupVaultAccessPolicy"], "Resource": "*"}),
            5..=6 => json!({"Sid": "DenyDelete", "Effect": "Deny", "Principal": {"AWS": "*"},
                "Action": "backup:DeleteRecoveryPoint", "Resource": "*"}),
            7 => json!({"Sid": "AllowOrgCopy", "Effect": "Allow", "Principal": {"AWS": "*"},
                "Action": "backup:CopyIntoBackupVault", "Resource": "*",
                "Condition": {"StringEquals": {"aws:PrincipalOrgID": "o-a1b2c3d4e5"}}}),
            _ => continue,
        };
        let policy = json!({"Version": "2012-10-17", "Statement": [statement]}).to_string();
        let doc = json!({"BackupVaultName": v.name, "BackupVaultArn": v.arn, "Policy": policy});
        policies.push(doc);
    }
    bytes += write_array(&dir, "backup-vault-policies.json", &policies)?;

    // Plans.
    let rule_doc = |rule: &Rule, name: &str, cron: &str, windows: (u32, u32)| {
        json!({"RuleName": name, "TargetBackupVaultName": vaults[rule.vault].name,
            "ScheduleExpression": cron, "StartWindowMinutes": windows.0,
            "CompletionWindowMinutes": windows.1, "Lifecycle": {"DeleteAfterDays": rule.days},
            "RecoveryPointTags": {}, "RuleId": rule.id, "CopyActions": []})
    };
    let mut d = rule_doc(&daily, "daily-35d", "cron(0 5 ? * * *)", (60, 480));
    let other_region = &opts.regions[(r + 1) % opts.regions.len()];
    if other_region != reg && rng.u8(..10) < 7 {
        let to = vault_arn(other_region, acc, &primary_name);
        d["CopyActions"] =
            json!([{"DestinationBackupVaultArn": to, "Lifecycle": {"DeleteAfterDays": 35}}]);
    }
    let mut wk = rule_doc(&weekly, "weekly-1y", "cron(0 3 ? * 1 *)", (120, 1440));
    wk["ScheduleExpressionTimezone"] = "Etc/UTC".into();
    let mut mo = rule_doc(&monthly, "monthly-7y", "cron(0 4 1 * ? *)", (120, 2880));
    mo["Lifecycle"]["MoveToColdStorageAfterDays"] = 90.into();
    if a != 0 {
        let to = vault_arn(reg, &accounts[0].id, "central-archive");
        mo["CopyActions"] = json!([{"DestinationBackupVaultArn": to}]);
    }
    let mut wd = rule_doc(
        &weekday,
        "weekday-nightly",
        "cron(0 22 ? * MON-FRI *)",
        (60, 360),
    );
    let tz = match reg.split('-').next() {
        Some("eu") => "Europe/London",
        Some("ap") => "Australia/Sydney",
        _ => "America/New_York",
    };
    wd["ScheduleExpressionTimezone"] = tz.into();
    let mut ct = rule_doc(&cont, "continuous-pitr", "cron(0 */12 * * ? *)", (60, 240));
    ct["EnableContinuousBackup"] = true.into();
    let lg = rule_doc(&legacy, "nightly-short", "cron(30 2 * * ? *)", (480, 1440));
    let plan_rules = [
        ("daily", vec![d]),
        ("weekly-monthly", vec![wk, mo]),
        ("databases", vec![wd, ct]),
        ("legacy-ec2", vec![lg]),
    ];
    let mut plans = Vec::new();
    for (i, (name, rules)) in plan_rules.into_iter().take(nplans).enumerate() {
        let (id, arn) = (
            &plan_ids[i],
            format!("arn:aws:backup:{reg}:{acc}:backup-plan:{}", plan_ids[i]),
        );
        let name = format!("{name}-{}", acct.env);
        plans.push(json!({
            "BackupPlan": {"BackupPlanName": name, "Rules": rules, "AdvancedBackupSettings": []},
            "BackupPlanId": id, "BackupPlanArn": arn, "VersionId": versions[i],
            "CreatorRequestId": uuid(&mut rng), "CreationDate": ts(now - rng.i64(30..900) * DAY),
        }));
    }
    bytes += write_array(&dir, "backup-plans.json", &plans)?;

    // Selections: tag conditions, ListOfTags, ARN patterns with NotResources, explicit ARNs.
    let role = format!("arn:aws:iam::{acc}:role/service-role/AWSBackupDefaultServiceRole");
    let tag = |k: &str, v: &str| json!([{"ConditionKey": format!("aws:ResourceTag/{k}"), "ConditionValue": v}]);
    let weekly_tag = json!([{"ConditionType": "STRINGEQUALS", "ConditionKey": "backup", "ConditionValue": "weekly"}]);
    let rds = |pattern: &str| format!("arn:aws:rds:{reg}:{acc}:{pattern}");
    let table = |pattern: &str| format!("arn:aws:dynamodb:{reg}:{acc}:table/{pattern}");
    let mut bodies = vec![
        json!({"SelectionName": "tag-backup-daily", "Resources": ["*"], "NotResources": [], "ListOfTags": [],
            "Conditions": {"StringEquals": tag("backup", "daily"), "StringNotEquals": tag("env", "sandbox")}}),
        json!({"SelectionName": "tag-backup-weekly", "Resources": [], "NotResources": [], "ListOfTags": weekly_tag}),
        json!({"SelectionName": "databases-by-arn", "ListOfTags": [],
            "Resources": [rds("db:*"), rds("cluster:*"), table("*")],
            "NotResources": [rds("db:*-scratch"), table("tmp-*")]}),
    ];
    if legacy_plan {
        bodies.push(
            json!({"SelectionName": "legacy-explicit", "Resources": legacy_arns,
            "NotResources": [], "ListOfTags": []}),
        );
    }
    let mut selections = Vec::new();
    for (i, mut body) in bodies.into_iter().enumerate() {
        body["IamRoleArn"] = role.clone().into();
        let given = body["Conditions"].take();
        let mut conditions = json!({"StringEquals": [], "StringNotEquals": [], "StringLike": [],
            "StringNotLike": []});
        for (k, v) in given.as_object().into_iter().flatten() {
            conditions[k] = v.clone();
        }
        body["Conditions"] = conditions;
        selections.push(
            json!({"BackupSelection": body, "SelectionId": uuid(&mut rng),
            "BackupPlanId": plan_ids[i], "CreationDate": ts(now - rng.i64(1..900) * DAY)}),
        );
    }
    bytes += write_array(&dir, "backup-selections.json", &selections)?;

    // Recovery points of all the scope's vaults, newest first per resource.
    let mut points = Array::create(&dir, "recovery-points.json")?;
    let mean = opts.recovery_points_per_resource;
    for t in &targets {
        let (rule, spacing, works) = match t.protect {
            Protect::Daily => (&daily, DAY, true),
            Protect::Weekly => (&weekly, 7 * DAY, true),
            Protect::Db => (&weekday, DAY, true),
            Protect::Legacy => (&legacy, DAY, legacy_works),
            Protect::None => (&daily, 30 * DAY, rng.u8(..100) < 4), // left by a deleted plan
        };
        // Some protected resources have no recovery point at all (their jobs fail).
        if !works || rng.u8(..100) < 5 || mean == 0 {
            continue;
        }
        let orphan = t.protect == Protect::None;
        let continuous = t.protect == Protect::Db && matches!(t.btype, "RDS" | "Aurora");
        let mut age = match rng.u8(..100) {
            _ if orphan => rng.i64(60 * DAY..400 * DAY),
            _ if t.protect == Protect::Weekly => rng.i64(HOUR..7 * DAY),
            0..=5 => rng.i64(3 * DAY..12 * DAY), // stale
            _ => rng.i64(HOUR..20 * HOUR),
        };
        for j in 0..mean - 1 + rng.usize(..=2) + continuous as usize {
            let is_cont = continuous && j == 0;
            let (rule, status) = match rng.u8(..100) {
                x if is_cont => (&cont, if x < 5 { "STOPPED" } else { "AVAILABLE" }),
                _ if orphan => (rule, "EXPIRED"),
                0..=3 => (rule, "PARTIAL"),
                4..=5 if j > 0 => (rule, "EXPIRED"),
                6 if j > 0 => (rule, "DELETING"),
                _ => (rule, "COMPLETED"),
            };
            let (v, created, job) = (&vaults[rule.vault], now - age, uuid(&mut rng));
            let hex = format!("{:017x}", rng.u128(..) >> 60);
            let name = &t.name;
            let point_arn = match t.btype {
                _ if is_cont => {
                    format!("arn:aws:backup:{reg}:{acc}:recovery-point:continuous:{name}-{job}")
                }
                "EBS" | "Storage Gateway" => format!("arn:aws:ec2:{reg}::snapshot/snap-{hex}"),
                "EC2" => format!("arn:aws:ec2:{reg}::image/ami-{hex}"),
                "RDS" => rds(&format!("snapshot:awsbackup:job-{job}")),
                "Aurora" | "DocumentDB" | "Neptune" => {
                    rds(&format!("cluster-snapshot:awsbackup:job-{job}"))
                }
                "FSx" => format!("arn:aws:fsx:{reg}:{acc}:backup/backup-{hex}"),
                "Redshift" => {
                    format!("arn:aws:redshift:{reg}:{acc}:snapshot:{name}/awsbackup:job-{job}")
                }
                _ => format!("arn:aws:backup:{reg}:{acc}:recovery-point:{job}"),
            };
            let plan = if orphan { &job } else { &plan_ids[rule.plan] };
            points.push(&RecoveryPoint {
                recovery_point_arn: point_arn,
                backup_vault_name: &v.name,
                backup_vault_arn: &v.arn,
                resource_arn: &t.arn,
                resource_type: t.btype,
                resource_name: name,
                created_by: CreatedBy {
                    backup_plan_id: plan,
                    backup_plan_arn: format!("arn:aws:backup:{reg}:{acc}:backup-plan:{plan}"),
                    backup_plan_version: &versions[rule.plan],
                    backup_rule_id: &rule.id,
                },
                iam_role_arn: &role,
                status,
                creation_date: Ts(created),
                completion_date: Ts(created + rng.i64(5..55) * 60_000),
                backup_size_in_bytes: rng.u64(1 << 20..1 << 40),
                calculated_lifecycle: Lifecycle("DeleteAt", Ts(created + rule.days as i64 * DAY)),
                lifecycle: Lifecycle("DeleteAfterDays", rule.days),
                is_encrypted: t.encrypted,
                encryption_key_arn: t.encrypted.then_some(v.key.as_str()),
                vault_type: "BACKUP_VAULT",
            })?;
            if !is_cont {
                age += spacing + rng.i64(-HOUR..HOUR);
            }
        }
    }
    let recovery_points = points.len;
    bytes += points.finish()?;
    let resources = opts.resources_per_scope;
    Ok(SynthStats {
        scopes: 1,
        resources,
        recovery_points,
        plans: nplans,
        bytes_written: bytes,
    })
}

/// Resource generation state of one account-region.
struct Scope<'a> {
    rng: Rng,
    acct: &'a Account,
    region: &'a str,
    n: u64,
    items: Vec<ConfigItem<'a>>,
    targets: Vec<Target>,
    legacy: Vec<String>,
    legacy_open: bool,
    opt_in: Vec<(&'static str, bool)>,
}

/// A Config resource type, and its AWS Backup resource type unless it is backed up through
/// something else (cluster members).
type Kind = (&'static str, Option<&'static str>);
const INSTANCE: Kind = ("AWS::EC2::Instance", Some("EC2"));
const VOLUME: Kind = ("AWS::EC2::Volume", Some("EBS"));
const DB: Kind = ("AWS::RDS::DBInstance", Some("RDS"));
const MEMBER: Kind = ("AWS::RDS::DBInstance", None);
const TABLE: Kind = ("AWS::DynamoDB::Table", Some("DynamoDB"));
const BUCKET: Kind = ("AWS::S3::Bucket", Some("S3"));
const EFS: Kind = ("AWS::EFS::FileSystem", Some("EFS"));
const FSX: Kind = ("AWS::FSx::FileSystem", Some("FSx"));
const REDSHIFT: Kind = ("AWS::Redshift::Cluster", Some("Redshift"));
const GATEWAY_VOLUME: Kind = ("AWS::StorageGateway::Volume", Some("Storage Gateway"));

impl Scope<'_> {
    /// A fresh 17-hex-digit id, unique in the scope.
    fn id(&mut self) -> String {
        self.n += 1;
        format!("{:08x}{:09x}", self.rng.u32(..), self.n)
    }

    /// Adds one configuration item (`tags` = app, env, backup, owner; backup "" = no tag).
    fn item(
        &mut self,
        kind: Kind,
        id: &str,
        name: &str,
        arn: String,
        tags: [&'static str; 4],
        config: Value,
    ) {
        let (ty, btype) = kind;
        let [app, env, backup, owner] = tags;
        let tag = |key, value| Tag { key, value };
        let mut tag_list = vec![tag("app", app), tag("env", env), tag("owner", owner)];
        if !backup.is_empty() {
            tag_list.push(tag("backup", backup));
        }
        let encrypted = ["encrypted", "storageEncrypted", "Encrypted"]
            .iter()
            .all(|k| config[k] != false);
        self.items.push(ConfigItem {
            resource_type: ty,
            resource_id: id.into(),
            resource_name: name.into(),
            arn: arn.clone(),
            account_id: &self.acct.id,
            aws_region: self.region,
            tags: tag_list,
            configuration: config,
        });
        let Some(btype) = btype else { return };
        let opted_in = self.opt_in.iter().any(|&(t, on)| on && t == btype);
        let by_arn = matches!(
            btype,
            "RDS" | "Aurora" | "DocumentDB" | "Neptune" | "DynamoDB"
        ) && !name.ends_with("-scratch")
            && !name.starts_with("tmp-");
        let legacy = self.legacy_open && matches!(btype, "EC2" | "EFS") && self.rng.u8(..4) == 0;
        let protect = match backup {
            "daily" if opted_in && env != "sandbox" => Protect::Daily,
            "weekly" if opted_in => Protect::Weekly,
            // Resource-type ARNs need no opt-in, except for Aurora, DocumentDB and Neptune.
            _ if by_arn && (opted_in || matches!(btype, "RDS" | "DynamoDB")) => Protect::Db,
            "none" | "" if legacy => {
                self.legacy.push(arn.clone());
                self.legacy_open = self.legacy.len() < 6;
                Protect::Legacy
            }
            _ => Protect::None,
        };
        let name = name.into();
        self.targets.push(Target {
            arn,
            name,
            btype,
            protect,
            encrypted,
        });
    }

    /// Adds one unit of at most `room` items: a resource, an instance with its volumes or a
    /// cluster with its members. Item shares: EBS ~35%, EC2 ~20%, S3 ~12%, DynamoDB ~10%,
    /// RDS ~8% (+3% cluster members), EFS ~5%, clusters, FSx, Redshift, Storage Gateway 1-3%.
    fn unit(&mut self, room: usize) {
        let rng = &mut self.rng;
        let (acc, reg) = (self.acct.id.clone(), self.region);
        let az = format!("{reg}{}", pick(rng, &["a", "b", "c"]));
        let app = pick(rng, &self.acct.apps);
        let env = if rng.u8(..100) < 3 {
            "sandbox"
        } else {
            self.acct.env
        };
        let backup = match rng.u8(..20) {
            0..=10 => "daily",
            11..=14 => "weekly",
            15..=16 => "none",
            _ => "",
        };
        let tags = [app, env, backup, pick(rng, &OWNERS)];
        let enc = rng.u8(..100) < 90;
        let size = 8 << rng.u32(0..7);
        let roll = rng.u8(..68);
        self.n += 1;
        let n = self.n;
        let (kind, id, name, arn, config) = match roll {
            0..=19 => return self.instance(room, tags, enc, &az),
            33..=34 if room >= 3 => return self.cluster(tags, enc),
            20..=24 => {
                let v = format!("vol-{}", self.id());
                let config = json!({"volumeId": v, "size": size, "volumeType": "gp2", "encrypted": enc,
                    "state": "available", "availabilityZone": az, "attachments": []});
                let arn = format!("arn:aws:ec2:{reg}:{acc}:volume/{v}");
                (VOLUME, v.clone(), v, arn, config)
            }
            25..=32 => {
                let engine = pick(
                    &mut self.rng,
                    &["postgres", "mysql", "mariadb", "sqlserver-se", "oracle-ee"],
                );
                let scratch = if self.rng.u8(..10) == 0 {
                    "-scratch"
                } else {
                    ""
                };
                let name = format!("{app}-{env}-{engine}-{n}{scratch}");
                let config = json!({"dBInstanceIdentifier": name, "engine": engine,
                    "dBInstanceClass": "db.r6g.large", "dBInstanceStatus": "available",
                    "storageEncrypted": enc, "availabilityZone": az});
                let (id, arn) = (
                    format!("db-{:026X}", self.rng.u128(..) >> 24),
                    format!("arn:aws:rds:{reg}:{acc}:db:{name}"),
                );
                (DB, id, name, arn, config)
            }
            33..=44 => {
                let tmp = self.rng.u8(..10) == 0;
                let name = if tmp {
                    format!("tmp-{app}-{n}")
                } else {
                    format!("{app}-{env}-table-{n}")
                };
                let arn = format!("arn:aws:dynamodb:{reg}:{acc}:table/{name}");
                let config = json!({"tableName": name, "tableStatus": "ACTIVE", "tableArn": arn,
                    "billingModeSummary": {"billingMode": "PAY_PER_REQUEST"}});
                (TABLE, name.clone(), name, arn, config)
            }
            45..=56 => {
                let name = format!("{app}-{env}-{acc}-{reg}-{n}");
                let created = ts(1_600_000_000_000 + self.rng.i64(0..150_000_000_000));
                let config = json!({"name": name, "creationDate": created});
                let arn = format!("arn:aws:s3:::{name}");
                (BUCKET, name.clone(), name, arn, config)
            }
            57..=61 => {
                let id = format!("fs-{}", self.id());
                let config = json!({"FileSystemId": id, "Encrypted": enc,
                    "PerformanceMode": "generalPurpose", "ThroughputMode": "elastic"});
                let arn = format!("arn:aws:elasticfilesystem:{reg}:{acc}:file-system/{id}");
                let name = format!("{app}-{env}-share-{n}");
                (EFS, id, name, arn, config)
            }
            62..=63 => {
                let id = format!("fs-{}", self.id());
                let fs_type = pick(&mut self.rng, &["WINDOWS", "LUSTRE", "ONTAP", "OPENZFS"]);
                let config =
                    json!({"FileSystemId": id, "FileSystemType": fs_type, "StorageCapacity": 1024});
                let arn = format!("arn:aws:fsx:{reg}:{acc}:file-system/{id}");
                let name = format!("{app}-{env}-fsx-{n}");
                (FSX, id, name, arn, config)
            }
            64..=65 => {
                let name = format!("{app}-{env}-dw-{n}");
                let config = json!({"clusterIdentifier": name, "nodeType": "ra3.xlplus",
                    "numberOfNodes": 2, "encrypted": enc, "clusterStatus": "available"});
                let arn = format!("arn:aws:redshift:{reg}:{acc}:cluster:{name}");
                (REDSHIFT, name.clone(), name, arn, config)
            }
            _ => {
                let vol = format!("vol-{}", self.id().to_uppercase());
                let gateway = format!("sgw-{:08X}", self.rng.u32(..));
                let arn =
                    format!("arn:aws:storagegateway:{reg}:{acc}:gateway/{gateway}/volume/{vol}");
                let config = json!({"VolumeARN": arn, "VolumeId": vol, "VolumeType": "CACHED",
                    "VolumeSizeInBytes": 107_374_182_400u64});
                (GATEWAY_VOLUME, vol.clone(), vol, arn, config)
            }
        };
        self.item(kind, &id, &name, arn, tags, config);
    }

    /// An EC2 instance with 1-3 attached volumes (fewer if `room` is short).
    fn instance(&mut self, room: usize, tags: [&'static str; 4], enc: bool, az: &str) {
        let (acc, reg, n) = (self.acct.id.clone(), self.region, self.n);
        let vols = pick(&mut self.rng, &[1, 1, 1, 1, 1, 1, 2, 2, 2, 3]).min(room - 1);
        let id = format!("i-{}", self.id());
        let vol_ids: Vec<String> = (0..vols).map(|_| format!("vol-{}", self.id())).collect();
        let devices = ["/dev/xvda", "/dev/xvdb", "/dev/xvdc"];
        let mut mappings = Vec::new();
        for (v, dev) in vol_ids.iter().zip(devices) {
            let ebs = json!({"volumeId": v, "status": "attached", "deleteOnTermination": true});
            mappings.push(json!({"deviceName": dev, "ebs": ebs}));
        }
        let (code, state) = if self.rng.u8(..10) == 0 {
            (80, "stopped")
        } else {
            (16, "running")
        };
        let role = pick(&mut self.rng, &["web", "worker", "batch", "api"]);
        let name = format!("{}-{}-{role}-{n}", tags[0], tags[1]);
        let config = json!({"instanceId": id, "instanceType": "m6i.large",
            "state": {"code": code, "name": state}, "placement": {"availabilityZone": az},
            "blockDeviceMappings": mappings});
        let arn = format!("arn:aws:ec2:{reg}:{acc}:instance/{id}");
        self.item(INSTANCE, &id, &name, arn, tags, config);
        for (v, dev) in vol_ids.iter().zip(devices) {
            // Volumes carry the instance's tags, but seldom its backup tag.
            let mut vtags = tags;
            vtags[2] = if self.rng.u8(..10) < 3 { tags[2] } else { "" };
            let size = 8 << self.rng.u32(0..7);
            let attachment = json!({"instanceId": id, "device": dev, "state": "attached", "deleteOnTermination": true});
            let config = json!({"volumeId": v, "size": size, "volumeType": "gp3", "encrypted": enc,
                "state": "in-use", "availabilityZone": az, "attachments": [attachment]});
            let arn = format!("arn:aws:ec2:{reg}:{acc}:volume/{v}");
            self.item(VOLUME, v, v, arn, vtags, config);
        }
    }

    /// An Aurora, DocumentDB or Neptune cluster with a writer and a reader instance.
    fn cluster(&mut self, tags: [&'static str; 4], enc: bool) {
        let (acc, reg, n) = (self.acct.id.clone(), self.region, self.n);
        let (engine, btype) = pick(
            &mut self.rng,
            &[
                ("aurora-postgresql", "Aurora"),
                ("aurora-postgresql", "Aurora"),
                ("aurora-mysql", "Aurora"),
                ("docdb", "DocumentDB"),
                ("neptune", "Neptune"),
            ],
        );
        let cluster = format!("{}-{}-{}-{n}", tags[0], tags[1], btype.to_lowercase());
        let members = [
            format!("{cluster}-instance-1"),
            format!("{cluster}-instance-2"),
        ];
        let config = json!({"dbclusterIdentifier": cluster, "engine": engine, "status": "available",
            "storageEncrypted": enc, "dbclusterMembers": [
                {"dbinstanceIdentifier": members[0], "isClusterWriter": true},
                {"dbinstanceIdentifier": members[1], "isClusterWriter": false}]});
        let id = format!("cluster-{:026X}", self.rng.u128(..) >> 24);
        let arn = format!("arn:aws:rds:{reg}:{acc}:cluster:{cluster}");
        self.item(
            ("AWS::RDS::DBCluster", Some(btype)),
            &id,
            &cluster,
            arn,
            tags,
            config,
        );
        for m in &members {
            let config = json!({"dBInstanceIdentifier": m, "engine": engine,
                "dBInstanceClass": "db.r6g.large", "dBInstanceStatus": "available",
                "dBClusterIdentifier": cluster, "storageEncrypted": enc});
            let id = format!("db-{:026X}", self.rng.u128(..) >> 24);
            let arn = format!("arn:aws:rds:{reg}:{acc}:db:{m}");
            self.item(MEMBER, &id, m, arn, tags, config);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::{BTreeMap, HashMap, HashSet};
    use std::path::PathBuf;

    fn small(seed: u64) -> SynthOptions {
        SynthOptions {
            accounts: 3,
            regions: vec!["us-east-1".into(), "eu-west-1".into()],
            resources_per_scope: 20,
            recovery_points_per_resource: 3,
            seed,
            collected_at: Utc.with_ymd_and_hms(2026, 11, 27, 5, 0, 0).unwrap(),
        }
    }

    fn read(path: &Path) -> Value {
        let text = fs::read_to_string(path).unwrap();
        serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
    }

    /// Every file under `dir`, by relative path.
    fn files(dir: &Path) -> BTreeMap<PathBuf, Vec<u8>> {
        let (mut out, mut stack) = (BTreeMap::new(), vec![dir.to_path_buf()]);
        while let Some(d) = stack.pop() {
            for p in fs::read_dir(&d).unwrap().map(|e| e.unwrap().path()) {
                if p.is_dir() {
                    stack.push(p);
                } else {
                    out.insert(p.strip_prefix(dir).unwrap().into(), fs::read(&p).unwrap());
                }
            }
        }
        out
    }

    fn list(v: &Value) -> &Vec<Value> {
        v.as_array().unwrap_or_else(|| panic!("not an array: {v}"))
    }

    fn text(v: &Value) -> &str {
        v.as_str().unwrap_or_else(|| panic!("not a string: {v}"))
    }

    #[test]
    fn small_org_is_consistent() {
        let tmp = tempfile::tempdir().unwrap();
        let out = tmp.path().join("org");
        let opts = small(7);
        let stats = generate(&opts, &out).unwrap();
        let all = files(&out);
        let on_disk: u64 = all.values().map(|b| b.len() as u64).sum();
        assert_eq!(stats.bytes_written, on_disk);
        assert_eq!(
            fs::read_dir(tmp.path()).unwrap().count(),
            1,
            "temporary directory left"
        );
        assert_eq!(all.len(), 1 + 6 * 7);

        let manifest = read(&out.join("manifest.json"));
        assert_eq!(manifest["format"], "backup-auditor-snapshot/v1");
        assert_eq!(manifest["collected_at"], "2026-11-27T05:00:00Z");
        let scopes = list(&manifest["scopes"]);
        assert_eq!((scopes.len(), stats.scopes), (6, 6));

        // Parse every file, then cross-check references.
        let (mut resources, mut vault_arns) = (HashMap::new(), HashSet::new());
        let (mut nres, mut nrp, mut nplans) = (0, 0, 0);
        let mut loaded = Vec::new();
        for s in scopes {
            assert_eq!(s["status"], "complete");
            let dir = out.join(text(&s["account_id"])).join(text(&s["region"]));
            let load = |f: &str| read(&dir.join(f));
            let res = load("resources.json");
            assert_eq!(list(&res).len(), opts.resources_per_scope);
            nres += list(&res).len();
            for r in list(&res) {
                assert_eq!(
                    (&r["accountId"], &r["awsRegion"]),
                    (&s["account_id"], &s["region"])
                );
                let arn = text(&r["arn"]).to_string();
                assert!(
                    resources.insert(arn.clone(), r.clone()).is_none(),
                    "duplicate {arn}"
                );
            }
            let vaults = load("backup-vaults.json");
            for v in list(&vaults) {
                assert!(vault_arns.insert(text(&v["BackupVaultArn"]).to_string()));
            }
            for p in list(&load("backup-vault-policies.json")) {
                let policy: Value = serde_json::from_str(text(&p["Policy"])).unwrap();
                assert_eq!(policy["Version"], "2012-10-17");
            }
            let settings = load("region-settings.json");
            assert!(settings["ResourceTypeOptInPreference"]["EBS"].is_boolean());
            let (plans, rps) = (load("backup-plans.json"), load("recovery-points.json"));
            nplans += list(&plans).len();
            nrp += list(&rps).len();
            let selections = load("backup-selections.json");
            loaded.push((vaults, plans, selections, rps));
        }
        let counted = (stats.resources, stats.recovery_points, stats.plans);
        assert_eq!(counted, (nres, nrp, nplans));
        assert!(nrp > nres, "too few recovery points: {nrp}");

        for (vaults, plans, selections, rps) in &loaded {
            let names: HashSet<&str> = list(vaults)
                .iter()
                .map(|v| text(&v["BackupVaultName"]))
                .collect();
            let mut rule_ids = HashSet::new();
            for p in list(plans) {
                for rule in list(&p["BackupPlan"]["Rules"]) {
                    rule_ids.insert(text(&rule["RuleId"]));
                    assert!(
                        names.contains(text(&rule["TargetBackupVaultName"])),
                        "{rule}"
                    );
                    for c in list(&rule["CopyActions"]) {
                        assert!(
                            vault_arns.contains(text(&c["DestinationBackupVaultArn"])),
                            "{c}"
                        );
                    }
                }
            }
            let plan_ids: HashSet<&str> = list(plans)
                .iter()
                .map(|p| text(&p["BackupPlanId"]))
                .collect();
            for sel in list(selections) {
                assert!(plan_ids.contains(text(&sel["BackupPlanId"])));
                let body = &sel["BackupSelection"];
                assert_eq!(body["Conditions"].as_object().unwrap().len(), 4, "{body}");
                for r in list(&body["Resources"]) {
                    assert!(
                        text(r).contains('*') || resources.contains_key(text(r)),
                        "{r}"
                    );
                }
            }
            for rp in list(rps) {
                let arn = text(&rp["ResourceArn"]);
                assert!(
                    resources.contains_key(arn),
                    "recovery point of unknown resource {arn}"
                );
                assert!(names.contains(text(&rp["BackupVaultName"])), "{rp}");
                assert!(vault_arns.contains(text(&rp["BackupVaultArn"])), "{rp}");
                assert!(
                    rule_ids.contains(text(&rp["CreatedBy"]["BackupRuleId"])),
                    "{rp}"
                );
                let created = DateTime::parse_from_rfc3339(text(&rp["CreationDate"])).unwrap();
                assert!(created < opts.collected_at);
                DateTime::parse_from_rfc3339(text(&rp["CalculatedLifecycle"]["DeleteAt"])).unwrap();
            }
        }

        // Instances and their volumes, clusters and their members point at each other.
        for r in resources.values() {
            let (c, region, acct) = (
                &r["configuration"],
                text(&r["awsRegion"]),
                text(&r["accountId"]),
            );
            match text(&r["resourceType"]) {
                "AWS::EC2::Instance" => {
                    assert!(c["state"]["name"].is_string());
                    for m in list(&c["blockDeviceMappings"]) {
                        let id = text(&m["ebs"]["volumeId"]);
                        let vol = &resources[&format!("arn:aws:ec2:{region}:{acct}:volume/{id}")];
                        assert_eq!(
                            vol["configuration"]["attachments"][0]["instanceId"],
                            c["instanceId"]
                        );
                    }
                }
                "AWS::EC2::Volume" => assert!(c["encrypted"].is_boolean()),
                "AWS::RDS::DBCluster" => {
                    for m in list(&c["dbclusterMembers"]) {
                        let id = text(&m["dbinstanceIdentifier"]);
                        let member = &resources[&format!("arn:aws:rds:{region}:{acct}:db:{id}")];
                        assert_eq!(
                            member["configuration"]["dBClusterIdentifier"],
                            c["dbclusterIdentifier"]
                        );
                    }
                }
                _ => {}
            }
        }
    }

    #[test]
    fn same_seed_same_bytes() {
        let tmp = tempfile::tempdir().unwrap();
        let (a, b, c) = (
            tmp.path().join("a"),
            tmp.path().join("b"),
            tmp.path().join("c"),
        );
        generate(&small(11), &a).unwrap();
        generate(&small(11), &b).unwrap();
        generate(&small(12), &c).unwrap();
        assert!(files(&a) == files(&b));
        assert!(files(&a) != files(&c));
    }

    #[test]
    fn refuses_to_overwrite() {
        let tmp = tempfile::tempdir().unwrap();
        let out = tmp.path().join("org");
        fs::create_dir(&out).unwrap();
        generate(&small(1), &out).unwrap(); // an empty directory is replaced
        let err = generate(&small(1), &out).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::AlreadyExists);
        assert!(err.to_string().contains("refusing to overwrite"), "{err}");
        let file = tmp.path().join("file");
        fs::write(&file, "x").unwrap();
        assert_eq!(
            generate(&small(1), &file).unwrap_err().kind(),
            io::ErrorKind::AlreadyExists
        );
        assert_eq!(fs::read_dir(tmp.path()).unwrap().count(), 2);
    }

    #[test]
    fn sizing_and_mix() {
        for (total, scopes, per_scope) in
            [(100_000, 1_000, 100), (1_000_000, 5_000, 200), (7, 5, 2)]
        {
            let o = SynthOptions::for_total_resources(total);
            assert_eq!(
                (o.accounts * o.regions.len(), o.resources_per_scope),
                (scopes, per_scope)
            );
        }
        let tmp = tempfile::tempdir().unwrap();
        let out = tmp.path().join("org");
        let stats = generate(
            &SynthOptions {
                resources_per_scope: 1500,
                ..small(3)
            },
            &out,
        )
        .unwrap();
        let (mut types, mut tagged) = (HashMap::<String, usize>::new(), 0);
        for path in files(&out).keys().filter(|p| p.ends_with("resources.json")) {
            for r in list(&read(&out.join(path))) {
                *types.entry(text(&r["resourceType"]).into()).or_default() += 1;
                let tags = list(&r["tags"]);
                tagged += tags
                    .iter()
                    .any(|t| t["key"] == "backup" && t["value"] != "none")
                    as usize;
            }
        }
        let share = |t: &str| types.get(t).copied().unwrap_or(0) as f64 / stats.resources as f64;
        assert!(
            (0.30..0.40).contains(&share("AWS::EC2::Volume")),
            "{types:?}"
        );
        assert!(
            (0.15..0.25).contains(&share("AWS::EC2::Instance")),
            "{types:?}"
        );
        for kind in [DB, TABLE, BUCKET, EFS, FSX, REDSHIFT, GATEWAY_VOLUME] {
            assert!(share(kind.0) > 0.005, "{}: {types:?}", kind.0);
        }
        assert!(share("AWS::RDS::DBCluster") > 0.005, "{types:?}");
        assert!(tagged * 2 > stats.resources, "{tagged}");
        let per_resource = stats.recovery_points as f64 / stats.resources as f64;
        assert!((1.5..3.0).contains(&per_resource), "{per_resource}");
    }
}
