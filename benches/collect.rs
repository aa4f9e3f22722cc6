//! Collection benchmark: `cargo bench --bench collect`.
//!
//! Generates a synthetic organisation (default 200 accounts × 4 regions), serves it from the
//! test suite's fake AWS with a fixed latency per request (default 30 ms), runs the release
//! binary's `collect --accounts all --regions all` against it, and reports:
//! - API calls made (requests the fake served) against the minimum the data requires, counted
//!   independently from the served files (bar: ≤ 1.1×);
//! - wall time against the floor Σ calls × latency ÷ concurrency (bar: ≤ 1.3× at the default
//!   concurrency).
//!
//! Knobs: `BENCH_ACCOUNTS`, `BENCH_REGIONS`, `BENCH_RESOURCES_PER_SCOPE`, `BENCH_LATENCY_MS`,
//! `BENCH_CONCURRENCY` (default: the CLI's default, 64), `BENCH_PAGE_SIZE` (default 100),
//! `BENCH_DIR` (where the organisation and the collected snapshot go; default `/dev/shm` when
//! it exists: on this project's VM, creating thousands of files on an ext4 /tmp that has seen
//! many deletions cost seconds of kernel CPU in inode allocation, which is the disk's story,
//! not the collector's).

#[path = "../tests/fake_aws/mod.rs"]
#[allow(dead_code)]
mod fake_aws;

use backup_auditor::synth::{self, SynthOptions};
use fake_aws::{FakeAws, Faults};
use serde_json::Value;
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

