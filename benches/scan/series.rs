//! Scaling series (issue 13, "superlinear stages"): each dimension of the input is measured at
//! n and at 20n, with every output format, and the bar is time(20n) ≤ 25 × time(n) — what
//! stages that are O(n log n) in that dimension give, with room for noise. A stage that is
//! quadratic in it takes about 400× as long at 20n and fails the bar as soon as it matters.
//!
//! | series | n (default) | input at n |
//! |---|---:|---|
//! | `resources` | 5,000 | `backup-auditor synth --resources n` |
//! | `scopes` | 500 | n account-regions, half `failed`, half `partial` with `resources.json` unreadable |
//! | `members` | 1,000 | one account-region: n Aurora instances in clusters of 10 (1 in 100 names a cluster that is not there) |
//! | `waivers` | 50 | the `resources` organisation of 100 × n resources, with n waivers, each naming one of its FAIL findings |
//!
//! Waivers scale with the organisation: matching is work per (finding, waiver) pair at
//! worst, so only growing both shows whether it stays near-linear. The inputs are written
//! here (or by `synth`) into the bench directory once and reused.

use super::{ensure_synth, measure, median, Measured, Res, Scan};
use serde_json::{json, Value};
use std::path::{Path, PathBuf};
use std::process::Command;

/// The input grows by this factor…
const FACTOR: usize = 20;
/// …and the time may grow by at most this one.
const BAR: f64 = 25.0;
/// Every stage: each renderer has its own per-scope and per-resource work.
const ALL_FORMATS: &str = "html,csv,json,junit,markdown,ocsf";
const COLLECTED_AT: &str = "2026-11-27T05:00:00Z";
const REGIONS: [&str; 5] = [
    "us-east-1",
    "us-west-2",
    "eu-west-1",
    "eu-central-1",
    "ap-southeast-2",
];
/// Resources of the waiver series' organisation per waiver.
const RESOURCES_PER_WAIVER: usize = 100;
/// Aurora instances per cluster in the member series.
const MEMBERS_PER_CLUSTER: usize = 10;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dim {
    Resources,
    Scopes,
    Members,
    Waivers,
}

impl Dim {
    const ALL: [Dim; 4] = [Dim::Resources, Dim::Scopes, Dim::Members, Dim::Waivers];

    fn name(self) -> &'static str {
        match self {
            Dim::Resources => "resources",
            Dim::Scopes => "scopes",
            Dim::Members => "members",
            Dim::Waivers => "waivers",
        }
    }

    fn default_n(self) -> usize {
        match self {
            Dim::Resources => 5_000,
            Dim::Scopes => 500,
            Dim::Members => 1_000,
            Dim::Waivers => 50,
        }
    }

    /// What n counts, for the table.
    fn unit(self) -> &'static str {
        match self {
            Dim::Resources => "resources",
            Dim::Scopes => "failed or unreadable scopes",
            Dim::Members => "Aurora cluster members",
            Dim::Waivers => "waivers (100 resources each)",
        }
    }
}

/// `BENCH_SERIES`: `NAME[:N],…`, `all` (the default) or `none`.
pub fn chosen() -> Res<Vec<(Dim, usize)>> {
    let text = std::env::var("BENCH_SERIES").unwrap_or_else(|_| "all".into());
    match text.trim() {
        "none" | "" => return Ok(Vec::new()),
        "all" => return Ok(Dim::ALL.iter().map(|&d| (d, d.default_n())).collect()),
        _ => {}
    }
    text.split(',')
        .map(|item| {
            let (name, n) = item.trim().split_once(':').unwrap_or((item.trim(), ""));
            let dim = Dim::ALL
                .into_iter()
                .find(|d| d.name() == name)
                .ok_or_else(|| {
                    format!(
                        "BENCH_SERIES: unknown series {name:?} (resources, scopes, members, waivers)"
                    )
                })?;
            let n = match n {
                "" => dim.default_n(),
                n => n
                    .replace('_', "")
                    .parse()
                    .ok()
                    .filter(|&n: &usize| n > 0)
                    .ok_or_else(|| format!("BENCH_SERIES: {n:?} is not a positive number"))?,
            };
            Ok((dim, n))
        })
        .collect()
}

/// The `synth` organisations the chosen series generate, by resource count.
pub fn synth_sizes(series: &[(Dim, usize)]) -> Vec<usize> {
    series
        .iter()
        .flat_map(|&(dim, n)| match dim {
            Dim::Resources => vec![n, n * FACTOR],
            Dim::Waivers => vec![n * RESOURCES_PER_WAIVER, n * FACTOR * RESOURCES_PER_WAIVER],
            Dim::Scopes | Dim::Members => vec![],
        })
        .collect()
}

fn runs() -> Res<usize> {
    match std::env::var("BENCH_SERIES_RUNS") {
        Err(_) => Ok(3),
        Ok(s) => s
            .trim()
            .parse()
            .ok()
            .filter(|&n: &usize| n > 0)
            .ok_or_else(|| format!("BENCH_SERIES_RUNS: {s:?} is not a positive number")),
    }
}

