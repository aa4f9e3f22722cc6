//! One account-region ("scope"): its directory, its region settings, and the order in which its
//! parts draw from the scope's random stream.

use super::out::{write_array, write_pretty};
use super::place::Place;
use super::plans::Plans;
use super::resources::Resources;
use super::vaults::{self, Vaults};
use super::{mix, points, Account, SynthOptions, SynthStats};
use fastrand::Rng;
use serde_json::{json, Value};
use std::fs;
use std::io;
use std::path::Path;

/// `ResourceTypeOptInPreference` keys, with the percentage of regions where each is opted in.
const OPT_IN: &str = "Aurora=97,CloudFormation=20,DocumentDB=80,DynamoDB=98,EBS=100,EC2=100,\
    EFS=98,FSx=90,Neptune=80,RDS=100,Redshift=70,S3=85,SAP HANA on Amazon EC2=10,\
    Storage Gateway=95,Timestream=10,VirtualMachine=30";

/// Writes scope (`a`, `r`) under `root`.
///
/// Everything in it comes from one random stream, drawn in this order: region settings, vaults,
/// plan ids and rules, resources, vault policies, plan documents, selections, recovery points.
/// The order is part of the output: drawing in another order changes every file after it.
pub(super) fn write_scope(
    opts: &SynthOptions,
    accounts: &[Account],
    a: usize,
    r: usize,
    root: &Path,
) -> io::Result<SynthStats> {
    let acct = &accounts[a];
    let reg = opts.regions[r].as_str();
    let at = Place {
        opts,
        accounts,
        a,
        r,
        acct,
        acc: &acct.id,
        reg,
        dir: root.join(&acct.id).join(reg),
        now: opts.collected_at.timestamp_millis(),
    };
    fs::create_dir_all(&at.dir)?;
    let mut rng = Rng::with_seed(mix(opts.seed, a as u64, r as u64));
    let (opt_in, settings) = region_settings(&mut rng);
    let mut bytes = write_pretty(&at.dir, "region-settings.json", &settings)?;
    let vaults = Vaults::draw(&mut rng, &at);
    let plans = Plans::draw(&mut rng, &vaults);
    let resources = Resources::generate(rng, &at, plans.has_legacy, opt_in);
    bytes += write_array(&at.dir, "resources.json", &resources.items)?;
    let mut rng = resources.rng;
    bytes += write_array(&at.dir, "backup-vaults.json", &vaults.docs)?;
    let policies = vaults::policies(&mut rng, &vaults.list);
    bytes += write_array(&at.dir, "backup-vault-policies.json", &policies)?;
    let plan_docs = plans.docs(&mut rng, &at, &vaults.list);
    bytes += write_array(&at.dir, "backup-plans.json", &plan_docs)?;
    let selections = plans.selections(&mut rng, &at, resources.legacy);
    bytes += write_array(&at.dir, "backup-selections.json", &selections)?;
    // No jobs are drawn; a collector that listed none writes an empty copy-jobs.json (its
    // absence would mean an older collector that never looked).
    bytes += write_array(&at.dir, "copy-jobs.json", &[] as &[Value])?;
    let (recovery_points, size) =
        points::write(&mut rng, &at, &resources.targets, &vaults.list, &plans)?;
    // Drawn from nothing, so every other file is what it was before roles were collected.
    bytes += write_array(&at.dir, "iam-roles.json", &[at.role_doc()])?;
    // Drawn from nothing too: the organisation allows cross-account backup.
    let global = serde_json::json!({
        "GlobalSettings": {"isCrossAccountBackupEnabled": "true"},
        "LastUpdateTime": "2026-01-05T10:00:00+00:00",
    });
    bytes += write_pretty(&at.dir, "global-settings.json", &global)?;
    Ok(SynthStats {
        scopes: 1,
        resources: opts.resources_per_scope,
        recovery_points,
        plans: plans.count(),
        bytes_written: bytes + size,
    })
}

/// The region's opt-in per AWS Backup resource type, and `region-settings.json`.
fn region_settings(rng: &mut Rng) -> (Vec<(&'static str, bool)>, Value) {
    let mut opt_in = Vec::new();
    for (t, p) in OPT_IN.split(',').filter_map(|kv| kv.split_once('=')) {
        opt_in.push((t, rng.u8(..100) < p.parse::<u8>().unwrap_or(100)));
    }
    let opt_in_map: serde_json::Map<_, _> =
        opt_in.iter().map(|&(t, v)| (t.into(), v.into())).collect();
    let settings = json!({"ResourceTypeOptInPreference": opt_in_map,
        "ResourceTypeManagementPreference": {"DynamoDB": rng.bool(), "EFS": true}});
    (opt_in, settings)
}