fn knob(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn main() {
    let accounts = knob("BENCH_ACCOUNTS", 200);
    let regions = knob("BENCH_REGIONS", 4);
    let per_scope = knob("BENCH_RESOURCES_PER_SCOPE", 50);
    let latency = Duration::from_millis(knob("BENCH_LATENCY_MS", 30) as u64);
    let concurrency = knob("BENCH_CONCURRENCY", 64);
    let page = knob("BENCH_PAGE_SIZE", 100);

    let work = match std::env::var_os("BENCH_DIR") {
        Some(d) => tempfile::tempdir_in(d),
        None if Path::new("/dev/shm").is_dir() => tempfile::tempdir_in("/dev/shm"),
        None => tempfile::tempdir(),
    }
    .expect("temp dir");
    let org = work.path().join("org");
    let mut opts = SynthOptions::for_total_resources(accounts * regions * per_scope);
    opts.accounts = accounts;
    opts.regions.truncate(regions);
    opts.resources_per_scope = per_scope;
    synth::generate(&opts, &org).expect("generate the organisation");

    let minimum = minimum_calls(&org, page);
    let fake = FakeAws::start_sized(
        &org,
        Faults {
            latency,
            ..Faults::default()
        },
        page,
    );
    let out = work.path().join("collected");
    let started = Instant::now();
    let o = Command::new(env!("CARGO_BIN_EXE_backup-auditor"))
        .args([
            "collect",
            "--accounts",
            "all",
            "--regions",
            "all",
            "--role-name",
            "Audit",
        ])
        .args(["--concurrency", &concurrency.to_string(), "-q", "--out"])
        .arg(&out)
        .envs(fake.env())
        .output()
        .expect("run backup-auditor");
    let wall = started.elapsed();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let usage = nix::sys::resource::getrusage(nix::sys::resource::UsageWho::RUSAGE_CHILDREN)
        .expect("getrusage");
    let secs = |t: nix::sys::time::TimeVal| t.tv_sec() as f64 + t.tv_usec() as f64 / 1e6;
    let cpu = secs(usage.user_time()) + secs(usage.system_time());
    let server_cpu = {
        let me = nix::sys::resource::getrusage(nix::sys::resource::UsageWho::RUSAGE_SELF)
            .expect("getrusage");
        secs(me.user_time()) + secs(me.system_time())
    };

    let calls = fake.total_requests();
    let floor = latency.as_secs_f64() * calls as f64 / concurrency as f64;
    println!(
        "collect: {accounts} accounts × {regions} regions, {per_scope} resources per scope, \
         {} ms latency, concurrency {concurrency}, page size {page}, into {}",
        latency.as_millis(),
        work.path().display()
    );
    println!(
        "  API calls  {calls} (minimum the data requires: {minimum}, ratio {:.3}; bar ≤ 1.1)",
        calls as f64 / minimum as f64
    );
    println!(
        "  wall time  {:.2} s (floor Σ calls × latency ÷ concurrency: {floor:.2} s, ratio {:.3}; bar ≤ 1.3)",
        wall.as_secs_f64(),
        wall.as_secs_f64() / floor
    );
    println!(
        "  CPU        collector {cpu:.2} s, fake AWS (and the generator) {server_cpu:.2} s, on {} cores",
        std::thread::available_parallelism().map_or(1, |n| n.get())
    );
    let mut per_op: Vec<_> = fake.calls().into_iter().collect();
    per_op.sort_by_key(|(_, n)| std::cmp::Reverse(*n));
    for (op, n) in per_op {
        println!("    {n:>7}  {op}");
    }
}

fn pages(n: usize, page: usize) -> u64 {
    n.div_ceil(page).max(1) as u64
}

fn items(dir: &Path, file: &str) -> Vec<Value> {
    std::fs::read(dir.join(file))
        .ok()
        .and_then(|b| serde_json::from_slice::<Value>(&b).ok())
        .and_then(|v| v.as_array().cloned())
        .unwrap_or_default()
}

/// The calls a collector cannot avoid, counted from the served files: one Get per plan and
/// selection, one policy and one paged recovery-point listing per vault, every list's pages.
fn minimum_calls(org: &Path, page: usize) -> u64 {
    let manifest: Value =
        serde_json::from_slice(&std::fs::read(org.join("manifest.json")).unwrap()).unwrap();
    let scopes = manifest["scopes"].as_array().unwrap();
    let mut accounts: Vec<&str> = scopes
        .iter()
        .map(|s| s["account_id"].as_str().unwrap())
        .collect();
    accounts.dedup();
    // GetCallerIdentity, ListAccounts pages; per account AssumeRole + ListRegions.
    let mut n = 1 + pages(accounts.len(), page) + 2 * accounts.len() as u64;
    // DescribeOrganization and one page of ListAccountsWithInvalidEffectivePolicy: the
    // synthetic organisation lists no invalid account, so no ListEffectivePolicyValidationErrors.
    n += 2;
    // IAM is global: GetRole once per (account, role of that account its selections name).
    let mut roles = std::collections::BTreeSet::new();
    for s in scopes {
        let dir = org
            .join(s["account_id"].as_str().unwrap())
            .join(s["region"].as_str().unwrap());
        let resources = items(&dir, "resources.json");
        let not_config = ["AWS::StorageGateway::Volume", "AWS::FSx::FileSystem"];
        let in_config = resources
            .iter()
            .filter(|r| !not_config.contains(&r["resourceType"].as_str().unwrap_or("")))
            .count();
        let volumes: Vec<&str> = resources
            .iter()
            .filter(|r| r["resourceType"] == not_config[0])
            .filter_map(|r| r["arn"].as_str())
            .collect();
        let mut gateways: Vec<&str> = volumes
            .iter()
            .map(|a| a.split("/volume/").next().unwrap())
            .collect();
        gateways.dedup();
        // Config: recorder status + recorders + Select pages; SG: gateways, volumes, tags; FSx.
        n += 2 + pages(in_config, page);
        n += 1 + gateways.len() as u64 + volumes.len() as u64 + 1;
        let plans = items(&dir, "backup-plans.json");
        let selections = items(&dir, "backup-selections.json");
        let account = s["account_id"].as_str().unwrap();
        for arn in selections
            .iter()
            .filter_map(|s| s["BackupSelection"]["IamRoleArn"].as_str())
            .filter(|a| a.split(':').nth(4) == Some(account))
        {
            let name = arn.rsplit('/').next().unwrap_or_default();
            roles.insert((account.to_owned(), name.to_owned()));
        }
        n += pages(plans.len(), page) + plans.len() as u64;
        for p in &plans {
            let of_plan = selections
                .iter()
                .filter(|s| s["BackupPlanId"] == p["BackupPlanId"])
                .count();
            n += pages(of_plan, page) + of_plan as u64;
        }
        let vaults = items(&dir, "backup-vaults.json");
        let points = items(&dir, "recovery-points.json");
        n += pages(vaults.len(), page);
        for v in &vaults {
            let of_vault = points
                .iter()
                .filter(|p| p["BackupVaultName"] == v["BackupVaultName"])
                .count();
            n += 1 + pages(of_vault, page);
        }
        n += pages(items(&dir, "protected-resources.json").len(), page);
        n += 2; // DescribeRegionSettings, DescribeGlobalSettings
        n += pages(items(&dir, "backup-jobs.json").len(), page);
        // Restore testing: the plans' pages and one Get each, per plan its selections' pages
        // and one Get each; the restore jobs' pages.
        let testing = items(&dir, "restore-testing-plans.json");
        let tested = items(&dir, "restore-testing-selections.json");
        n += pages(testing.len(), page) + testing.len() as u64;
        for p in &testing {
            let name = &p["RestoreTestingPlan"]["RestoreTestingPlanName"];
            let of_plan = tested
                .iter()
                .filter(|s| &s["RestoreTestingSelection"]["RestoreTestingPlanName"] == name)
                .count();
            n += pages(of_plan, page) + of_plan as u64;
        }
        n += pages(items(&dir, "restore-jobs.json").len(), page);
    }
    n + roles.len() as u64
}