pub fn run(me: &Path, bin: &Path, root: &Path, series: &[(Dim, usize)]) -> Res<()> {
    let runs = runs()?;
    let mut rows = Vec::new();
    for &(dim, n) in series {
        let mut points: Vec<Measured> = Vec::new();
        for size in [n, n * FACTOR] {
            let scan = prepare(bin, root, dim, size)?;
            println!(
                "series {}: {size} {}, {runs} runs, --format {ALL_FORMATS}…",
                dim.name(),
                dim.unit()
            );
            points.push(measure(me, bin, size, runs, &scan)?);
        }
        rows.push((dim, points));
    }
    println!();
    println!(
        "{:<10} {:<29} {:>7} {:>7} {:>8} {:>8} {:>6}  bar: 20× the input within {BAR}× the time",
        "series", "n counts", "n", "20n", "n s", "20n s", "ratio"
    );
    for (dim, p) in &rows {
        let (small, big) = (median(&p[0].walls), median(&p[1].walls));
        let ratio = big / small;
        println!(
            "{:<10} {:<29} {:>7} {:>7} {:>8.3} {:>8.3} {:>6.1}  {}",
            dim.name(),
            dim.unit(),
            p[0].size,
            p[1].size,
            small,
            big,
            ratio,
            if ratio <= BAR { "PASS" } else { "FAIL" }
        );
    }
    for (dim, p) in &rows {
        if let Some(stages) = &p[1].stages {
            println!(
                "stages of the last {} {} run (-v):\n{stages}",
                p[1].size,
                dim.name()
            );
        }
    }
    Ok(())
}

/// Writes (once) the input of one point and says how to scan it.
fn prepare(bin: &Path, root: &Path, dim: Dim, n: usize) -> Res<Scan> {
    let (snapshot, extra) = match dim {
        Dim::Resources => {
            let dir = root.join(format!("synth-{n}"));
            ensure_synth(bin, &dir, n)?;
            (dir, Vec::new())
        }
        Dim::Scopes => (
            cached(root, &format!("scopes-{n}"), |d| scopes(d, n))?,
            Vec::new(),
        ),
        Dim::Members => (
            cached(root, &format!("members-{n}"), |d| members(d, n))?,
            Vec::new(),
        ),
        Dim::Waivers => {
            let dir = root.join(format!("synth-{}", n * RESOURCES_PER_WAIVER));
            ensure_synth(bin, &dir, n * RESOURCES_PER_WAIVER)?;
            let file = waivers(bin, root, &dir, n)?;
            (dir, vec!["--waivers".into(), file.display().to_string()])
        }
    };
    Ok(Scan {
        out: root.join(format!("out-series-{}-{n}", dim.name())),
        snapshot,
        formats: ALL_FORMATS.into(),
        extra,
        keep: false,
    })
}

/// `root/name`, written by `write` into a temporary directory first unless it is there.
fn cached(root: &Path, name: &str, write: impl FnOnce(&Path) -> Res<()>) -> Res<PathBuf> {
    let dir = root.join(name);
    if dir.join("manifest.json").is_file() {
        return Ok(dir);
    }
    let tmp = root.join(format!("{name}.tmp"));
    let _ = std::fs::remove_dir_all(&tmp);
    std::fs::create_dir_all(&tmp).map_err(|e| format!("cannot create {}: {e}", tmp.display()))?;
    write(&tmp)?;
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::rename(&tmp, &dir).map_err(|e| format!("cannot rename {}: {e}", tmp.display()))?;
    println!("snapshot: {} written", dir.display());
    Ok(dir)
}

fn write_json(path: &Path, value: &Value) -> Res<()> {
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent)
            .map_err(|e| format!("cannot create {}: {e}", parent.display()))?;
    }
    let text = serde_json::to_string_pretty(value).map_err(|e| e.to_string())?;
    std::fs::write(path, text).map_err(|e| format!("cannot write {}: {e}", path.display()))
}

fn manifest(dir: &Path, scopes: Vec<Value>) -> Res<()> {
    write_json(
        &dir.join("manifest.json"),
        &json!({"format": "backup-auditor-snapshot/v1", "collected_at": COLLECTED_AT,
                "scopes": scopes}),
    )
}

/// n account-regions that could not be read: even ones failed as a whole (no role to assume),
/// odd ones partial with `resources.json` denied, so every workload rule is NOT_ASSESSED there.
fn scopes(dir: &Path, n: usize) -> Res<()> {
    let list = (0..n)
        .map(|i| {
            let account = format!("{:012}", 300_000_000_000u64 + (i / REGIONS.len()) as u64);
            let mut s = json!({"account_id": account, "account_name": format!("team-{i:05}"),
                               "region": REGIONS[i % REGIONS.len()]});
            if i % 2 == 0 {
                s["status"] = "failed".into();
                s["error"] = format!(
                    "AccessDenied: not authorized to perform sts:AssumeRole on \
                     arn:aws:iam::{account}:role/backup-auditor"
                )
                .into();
            } else {
                s["status"] = "partial".into();
                s["errors"] = json!([{"file": "resources.json",
                    "error": "AccessDeniedException: not authorized to perform config:SelectResourceConfig"}]);
            }
            s
        })
        .collect();
    manifest(dir, list)
}

