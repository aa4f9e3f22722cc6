//! Synthetic organisation generator for benchmarks.
//!
//! Writes a snapshot directory (`backup-auditor-snapshot/v1`) of a large, realistic AWS
//! organisation: a mix of resource types with tags, three or four backup plans per account-region
//! (tag conditions, `ListOfTags`, ARN patterns with `NotResources`, weekday and monthly crons, a
//! continuous rule, cross-region and cross-account copies), two to five vaults (some locked),
//! vault policies, region opt-in settings and recovery points of varied ages and states. The
//! output is a pure function of [`SynthOptions`]: the same options give byte-identical files.
//!
//! The generator is split by what it generates: this module holds the options and the
//! organisation's shape (accounts, their regions, the manifest); `scope` writes one
//! account-region from `vaults`, `plans` (plans and selections), `resources` and
//! `points` (recovery points), through the JSON writers of `out`. Every scope draws from one
//! random stream in a fixed order (see `scope::write_scope`): moving a draw changes the output.

mod out;
mod place;
mod plans;
mod points;
mod resources;
mod scope;
mod vaults;

use chrono::{DateTime, SecondsFormat, TimeZone, Utc};
use fastrand::Rng;
use out::write_pretty;
use rayon::prelude::*;
use serde_json::json;
use std::fs;
use std::io;
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
/// A day and an hour in milliseconds, the unit of every age the generator draws.
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

/// One account of the organisation; each of its regions is a scope (`scope::write_scope`).
struct Account {
    id: String,
    name: String,
    env: &'static str,
    apps: Vec<&'static str>,
}

/// Account `i`, drawn from its own stream so that it does not depend on the number of accounts.
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

/// The synthetic organisation's id: its central vaults allow copies from it.
const ORGANIZATION_ID: &str = "o-a1b2c3d4e5";

/// Writes every scope (in parallel: each draws from its own stream), the organisation, and
/// then the manifest.
fn write_org(opts: &SynthOptions, dir: &Path) -> io::Result<SynthStats> {
    let accounts: Vec<Account> = (0..opts.accounts).map(|i| account(opts.seed, i)).collect();
    let nr = opts.regions.len();
    let scopes: Vec<(usize, usize)> = (0..opts.accounts * nr).map(|i| (i / nr, i % nr)).collect();
    let per_scope = scopes
        .par_iter()
        .map(|&(a, r)| scope::write_scope(opts, &accounts, a, r, dir))
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
    let org_dir = dir.join("organization");
    std::fs::create_dir_all(&org_dir)?;
    let management = &accounts[0].id;
    let organization = json!({"Organization": {
        "Id": ORGANIZATION_ID, "FeatureSet": "ALL", "MasterAccountId": management,
        "Arn": format!("arn:aws:organizations::{management}:organization/{ORGANIZATION_ID}"),
    }});
    stats.bytes_written = write_pretty(&org_dir, "organization.json", &organization)?;
    // As the management account's collection writes it: no account's backup policy invalid.
    let policies = json!({"Accounts": [], "PolicyType": "BACKUP_POLICY"});
    stats.bytes_written += write_pretty(&org_dir, "invalid-effective-policies.json", &policies)?;
    stats.bytes_written += write_pretty(dir, "manifest.json", &manifest)?;
    for s in per_scope {
        stats.resources += s.resources;
        stats.recovery_points += s.recovery_points;
        stats.plans += s.plans;
        stats.bytes_written += s.bytes_written;
    }
    Ok(stats)
}

#[cfg(test)]
mod tests;