/// One account-region with n Aurora instances in clusters of ten, every cluster tagged for a
/// daily plan that does not exist (FAIL) and one member in a hundred naming a cluster that is
/// not in the inventory (NOT_ASSESSED).
fn members(dir: &Path, n: usize) -> Res<()> {
    let (account, region) = ("400000000000", "us-east-1");
    let clusters = n.div_ceil(MEMBERS_PER_CLUSTER);
    let mut items = Vec::with_capacity(n + clusters);
    for c in 0..clusters {
        let name = format!("orders-aurora-{c:06}");
        items.push(json!({
            "resourceType": "AWS::RDS::DBCluster",
            "resourceId": format!("cluster-{c:026X}"),
            "resourceName": name,
            "arn": format!("arn:aws:rds:{region}:{account}:cluster:{name}"),
            "accountId": account, "awsRegion": region,
            "tags": [{"key": "backup", "value": "daily"}],
            "configuration": {"dbclusterIdentifier": name, "engine": "aurora-postgresql",
                              "status": "available", "storageEncrypted": true},
        }));
    }
    for m in 0..n {
        let cluster = if m % 100 == 99 {
            format!("orders-aurora-gone-{m:06}")
        } else {
            format!("orders-aurora-{:06}", m / MEMBERS_PER_CLUSTER)
        };
        let name = format!("{cluster}-instance-{m:06}");
        items.push(json!({
            "resourceType": "AWS::RDS::DBInstance",
            "resourceId": format!("db-{m:026X}"),
            "resourceName": name,
            "arn": format!("arn:aws:rds:{region}:{account}:db:{name}"),
            "accountId": account, "awsRegion": region,
            "tags": [{"key": "backup", "value": "daily"}],
            "configuration": {"dBInstanceIdentifier": name, "engine": "aurora-postgresql",
                              "dBInstanceClass": "db.r6g.large", "dBInstanceStatus": "available",
                              "dBClusterIdentifier": cluster, "storageEncrypted": true},
        }));
    }
    write_json(
        &dir.join(account).join(region).join("resources.json"),
        &Value::Array(items),
    )?;
    manifest(
        dir,
        vec![
            json!({"account_id": account, "account_name": "orders-prod", "region": region,
                    "status": "complete"}),
        ],
    )
}

/// `root/waivers-N.yaml`: n waivers, each naming one FAIL finding of `snapshot` (spread evenly
/// over findings.csv), found by scanning it once.
fn waivers(bin: &Path, root: &Path, snapshot: &Path, n: usize) -> Res<PathBuf> {
    let file = root.join(format!("waivers-{n}.yaml"));
    if file.is_file() {
        return Ok(file);
    }
    let probe = root.join(format!("waivers-{n}-probe"));
    let _ = std::fs::remove_dir_all(&probe);
    let o = Command::new(bin)
        .arg("scan")
        .arg(snapshot)
        .arg("--out")
        .arg(&probe)
        .args(["--format", "csv", "-q"])
        .output()
        .map_err(|e| format!("cannot run {}: {e}", bin.display()))?;
    if !o.status.success() {
        return Err(format!(
            "scan {} failed ({}): {}",
            snapshot.display(),
            o.status,
            String::from_utf8_lossy(&o.stderr).trim()
        ));
    }
    let csv_path = probe.join("findings.csv");
    let mut reader =
        csv::Reader::from_path(&csv_path).map_err(|e| format!("{}: {e}", csv_path.display()))?;
    let head = reader
        .headers()
        .map_err(|e| format!("{}: {e}", csv_path.display()))?
        .clone();
    let col = |name: &str| {
        head.iter()
            .position(|h| h == name)
            .ok_or_else(|| format!("{}: no column {name}", csv_path.display()))
    };
    let (rule, status, arn) = (col("rule_id")?, col("status")?, col("resource_arn")?);
    let mut fails = Vec::new();
    for row in reader.records() {
        let row = row.map_err(|e| format!("{}: {e}", csv_path.display()))?;
        if &row[status] == "FAIL" && !row[arn].is_empty() {
            fails.push((row[rule].to_owned(), row[arn].to_owned()));
        }
    }
    let _ = std::fs::remove_dir_all(&probe);
    if fails.len() < n {
        return Err(format!(
            "{} has {} FAIL findings, fewer than the {n} waivers to write",
            snapshot.display(),
            fails.len()
        ));
    }
    let mut yaml = String::from("waivers:\n");
    for k in 0..n {
        let (rule, arn) = &fails[k * fails.len() / n];
        let q = |s: &str| serde_json::to_string(s).unwrap_or_default();
        yaml.push_str(&format!(
            "  - rule: {}\n    resource: {}\n    reason: {}\n    owner: bench@acme.example\n    expires: 2027-12-31\n",
            q(rule),
            q(arn),
            q(&format!("accepted exception {k} (benchmark)")),
        ));
    }
    std::fs::write(&file, yaml).map_err(|e| format!("cannot write {}: {e}", file.display()))?;
    println!("waivers:  {} written ({n} waivers)", file.display());
    Ok(file)
}
